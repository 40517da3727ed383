"""Federated credentials: a service principal signs in with a token from an external issuer it trusts
(how CI systems and clusters sign in without secrets). The test runs its own small issuer."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from dockyard.auth.federation import ASSERTION_TYPE
from dockyard.directory.store import DirectoryStore
from dockyard.metadata.store import MetadataStore
from tests.conftest import RunningRegistry, start_registry

ISSUER = "https://ci.example.test"
SUBJECT = "repo:team/app:ref:refs/heads/main"
AUDIENCE = "api://AzureADTokenExchange"


@pytest.fixture(scope="module")
def issuer_key() -> ECKey:
    """The external issuer's signing key."""
    return ECKey.generate_key("P-256", parameters={"kid": "ci-1"}, private=True)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, issuer_key: ECKey) -> Iterator[RunningRegistry]:
    """A registry whose directory trusts the test issuer's published keys."""
    root = tmp_path_factory.mktemp("federation")
    jwks = root / "jwks.json"
    jwks.write_text(json.dumps({"keys": [issuer_key.as_dict(private=False)]}))
    trusted = root / "trusted-issuers.json"
    trusted.write_text(json.dumps({ISSUER: f"file://{jwks}"}))
    running = start_registry(root / "data", "--trusted-issuers-file", str(trusted), authentication="token")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def directory(server: RunningRegistry) -> Iterator[DirectoryStore]:
    """The server's directory."""
    metadata = MetadataStore(f"sqlite:///{server.data_dir / 'dockyard.db'}")
    yield DirectoryStore(metadata.engine)
    metadata.close()


@pytest.fixture(scope="module")
def app_id(directory: DirectoryStore) -> str:
    """A service principal that trusts the test issuer for SUBJECT."""
    principal = directory.create_service_principal("deployer")
    assert principal.app_id is not None
    directory.add_federated_credential(principal.app_id, "main-branch", ISSUER, SUBJECT, (AUDIENCE,))
    return principal.app_id


def _assertion(key: ECKey, issuer: str = ISSUER, subject: str = SUBJECT, expires_in: int = 300) -> str:
    now = int(time.time())
    claims = {"iss": issuer, "sub": subject, "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + expires_in}
    return jwt.encode({"alg": "ES256", "kid": "ci-1"}, claims, key)


def _sign_in(server: RunningRegistry, directory: DirectoryStore, app_id: str, assertion: str) -> httpx.Response:
    with server.client() as client:
        return client.post(
            f"/directory/{directory.tenant_id()}/oauth2/v2.0/token",
            data={"grant_type": "client_credentials", "client_id": app_id,
                  "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion},
        )  # fmt: skip


def test_a_trusted_assertion_signs_the_service_principal_in(
    server: RunningRegistry, directory: DirectoryStore, app_id: str, issuer_key: ECKey
) -> None:
    response = _sign_in(server, directory, app_id, _assertion(issuer_key))
    assert response.status_code == 200
    assert response.json()["token_type"] == "Bearer"


def test_an_assertion_for_another_subject_is_refused_naming_the_subject(
    server: RunningRegistry, directory: DirectoryStore, app_id: str, issuer_key: ECKey
) -> None:
    response = _sign_in(server, directory, app_id, _assertion(issuer_key, subject="repo:team/app:pull_request"))
    assert response.status_code == 401
    assert "subject" in response.json()["error_description"]


def test_an_assertion_from_an_untrusted_issuer_is_refused(
    server: RunningRegistry, directory: DirectoryStore, app_id: str, issuer_key: ECKey
) -> None:
    response = _sign_in(server, directory, app_id, _assertion(issuer_key, issuer="https://evil.example"))
    assert response.status_code == 401
    assert "not trusted" in response.json()["error_description"]


def test_an_assertion_signed_with_another_key_is_refused(
    server: RunningRegistry, directory: DirectoryStore, app_id: str
) -> None:
    forger = ECKey.generate_key("P-256", parameters={"kid": "ci-1"}, private=True)
    assert _sign_in(server, directory, app_id, _assertion(forger)).status_code == 401


def test_an_expired_assertion_is_refused(
    server: RunningRegistry, directory: DirectoryStore, app_id: str, issuer_key: ECKey
) -> None:
    assert _sign_in(server, directory, app_id, _assertion(issuer_key, expires_in=-600)).status_code == 401


def test_garbage_instead_of_an_assertion_is_an_oauth2_error(
    server: RunningRegistry, directory: DirectoryStore, app_id: str
) -> None:
    response = _sign_in(server, directory, app_id, "not-a-jwt")
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_an_unknown_application_with_a_valid_assertion_is_not_registered(
    server: RunningRegistry, directory: DirectoryStore, issuer_key: ECKey
) -> None:
    response = _sign_in(server, directory, str(uuid.uuid4()), _assertion(issuer_key))
    assert "application not registered" in response.json()["error_description"]
