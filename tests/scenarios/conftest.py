"""The scenario lab: live Dockyard servers, each fault of `scenarios.toml` built on one of them, and the real
clients run against it — once per scenario, whatever the number of tests that look at the result.

Servers are shared where the faults cannot meet (`main`: rbac mode, every sign-in fault; `abac`: rbac-abac
mode) and of their own where a fault is a registry-wide property (public access off, a deny-by-default IP
rule, anonymous pull on, refresh tokens that live 2 seconds). Every scenario runs its clients from a client
home of its own (HOME, the containers auth file, the Docker config), so no saved credential leaks between them.
Expiry is real: secrets and passwords are made to end 2 seconds later, and the scenario waits for it.
"""

from __future__ import annotations

import base64
import datetime
import io
import json
import os
import re
import shlex
import shutil
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dockyard.doctor.scenarios import Scenario, fill
from tests.auth.conftest import (
    OWNER,
    POLICY_REFRESH_SECONDS,
    TOKEN_USER_NAME,
    ServicePrincipal,
    TokenRegistry,
    jwt_part,
    start_token_registry,
)
from tests.conftest import DOCKYARD, require_tool
from tests.e2e import CLIENT_TIMEOUT, describe
from tests.e2e.conftest import DOCKER_CLIENT, DOCKERD_FOR_TESTS

EXPIRY_SECONDS = 2.0  # how long the secrets, passwords and refresh tokens made to expire live
ADMIN_USER = "dockyard"  # the registry's name, which is the admin user's user name
WRITER_CONDITION = (
    "((!(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/read'})"
    " AND !(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/metadata/read'})"
    " AND !(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/write'})"
    " AND !(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/metadata/write'}))"
    " OR (@Request[Microsoft.ContainerRegistry/registries/repositories:name] StringStartsWithIgnoreCase 'backend/'))"
)


@dataclass
class Reproduced:
    """A scenario built and met: the placeholders' values, what each client printed, and when."""

    scenario: Scenario
    values: dict[str, str]
    env: dict[str, str]
    outputs: tuple[str, ...]
    data_dir: Path | None
    started: float
    finished: float


@dataclass
class _Setup:
    """What a scenario's builder made: the values of its placeholders, the server and the client home."""

    values: dict[str, str]
    env: dict[str, str]
    registry: TokenRegistry | None = None


