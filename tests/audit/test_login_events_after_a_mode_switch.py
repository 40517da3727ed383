"""After a switch to rbac-abac, the login events say what changed for whom: a refresh token minted
before the switch is refused as `permissions_mode_changed`, and an action only a legacy role granted is
a success whose reason names `legacy_role_ignored_in_abac_mode` and the assignment."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from dockyard.audit.model import LoginEvent, LoginOperation, ResultType
from tests.audit import events
from tests.auth.conftest import TOKEN_USER_NAME, ServicePrincipal, TokenRegistry, start_token_registry


@dataclass(frozen=True)
class Switched:
    """A registry switched to rbac-abac, and what was handed out before the switch."""

    registry: TokenRegistry
    owner_id: str
    refresh_token: str
    acr_pull: ServicePrincipal
    assignment_id: str


@pytest.fixture(scope="module")
def switched(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Switched]:
    registry = start_token_registry(tmp_path_factory.mktemp("audit-mode") / "data")
    principal = registry.service_principal("legacy-puller", role=None)
    assignment_id = registry.assign(principal.object_id, "AcrPull")
    refresh = registry.token(auth=registry.owner, offline=True)["refresh_token"]
    with registry.directory() as directory:
        owner = directory.user_by_name("owner")
    assert owner is not None
    registry.update("--role-assignment-mode", "rbac-abac")
    yield Switched(registry, owner.object_id, refresh, principal, assignment_id)
    registry.server.stop()


def _event_of(switched: Switched, auth: tuple[str, str], *scopes: str) -> tuple[int, LoginEvent]:
    agent = f"audit-test/{uuid.uuid4().hex}"
    registry = switched.registry
    query = [("service", registry.host), *(("scope", scope) for scope in scopes)]
    with registry.client() as client:
        status = client.get("/oauth2/token", params=query, auth=auth, headers={"User-Agent": agent}).status_code
    [event] = events.login_events(registry.data_dir, lambda e: e.user_agent == agent)
    return status, event


def test_a_refresh_token_from_before_the_switch_is_refused_as_permissions_mode_changed(switched: Switched) -> None:
    status, event = _event_of(switched, (TOKEN_USER_NAME, switched.refresh_token), "repository:a:pull")

    assert status == 401
    assert (event.result_type, event.operation_name) == (ResultType.FAILURE, LoginOperation.REFRESH)
    assert event.reason == "permissions_mode_changed"
    assert (event.identity, event.identity_name) == (switched.owner_id, "owner")  # the token is genuine


def test_a_pull_only_acrpull_allowed_is_denied_with_legacy_role_ignored_in_abac_mode(switched: Switched) -> None:
    principal = switched.acr_pull

    status, event = _event_of(switched, (principal.app_id, principal.secret), "repository:team/app:pull")

    assert status == 200
    assert (event.identity, event.result_type) == (principal.object_id, ResultType.SUCCESS)
    assert event.reason == f"repository:team/app:pull=legacy_role_ignored_in_abac_mode({switched.assignment_id})"
    assert "assign a Container Registry Repository role instead" in event.result_description


def test_the_denials_can_be_found_by_their_reason(switched: Switched) -> None:
    principal = switched.acr_pull
    _event_of(switched, (principal.app_id, principal.secret), "repository:team/other:pull")

    found = events.login_events(
        switched.registry.data_dir,
        lambda e: "legacy_role_ignored_in_abac_mode" in e.reason and "team/other" in e.reason,
    )

    assert {event.identity for event in found} == {principal.object_id}
