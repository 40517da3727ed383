"""`dockyard diagnose` as a user runs it: the text as an argument or on stdin, readable or JSON."""

from __future__ import annotations

import json

from click.testing import CliRunner

from dockyard.cli.main import main
from tests.doctor.observed import OBSERVED

_DENIED_PUSH = next(o for o in OBSERVED if o.scenario == "docker push acrpull only").text


def test_diagnose_reads_the_text_from_stdin_and_prints_ranked_causes_with_fixes() -> None:
    result = CliRunner().invoke(main, ["diagnose", "-"], input=_DENIED_PUSH)

    assert result.exit_code == 0, result.output
    assert result.output.startswith("1. The identity may pull but not push")
    assert "fix: an operator grants push: dockyard role assignment create" in result.output
    assert "--scope repositories/team/app" in result.output


def test_diagnose_json_lists_rank_fix_probes_and_login_log_reasons() -> None:
    result = CliRunner().invoke(main, ["diagnose", _DENIED_PUSH, "-o", "json"])

    causes = json.loads(result.output)["causes"]
    first = causes[0]
    assert (first["rank"], first["cause"]) == (1, "pull-only-role-pushing")
    assert first["probes"] == ["permissions"] and "no_matching_assignment" in first["reasons"]
    assert json.loads(result.output)["context"]["login-server"] == "127.0.0.1:39269"


def test_diagnose_exits_non_zero_when_no_cause_fits() -> None:
    result = CliRunner().invoke(main, ["diagnose", "all is well"])

    assert result.exit_code == 1
    assert "No known cause matches" in result.output
