"""Real clients sign in to a token-auth Dockyard: skopeo, podman, docker and oras-py, with the owner, a service
principal, the `00000000-…` user name with a refresh token, and anonymously where anonymous pull is on.

Each test logs in with an auth file (or docker config) of its own, so no saved credential leaks between tests.
"""

from __future__ import annotations

import inspect
import json
import os
import re
import subprocess
import time
import types
from collections.abc import Iterator
from pathlib import Path

import oras.client
import oras.provider
import pytest

from tests.auth.conftest import (
    ACR_AUTHENTICATION_REQUIRED,
    OWNER,
    TOKEN_USER_NAME,
    TokenRegistry,
    start_token_registry,
)
from tests.conftest import DOCKYARD
from tests.e2e import Cli, LayoutImage, RemoteImage, random_rootfs
from tests.oci import unique_name

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def signin_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    """A token-auth registry with anonymous pull off."""
    registry = start_token_registry(tmp_path_factory.mktemp("signin") / "data")
    yield registry
    registry.server.stop()


@pytest.fixture(scope="module")
def public_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    """A token-auth registry with anonymous pull on."""
    registry = start_token_registry(tmp_path_factory.mktemp("public") / "data", anonymous_pull=True)
    yield registry
    registry.server.stop()


def _own_auth_file(cli: Cli, path: Path) -> Cli:
    """`cli` with a registry auth file of its own (empty: no saved credentials)."""
    path.write_text("{}")
    return Cli(cli.argv, {**cli.env, "REGISTRY_AUTH_FILE": str(path)})


@pytest.fixture
def skopeo_alone(skopeo: Cli, tmp_path: Path) -> Cli:
    """skopeo with an auth file of the test's own."""
    return _own_auth_file(skopeo, tmp_path / "auth.json")


def _login(cli: Cli, registry: TokenRegistry, username: str, password: str) -> None:
    cli.run("login", "--tls-verify=false", "--username", username, "--password", password, registry.host)


def _copy_in_and_inspect(skopeo: Cli, image: LayoutImage, remote: RemoteImage) -> str:
    skopeo.run("copy", "--dest-tls-verify=false", image.reference, remote.docker)
    return str(json.loads(skopeo.run("inspect", "--tls-verify=false", remote.docker).stdout)["Digest"])


# -- skopeo ----------------------------------------------------------------------------------------


def test_skopeo_logs_in_as_the_owner_copies_and_inspects(
    skopeo_alone: Cli, small_image: LayoutImage, signin_registry: TokenRegistry
) -> None:
    _login(skopeo_alone, signin_registry, OWNER, signin_registry.owner_password)

    digest = _copy_in_and_inspect(skopeo_alone, small_image, RemoteImage(signin_registry.host, unique_name("sk"), "v1"))

    assert digest == small_image.digest


def test_skopeo_login_with_a_wrong_password_is_refused(skopeo_alone: Cli, signin_registry: TokenRegistry) -> None:
    result = skopeo_alone.fails(
        "login", "--tls-verify=false", "--username", OWNER, "--password", "wrong", signin_registry.host
    )

    assert "invalid username/password" in result.stderr or ACR_AUTHENTICATION_REQUIRED in result.stderr


def test_skopeo_signs_in_with_a_service_principal(
    skopeo_alone: Cli, small_image: LayoutImage, signin_registry: TokenRegistry
) -> None:
    principal = signin_registry.service_principal("skopeo-ci")
    _login(skopeo_alone, signin_registry, principal.app_id, principal.secret)

    digest = _copy_in_and_inspect(skopeo_alone, small_image, RemoteImage(signin_registry.host, unique_name("sp"), "v1"))

    assert digest == small_image.digest


