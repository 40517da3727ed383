"""The files a client machine keeps credentials in: the Docker config (`$DOCKER_CONFIG/config.json`, else
`~/.docker/config.json`), the containers auth file podman, skopeo and buildah read (`$REGISTRY_AUTH_FILE`,
else `$XDG_RUNTIME_DIR/containers/auth.json`, else `~/.config/containers/auth.json`), and Dockyard's own
CLI profile (`~/.dockyard/profile.json`).

`ClientPaths.from_environment` is the only place the CLI reads these variables. Files are rewritten
whole and atomically (a temporary file renamed over the old one) with mode 0600, keeping every entry
this module does not own.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dockyard.cli.errors import CliError

#: The user name that marks the password as a registry refresh token, as `az acr login` writes it.
TOKEN_USER_NAME = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True)
class ClientPaths:
    """Where this machine's credential files are."""

    docker_config: Path
    containers_auth: Path
    profile_dir: Path

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> ClientPaths:
        """The paths as docker, podman and skopeo find them from `environ` (HOME, DOCKER_CONFIG,
        REGISTRY_AUTH_FILE, XDG_RUNTIME_DIR)."""
        home = Path(environ.get("HOME") or Path.home())
        docker_dir = Path(environ["DOCKER_CONFIG"]) if environ.get("DOCKER_CONFIG") else home / ".docker"
        if environ.get("REGISTRY_AUTH_FILE"):
            containers = Path(environ["REGISTRY_AUTH_FILE"])
        elif environ.get("XDG_RUNTIME_DIR"):
            containers = Path(environ["XDG_RUNTIME_DIR"]) / "containers" / "auth.json"
        else:
            containers = home / ".config" / "containers" / "auth.json"
        return cls(docker_dir / "config.json", containers, home / ".dockyard")

    @property
    def profile(self) -> Path:
        """The CLI profile: sign-ins per login server (mode 0600)."""
        return self.profile_dir / "profile.json"

    @property
    def auth_files(self) -> tuple[Path, Path]:
        """The Docker config and the containers auth file."""
        return (self.docker_config, self.containers_auth)


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object from `path`; an empty one when the file is missing or empty."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return {}
    if not text.strip():
        return {}
    try:
        document = json.loads(text)
    except ValueError:
        raise CliError(f"{path} is not valid JSON", fix=f"repair or remove {path}") from None
    if not isinstance(document, dict):
        raise CliError(f"{path} does not hold a JSON object", fix=f"repair or remove {path}")
    return document


def write_json(path: Path, document: Mapping[str, Any]) -> None:
    """Replace `path` atomically with `document`, readable by this user only (its directory is created 0700)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(descriptor, "w") as file:
            os.fchmod(file.fileno(), 0o600)
            json.dump(document, file, indent=2)
            file.write("\n")
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def basic_auth(username: str, secret: str) -> str:
    """The `auth` value of an `auths` entry: base64 of `user:secret`."""
    return base64.b64encode(f"{username}:{secret}".encode()).decode()


def save_credentials(path: Path, login_server: str, username: str, secret: str) -> None:
    """Write `auths[login_server]` (and drop a `credHelpers` entry that would shadow it)."""
    document = read_json(path)
    document.setdefault("auths", {})[login_server] = {"auth": basic_auth(username, secret)}
    helpers = document.get("credHelpers")
    if isinstance(helpers, dict):
        helpers.pop(login_server, None)
    write_json(path, document)


def use_credential_helper(path: Path, login_server: str, helper: str) -> None:
    """Write `credHelpers[login_server] = helper` and drop any saved `auths` entry for the server."""
    document = read_json(path)
    document.setdefault("credHelpers", {})[login_server] = helper
    auths = document.get("auths")
    if isinstance(auths, dict):
        auths.pop(login_server, None)
    write_json(path, document)


def forget(path: Path, login_server: str) -> bool:
    """Remove the server's `auths` and `credHelpers` entries; True when there was one."""
    document = read_json(path)
    removed = False
    for section in ("auths", "credHelpers"):
        entries = document.get(section)
        if isinstance(entries, dict) and login_server in entries:
            del entries[login_server]
            removed = True
    if removed:
        write_json(path, document)
    return removed


def credentials_store(path: Path) -> str | None:
    """The `credsStore` a Docker config names (it then ignores `auths` for servers without a helper)."""
    value = read_json(path).get("credsStore")
    return value if isinstance(value, str) and value else None
