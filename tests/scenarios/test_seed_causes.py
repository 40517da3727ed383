"""Every cause of the seed, reproduced on a live Dockyard with the real client, then diagnosed, checked and
explained: for each scenario of `scenarios.toml`, the client prints the symptom; `diagnose` on what it printed
ranks the true cause first or second; `dockyard check-health` reports the matching code (or, where it cannot
see the cause, says nothing about it); and the login log — and `dockyard explain` where given — names the
exact reason code. Nothing is mocked: expiry is waited for, faults are registry properties set by the CLI.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import time
from collections.abc import Iterator
from typing import Any

import pytest

from dockyard.doctor.diagnose import diagnose
from dockyard.doctor.knowledge import load_knowledge
from dockyard.doctor.scenarios import Scenario, fill, load_scenarios
from dockyard.doctor.vocabulary import CauseId
from tests.conftest import DOCKYARD
from tests.e2e import describe
from tests.scenarios.conftest import Lab, Reproduced, iso

pytestmark = pytest.mark.e2e

SCENARIOS = load_scenarios().scenarios
WAIT_SECONDS = 5.0  # the audit writer stores events in batches; this is the longest a test waits for one


def _ids(scenarios: tuple[Scenario, ...] | list[Scenario]) -> list[Any]:
    return [pytest.param(scenario, id=scenario.id) for scenario in scenarios]


def _dockyard(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([DOCKYARD, *args], env=env, capture_output=True, text=True, timeout=60, check=False)


# -- the client ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", _ids(SCENARIOS))
def test_the_real_client_prints_the_symptom(lab: Lab, scenario: Scenario) -> None:
    seen = lab.reproduce(scenario)

    for client, output in zip(scenario.clients, seen.outputs, strict=True):
        unquoted = output.replace('\\"', '"')  # skopeo's log line escapes the quotes inside its message
        assert fill(client.symptom, seen.values) in unquoted, output


# -- diagnose -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("scenario", _ids(SCENARIOS))
def test_diagnose_ranks_the_true_cause_first_or_second(lab: Lab, scenario: Scenario) -> None:
    seen = lab.reproduce(scenario)

    for output in seen.outputs:
        ranking = diagnose(output)
        rank = next((ranked.rank for ranked in ranking if ranked.cause.id is scenario.cause), None)
        assert rank is not None and rank <= 2, (output, [(r.cause.id.value, r.rank, r.score) for r in ranking][:6])


# -- check-health -------------------------------------------------------------------------------------------


def _check_health(seen: Reproduced) -> dict[str, Any]:
    arguments = shlex.split(fill(seen.scenario.check_health.arguments, seen.values))
    done = _dockyard("check-health", *arguments, "-o", "json", "--yes", env=seen.env)
    report: dict[str, Any] = json.loads(done.stdout)
    assert done.returncode == (0 if report["passed"] else 1), describe(done)
    return report


def _failed_with(report: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [step for step in report["steps"] if step["status"] == "failed" and step["code"] == code]


_WITH_CODE = [scenario for scenario in SCENARIOS if scenario.check_health.code is not None]


@pytest.mark.parametrize("scenario", _ids(_WITH_CODE))
def test_check_health_reports_the_matching_code(lab: Lab, scenario: Scenario) -> None:
    seen = lab.reproduce(scenario)

    report = _check_health(seen)

    assert scenario.check_health.code is not None
    assert _failed_with(report, scenario.check_health.code), json.dumps(report["steps"], indent=1)


@pytest.mark.parametrize("scenario", _ids(_WITH_CODE))
def test_check_health_names_the_cause_at_the_failed_step(lab: Lab, scenario: Scenario) -> None:
    seen = lab.reproduce(scenario)

    report = _check_health(seen)

    assert scenario.check_health.code is not None
    (step,) = _failed_with(report, scenario.check_health.code)
    assert scenario.cause in step["causes"], step


@pytest.mark.parametrize("scenario", _ids([s for s in SCENARIOS if s.check_health.code is None]))
def test_check_health_says_nothing_of_a_cause_it_cannot_see(lab: Lab, scenario: Scenario) -> None:
    seen = lab.reproduce(scenario)
    codes = load_knowledge().cause(scenario.cause).codes

    report = _check_health(seen)

    assert report["passed"], json.dumps(report["steps"], indent=1)
    assert not [step for step in report["steps"] if step["code"] in codes]


# -- the login log and explain ------------------------------------------------------------------------------


def _login_events(seen: Reproduced, *flags: str) -> Iterator[list[dict[str, Any]]]:
    """The server's login events from the scenario's client runs (and `flags`), read again and again."""
    assert seen.data_dir is not None
    window = ("--since", iso(seen.started), "--until", iso(seen.finished + 0.001))
    while True:
        done = _dockyard("logs", "login", *window, *flags, "-o", "json", "--data-dir", str(seen.data_dir))
        assert done.returncode == 0, describe(done)
        yield json.loads(done.stdout)["events"]


@pytest.mark.parametrize("scenario", _ids([s for s in SCENARIOS if s.reason is not None]))
def test_the_login_event_names_the_exact_reason(lab: Lab, scenario: Scenario) -> None:
    seen = lab.reproduce(scenario)
    assert scenario.reason is not None
    deadline = time.monotonic() + WAIT_SECONDS

    for events in _login_events(seen, "--reason", scenario.reason):
        if events or time.monotonic() > deadline:
            break
        time.sleep(0.25)

    assert events, f"no login event names {scenario.reason} within {WAIT_SECONDS} s"
    exact = re.compile(rf"(?<![a-z_]){scenario.reason}(?![a-z_])")  # not a longer code that contains it
    assert any(exact.search(event["Reason"]) for event in events), [event["Reason"] for event in events]


# An unknown host has no registry to log anything: there is nothing to look at.
_REACHING_NO_REGISTRY = [s for s in SCENARIOS if s.reason is None and s.cause is not CauseId.UNKNOWN_HOST]


@pytest.mark.parametrize("scenario", _ids(_REACHING_NO_REGISTRY))
def test_nothing_is_logged_when_the_client_never_reaches_the_registry(lab: Lab, scenario: Scenario) -> None:
    seen = lab.reproduce(scenario)
    assert seen.data_dir is not None
    time.sleep(1.0)  # longer than the audit writer's batch interval

    assert next(_login_events(seen)) == []


def _codes(document: Any) -> set[str]:
    """Every `code` anywhere in a JSON document."""
    if isinstance(document, dict):
        found = {str(document["code"])} if "code" in document else set()
        return found.union(*(_codes(value) for value in document.values()))
    if isinstance(document, list):
        return set().union(*(_codes(value) for value in document))
    return set()


@pytest.mark.parametrize("scenario", _ids([s for s in SCENARIOS if s.explain is not None]))
def test_explain_names_the_exact_reason(lab: Lab, scenario: Scenario) -> None:
    seen = lab.reproduce(scenario)
    assert scenario.explain is not None and seen.data_dir is not None
    arguments = shlex.split(fill(scenario.explain, seen.values))

    done = _dockyard("explain", *arguments, "-o", "json", "--data-dir", str(seen.data_dir))

    assert done.returncode == 0, describe(done)
    document = json.loads(done.stdout)
    assert document["verdict"] == "denied", document
    assert scenario.reason in _codes(document), done.stdout


# -- the fix works ------------------------------------------------------------------------------------------


def test_anonymous_pull_works_once_the_stale_credentials_are_removed(lab: Lab) -> None:
    seen = lab.reproduce(load_scenarios().scenario("stale-credentials-block-anonymous-pull"))
    login_server, repository = seen.values["login-server"], seen.values["repository"]

    logout = lab.run(f"skopeo logout {login_server}", seen.env)
    pulled = lab.run(f"skopeo inspect --tls-verify=false docker://{login_server}/{repository}:v1", seen.env)

    assert logout.returncode == 0, describe(logout)
    assert pulled.returncode == 0, describe(pulled)
