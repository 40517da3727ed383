"""RS256 is selectable: a registry configured for it signs with RSA keys, and clients sign in as usual."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.auth.conftest import TokenRegistry, jwt_part, start_token_registry


@pytest.fixture(scope="module")
def rs256_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    """A token-auth registry whose signing keys are RSA."""
    registry = start_token_registry(tmp_path_factory.mktemp("rs256") / "data", "--token-signing-algorithm", "RS256")
    yield registry
    registry.server.stop()


def test_tokens_are_signed_rs256_and_accepted_on_v2(rs256_registry: TokenRegistry) -> None:
    token = rs256_registry.access_token("repository:app:pull")
    assert jwt_part(token, 0)["alg"] == "RS256"
    with rs256_registry.server.client() as client:
        assert client.get("/v2/", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert client.get("/.well-known/jwks.json").json()["keys"][0]["kty"] == "RSA"
