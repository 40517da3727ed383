"""The `az acr login` path: sign in to the directory, exchange the directory token for a registry
refresh token, and use that with the 00000000-… user name."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dockyard.directory.store import DirectoryStore
from dockyard.metadata.store import MetadataStore
from tests.conftest import RunningRegistry, start_registry

TOKEN_USER = "00000000-0000-0000-0000-000000000000"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """A registry with sign-in on, shared by this module."""
    running = start_registry(tmp_path_factory.mktemp("exchange") / "data", authentication="token")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def metadata(server: RunningRegistry) -> Iterator[MetadataStore]:
    """The server's metadata database, opened beside it (as the management API will)."""
    store = MetadataStore(f"sqlite:///{server.data_dir / 'dockyard.db'}")
    yield store
    store.close()


@pytest.fixture(scope="module")
def directory(metadata: MetadataStore) -> DirectoryStore:
    """The server's directory."""
    return DirectoryStore(metadata.engine)


def _owner_password(server: RunningRegistry) -> str:
    return (server.data_dir / "initial-owner-password").read_text().strip()


def _directory_token(client: httpx.Client, tenant: str, **form: str) -> httpx.Response:
    return client.post(f"/directory/{tenant}/oauth2/v2.0/token", data=form)


def test_a_user_signs_in_to_the_directory_and_exchanges_for_a_refresh_token_that_logs_in(
    server: RunningRegistry, directory: DirectoryStore
) -> None:
    tenant = directory.tenant_id()
    with server.client() as client:
        signed_in = _directory_token(
            client, tenant, grant_type="password", username="owner", password=_owner_password(server)
        )
        assert signed_in.status_code == 200
        assert signed_in.json()["token_type"] == "Bearer"
        exchanged = client.post(
            "/oauth2/exchange",
            data={"grant_type": "access_token", "service": server.host, "tenant": tenant,
                  "access_token": signed_in.json()["access_token"]},
        )  # fmt: skip
        assert exchanged.status_code == 200
        token = client.get(
            "/oauth2/token",
            params={"service": server.host, "scope": "repository:any/repo:pull"},
            auth=(TOKEN_USER, exchanged.json()["refresh_token"]),
        )
        assert token.status_code == 200
        assert client.get("/v2/", headers={"Authorization": f"Bearer {token.json()['token']}"}).status_code == 200


def test_a_service_principal_signs_in_with_its_client_secret(
    server: RunningRegistry, directory: DirectoryStore
) -> None:
    principal = directory.create_service_principal("ci")
    assert principal.app_id is not None
    secret = directory.add_secret(principal.app_id, time.time() + 3600)
    with server.client() as client:
        response = _directory_token(
            client,
            directory.tenant_id(),
            grant_type="client_credentials",
            client_id=principal.app_id,
            client_secret=secret.value,
        )
    assert response.status_code == 200


def test_an_expired_client_secret_is_refused_saying_so(
    server: RunningRegistry, directory: DirectoryStore, metadata: MetadataStore
) -> None:
    two_hours_ago = DirectoryStore(metadata.engine, clock=lambda: time.time() - 7200)
    principal = two_hours_ago.create_service_principal("old-ci")
    assert principal.app_id is not None
    secret = two_hours_ago.add_secret(principal.app_id, time.time() - 3600)
    with server.client() as client:
        response = _directory_token(
            client, directory.tenant_id(), grant_type="client_credentials", client_id=principal.app_id,
            client_secret=secret.value,
        )  # fmt: skip
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "expired" in response.json()["error_description"]
    assert secret.value not in response.text


def test_an_unknown_application_is_not_registered(server: RunningRegistry, directory: DirectoryStore) -> None:
    with server.client() as client:
        response = _directory_token(
            client, directory.tenant_id(), grant_type="client_credentials",
            client_id="0b6a4a7e-5bb0-4d57-9a3f-3a0f5c6d7e8f", client_secret="whatever",
        )  # fmt: skip
    assert response.status_code == 401
    assert "application not registered" in response.json()["error_description"]


def test_a_wrong_tenant_is_named_as_the_problem(server: RunningRegistry) -> None:
    with server.client() as client:
        response = _directory_token(client, "11111111-2222-3333-4444-555555555555", grant_type="password",
                                    username="owner", password=_owner_password(server))  # fmt: skip
    assert response.status_code == 400
    assert "tenant" in response.json()["error_description"]


def test_an_unsupported_grant_type_is_an_oauth2_error(server: RunningRegistry, directory: DirectoryStore) -> None:
    with server.client() as client:
        response = _directory_token(client, directory.tenant_id(), grant_type="implicit")
    assert response.json()["error"] == "unsupported_grant_type"


def test_a_forged_directory_token_buys_nothing_at_the_exchange(
    server: RunningRegistry, directory: DirectoryStore
) -> None:
    with server.client() as client:
        response = client.post(
            "/oauth2/exchange",
            data={"grant_type": "access_token", "service": server.host, "tenant": directory.tenant_id(),
                  "access_token": "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."},
        )  # fmt: skip
    assert response.status_code == 401
    assert "refresh_token" not in response.json()


def test_a_registry_refresh_token_is_not_a_directory_token(server: RunningRegistry, directory: DirectoryStore) -> None:
    with server.client() as client:
        refresh = client.get(
            "/oauth2/token",
            params={"service": server.host, "offline_token": "true"},
            auth=("owner", _owner_password(server)),
        ).json()["refresh_token"]
        response = client.post(
            "/oauth2/exchange",
            data={"grant_type": "access_token", "service": server.host, "tenant": directory.tenant_id(),
                  "access_token": refresh},
        )  # fmt: skip
    assert response.status_code == 401


def test_the_owner_password_file_is_private(server: RunningRegistry) -> None:
    assert (Path(server.data_dir) / "initial-owner-password").stat().st_mode & 0o777 == 0o600
