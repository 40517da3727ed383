"""Fixtures for the management API: one live token-auth registry, and clients signed in with a role.

Everything goes over HTTP to a real `dockyard serve`: principals are created and roles assigned through
the API itself, as the bootstrap owner (who holds Owner), and callers sign in at the directory's token
endpoint for a directory token.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.auth.conftest import TokenRegistry, start_token_registry

PASSWORD = "a long enough password"
_names = itertools.count()


@dataclass
class Api:
    """A live registry's management API and a way to sign in to it."""

    registry: TokenRegistry
    tenant: str

    def directory_token(self, username: str, password: str) -> str:
        """A directory token for a user, from the directory's token endpoint."""
        with self.registry.client() as client:
            response = client.post(
                f"/directory/{self.tenant}/oauth2/v2.0/token",
                data={"grant_type": "password", "username": username, "password": password},
            )
        assert response.status_code == 200, response.text
        return str(response.json()["access_token"])

    def client(self, token: str | None) -> httpx.Client:
        """An HTTP client on `/api/v1`, presenting `token` (or nothing)."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=f"{self.registry.url}/api/v1", headers=headers, timeout=30)

    def owner(self) -> httpx.Client:
        """A client signed in as the bootstrap owner (Owner over the registry)."""
        return self.client(self.directory_token(*self.registry.owner))

    def user(self, *roles: str, scope: str = "registry") -> tuple[httpx.Client, str]:
        """A new user holding `roles` (over `scope`), signed in; and its object id."""
        name = f"user{next(_names)}"
        with self.owner() as owner:
            created = owner.post("/directory/users", json={"userName": name, "password": PASSWORD})
            assert created.status_code == 201, created.text
            object_id = str(created.json()["objectId"])
            for role in roles:
                assigned = owner.post("/roleAssignments", json={"principalId": object_id, "role": role, "scope": scope})
                assert assigned.status_code == 201, assigned.text
        return self.client(self.directory_token(name, PASSWORD)), object_id


def start_api(data_dir: Path) -> Api:
    """A live registry and the tenant of its directory."""
    registry = start_token_registry(data_dir)
    with registry.client() as client:
        challenge = client.get("/api/v1/registry").headers["WWW-Authenticate"]
    return Api(registry, challenge.split("/directory/")[1].split("/")[0])


@pytest.fixture(scope="session")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    """One live registry for the management tests (each test makes principals of its own)."""
    started = start_api(tmp_path_factory.mktemp("management") / "data")
    yield started
    started.registry.server.stop()


@pytest.fixture
def owner(api: Api) -> Iterator[httpx.Client]:
    """A client signed in as the bootstrap owner."""
    with api.owner() as client:
        yield client
