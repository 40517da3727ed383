"""skopeo and podman pull with nothing but the credential helper after the refresh token `dockyard login`
saved has expired: the helper renews it through the directory, so the 3-hour expiry never bites.

The registry issues refresh tokens that live 20 seconds (with one second of clock skew), so the test
waits for a real expiry instead of faking one; the expired token is shown to be refused before the pull.
"""

from __future__ import annotations

import io
import json
import tarfile
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.auth.conftest import OWNER, TOKEN_USER_NAME, TokenRegistry, start_token_registry
from tests.cli.conftest import Machine, new_machine
from tests.conftest import require_tool
from tests.e2e import Cli

pytestmark = pytest.mark.e2e

REFRESH_SECONDS = 20
REPOSITORY = "cli/helper"


@pytest.fixture(scope="module")
def short_lived_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    """A registry whose refresh tokens expire after 20 seconds."""
    data = tmp_path_factory.mktemp("short-lived") / "data"
    registry = start_token_registry(data, "--refresh-token-seconds", str(REFRESH_SECONDS), "--clock-skew-seconds", "1")
    yield registry
    registry.server.stop()


@pytest.fixture(scope="module")
def pushed(short_lived_registry: TokenRegistry, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A one-layer image pushed by skopeo as the owner (with its own auth file): `host/cli/helper:v1`."""
    skopeo = require_tool("skopeo")
    work = tmp_path_factory.mktemp("image")
    tarball = work / "rootfs.tar"
    with tarfile.open(tarball, "w") as archive:
        content = b"pulled with the credential helper\n"
        member = tarfile.TarInfo("hello.txt")
        member.size = len(content)
        archive.addfile(member, io.BytesIO(content))
    pusher = new_machine(work / "pusher")
    cli = Cli((skopeo,), pusher.env)
    cli.run("copy", f"tarball:{tarball}", f"oci:{work / 'layout'}:v1")
    reference = f"{short_lived_registry.host}/{REPOSITORY}:v1"
    owner = f"{OWNER}:{short_lived_registry.owner_password}"
    cli.run(
        "copy", "--dest-tls-verify=false", "--dest-creds", owner, f"oci:{work / 'layout'}:v1", f"docker://{reference}"
    )
    return reference


@pytest.fixture(scope="module")
def helper_machine(short_lived_registry: TokenRegistry, tmp_path_factory: pytest.TempPathFactory) -> Machine:
    """A machine signed in with `--configure-helper`, whose saved refresh token has since expired."""
    machine = new_machine(tmp_path_factory.mktemp("helper-machine") / "home")
    registry = short_lived_registry
    machine.dockyard("login", "-n", registry.host, "-u", OWNER, "-p", registry.owner_password, "--configure-helper")
    expired = machine.profile["registries"][registry.host]["refresh_token"]
    time.sleep(REFRESH_SECONDS + 2)
    refused = registry.token_response(f"repository:{REPOSITORY}:pull", auth=(TOKEN_USER_NAME, expired))
    assert refused.status_code == 401, refused.text  # the saved token is dead for the registry
    return machine


def _refresh_token(machine: Machine, registry: TokenRegistry) -> str:
    return str(machine.profile["registries"][registry.host]["refresh_token"])


def test_skopeo_pulls_with_only_the_helper_after_the_refresh_token_expired(
    helper_machine: Machine, short_lived_registry: TokenRegistry, pushed: str, tmp_path: Path
) -> None:
    skopeo = Cli((require_tool("skopeo"), "--debug"), helper_machine.env)
    before = _refresh_token(helper_machine, short_lived_registry)
    assert json.loads(helper_machine.paths.containers_auth.read_text()).get("auths", {}) == {}

    skopeo.run("copy", "--src-tls-verify=false", f"docker://{pushed}", f"oci:{tmp_path / 'pulled'}:v1")

    assert (tmp_path / "pulled" / "index.json").exists()
    assert _refresh_token(helper_machine, short_lived_registry) != before  # renewed by the helper


def test_podman_pulls_with_only_the_helper_after_the_refresh_token_expired(
    helper_machine: Machine, short_lived_registry: TokenRegistry, pushed: str, tmp_path: Path
) -> None:
    time.sleep(REFRESH_SECONDS + 2)  # whatever the helper renewed before has expired too
    before = _refresh_token(helper_machine, short_lived_registry)
    assert short_lived_registry.token_response(auth=(TOKEN_USER_NAME, before)).status_code == 401
    with tempfile.TemporaryDirectory(prefix="podman-run-", dir="/tmp", ignore_cleanup_errors=True) as runroot:
        podman = Cli(
            (require_tool("podman"), "--root", str(tmp_path / "root"), "--runroot", runroot, "--storage-driver", "vfs"),
            helper_machine.env,
        )
        podman.run("pull", "--tls-verify=false", pushed)
        images = podman.run("images", "--format", "{{.Repository}}:{{.Tag}}").stdout

    assert pushed in images
    assert _refresh_token(helper_machine, short_lived_registry) != before
