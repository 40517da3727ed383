"""Login throttling at the token service: repeated failed sign-ins by one identity from one address are
slowed, then refused with 429 TOOMANYREQUESTS and Retry-After; a success resets; others are untouched."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.auth.conftest import OWNER, TokenRegistry, start_token_registry


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    """A registry that slows after one failure and refuses after three."""
    running = start_token_registry(
        tmp_path_factory.mktemp("throttle") / "data",
        "--login-throttle-after", "1", "--login-throttle-refuse-after", "3", "--login-throttle-window-seconds", "60",
    )  # fmt: skip
    yield running
    running.server.stop()


def test_repeated_failures_are_refused_with_429_and_retry_after(registry: TokenRegistry) -> None:
    statuses = [registry.token_response(auth=("mallory", "wrong")).status_code for _ in range(3)]

    refused = registry.token_response(auth=("mallory", "wrong"))

    assert statuses == [401, 401, 401]
    assert refused.status_code == 429
    assert refused.json()["errors"][0]["code"] == "TOOMANYREQUESTS"
    assert 0 < int(refused.headers["Retry-After"]) <= 60


def test_a_refused_identity_is_refused_even_with_the_right_password(registry: TokenRegistry) -> None:
    for _ in range(3):
        registry.token_response(auth=(OWNER, "wrong"))

    assert registry.token_response(auth=registry.owner).status_code == 429


def test_someone_elses_failures_never_throttle_a_successful_caller(registry: TokenRegistry) -> None:
    for _ in range(4):
        registry.token_response(auth=("eve", "wrong"))

    principal = registry.service_principal("unthrottled", role="AcrPull")

    assert registry.token_response(auth=(principal.app_id, principal.secret)).status_code == 200


def test_a_success_resets_the_count(registry: TokenRegistry) -> None:
    principal = registry.service_principal("resets", role="AcrPull")
    creds = (principal.app_id, principal.secret)
    for _ in range(2):
        registry.token_response(auth=(principal.app_id, "wrong"))
    assert registry.token_response(auth=creds).status_code == 200

    statuses = [registry.token_response(auth=(principal.app_id, "wrong")).status_code for _ in range(2)]

    assert statuses == [401, 401]
