"""The CLI profile (`~/.dockyard/profile.json`, mode 0600): for each login server `dockyard login` signed in
to, the tenant, the directory token and what renews it — a directory refresh token (users), the client
secret (service principals, as az keeps it under ~/.azure) or the path of a federated token file — and
the newest registry refresh token. The credential helper's `store`d credentials live here too.

`current_directory_token` and `current_refresh_token` renew what is about to expire, so other CLI verbs
and the credential helper never need the user again. Every read-modify-write holds an exclusive lock
(`profile.lock`), so helpers run in parallel by docker or podman renew once and never lose an update.
"""

from __future__ import annotations

import dataclasses
import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard.cli.client_files import TOKEN_USER_NAME, ClientPaths, read_json, write_json
from dockyard.cli.directory_client import (
    DirectoryToken,
    SignInRefused,
    exchange,
    refresh_directory_token,
    sign_in_federated,
    sign_in_service_principal,
    token_expiry,
)
from dockyard.cli.errors import CliError

#: A directory token is renewed when it has less than this left (management API calls take a moment).
RENEW_DIRECTORY_TOKEN_WITHIN = 5 * 60
#: A registry refresh token is renewed when it has less than this left, so a pull never starts with one
#: that expires before it ends.
RENEW_REFRESH_TOKEN_WITHIN = 15 * 60
USER = "user"
SERVICE_PRINCIPAL = "servicePrincipal"


@dataclass(frozen=True)
class SignIn:
    """One login server's sign-in, as the profile keeps it."""

    login_server: str
    url: str
    tenant: str
    principal_type: str  # USER or SERVICE_PRINCIPAL
    directory_token: str = field(repr=False)
    directory_token_expires_on: float
    user_name: str | None = None
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    federated_token_file: str | None = None
    directory_refresh_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    refresh_token_expires_on: float | None = None

    def with_directory_token(self, token: DirectoryToken) -> SignIn:
        """This sign-in with a new directory token (and directory refresh token, when one came with it)."""
        return dataclasses.replace(
            self,
            directory_token=token.access_token,
            directory_token_expires_on=token.expires_at,
            directory_refresh_token=token.refresh_token or self.directory_refresh_token,
        )

    def with_refresh_token(self, refresh_token: str) -> SignIn:
        """This sign-in with a new registry refresh token."""
        expires_on = token_expiry(refresh_token)
        return dataclasses.replace(self, refresh_token=refresh_token, refresh_token_expires_on=expires_on)


def _from_json(entry: dict[str, Any]) -> SignIn:
    names = {f.name for f in dataclasses.fields(SignIn)}
    try:
        return SignIn(**{name: value for name, value in entry.items() if name in names})
    except TypeError:
        raise CliError("the CLI profile is damaged", fix="sign in again: dockyard login") from None


