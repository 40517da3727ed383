"""The credentials a client would send to a login server: given on the command line, or saved by
`docker login` / `podman login` / `dockyard login` in the Docker config or the containers auth file, directly
or through a credential helper (`credHelpers`, `credsStore`). Secrets are read, never printed."""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dockyard.doctor.steps import Step, passed, warned
from dockyard.doctor.vocabulary import CauseId, StepName

#: The user name that marks the password as a registry refresh (or access) token, as in ACR.
TOKEN_USER_NAME = "00000000-0000-0000-0000-000000000000"
_HELPER_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class Credentials:
    """A user name and secret, and where they came from (for the report; never the secret)."""

    username: str
    secret: str = field(repr=False)
    source: str

    @property
    def is_token(self) -> bool:
        """Whether the secret is a registry refresh (or access) token rather than a password."""
        return self.username == TOKEN_USER_NAME


@dataclass(frozen=True)
class AuthFiles:
    """The files a client machine keeps registry credentials in (the CLI finds them from the environment)."""

    docker_config: Path
    containers_auth: Path


def _read(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return document if isinstance(document, dict) else {}


def _keys(login_server: str) -> list[str]:
    # docker and podman key `auths` by the server as it was typed at login; these are the spellings they use.
    return [login_server, f"https://{login_server}", f"http://{login_server}", f"https://{login_server}/v1/"]


def saved_credentials(files: AuthFiles, login_server: str) -> tuple[Credentials | None, list[str]]:
    """The credentials saved for `login_server` (the first a client would use) and a line per place that holds some."""
    found: list[str] = []
    chosen: Credentials | None = None
    for label, path in (("Docker config", files.docker_config), ("containers auth file", files.containers_auth)):
        document = _read(path)
        helper = _helper_for(document, login_server)
        if helper is not None:
            found.append(f"{label} {path}: credential helper docker-credential-{helper}")
            chosen = chosen or _from_helper(helper, login_server, f"docker-credential-{helper} (named in {path})")
            continue
        for key in _keys(login_server):
            entry = (document.get("auths") or {}).get(key)
            if isinstance(entry, dict):
                credentials = _from_entry(entry, f"{label} {path}")
                if credentials is not None:
                    kind = "a registry token" if credentials.is_token else f"user {credentials.username!r}"
                    found.append(f"{label} {path}: {kind} under {key!r}")
                    chosen = chosen or credentials
                break
    return chosen, found


def _helper_for(document: dict[str, Any], login_server: str) -> str | None:
    helpers = document.get("credHelpers")
    if isinstance(helpers, dict) and isinstance(helpers.get(login_server), str):
        return str(helpers[login_server])
    store = document.get("credsStore")
    return store if isinstance(store, str) and store else None


def _from_entry(entry: dict[str, Any], source: str) -> Credentials | None:
    token = entry.get("identitytoken")
    if isinstance(token, str) and token:
        return Credentials(TOKEN_USER_NAME, token, source)
    try:
        username, _, secret = base64.b64decode(str(entry.get("auth", ""))).decode().partition(":")
    except ValueError:
        return None
    return Credentials(username, secret, source) if username else None


def _from_helper(helper: str, login_server: str, source: str) -> Credentials | None:
    program = shutil.which(f"docker-credential-{helper}")
    if program is None:
        return None
    try:
        done = subprocess.run(
            [program, "get"],
            input=login_server,
            capture_output=True,
            text=True,
            timeout=_HELPER_TIMEOUT_SECONDS,
            check=False,
        )
        answer = json.loads(done.stdout) if done.returncode == 0 else {}
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None
    username, secret = answer.get("Username"), answer.get("Secret")
    if not isinstance(username, str) or not isinstance(secret, str) or not secret:
        return None
    return Credentials(TOKEN_USER_NAME if username == "<token>" else username, secret, source)


def saved_credentials_step(files: AuthFiles, login_server: str, given: Credentials | None) -> Step:
    """What is saved for this login server, and whether a credential helper handles it."""
    chosen, found = saved_credentials(files, login_server)
    if given is not None:
        return passed(StepName.SAVED_CREDENTIALS, f"using the credentials given ({given.source})", *found)
    if chosen is not None:
        return passed(StepName.SAVED_CREDENTIALS, f"clients will send the credentials from {chosen.source}", *found)
    if found:
        cause = "a credential helper is named for this login server but gave no credentials: " + "; ".join(found)
        fix = f"sign in again: dockyard login -n {login_server} --configure-helper (or docker login {login_server})"
        return warned(StepName.SAVED_CREDENTIALS, None, cause, fix, CauseId.NOT_SIGNED_IN)
    return passed(StepName.SAVED_CREDENTIALS, "no credentials are saved for this login server: clients go anonymous")
