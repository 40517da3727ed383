"""Fixtures for sign-in tests: real `dockyard serve` processes with `authentication=token`.

The helpers here are plain functions and one class, so the end-to-end sign-in tests import them too.
Principals beyond the bootstrap owner are created with the Python API, straight in the running server's
SQLite database; their secrets are hashed with argon2's cheapest parameters (the server verifies any
argon2id hash: the parameters travel inside it).
"""

from __future__ import annotations

import base64
import contextlib
import json
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from sqlalchemy import Engine

from dockyard.access.model import TokenPasswordName
from dockyard.directory.secrets import HashParameters, SecretHasher
from dockyard.directory.store import DirectoryStore
from dockyard.metadata.store import MetadataStore
from dockyard.policy.store import PolicyStore
from tests.conftest import DOCKYARD, RunningRegistry, start_registry

OWNER = "owner"
TOKEN_USER_NAME = "00000000-0000-0000-0000-000000000000"
ACR_AUTHENTICATION_REQUIRED = "authentication required, visit https://aka.ms/acr/authorization"
NOT_REGISTERED_WITH_AAD = "Application not registered with AAD."
CHEAP_HASHER = SecretHasher(HashParameters(time_cost=1, memory_cost=8, parallelism=1))
# A running server sees policy and property changes made by another process within this long.
POLICY_REFRESH_SECONDS = 1.1
_Store = TypeVar("_Store")


@dataclass(frozen=True)
class ServicePrincipal:
    """An application registered in the directory, with one client secret."""

    app_id: str
    object_id: str
    secret: str


@dataclass
class TokenRegistry:
    """A running token-auth registry and what a test needs to sign in to it."""

    server: RunningRegistry
    owner_password: str

    @property
    def url(self) -> str:
        """`http://127.0.0.1:<port>`."""
        return self.server.url

    @property
    def host(self) -> str:
        """`127.0.0.1:<port>`: the login server, and the token service's `service` name."""
        return self.server.host

    @property
    def realm(self) -> str:
        """The token endpoint's URL, as the challenges name it."""
        return f"{self.server.url}/oauth2/token"

    @property
    def data_dir(self) -> Path:
        """The server's data directory (its keys live in `keys/`)."""
        return self.server.data_dir

    @property
    def owner(self) -> tuple[str, str]:
        """Basic credentials of the bootstrap owner."""
        return (OWNER, self.owner_password)

    def client(self) -> httpx.Client:
        """An HTTP client pointed at the server, without credentials."""
        return self.server.client()

    def token_response(
        self,
        *scopes: str,
        auth: tuple[str, str] | None = None,
        offline: bool = False,
        **params: str,
    ) -> httpx.Response:
        """`GET /oauth2/token?service=<host>&scope=…` with Basic `auth` (or anonymously)."""
        query: list[tuple[str, str]] = [("service", self.host), *(("scope", scope) for scope in scopes)]
        if offline:
            query.append(("offline_token", "true"))
        query += list(params.items())
        with self.client() as client:
            return client.get("/oauth2/token", params=query, auth=auth)

    def token(self, *scopes: str, auth: tuple[str, str] | None = None, offline: bool = False) -> dict[str, Any]:
        """The token endpoint's JSON for a request that must succeed."""
        response = self.token_response(*scopes, auth=auth, offline=offline)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def access_token(self, *scopes: str, auth: tuple[str, str] | None = None) -> str:
        """An access token for `scopes`, signed in as `auth` (the owner by default)."""
        return str(self.token(*scopes, auth=auth or self.owner)["access_token"])

    def bearer_client(self, token: str) -> httpx.Client:
        """An HTTP client that presents `token` on every request."""
        return httpx.Client(base_url=self.url, timeout=30, headers={"Authorization": f"Bearer {token}"})

    def service_principal(
        self, name: str = "ci", *, expires_in: float = 3600, enabled: bool = True, role: str | None = "AcrPush"
    ) -> ServicePrincipal:
        """Register an application with one client secret ending `expires_in` seconds from now (may be past),
        holding `role` over the whole registry (none when `role` is None)."""
        now = time.time()
        with self.directory(clock=lambda: min(now, now + expires_in - 60)) as directory:
            principal = directory.create_service_principal(name)
            assert principal.app_id is not None
            issued = directory.add_secret(principal.app_id, end_date=now + expires_in)
            if not enabled:
                directory.set_enabled(principal.object_id, False)
        if role is not None:
            self.assign(principal.object_id, role)
        return ServicePrincipal(principal.app_id, principal.object_id, issued.value)

    def assign(
        self,
        principal_id: str,
        role: str,
        *,
        repository: str | None = None,
        condition: str | None = None,
        wait: bool = True,
    ) -> str:
        """Assign `role` to a principal (over one repository, or the registry) and return the assignment id.

        The server re-reads its policy at most once a second: with `wait`, return once it must have."""
        with self.policy() as policy:
            assignment_id = policy.create_assignment(principal_id, role, repository=repository, condition=condition).id
        if wait:
            time.sleep(POLICY_REFRESH_SECONDS)
        return assignment_id

    def repository_token(self, name: str, scope_map: str) -> str:
        """Create a repository-scoped token bound to `scope_map`; return its first password."""
        with self.policy() as policy:
            _, passwords = policy.create_token(name, scope_map)
        time.sleep(POLICY_REFRESH_SECONDS)
        return passwords[TokenPasswordName.PASSWORD1]

    def lock(self, image: str, **flags: bool) -> None:
        """`dockyard repository update --image <image> --write-enabled false …` (locks apply at once)."""
        options = [f"--{name.replace('_', '-')}={str(value).lower()}" for name, value in flags.items()]
        subprocess.run(
            [DOCKYARD, "repository", "update", "--image", image, *options, "--data-dir", str(self.data_dir)],
            check=True, capture_output=True,
        )  # fmt: skip

    def update(self, *flags: str) -> None:
        """Run `dockyard update <flags>` on the server's data directory and wait until it applies."""
        subprocess.run([DOCKYARD, "update", *flags, "--data-dir", str(self.data_dir)], check=True, capture_output=True)
        time.sleep(POLICY_REFRESH_SECONDS)

    def policy(self, clock: Any = time.time) -> contextlib.AbstractContextManager[PolicyStore]:
        """The server's policy store, opened on its database for the length of a `with` block."""
        return _open(self.data_dir, lambda engine: PolicyStore(engine, clock, hasher=CHEAP_HASHER))

    def set_enabled(self, object_id: str, enabled: bool) -> None:
        """Enable or disable a principal in the running server's directory."""
        with self.directory() as directory:
            directory.set_enabled(object_id, enabled)

    def directory(self, clock: Any = time.time) -> contextlib.AbstractContextManager[DirectoryStore]:
        """The server's directory, opened on its database for the length of a `with` block."""
        return _open(self.data_dir, lambda engine: DirectoryStore(engine, hasher=CHEAP_HASHER, clock=clock))