@contextmanager
def _locked(paths: ClientPaths) -> Iterator[dict[str, Any]]:
    """The profile document, locked against other dockyard processes; written back when the block ends."""
    paths.profile_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor = os.open(paths.profile_dir / "profile.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX)
        document = read_json(paths.profile)
        before = repr(document)
        yield document
        if repr(document) != before:
            write_json(paths.profile, document)
    finally:
        os.close(descriptor)  # releases the lock


def save_sign_in(paths: ClientPaths, sign_in: SignIn) -> None:
    """Keep `sign_in` in the profile and make its login server the current one."""
    with _locked(paths) as document:
        document.setdefault("registries", {})[sign_in.login_server] = dataclasses.asdict(sign_in)
        document["current"] = sign_in.login_server


def get_sign_in(paths: ClientPaths, login_server: str) -> SignIn | None:
    """The profile's sign-in for `login_server`, if any."""
    entry = read_json(paths.profile).get("registries", {}).get(login_server)
    return _from_json(entry) if isinstance(entry, dict) else None


def current_login_server(paths: ClientPaths) -> str | None:
    """The login server of the latest `dockyard login`."""
    current = read_json(paths.profile).get("current")
    return current if isinstance(current, str) else None


def forget(paths: ClientPaths, login_server: str) -> bool:
    """Remove the sign-in and any stored credentials for `login_server`; True when there were some."""
    with _locked(paths) as document:
        removed = False
        for section in ("registries", "credentials"):
            entries = document.get(section)
            if isinstance(entries, dict) and entries.pop(login_server, None) is not None:
                removed = True
        if document.get("current") == login_server:
            document.pop("current")
    return removed


def current_directory_token(login_server: str, paths: ClientPaths | None = None, now: float | None = None) -> str:
    """A directory token for the identity signed in to `login_server` (for the management API at /api/v1),
    renewed first when it has less than five minutes left. Raises `CliError` when nobody is signed in there
    or the sign-in can no longer be renewed."""
    paths = paths or ClientPaths.from_environment(os.environ)
    moment = time.time() if now is None else now
    with _locked(paths) as document:
        sign_in = _fresh_directory_token(_required(document, login_server), moment)
        _put(document, sign_in)
    return sign_in.directory_token


def current_refresh_token(login_server: str, paths: ClientPaths, now: float | None = None) -> str | None:
    """A registry refresh token for `login_server` with at least 15 minutes left, renewed through the
    directory when needed; None when the profile has no sign-in there."""
    moment = time.time() if now is None else now
    with _locked(paths) as document:
        entry = document.get("registries", {}).get(login_server)
        if not isinstance(entry, dict):
            return None
        sign_in = _from_json(entry)
        if sign_in.refresh_token and (sign_in.refresh_token_expires_on or 0) - moment > RENEW_REFRESH_TOKEN_WITHIN:
            return sign_in.refresh_token
        sign_in = _renewed_refresh_token(sign_in, moment)
        _put(document, sign_in)
    return sign_in.refresh_token


def _renewed_refresh_token(sign_in: SignIn, now: float) -> SignIn:
    sign_in = _fresh_directory_token(sign_in, now)
    try:
        token = exchange(sign_in.url, sign_in.login_server, sign_in.tenant, sign_in.directory_token)
    except SignInRefused as refused:
        if refused.status != 401:
            raise
        # The registry no longer takes this directory token (its keys rotated, say): get a new one once.
        sign_in = _renewed_directory_token(sign_in)
        token = exchange(sign_in.url, sign_in.login_server, sign_in.tenant, sign_in.directory_token)
    return sign_in.with_refresh_token(token)


def _fresh_directory_token(sign_in: SignIn, now: float) -> SignIn:
    if sign_in.directory_token_expires_on - now > RENEW_DIRECTORY_TOKEN_WITHIN:
        return sign_in
    return _renewed_directory_token(sign_in)


def _renewed_directory_token(sign_in: SignIn) -> SignIn:
    """A new directory token, from whatever this sign-in can renew with."""
    again = f"sign in again: dockyard login -n {sign_in.login_server}"
    try:
        if sign_in.directory_refresh_token:
            token = refresh_directory_token(sign_in.url, sign_in.tenant, sign_in.directory_refresh_token)
        elif sign_in.client_id and sign_in.client_secret:
            token = sign_in_service_principal(sign_in.url, sign_in.tenant, sign_in.client_id, sign_in.client_secret)
        elif sign_in.client_id and sign_in.federated_token_file:
            assertion = _read_assertion(Path(sign_in.federated_token_file))
            token = sign_in_federated(sign_in.url, sign_in.tenant, sign_in.client_id, assertion)
        else:
            raise CliError(f"the directory sign-in for {sign_in.login_server} has expired", fix=again)
    except SignInRefused as refused:
        message = f"the sign-in for {sign_in.login_server} can no longer be renewed: {refused.format_message()}"
        raise CliError(message, fix=refused.fix if refused.fix and "login" in refused.fix else again) from refused
    return sign_in.with_directory_token(token)


def _read_assertion(path: Path) -> str:
    try:
        return path.read_text().strip()
    except OSError as exc:
        raise CliError(
            f"cannot read the federated token file {path}: {exc.strerror}",
            fix="check that the workload's token file is mounted, or sign in again with a fresh --federated-token",
        ) from None


def _required(document: dict[str, Any], login_server: str) -> SignIn:
    entry = document.get("registries", {}).get(login_server)
    if not isinstance(entry, dict):
        raise CliError(f"not signed in to {login_server}", fix=f"dockyard login -n {login_server}")
    return _from_json(entry)


def _put(document: dict[str, Any], sign_in: SignIn) -> None:
    document.setdefault("registries", {})[sign_in.login_server] = dataclasses.asdict(sign_in)


# -- credentials the credential helper was asked to store --------------------------------------------------


def store_credentials(paths: ClientPaths, server: str, username: str, secret: str) -> None:
    """Keep a user name and secret for `server` (the helper's `store`)."""
    with _locked(paths) as document:
        document.setdefault("credentials", {})[server] = {"Username": username, "Secret": secret}


def stored_credentials(paths: ClientPaths, server: str) -> tuple[str, str] | None:
    """The user name and secret `store`d for `server`, if any."""
    entry = read_json(paths.profile).get("credentials", {}).get(server)
    if isinstance(entry, dict) and isinstance(entry.get("Username"), str) and isinstance(entry.get("Secret"), str):
        return entry["Username"], entry["Secret"]
    return None


def known_servers(paths: ClientPaths) -> dict[str, str]:
    """Every server the profile holds credentials for, with the user name the helper answers for it."""
    document = read_json(paths.profile)
    servers = {server: str(entry.get("Username", "")) for server, entry in document.get("credentials", {}).items()}
    servers |= {server: TOKEN_USER_NAME for server in document.get("registries", {})}
    return servers