def test_skopeo_signs_in_as_the_admin_user_once_it_is_enabled(
    skopeo_alone: Cli, small_image: LayoutImage, signin_registry: TokenRegistry
) -> None:
    enabled = subprocess.run(
        [DOCKYARD, "update", "--admin-enabled", "true", "--data-dir", str(signin_registry.data_dir)],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    password = re.search(r"^password: (\S+)$", enabled, re.MULTILINE)
    if password is None:  # enabled earlier in this session: renew to learn a password
        renewed = subprocess.run(
            [DOCKYARD, "credential", "renew", "--data-dir", str(signin_registry.data_dir)],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        password = re.search(r"^password: (\S+)$", renewed, re.MULTILINE)
    assert password is not None
    time.sleep(1.1)  # the server re-reads registry properties at most a second later
    _login(skopeo_alone, signin_registry, "dockyard", password.group(1))

    digest = _copy_in_and_inspect(
        skopeo_alone, small_image, RemoteImage(signin_registry.host, unique_name("adm"), "v1")
    )

    assert digest == small_image.digest


def test_skopeo_signs_in_with_the_token_user_name_and_a_refresh_token(
    skopeo_alone: Cli, small_image: LayoutImage, signin_registry: TokenRegistry
) -> None:
    refresh = signin_registry.token(auth=signin_registry.owner, offline=True)["refresh_token"]
    _login(skopeo_alone, signin_registry, TOKEN_USER_NAME, refresh)

    digest = _copy_in_and_inspect(skopeo_alone, small_image, RemoteImage(signin_registry.host, unique_name("rt"), "v1"))

    assert digest == small_image.digest


def test_skopeo_inspects_anonymously_when_anonymous_pull_is_on(
    skopeo_alone: Cli, small_image: LayoutImage, public_registry: TokenRegistry
) -> None:
    image = RemoteImage(public_registry.host, unique_name("public"), "v1")
    skopeo_alone.run(
        "copy",
        "--dest-tls-verify=false",
        "--dest-creds",
        ":".join(public_registry.owner),
        small_image.reference,
        image.docker,
    )

    inspected = skopeo_alone.run("inspect", "--tls-verify=false", image.docker)

    assert json.loads(inspected.stdout)["Digest"] == small_image.digest


def test_skopeo_anonymous_push_is_refused_even_when_anonymous_pull_is_on(
    skopeo_alone: Cli, small_image: LayoutImage, public_registry: TokenRegistry
) -> None:
    image = RemoteImage(public_registry.host, unique_name("public"), "v1")

    result = skopeo_alone.fails("copy", "--dest-tls-verify=false", small_image.reference, image.docker)

    assert ACR_AUTHENTICATION_REQUIRED in result.stderr


def test_skopeo_anonymous_inspect_is_refused_when_anonymous_pull_is_off(
    skopeo: Cli, skopeo_alone: Cli, small_image: LayoutImage, signin_registry: TokenRegistry, tmp_path: Path
) -> None:
    image = RemoteImage(signin_registry.host, unique_name("private"), "v1")
    owner = _own_auth_file(skopeo, tmp_path / "owner-auth.json")
    _login(owner, signin_registry, OWNER, signin_registry.owner_password)
    owner.run("copy", "--dest-tls-verify=false", small_image.reference, image.docker)

    result = skopeo_alone.fails("inspect", "--tls-verify=false", image.docker)

    assert ACR_AUTHENTICATION_REQUIRED in result.stderr


# -- podman ----------------------------------------------------------------------------------------


def test_podman_logs_in_as_the_owner_pushes_and_pulls(
    podman: Cli, signin_registry: TokenRegistry, tmp_path: Path
) -> None:
    podman = _own_auth_file(podman, tmp_path / "auth.json")
    image = RemoteImage(signin_registry.host, unique_name("podman"), "v1")
    _login(podman, signin_registry, OWNER, signin_registry.owner_password)
    podman.run("import", str(random_rootfs(tmp_path / "rootfs.tar")), image.reference)

    podman.run("push", "--tls-verify=false", image.reference)
    podman.run("rmi", image.reference)
    podman.run("pull", "--tls-verify=false", image.reference)

    assert podman.run("image", "exists", image.reference).returncode == 0


def test_podman_pull_after_logout_is_refused(podman: Cli, signin_registry: TokenRegistry, tmp_path: Path) -> None:
    podman = _own_auth_file(podman, tmp_path / "auth.json")
    image = RemoteImage(signin_registry.host, unique_name("podman"), "v1")
    _login(podman, signin_registry, OWNER, signin_registry.owner_password)
    podman.run("import", str(random_rootfs(tmp_path / "rootfs.tar")), image.reference)
    podman.run("push", "--tls-verify=false", image.reference)
    podman.run("logout", signin_registry.host)
    podman.run("rmi", image.reference)

    result = podman.fails("pull", "--tls-verify=false", image.reference)

    assert ACR_AUTHENTICATION_REQUIRED in result.stderr


# -- docker ----------------------------------------------------------------------------------------


@pytest.fixture
def docker_alone(docker: Cli, tmp_path: Path) -> Cli:
    """docker (the session's private dockerd) with a client config directory of the test's own."""
    config = tmp_path / "docker-config"
    config.mkdir()
    return Cli(docker.argv, {**docker.env, "DOCKER_CONFIG": str(config)})


def test_docker_logs_in_as_the_owner_pushes_and_pulls(
    docker_alone: Cli, docker_archive: Path, signin_registry: TokenRegistry
) -> None:
    image = RemoteImage(signin_registry.host, unique_name("docker"), "v1")
    login = docker_alone.run(
        "login", "--username", OWNER, "--password", signin_registry.owner_password, signin_registry.host
    )
    docker_alone.run("load", "--input", str(docker_archive))
    docker_alone.run("tag", "e2e/small:v1", image.reference)

    docker_alone.run("push", image.reference)
    docker_alone.run("rmi", image.reference)
    docker_alone.run("pull", image.reference)

    assert "Login Succeeded" in login.stdout
    # docker keeps the refresh token (`offline_token=true`) as an identity token, not the password.
    saved = json.loads((Path(docker_alone.env["DOCKER_CONFIG"]) / "config.json").read_text())["auths"]
    assert saved[signin_registry.host].get("identitytoken")
    assert signin_registry.owner_password not in json.dumps(saved)
    assert docker_alone.run("image", "inspect", image.reference).returncode == 0


def test_docker_login_with_a_wrong_password_prints_the_401_message(
    docker_alone: Cli, signin_registry: TokenRegistry
) -> None:
    result = docker_alone.fails("login", "--username", OWNER, "--password", "wrong-password", signin_registry.host)

    # Error response from daemon: Get "http://<host>/v2/": unauthorized: authentication required, visit …
    assert f"unauthorized: {ACR_AUTHENTICATION_REQUIRED}" in result.stderr, result.stderr


# -- oras-py ---------------------------------------------------------------------------------------


@pytest.fixture
def oras_token_client(
    signin_registry: TokenRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> oras.provider.Registry:
    """oras-py with its token auth backend and the owner's Basic credentials; no retries, its own HOME."""
    home = tmp_path / "oras-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))  # it reads ~/.docker/config.json, whose entries override ours
    client = oras.client.OrasClient(hostname=signin_registry.host, insecure=True, auth_backend="token")
    client.auth.set_basic_auth(OWNER, signin_registry.owner_password)
    single_try = inspect.unwrap(oras.provider.Registry.do_request)
    client.do_request = types.MethodType(single_try, client)  # type: ignore[method-assign]
    return client


def test_oras_pushes_and_pulls_with_the_owner_through_the_token_backend(
    oras_token_client: oras.provider.Registry, signin_registry: TokenRegistry, tmp_path: Path
) -> None:
    image = RemoteImage(signin_registry.host, unique_name("oras"), "v1")
    content = os.urandom(10_000)
    artifact = tmp_path / "artifact.bin"
    artifact.write_bytes(content)

    # oras-py's token backend keeps the first token it gets and retries every later 401 with it: its push
    # starts with a HEAD (a pull-only token), so its upload POST would fail on insufficient_scope. Let the
    # backend answer an upload's challenge (scope pull,push) first, as it does inside `do_request`.
    challenge = oras_token_client.session.post(f"{signin_registry.url}/v2/{image.name}/blobs/uploads/")
    assert challenge.status_code == 401, challenge.text
    _, authenticated = oras_token_client.auth.authenticate_request(challenge, {})
    assert authenticated

    pushed = oras_token_client.push(
        target=image.reference, files=[str(artifact)], disable_path_validation=True, quiet=True
    )
    pulled = oras_token_client.pull(target=image.reference, outdir=str(tmp_path / "out"))

    assert pushed.status_code == 201, pushed.text
    assert [Path(path).read_bytes() for path in pulled] == [content]
