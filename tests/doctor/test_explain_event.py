"""`explain_event()` and `dockyard explain`: a logged login event's reasons as sentences with their fix,
the same question asked again now, and the command's output (the tree, JSON, errors)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dockyard.audit.model import LoginEvent, LoginOperation, ResultType
from dockyard.cli.main import main
from dockyard.doctor.explain_event import EventNotFound, explain_event, parse_reason
from dockyard.doctor.explain_stores import ExplainStores, open_stores
from dockyard.network.rules import DefaultAction
from dockyard.properties.store import NetworkList
from dockyard.settings import Settings

NOW = time.time()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def stores(data_dir: Path) -> Iterator[ExplainStores]:
    data_dir.mkdir()
    with open_stores(Settings(data_dir=data_dir)) as opened:
        yield opened


def _log(stores: ExplainStores, identity: str, result: ResultType, reason: str, **fields: str) -> str:
    """Store one login event as the token endpoint would; return its correlation id."""
    correlation_id = f"cid-{identity}-{reason}"[:64]
    operation = LoginOperation(fields.get("operation", LoginOperation.TOKEN))
    event = LoginEvent(
        NOW, identity, fields.get("name", identity), "registry.test", fields.get("ip", "203.0.113.7"), result,
        "logged", operation, "docker/27", 1.0, "", correlation_id, reason,
    )  # fmt: skip
    stores.audit.add([event], [])
    return correlation_id


def _dockyard(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["explain", *args, "--data-dir", str(data_dir)])


def test_a_reason_is_parsed_into_codes_and_actions_not_granted() -> None:
    reason = "repository:team/app:push=condition_false(a1),no_matching_assignment registry:catalog:*=x"

    plain, denied = parse_reason(reason)

    assert plain == ()
    scopes = [(d.type, d.name, d.action) for d in denied]
    assert scopes == [("repository", "team/app", "push"), ("registry", "catalog", "*")]
    assert [(f.code, f.ref) for f in denied[0].reasons] == [("condition_false", "a1"), ("no_matching_assignment", "")]
    assert [f.code for f in parse_reason("secret_expired")[0]] == ["secret_expired"]


def test_an_action_not_granted_is_explained_again_now(stores: ExplainStores) -> None:
    user = stores.service.directory.create_user("puller", "a password long enough")
    stores.service.tokens.create_assignment(user.object_id, "AcrPull")
    event_id = _log(stores, user.object_id, ResultType.SUCCESS, "repository:team/app:push=no_matching_assignment")

    explained = explain_event(stores, event_id, NOW)

    (denied,) = explained.denied
    assert denied.reasons[0].text == "no role assignment grants this action on this repository"
    (now,) = explained.now
    assert (now.action, now.repository, now.codes) == ("push", "team/app", ("no_matching_assignment",))


def test_a_sign_in_failure_shows_the_identity_as_it_is_now(stores: ExplainStores) -> None:
    principal = stores.service.directory.create_service_principal("nightly")
    assert principal.app_id is not None
    event_id = _log(stores, principal.app_id, ResultType.FAILURE, "secret_expired")

    explained = explain_event(stores, event_id, NOW)

    assert [(r.code, r.text) for r in explained.reasons] == [("secret_expired", "the client secret has expired")]
    assert "secrets/reset" in explained.reasons[0].fix
    assert explained.credential is not None and explained.credential.refusal is not None
    assert explained.credential.refusal.code == "no_usable_credential"  # it has no secret at all now


def test_a_network_refusal_is_checked_against_todays_rules(stores: ExplainStores) -> None:
    stores.service.properties.add_range(NetworkList.IP_RULES, "10.0.0.0/8")
    stores.service.properties.set_default_action(DefaultAction.DENY)
    event_id = _log(stores, "anonymous", ResultType.FAILURE, "default_action_deny", operation="network")

    explained = explain_event(stores, event_id, NOW)

    assert explained.network is not None and not explained.network.admitted
    assert "10.0.0.0/8" in explained.network.rule
    assert explained.credential is None


def test_an_event_is_found_by_its_row_id_too(stores: ExplainStores) -> None:
    _log(stores, "someone", ResultType.FAILURE, "unknown_user")

    assert explain_event(stores, "1", NOW).event.identity == "someone"
    with pytest.raises(EventNotFound):
        explain_event(stores, "no-such-event", NOW)


def test_the_command_prints_the_verdict_first_then_the_tree(stores: ExplainStores, data_dir: Path) -> None:
    user = stores.service.directory.create_user("puller", "a password long enough", "Puller")
    stores.service.tokens.create_assignment(user.object_id, "AcrPull")

    result = _dockyard(data_dir, "--identity", "Puller", "--repository", "team/app", "--action", "push")

    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("DENIED: push on team/app by puller (user)")
    assert lines[1].startswith("  ✗ no_matching_assignment: no role assignment grants")
    assert "  ✗ AcrPull over registry, to puller" in result.output


def test_the_command_answers_json_and_explains_an_event(stores: ExplainStores, data_dir: Path) -> None:
    event_id = _log(stores, "admin", ResultType.FAILURE, "admin_user_disabled", name="dockyard")

    result = _dockyard(data_dir, "--event", event_id, "--output", "json")

    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["reasons"][0]["code"] == "admin_user_disabled"
    assert document["credential"]["refusal"]["code"] == "admin_user_disabled"


def test_an_unknown_identity_is_an_error_with_a_fix(stores: ExplainStores, data_dir: Path) -> None:
    result = _dockyard(data_dir, "--identity", "nobody", "--repository", "team/app", "--action", "pull")

    assert result.exit_code == 1
    assert "error: no identity named 'nobody'" in result.output
    assert "fix: give an object id" in result.output
