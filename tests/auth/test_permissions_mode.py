"""The permissions mode at the token service: tokens are bound to the mode they were minted under, so a
switch takes effect for every client at its next request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.auth.conftest import TOKEN_USER_NAME, TokenRegistry, access_of, jwt_part, start_token_registry


@pytest.fixture
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    """A token-auth registry of the test's own: each test switches the mode."""
    running = start_token_registry(tmp_path_factory.mktemp("mode") / "data")
    yield running
    running.server.stop()


def test_tokens_carry_the_mode_they_were_minted_under(registry: TokenRegistry) -> None:
    grant = registry.token("repository:a:pull", auth=registry.owner, offline=True)

    assert jwt_part(grant["access_token"], 1)["roleAssignmentMode"] == "rbac"
    assert jwt_part(grant["refresh_token"], 1)["roleAssignmentMode"] == "rbac"


def test_access_and_refresh_tokens_minted_before_a_switch_are_refused_after_it(registry: TokenRegistry) -> None:
    grant = registry.token("repository:a:pull", auth=registry.owner, offline=True)
    with registry.bearer_client(grant["access_token"]) as client:
        assert client.get("/v2/a/tags/list").status_code in (200, 404)

    registry.update("--role-assignment-mode", "rbac-abac")

    with registry.bearer_client(grant["access_token"]) as client:
        assert client.get("/v2/a/tags/list").status_code == 401
    assert registry.token_response(auth=(TOKEN_USER_NAME, grant["refresh_token"])).status_code == 401


def test_an_acrpush_principal_loses_its_rights_in_rbac_abac_and_a_repository_role_restores_them(
    registry: TokenRegistry,
) -> None:
    principal = registry.service_principal("switcher", role="AcrPush")
    creds = (principal.app_id, principal.secret)
    assert access_of(registry.access_token("repository:a:pull,push", auth=creds)) == {
        ("repository", "a"): {"pull", "push"}
    }

    registry.update("--role-assignment-mode", "rbac-abac")
    assert access_of(registry.access_token("repository:a:pull,push", auth=creds)) == {}

    registry.assign(principal.object_id, "Container Registry Repository Writer")
    assert access_of(registry.access_token("repository:a:pull,push", auth=creds)) == {
        ("repository", "a"): {"pull", "push"}
    }
