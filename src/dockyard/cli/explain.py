"""`dockyard explain`: for an operator on the server, why an identity may or may not pull, push, delete
or list the catalog — or why a logged login failed (`--event`). Reads the stores directly."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import click

from dockyard.cli.audit import parse_time
from dockyard.cli.errors import CliError
from dockyard.cli.options import load, store_options
from dockyard.cli.output import OutputFormat, current_choice, emit, output_options

_ACTIONS = ("pull", "push", "delete", "catalog")  # `doctor.explain.ExplainedAction`, imported only when run


def parse_at(text: str, now: float) -> float:
    """`--at`: ISO 8601, a duration ago (`2h`), or a duration ahead (`+30d`)."""
    if text.startswith("+"):
        return now + (now - parse_time(text[1:], now))
    return parse_time(text, now)


@click.command(name="explain", short_help="Why an identity may or may not do an action on a repository.")
@click.option("--identity", help="Object id, application id, user name, display name, token:<name>, admin, anonymous.")
@click.option("--repository", help="The repository (not needed for --action catalog).")
@click.option("--action", type=click.Choice(_ACTIONS), help="What the identity tries.")
@click.option("--tag", help="Also read the locks of this tag and of the manifest it points at.")
@click.option("--at", "at_text", help="Evaluate expiry at this time: ISO 8601, 2h (ago) or +30d (ahead). Default: now.")
@click.option("--ip", help="The client's address, checked against the network rules.")
@click.option("--event", "event_id", help="Explain a login event instead: its CorrelationId (or row id).")
@output_options(OutputFormat.TABLE)
@store_options
def explain_command(
    config: Path | None,
    identity: str | None,
    repository: str | None,
    action: str | None,
    tag: str | None,
    at_text: str | None,
    ip: str | None,
    event_id: str | None,
    **flags: Any,
) -> None:
    """Why may (or may not) IDENTITY do ACTION on REPOSITORY — or why did a logged login fail (--event).

    The verdict comes from the same decide() the token service enforces with; the output names the
    credential state, network rule, permissions mode, every role assignment with its condition, the
    scope map of a token and the locks. `--output json` for scripts."""
    # the doctor (and the token service under it) only when the command runs: `dockyard` starts fast
    from dockyard.doctor.explain import explain
    from dockyard.doctor.explain_event import EventNotFound, event_json, explain_event
    from dockyard.doctor.explain_identity import IdentityNotResolved
    from dockyard.doctor.explain_model import to_json
    from dockyard.doctor.explain_render import render, render_event
    from dockyard.doctor.explain_stores import open_stores

    now = time.time()
    if event_id is not None:
        if identity or repository or action:
            raise click.UsageError("--event takes no --identity, --repository or --action")
    elif identity is None or action is None or (repository is None and action != "catalog"):
        raise click.UsageError("give --identity, --action and --repository (or --event <id>)")
    settings = load(config, flags)
    with open_stores(settings) as stores:
        try:
            if event_id is not None:
                explained_event = explain_event(stores, event_id, now)
                _emit(event_json(explained_event), render_event(explained_event))
            else:
                at = parse_at(at_text, now) if at_text else now
                explanation = explain(stores, identity or "", repository or "", action or "", at, ip=ip, tag=tag)
                _emit(to_json(explanation), render(explanation))
        except IdentityNotResolved as exc:
            raise CliError(exc.message, fix=exc.fix) from exc
        except EventNotFound as exc:
            raise CliError(str(exc), fix="copy the CorrelationId from: dockyard logs login --result failure") from exc


def _emit(document: dict[str, Any], tree: str) -> None:
    choice = current_choice()
    if choice.format is OutputFormat.TABLE and not choice.query:
        click.echo(tree)
    else:
        emit(document, columns=("code", "ref", "text", "fix"), rows=lambda result: result["reasons"])
