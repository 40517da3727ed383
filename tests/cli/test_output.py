"""`--output json|table|tsv` and `--query` on every listing, and errors as one line plus the fix.

The commands run as a user runs them: `dockyard …` in a subprocess, on a data directory of the test's own.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from dockyard.cli.output import OutputChoice, OutputFormat, render
from tests.conftest import DOCKYARD

EVENTS = [
    {"Identity": "owner", "ResultType": "failure", "Detail": {"a": 1}},
    {"Identity": "ci", "ResultType": "success", "Detail": None},
]


def _dockyard(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([DOCKYARD, *args], capture_output=True, text=True, timeout=60, check=False)
    assert (result.returncode == 0) == ok, result.stderr
    return result


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data directory with two IP rules."""
    data = tmp_path / "data"
    _dockyard(
        "network-rule", "add", "--ip-address", "203.0.113.0/24", "--ip-address", "198.51.100.7", "--data-dir", str(data)
    )
    return data


def test_json_is_the_result_itself(data_dir: Path) -> None:
    shown = json.loads(_dockyard("network-rule", "list", "-o", "json", "--data-dir", str(data_dir)).stdout)

    assert shown["networkRuleSet"]["ipRules"] == [
        {"action": "Allow", "value": "203.0.113.0/24"},
        {"action": "Allow", "value": "198.51.100.7/32"},
    ]


def test_a_query_picks_from_the_result(data_dir: Path) -> None:
    values = _dockyard(
        "network-rule",
        "list",
        "--query",
        "networkRuleSet.ipRules[].value",
        "--output",
        "tsv",
        "--data-dir",
        str(data_dir),
    ).stdout

    assert values.splitlines() == ["203.0.113.0/24", "198.51.100.7/32"]


def test_the_table_has_a_header_and_one_row_per_setting(data_dir: Path) -> None:
    lines = _dockyard("network-rule", "list", "--output", "table", "--data-dir", str(data_dir)).stdout.splitlines()

    assert lines[0].split() == ["Setting", "Value"]
    assert ["ipRule", "203.0.113.0/24"] in [line.split() for line in lines]


def test_the_logs_command_answers_json_with_a_query(tmp_path: Path) -> None:
    result = _dockyard("logs", "login", "--since", "1h", "-o", "json", "--query", "events", "--data-dir", str(tmp_path))

    assert json.loads(result.stdout) == []


def test_the_old_audit_name_still_works_but_is_not_listed(tmp_path: Path) -> None:
    _dockyard("audit", "login-events", "--data-dir", str(tmp_path))

    listed = [
        line.split()[0] for line in _dockyard("--help").stdout.splitlines() if line.startswith("  ") and line.split()
    ]
    assert "logs" in listed and "audit" not in listed


def test_tsv_has_no_header_and_leaves_nested_values_out() -> None:
    text = render(EVENTS, OutputChoice(OutputFormat.TSV, None))

    assert text.splitlines() == ["owner\tfailure", "ci\tsuccess\t"]


def test_a_table_of_one_object_is_one_row_and_nested_values_are_compact_json() -> None:
    lines = render(EVENTS[0], OutputChoice(OutputFormat.TABLE, None)).splitlines()

    assert lines[0].split() == ["Identity", "ResultType", "Detail"]
    assert lines[1].split() == ["owner", "failure", '{"a":1}']


def test_a_query_that_gives_plain_values_is_a_one_column_table() -> None:
    lines = render(EVENTS, OutputChoice(OutputFormat.TABLE, "[?ResultType=='failure'].Identity")).splitlines()

    assert lines == ["Result", "owner"]


def test_a_query_that_does_not_parse_is_one_error_line_and_a_fix(data_dir: Path) -> None:
    result = _dockyard("network-rule", "list", "--query", "[?", "--data-dir", str(data_dir), ok=False)

    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0].startswith("error: the --query is not valid JMESPath")
    assert lines[1].startswith("fix: ")
    assert len(lines) == 2


def test_an_error_is_one_line_and_its_fix_without_a_traceback(tmp_path: Path) -> None:
    result = _dockyard("repository", "show", "--repository", "nothing/here", "--data-dir", str(tmp_path), ok=False)

    assert result.returncode == 1
    assert result.stderr.splitlines()[0].startswith("error: ")
    assert result.stderr.splitlines()[1].startswith("fix: ")
    assert "Traceback" not in result.stderr


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    args = ("repository", "show", "--repository", "nothing/here", "--data-dir", str(tmp_path))

    result = _dockyard("--debug", *args, ok=False)

    assert "Traceback (most recent call last)" in result.stderr
    assert result.stderr.splitlines()[-2].startswith("error: ")


def test_shell_completion_is_available() -> None:
    result = subprocess.run(
        [DOCKYARD],
        env={"_DOCKYARD_COMPLETE": "bash_source", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )

    assert "_dockyard_completion" in result.stdout
