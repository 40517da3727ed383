"""Fixtures for the CLI tests: a live token-auth registry, and a client machine of the test's own — a temp
HOME with DOCKER_CONFIG, REGISTRY_AUTH_FILE and XDG_RUNTIME_DIR inside it — on which `dockyard` and
`docker-credential-dockyard` run as subprocesses, as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from dockyard.cli.client_files import ClientPaths
from tests.auth.conftest import OWNER, TokenRegistry, start_token_registry
from tests.conftest import DOCKYARD

HELPER = str(Path(DOCKYARD).with_name("docker-credential-dockyard"))


@dataclass(frozen=True)
class Machine:
    """A client machine: its environment and the files `dockyard login` writes."""

    home: Path
    env: dict[str, str]

    @property
    def paths(self) -> ClientPaths:
        """Where the credential files are, as the CLI finds them from this environment."""
        return ClientPaths.from_environment(self.env)

    @property
    def docker_config(self) -> dict[str, Any]:
        """The Docker config's JSON."""
        return _json(self.paths.docker_config)

    @property
    def containers_auth(self) -> dict[str, Any]:
        """The containers auth file's JSON."""
        return _json(self.paths.containers_auth)

    @property
    def profile(self) -> dict[str, Any]:
        """The CLI profile's JSON."""
        return _json(self.paths.profile)

    def dockyard(self, *args: str, stdin: str | None = None, ok: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `dockyard <args>`; it must succeed (or, with `ok=False`, fail)."""
        return self._run([DOCKYARD, *args], stdin, ok)

    def helper(self, action: str, stdin: str = "", ok: bool = True) -> subprocess.CompletedProcess[str]:
        """Run `docker-credential-dockyard <action>` with `stdin`."""
        return self._run([HELPER, action], stdin, ok)

    def _run(self, argv: list[str], stdin: str | None, ok: bool) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            argv, env=self.env, input=stdin, capture_output=True, text=True, timeout=120, check=False
        )
        assert (result.returncode == 0) == ok, f"{argv[1:]}: exit {result.returncode}\n{result.stdout}\n{result.stderr}"
        return result


def _json(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def new_machine(home: Path) -> Machine:
    """A client machine in `home`: no saved credentials, the venv's scripts on PATH."""
    home.mkdir(parents=True, exist_ok=True)
    runtime = home / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    auth_file = home / "auth.json"
    auth_file.write_text("{}")  # podman fails when REGISTRY_AUTH_FILE names a file that does not exist
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("DOCKER_", "XDG_"))}
    environment.pop("REGISTRY_AUTH_FILE", None)
    return Machine(
        home,
        environment
        | {
            "HOME": str(home),
            "PATH": f"{Path(DOCKYARD).parent}:{environment.get('PATH', '/usr/bin:/bin')}",
            "XDG_RUNTIME_DIR": str(runtime),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local" / "share"),
            "REGISTRY_AUTH_FILE": str(auth_file),
            "DOCKER_CONFIG": str(home / ".docker"),
        },
    )


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    """A client machine of the test's own."""
    return new_machine(tmp_path / "home")


@pytest.fixture(scope="module")
def cli_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    """A token-auth registry for the CLI tests of one module."""
    registry = start_token_registry(tmp_path_factory.mktemp("cli-registry") / "data")
    yield registry
    registry.server.stop()


def signed_in_machine(home: Path, registry: TokenRegistry, user: str, password: str) -> Machine:
    """A client machine in `home` on which `user` ran `dockyard login -n <registry>`."""
    machine = new_machine(home)
    machine.dockyard("login", "-n", registry.host, "-u", user, "--password-stdin", stdin=password)
    return machine


@pytest.fixture(scope="module")
def owner_machine(cli_registry: TokenRegistry, tmp_path_factory: pytest.TempPathFactory) -> Machine:
    """A client machine of the module's on which the registry's owner is signed in (`dockyard login`)."""
    return signed_in_machine(tmp_path_factory.mktemp("owner-home"), cli_registry, OWNER, cli_registry.owner_password)