@dataclass
class Lab:
    """Servers started on first use, the fixtures they hold, and the scenarios reproduced so far."""

    work: Path
    image: str
    servers: dict[str, TokenRegistry] = field(default_factory=dict)
    principals: dict[str, ServicePrincipal] = field(default_factory=dict)
    token_passwords: dict[str, str] = field(default_factory=dict)
    expiries: dict[str, float] = field(default_factory=dict)
    reproduced: dict[str, Reproduced] = field(default_factory=dict)
    runroots: dict[str, str] = field(default_factory=dict)  # podman's, by its root: a short path under /tmp
    docker_state: Path | None = None
    docker_host: str | None = None

    # -- servers ------------------------------------------------------------------------------------------

    def server(self, name: str) -> TokenRegistry:
        """The server `name`, started (and prepared) on first use."""
        if name not in self.servers:
            flags = ("--refresh-token-seconds", "2", "--clock-skew-seconds", "0") if name == "short-lived" else ()
            (self.work / f"server-{name}").mkdir()
            registry = start_token_registry(self.work / f"server-{name}" / "data", *flags)
            self.servers[name] = registry
            _PREPARE.get(name, lambda lab, registry: None)(self, registry)
        return self.servers[name]

    def stop(self) -> None:
        """Stop every server and the private dockerd this lab started."""
        for registry in self.servers.values():
            registry.server.stop()
        if self.docker_state is not None:
            subprocess.run([DOCKERD_FOR_TESTS, "stop", str(self.docker_state)], timeout=30, check=False)
        for runroot in self.runroots.values():
            shutil.rmtree(runroot, ignore_errors=True)

    # -- clients ------------------------------------------------------------------------------------------

    def client_home(self, scenario_id: str) -> dict[str, str]:
        """An environment whose HOME, XDG directories, auth file and Docker config are the scenario's own."""
        home = self.work / "clients" / scenario_id
        runtime = home / "run"
        runtime.mkdir(parents=True, mode=0o700)
        (home / "auth.json").write_text("{}")  # podman fails when REGISTRY_AUTH_FILE names a missing file
        environment = {key: value for key, value in os.environ.items() if not key.startswith(("DOCKER_", "XDG_"))}
        return environment | {
            "HOME": str(home),
            "XDG_RUNTIME_DIR": str(runtime),
            "XDG_CONFIG_HOME": str(home / ".config"),
            "REGISTRY_AUTH_FILE": str(home / "auth.json"),
            "DOCKER_CONFIG": str(home / ".docker"),
        }

    def run(self, command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        """Run a client command (its words already filled in) the way a user would."""
        words = shlex.split(command)
        program, arguments = words[0], words[1:]
        if program == "podman":
            root = str(Path(env["HOME"]) / "podman-root")
            if root not in self.runroots:
                self.runroots[root] = tempfile.mkdtemp(prefix="podman-run-", dir="/tmp")
            runroot = self.runroots[root]
            argv = [require_tool("podman"), "--root", root, "--runroot", runroot, "--storage-driver", "vfs"]
        elif program == "docker":
            argv = [DOCKER_CLIENT]
            env = env | {"DOCKER_HOST": self._dockerd()}
        elif program == "dockyard":
            argv = [DOCKYARD]
        else:
            argv = [require_tool(program)]
        return subprocess.run(
            [*argv, *arguments], env=env, capture_output=True, text=True, timeout=CLIENT_TIMEOUT, check=False
        )

    def _dockerd(self) -> str:
        if self.docker_host is None:
            require_tool("dockerd")
            require_tool(DOCKERD_FOR_TESTS)
            self.docker_state = self.work / "dockerd"
            started = subprocess.run(
                [DOCKERD_FOR_TESTS, "start", str(self.docker_state)],
                capture_output=True, text=True, timeout=60, check=False,
            )  # fmt: skip
            assert started.returncode == 0, describe(started)
            self.docker_host = started.stdout.strip()
        return self.docker_host

    # -- scenarios ----------------------------------------------------------------------------------------

    def reproduce(self, scenario: Scenario) -> Reproduced:
        """Build the scenario's fault and run its client commands (once); every command must fail."""
        if scenario.id not in self.reproduced:
            setup = _BUILDERS[scenario.id](self, self.client_home(scenario.id))
            started = time.time()
            outputs = []
            for client in scenario.clients:
                result = self.run(fill(client.command, setup.values), setup.env)
                assert result.returncode != 0, describe(result)
                outputs.append(result.stderr + result.stdout)
            data_dir = setup.registry.data_dir if setup.registry else None
            self.reproduced[scenario.id] = Reproduced(
                scenario, setup.values, setup.env, tuple(outputs), data_dir, started, time.time()
            )
        return self.reproduced[scenario.id]

    def wait_until_expired(self, name: str) -> None:
        """Sleep until what `name` names (a secret, a password) has expired, by the real clock."""
        remaining = self.expiries[name] - time.time() + 0.2
        if remaining > 0:
            time.sleep(remaining)


# -- preparing servers -------------------------------------------------------------------------------------


def _prepare_main(lab: Lab, registry: TokenRegistry) -> None:
    """rbac mode: an AcrPull service principal, and a secret and a token password that end 2 seconds on."""
    lab.principals["puller"] = _principal(registry, "puller", "AcrPull")
    lab.principals["expiring"] = _principal(registry, "expiring-secret", "AcrPush", expires_in=EXPIRY_SECONDS)
    lab.expiries["secret"] = time.time() + EXPIRY_SECONDS
    with registry.policy() as policy:
        _, passwords = policy.create_token("expiring", "_repositories_pull", expiry=time.time() + EXPIRY_SECONDS)
    lab.expiries["token-password"] = time.time() + EXPIRY_SECONDS
    lab.token_passwords["expiring"] = passwords["password1"]
    time.sleep(POLICY_REFRESH_SECONDS)


def _prepare_abac(lab: Lab, registry: TokenRegistry) -> None:
    """rbac-abac mode: AcrPush only; Repository Writer with a condition for backend/; Repository Reader."""
    registry.update("--role-assignment-mode", "rbac-abac")
    lab.principals["legacy"] = _principal(registry, "legacy-pusher", "AcrPush")
    lab.principals["writer"] = _principal(registry, "backend-writer", None)
    writer = lab.principals["writer"].object_id
    registry.assign(writer, "Container Registry Repository Writer", condition=WRITER_CONDITION, wait=False)
    lab.principals["reader"] = _principal(registry, "reader", "Container Registry Repository Reader")
    time.sleep(POLICY_REFRESH_SECONDS)


def _principal(registry: TokenRegistry, name: str, role: str | None, expires_in: float = 3600) -> ServicePrincipal:
    principal = registry.service_principal(name, role=None, expires_in=expires_in)
    if role is not None:
        registry.assign(principal.object_id, role, wait=False)
    return principal


_PREPARE: dict[str, Callable[[Lab, TokenRegistry], None]] = {"main": _prepare_main, "abac": _prepare_abac}


# -- building each scenario ----------------------------------------------------------------------------------


def _on(registry: TokenRegistry, env: dict[str, str], **values: str) -> _Setup:
    return _Setup({"login-server": registry.host, **values}, env, registry)


def _wrong_name_casing(lab: Lab, env: dict[str, str]) -> _Setup:
    registry = lab.server("main")
    return _on(registry, env, **{"upper-login-server": registry.host.replace("127.0.0.1", "LocalHost")})


def _unknown_host(lab: Lab, env: dict[str, str]) -> _Setup:
    return _Setup({"password": "some-password"}, env)


def _owner(lab: Lab, env: dict[str, str]) -> _Setup:
    registry = lab.server("main")
    return _on(registry, env, password=registry.owner_password)


def _admin_user_disabled(lab: Lab, env: dict[str, str]) -> _Setup:
    registry = lab.server("main")
    enabled = _dockyard(registry, "update", "--admin-enabled", "true")
    password = re.search(r"^password: (\S+)$", enabled, re.MULTILINE)
    assert password is not None, enabled
    registry.update("--admin-enabled", "false")
    return _on(registry, env, password=password.group(1))


def _token_user_name_forgotten(lab: Lab, env: dict[str, str]) -> _Setup:
    registry = lab.server("main")
    return _on(registry, env, token=_exposed_token(registry, env))


def _stale_credentials(lab: Lab, env: dict[str, str]) -> _Setup:
    registry = lab.server("anonymous")
    repository = "public/app"
    owner = f"{OWNER}:{registry.owner_password}"
    pushed = lab.run(
        f"skopeo copy --dest-tls-verify=false --dest-creds {owner} {lab.image} docker://{registry.host}/{repository}:v1",
        env,
    )
    assert pushed.returncode == 0, describe(pushed)
    registry.update("--anonymous-pull-enabled", "true")
    stale = base64.b64encode(f"{OWNER}:an-old-password".encode()).decode()
    Path(env["REGISTRY_AUTH_FILE"]).write_text(json.dumps({"auths": {registry.host: {"auth": stale}}}))
    return _on(registry, env, repository=repository)


def _public_access_disabled(lab: Lab, env: dict[str, str]) -> _Setup:
    registry = lab.server("closed")
    registry.update("--public-network-enabled", "false")
    return _on(registry, env, password=registry.owner_password)


def _ip_not_in_the_rules(lab: Lab, env: dict[str, str]) -> _Setup:
    registry = lab.server("firewalled")
    _dockyard(registry, "network-rule", "add", "--ip-address", "203.0.113.0/24")
    registry.update("--default-action", "Deny")
    return _on(registry, env, password=registry.owner_password)


def _signed_in_as(principal: str, repository: str) -> Callable[[Lab, dict[str, str]], _Setup]:
    server = "main" if principal == "puller" else "abac"

    def build(lab: Lab, env: dict[str, str]) -> _Setup:
        registry = lab.server(server)
        signed_in = lab.principals[principal]
        values = {"username": signed_in.app_id, "password": signed_in.secret, "repository": repository}
        return _on(registry, env, image=lab.image, **values)

    return build


def _catalog_without_lister(lab: Lab, env: dict[str, str]) -> _Setup:
    setup = _signed_in_as("reader", "")(lab, env)
    login = fill("podman login --tls-verify=false -u <username> -p <password> <login-server>", setup.values)
    signed_in = lab.run(login, env)
    assert signed_in.returncode == 0, describe(signed_in)
    return setup


def _expired_secret(lab: Lab, env: dict[str, str]) -> _Setup:
    registry = lab.server("main")
    lab.wait_until_expired("secret")
    principal = lab.principals["expiring"]
    return _on(registry, env, username=principal.app_id, password=principal.secret)


def _expired_token_password(lab: Lab, env: dict[str, str]) -> _Setup:
    registry = lab.server("main")
    lab.wait_until_expired("token-password")
    return _on(registry, env, username="expiring", password=lab.token_passwords["expiring"])


def _expired_directory_token(lab: Lab, env: dict[str, str]) -> _Setup:
    registry = lab.server("short-lived")
    token = _exposed_token(registry, env)
    signed_in = lab.run(f"skopeo login --tls-verify=false -u {TOKEN_USER_NAME} -p {token} {registry.host}", env)
    assert signed_in.returncode == 0, describe(signed_in)
    lab.expiries["refresh-token"] = float(jwt_part(token, 1)["exp"])
    lab.wait_until_expired("refresh-token")
    return _on(registry, env, token=token, repository="team/app")


def _exposed_token(registry: TokenRegistry, env: dict[str, str]) -> str:
    """The registry token `dockyard login --expose-token` prints for the owner."""
    done = subprocess.run(
        [DOCKYARD, "login", "-n", registry.host, "-u", OWNER, "-p", registry.owner_password, "--expose-token"],
        env=env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, describe(done)
    document: dict[str, Any] = json.loads(done.stdout[: done.stdout.rindex("}") + 1])
    return str(document["accessToken"])


def _dockyard(registry: TokenRegistry, *args: str) -> str:
    """Run an admin command on the server's data directory (as its operator would, on its machine)."""
    done = subprocess.run(
        [DOCKYARD, *args, "--data-dir", str(registry.data_dir)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, describe(done)
    return done.stdout


_BUILDERS: dict[str, Callable[[Lab, dict[str, str]], _Setup]] = {
    "wrong-name-casing": _wrong_name_casing,
    "unknown-host": _unknown_host,
    "wrong-password": _owner,
    "wrong-tenant": _owner,
    "unknown-application-id": _owner,
    "admin-user-disabled": _admin_user_disabled,
    "token-user-name-forgotten": _token_user_name_forgotten,
    "stale-credentials-block-anonymous-pull": _stale_credentials,
    "public-access-disabled": _public_access_disabled,
    "ip-not-in-the-rules": _ip_not_in_the_rules,
    "acrpull-only-but-pushing": _signed_in_as("puller", "team/app"),
    "expired-service-principal-secret": _expired_secret,
    "expired-directory-token": _expired_directory_token,
    "expired-token-password": _expired_token_password,
    "legacy-role-in-abac-mode": _signed_in_as("legacy", "team/app"),
    "writer-condition-excludes-repository": _signed_in_as("writer", "frontend/app"),
    "catalog-without-catalog-lister": _catalog_without_lister,
}


def iso(moment: float) -> str:
    """A time as `dockyard logs --since/--until` take it."""
    return datetime.datetime.fromtimestamp(moment, datetime.UTC).isoformat()


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    """The module's lab, with a one-layer image in an OCI layout for the pushes."""
    work = tmp_path_factory.mktemp("scenarios")
    lab = Lab(work, _image(work))
    yield lab
    lab.stop()


def _image(work: Path) -> str:
    tarball = work / "rootfs.tar"
    with tarfile.open(tarball, "w") as archive:
        content = b"a scenario of the seed\n"
        member = tarfile.TarInfo("hello.txt")
        member.size = len(content)
        archive.addfile(member, io.BytesIO(content))
    layout = work / "layout"
    done = subprocess.run(
        [require_tool("skopeo"), "copy", f"tarball:{tarball}", f"oci:{layout}:v1"], capture_output=True, text=True
    )
    assert done.returncode == 0, describe(done)
    return f"oci:{layout}:v1"
