"""Credentials for the authenticated runs: the reference's htpasswd file and Dockyard's tokens.

The reference registry (distribution 2.8, htpasswd auth) checks bcrypt on every request, so it gets the
same Basic header on every request. Dockyard (token auth) is signed in once as its initial owner: the
harness fetches a bearer token (reused by every data-plane request) and a refresh token (for the token
issue figure), as a real client would.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import subprocess
from pathlib import Path
from urllib.parse import quote

from bench.rawhttp import Connection, expect

BENCH_USER = "bench"
BCRYPT_COST = 5  # htpasswd -B's default; the reference's speed depends on it (see CLIENTS.md)
OWNER = "owner"
OWNER_PASSWORD_FILE = "initial-owner-password"


@dataclasses.dataclass(frozen=True)
class Credentials:
    """A user name and password."""

    user: str
    password: str

    def basic(self) -> str:
        """The `Authorization` header value for HTTP Basic."""
        raw = f"{self.user}:{self.password}".encode()
        return "Basic " + base64.b64encode(raw).decode()


@dataclasses.dataclass(frozen=True)
class ServerAuth:
    """How the harness authenticates to one server.

    `headers` go on every data-plane request (seeding, checks, wrk); `refresh_token` and `service`
    are set for Dockyard only, for the token issue figures.
    """

    credentials: Credentials
    headers: dict[str, str]
    service: str = ""
    refresh_token: str = ""


def write_htpasswd(path: Path, credentials: Credentials) -> None:
    """Create `path` with one bcrypt entry of cost BCRYPT_COST (`htpasswd -B -C 5`)."""
    argv = ["htpasswd", "-B", "-C", str(BCRYPT_COST), "-b", "-c", str(path), credentials.user, credentials.password]
    subprocess.run(argv, check=True, capture_output=True)


def basic_auth(credentials: Credentials) -> ServerAuth:
    """Basic credentials on every request (the reference with htpasswd)."""
    return ServerAuth(credentials, {"Authorization": credentials.basic()})


def owner_credentials(data_dir: Path) -> Credentials:
    """Dockyard's initial owner, whose password `dockyard serve` wrote into its data directory."""
    return Credentials(OWNER, (data_dir / OWNER_PASSWORD_FILE).read_text().strip())


def token_query(service: str, scope: str, offline: bool = False) -> str:
    """Query string of `GET /oauth2/token` for `scope` (a `repository:<name>:<actions>` scope)."""
    query = f"service={quote(service, safe='')}&scope={quote(scope, safe='')}"
    return query + ("&offline_token=true" if offline else "")


def refresh_form(service: str, scope: str, refresh_token: str) -> str:
    """The urlencoded body of `POST /oauth2/token` with `grant_type=refresh_token`."""
    parts = {"grant_type": "refresh_token", "refresh_token": refresh_token, "service": service, "scope": scope}
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in parts.items())


def sign_in(host: str, port: int, credentials: Credentials, scope: str) -> ServerAuth:
    """Sign in to Dockyard with Basic credentials: a bearer token and a refresh token for `scope`."""
    service = f"{host}:{port}"
    target = "/oauth2/token?" + token_query(service, scope, offline=True)
    with Connection(host, port) as conn:
        response = expect(conn.request("GET", target, {"Authorization": credentials.basic()}), 200, what="sign-in")
    grant = json.loads(response.body)
    headers = {"Authorization": f"Bearer {grant['token']}"}
    return ServerAuth(credentials, headers, service, grant["refresh_token"])
