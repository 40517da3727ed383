"""The token signing keys are published: as JWKS over HTTP, and as a certificate bundle for other registries."""

from __future__ import annotations

import subprocess

from joserfc import jwt
from joserfc.jwk import KeySet

from tests.auth.conftest import TokenRegistry
from tests.conftest import DOCKYARD


def test_the_published_jwks_verifies_an_issued_access_token(token_registry: TokenRegistry) -> None:
    token = token_registry.access_token("repository:app:pull")
    with token_registry.server.client() as client:
        key_set = KeySet.import_key_set(client.get("/.well-known/jwks.json").json())
    decoded = jwt.decode(token, key_set, algorithms=["ES256"])
    assert decoded.claims["aud"] == token_registry.host


def test_the_certificate_bundle_is_printed_for_another_registry(token_registry: TokenRegistry) -> None:
    token_registry.access_token("repository:app:pull")  # the first token creates the signing key
    bundle = subprocess.run(
        [DOCKYARD, "keys", "certificates", "--data-dir", str(token_registry.data_dir), "--listen", token_registry.host],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert bundle.startswith("-----BEGIN CERTIFICATE-----")
    assert bundle.count("BEGIN CERTIFICATE") == 1
