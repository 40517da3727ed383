"""`dockyard logs login|repository`: query the audit trail through the management API (`/api/v1/events/…`),
newest first, with the columns of ACR's `ContainerRegistryLoginEvents` and `ContainerRegistryRepositoryEvents`.

`dockyard audit login-events|repository-events`, the first names of these commands, stay as hidden aliases.
"""

from __future__ import annotations

import datetime
import re
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from dockyard.audit.model import LoginOperation, RepositoryOperation, ResultType
from dockyard.audit.store import MAX_LIMIT
from dockyard.cli.api import admin_options, admin_session
from dockyard.cli.output import OutputFormat, current_choice, emit, output_options

_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)([smhdw])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_LOGIN_TABLE = ("TimeGenerated", "OperationName", "Identity", "IdentityName", "CallerIpAddress", "ResultType", "Reason")
_REPOSITORY_TABLE = (
    "TimeGenerated",
    "OperationName",
    "IdentityName",
    "Repository",
    "Tag",
    "Digest",
    "Size",
    "ResultType",
    "Reason",
)


@click.group(short_help="Login and repository events, newest first.")
def logs() -> None:
    """Read the audit trail: login events and repository events, newest first (as ACR's
    ContainerRegistryLoginEvents and ContainerRegistryRepositoryEvents)."""


@click.group(hidden=True)
def audit() -> None:
    """The old name of `dockyard logs` (`login-events`, `repository-events`)."""


def parse_time(text: str, now: float) -> float:
    """A point in time as seconds since the epoch: ISO 8601 (`2026-01-31T12:00:00Z`, `2026-01-31`; UTC
    unless an offset is given) or a duration ago (`90s`, `15m`, `1h`, `2d`, `1w`)."""
    relative = _RELATIVE.match(text.strip())
    if relative:
        return now - float(relative.group(1)) * _UNIT_SECONDS[relative.group(2)]
    try:
        moment = datetime.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{text!r} is neither an ISO 8601 time nor a duration like 1h or 2d") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.timestamp()


def _query_options(command: Callable[..., Any]) -> Callable[..., Any]:
    options = [
        click.option("--since", help="Only events at or after this time: ISO 8601, or a duration ago (1h, 2d)."),
        click.option("--until", help="Only events before this time: ISO 8601, or a duration ago."),
        click.option("--identity", help="Only events of this identity: an object id, `admin`, `token:<name>`, a name."),
        click.option("--result", type=click.Choice([r.value for r in ResultType]), help="Only successes or failures."),
        click.option(
            "--reason", help="Only events whose Reason contains this (e.g. legacy_role_ignored_in_abac_mode)."
        ),
        click.option(
            "--limit", type=click.IntRange(1, MAX_LIMIT), default=100, show_default=True, help="Events per page."
        ),
        click.option("--cursor", help="Continue after the page that printed this cursor."),
    ]
    for option in reversed(options):
        command = option(command)
    return output_options(OutputFormat.TABLE)(admin_options(command))


@logs.command("login")
@click.option("--operation", type=click.Choice([o.value for o in LoginOperation]), help="Only this operation.")
@_query_options
def login_events(name: str | None, config: Path | None, **options: Any) -> None:
    """Sign-in attempts: token requests, exchanges, directory sign-ins and network refusals.

    JSON output is `{"events": [...], "nextCursor": ...}`; `--query` applies to that."""
    _run(name, config, options, "/events/login", _LOGIN_TABLE)


@logs.command("repository")
@click.option("--operation", type=click.Choice([o.value for o in RepositoryOperation]), help="Only this operation.")
@click.option("--repository", help="Only events of this repository.")
@_query_options
def repository_events(name: str | None, config: Path | None, **options: Any) -> None:
    """Pushes, pulls and deletes of manifests and tags.

    JSON output is `{"events": [...], "nextCursor": ...}`; `--query` applies to that."""
    _run(name, config, options, "/events/repository", _REPOSITORY_TABLE)


audit.add_command(login_events, "login-events")
audit.add_command(repository_events, "repository-events")


def _run(name: str | None, config: Path | None, options: dict[str, Any], path: str, columns: Sequence[str]) -> None:
    flags = {key: options.pop(key) for key in ("metadata_url", "data_dir")}
    params = _query(options, time.time())
    with admin_session(name, config, flags) as session:
        page = session.get(path, params)
    emit({"events": page["value"], "nextCursor": page["nextCursor"]}, columns=columns, rows=lambda r: r["events"])
    if page["nextCursor"] is not None and current_choice().format is not OutputFormat.JSON:
        click.echo(f"(more: --cursor {page['nextCursor']})", err=True)


def _query(options: dict[str, Any], now: float) -> dict[str, Any]:
    """The API's query parameters for the filters given (times as RFC 3339)."""
    times = {key: _rfc3339(parse_time(options[key], now)) for key in ("since", "until") if options.get(key)}
    named = ("identity", "result", "operation", "repository", "reason", "limit", "cursor")
    return times | {key: options[key] for key in named if options.get(key) is not None}


def _rfc3339(seconds: float) -> str:
    moment = datetime.datetime.fromtimestamp(seconds, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