@contextlib.contextmanager
def _open(data_dir: Path, store: Callable[[Engine], _Store]) -> Iterator[_Store]:
    metadata = MetadataStore(f"sqlite:///{data_dir / 'dockyard.db'}")
    try:
        yield store(metadata.engine)
    finally:
        metadata.close()


def start_token_registry(data_dir: Path, *flags: str, anonymous_pull: bool = False) -> TokenRegistry:
    """Start `dockyard serve --authentication token` and read the owner's initial password.

    With `anonymous_pull`, the registry property is switched on first (`dockyard update`)."""
    if anonymous_pull:
        subprocess.run(
            [DOCKYARD, "update", "--anonymous-pull-enabled", "true", "--data-dir", str(data_dir)],
            check=True, capture_output=True,
        )  # fmt: skip
    server = start_registry(data_dir, *flags, authentication="token")
    password = (data_dir / "initial-owner-password").read_text().strip()
    return TokenRegistry(server, password)


def jwt_part(token: str, index: int) -> dict[str, Any]:
    """A JWT's header (0) or payload (1), decoded without verifying anything."""
    segment = token.split(".")[index]
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    return decoded


def access_of(token: str) -> dict[tuple[str, str], set[str]]:
    """A token's `access` claim as {(type, name): actions}."""
    return {(entry["type"], entry["name"]): set(entry["actions"]) for entry in jwt_part(token, 1)["access"]}


def challenge_params(header: str) -> dict[str, str]:
    """The parameters of a `Bearer k="v",…` challenge (values hold no escaped quotes here)."""
    scheme, _, rest = header.partition(" ")
    assert scheme == "Bearer", header
    params: dict[str, str] = {}
    for part in _split_params(rest):
        key, _, value = part.partition("=")
        params[key.strip()] = value.strip().removeprefix('"').removesuffix('"')
    return params


def _split_params(text: str) -> Sequence[str]:
    parts, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            parts.append(current)
            current = ""
        else:
            current += char
    return [*parts, current] if current else parts


def oci_messages(response: httpx.Response) -> list[str]:
    """The `message`s of the OCI `errors` list in a response body."""
    return [str(error.get("message", "")) for error in response.json()["errors"]]


@pytest.fixture(scope="session")
def token_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    """One token-auth registry (anonymous pull off) shared by the sign-in tests."""
    registry = start_token_registry(tmp_path_factory.mktemp("token-registry") / "data")
    yield registry
    registry.server.stop()


@pytest.fixture(scope="session")
def anonymous_pull_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    """A token-auth registry with anonymous pull enabled."""
    registry = start_token_registry(tmp_path_factory.mktemp("anonymous-registry") / "data", anonymous_pull=True)
    yield registry
    registry.server.stop()
