"""The scenario table itself: it agrees with the doctor's knowledge, covers every cause the seed's symptoms
name, and docs/troubleshooting-scenarios.md is exactly what `python -m dockyard.doctor.scenarios` prints."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from dockyard.doctor.knowledge import load_knowledge
from dockyard.doctor.scenarios import Scenario, ScenariosInvalid, load_scenarios, parse_scenarios, render_markdown

PAGE = Path(__file__).resolve().parents[2] / "docs" / "troubleshooting-scenarios.md"
SCENARIOS = load_scenarios().scenarios
# The issue's list: one scenario for each of these causes at least.
REQUIRED_CAUSES = {
    "login-server-casing",
    "unknown-host",
    "wrong-password",
    "wrong-tenant",
    "unknown-application",
    "secret-expired",
    "directory-token-expired",
    "token-password-expired",
    "admin-user-disabled",
    "token-user-name-forgotten",
    "stale-saved-credentials",
    "public-access-disabled",
    "ip-not-allowed",
    "pull-only-role-pushing",
    "legacy-role-in-abac-mode",
    "condition-excludes-repository",
    "catalog-without-lister",
}


def test_every_cause_the_issue_lists_has_a_scenario() -> None:
    assert not REQUIRED_CAUSES - {scenario.cause.value for scenario in SCENARIOS}


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda scenario: scenario.id)
def test_a_scenario_agrees_with_its_cause_in_causes_toml(scenario: Scenario) -> None:
    cause = load_knowledge().cause(scenario.cause)

    assert scenario.seed == cause.seed
    if scenario.check_health.code is not None:
        assert scenario.check_health.code in cause.codes
    if scenario.reason is not None:
        assert scenario.reason in cause.reasons


def test_a_scenario_without_reason_or_explanation_is_refused() -> None:
    text = (PAGE.parents[1] / "src" / "dockyard" / "doctor" / "scenarios.toml").read_text()
    broken = text.replace('reason = "wrong_password"\n', "", 1)

    with pytest.raises(ScenariosInvalid, match="wrong-password"):
        parse_scenarios(broken)


def test_the_troubleshooting_page_is_what_the_data_generates() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "dockyard.doctor.scenarios"], capture_output=True, text=True, check=True
    ).stdout

    assert printed == render_markdown(load_scenarios())
    assert PAGE.read_text() == printed, (
        "regenerate: python -m dockyard.doctor.scenarios > docs/troubleshooting-scenarios.md"
    )
