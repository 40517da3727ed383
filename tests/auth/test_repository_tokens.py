"""Repository-scoped tokens at the token service: sign in with a token's name and either password,
get what its scope map allows, and stop working when disabled, expired or regenerated."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from dockyard.access.model import TokenPasswordName, TokenStatus
from tests.auth.conftest import TOKEN_USER_NAME, TokenRegistry, access_of, start_token_registry
from tests.oci import unique_name


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    """A token-auth registry of this module's own (its tokens and scope maps change)."""
    running = start_token_registry(tmp_path_factory.mktemp("tokens") / "data")
    yield running
    running.server.stop()


def _token(registry: TokenRegistry, scope_map: str = "_repositories_pull") -> tuple[str, str]:
    name = unique_name("tok").replace("/", "-")[:50]
    return name, registry.repository_token(name, scope_map)


def test_a_token_gets_what_its_scope_map_allows_and_no_more(registry: TokenRegistry) -> None:
    name, password = _token(registry)

    granted = access_of(registry.access_token("repository:team/app:pull,push,delete", auth=(name, password)))

    assert granted == {("repository", "team/app"): {"pull"}}


def test_either_password_signs_in(registry: TokenRegistry) -> None:
    name, _ = _token(registry)
    with registry.policy() as policy:
        second = policy.generate_password(name, TokenPasswordName.PASSWORD2)

    assert registry.token_response("repository:a:pull", auth=(name, second)).status_code == 200


def test_a_wrong_password_is_refused(registry: TokenRegistry) -> None:
    name, _ = _token(registry)

    assert registry.token_response("repository:a:pull", auth=(name, "not-the-password")).status_code == 401


def test_a_disabled_token_cannot_sign_in(registry: TokenRegistry) -> None:
    name, password = _token(registry)
    with registry.policy() as policy:
        policy.update_token(name, status=TokenStatus.DISABLED)

    assert registry.token_response(auth=(name, password)).status_code == 401


def test_an_expired_password_cannot_sign_in(registry: TokenRegistry) -> None:
    now = time.time()
    name = unique_name("exp").replace("/", "-")[:50]
    with registry.policy(clock=lambda: now - 3600) as policy:
        _, passwords = policy.create_token(name, "_repositories_pull", expiry=now - 60)

    assert registry.token_response(auth=(name, passwords[TokenPasswordName.PASSWORD1])).status_code == 401


def test_a_custom_scope_map_with_a_wildcard_covers_only_its_prefix(registry: TokenRegistry) -> None:
    with registry.policy() as policy:
        policy.create_scope_map(
            "team-a-push", ["repositories/team-a/*/content/read", "repositories/team-a/*/content/write"]
        )
    name, password = _token(registry, "team-a-push")

    token = registry.access_token(
        "repository:team-a/app:pull,push", "repository:team-b/app:pull", auth=(name, password)
    )

    assert access_of(token) == {("repository", "team-a/app"): {"pull", "push"}}


def test_a_refresh_token_stops_working_once_its_password_is_regenerated(registry: TokenRegistry) -> None:
    name, password = _token(registry)
    refresh = registry.token(auth=(name, password), offline=True)["refresh_token"]
    assert registry.token_response(auth=(TOKEN_USER_NAME, refresh)).status_code == 200
    time.sleep(1.0)  # `iat` is in whole seconds: regenerate in a later second than the refresh token's

    with registry.policy() as policy:
        policy.generate_password(name, TokenPasswordName.PASSWORD1)

    assert registry.token_response(auth=(TOKEN_USER_NAME, refresh)).status_code == 401


def test_a_refresh_token_of_a_disabled_token_stops_working(registry: TokenRegistry) -> None:
    name, password = _token(registry)
    refresh = registry.token(auth=(name, password), offline=True)["refresh_token"]

    with registry.policy() as policy:
        policy.update_token(name, status=TokenStatus.DISABLED)

    assert registry.token_response(auth=(TOKEN_USER_NAME, refresh)).status_code == 401
