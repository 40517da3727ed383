"""`dockyard audit login-events|repository-events`: the audit trail from the command line, filtered
and paged, as a table or as JSON with ACR's column names."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

from dockyard.audit.model import LoginOperation, RepositoryOperation, ResultType
from dockyard.audit.store import AuditStore
from dockyard.cli.audit import audit, parse_time
from dockyard.metadata.store import MetadataStore
from tests.audit.test_model import login_event, repository_event

NOW = time.time()


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    """A data directory whose audit trail holds a few events of the last hours."""
    data = tmp_path / "data"
    data.mkdir()
    metadata = MetadataStore(f"sqlite:///{data / 'dockyard.db'}")
    metadata.migrate()
    AuditStore(metadata.engine).add(
        [
            login_event(time_generated=NOW - 7200, identity_name="ci", reason=""),
            login_event(
                time_generated=NOW - 60,
                identity="owner",
                identity_name="owner",
                result_type=ResultType.FAILURE,
                reason="wrong_password",
            ),
            login_event(time_generated=NOW - 30, operation_name=LoginOperation.REFRESH),
        ],
        [
            repository_event(time_generated=NOW - 100, repository="team/app", operation_name=RepositoryOperation.PUSH),
            repository_event(time_generated=NOW - 50, repository="team/app"),
            repository_event(time_generated=NOW - 10, repository="team/other"),
        ],
    )
    metadata.close()
    yield data


def _audit(data_dir: Path, *args: str) -> Result:
    result = CliRunner().invoke(audit, [*args, "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    return result


def _json(data_dir: Path, *args: str) -> dict[str, object]:
    document: dict[str, object] = json.loads(_audit(data_dir, *args, "--output", "json").stdout)
    return document


def test_login_events_as_json_have_acrs_column_names_newest_first(data_dir: Path) -> None:
    events = _json(data_dir, "login-events")["events"]

    assert isinstance(events, list)
    assert [event["OperationName"] for event in events] == ["refresh", "token", "token"]
    assert events[0]["TimeGenerated"].endswith("Z")


def test_filters_by_relative_time_result_and_identity(data_dir: Path) -> None:
    recent = _json(data_dir, "login-events", "--since", "1h")["events"]
    failures = _json(data_dir, "login-events", "--result", "failure", "--identity", "owner")["events"]

    assert isinstance(recent, list) and len(recent) == 2
    assert isinstance(failures, list) and [event["Reason"] for event in failures] == ["wrong_password"]


def test_repository_events_by_repository_and_operation(data_dir: Path) -> None:
    events = _json(data_dir, "repository-events", "--repository", "team/app", "--operation", "push")["events"]

    assert isinstance(events, list) and [(e["Repository"], e["OperationName"]) for e in events] == [
        ("team/app", "push")
    ]


def test_a_limited_page_gives_the_cursor_of_the_next(data_dir: Path) -> None:
    first = _json(data_dir, "repository-events", "--limit", "2")
    second = _json(data_dir, "repository-events", "--limit", "2", "--cursor", str(first["nextCursor"]))

    assert first["nextCursor"] is not None and second["nextCursor"] is None
    assert isinstance(second["events"], list) and len(second["events"]) == 1


def test_the_table_shows_one_row_per_event_under_a_header(data_dir: Path) -> None:
    lines = _audit(data_dir, "repository-events").stdout.splitlines()

    assert lines[0].split()[:3] == ["TimeGenerated", "OperationName", "IdentityName"]
    assert len(lines) == 4 and "team/other" in lines[1]


def test_a_time_that_is_neither_iso_nor_a_duration_is_a_usage_error(data_dir: Path) -> None:
    result = CliRunner().invoke(audit, ["login-events", "--since", "yesterday", "--data-dir", str(data_dir)])

    assert result.exit_code == 2
    assert "neither an ISO 8601 time nor a duration" in result.output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", 1000.0 - 90),
        ("15m", 1000.0 - 900),
        ("1.5h", 1000.0 - 5400),
        ("1970-01-01T00:10:00Z", 600.0),
        ("1970-01-01T01:10:00+01:00", 600.0),
        ("1970-01-01", 0.0),
    ],
)
def test_times_are_iso_8601_or_a_duration_ago(text: str, expected: float) -> None:
    assert parse_time(text, now=1000.0) == expected


def test_a_bad_duration_is_refused() -> None:
    with pytest.raises(click.BadParameter):
        parse_time("5 minutes", now=1000.0)
