"""Fixtures for the real-client tests: isolated client homes, small images built once a session, a private dockerd.

Clients never see the user's own configuration: HOME, XDG directories, the registry auth file and the docker
config all live in the session's tmp dir. Images are built by skopeo from plain tarballs, so nothing is
fetched from the network.
"""

from __future__ import annotations

import hashlib
import inspect
import io
import json
import os
import subprocess
import tarfile
import tempfile
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import oras.client
import oras.provider
import pytest

from tests.conftest import RunningRegistry, require_tool
from tests.e2e import REF_NAME, Cli, LayoutImage, RemoteImage, blob_path, describe, layout_digest
from tests.oci import OCI_INDEX, OCI_MANIFEST, unique_name

# shared/ lies beside the checkout, for developers and CI alike.
DOCKERD_FOR_TESTS = str(Path(__file__).resolve().parents[3] / "shared" / "tools" / "dockerd-for-tests")
DOCKER_CLIENT = "/usr/bin/docker"  # Debian docker.io's client, the one that matches its dockerd


@pytest.fixture(scope="session")
def client_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment whose HOME, XDG directories, registry auth file and docker config are the session's own."""
    home = tmp_path_factory.mktemp("client-home")
    runtime = home / "run"
    runtime.mkdir(mode=0o700)
    auth_file = home / "auth.json"
    auth_file.write_text("{}")  # podman fails when REGISTRY_AUTH_FILE names a file that does not exist
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("DOCKER_", "XDG_"))}
    return environment | {
        "HOME": str(home),
        "XDG_RUNTIME_DIR": str(runtime),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "REGISTRY_AUTH_FILE": str(auth_file),
        "DOCKER_CONFIG": str(home / ".docker"),
    }


@pytest.fixture(scope="session")
def skopeo(client_env: dict[str, str]) -> Cli:
    """skopeo with `--debug`, so a failure shows every request it sent and every status it got."""
    return Cli((require_tool("skopeo"), "--debug"), client_env)


@pytest.fixture(scope="session")
def small_image(skopeo: Cli, tmp_path_factory: pytest.TempPathFactory) -> LayoutImage:
    """A one-layer linux/amd64 image in an OCI layout, built by skopeo from a tarball."""
    work = tmp_path_factory.mktemp("small-image")
    return _image_from_tarball(skopeo, work, work / "layout", "v1", b"hello from dockyard's e2e tests\n")


@pytest.fixture(scope="session")
def multi_arch_image(skopeo: Cli, tmp_path_factory: pytest.TempPathFactory) -> LayoutImage:
    """An OCI image index of a linux/amd64 and a linux/arm64 image, each with a layer of its own."""
    work = tmp_path_factory.mktemp("multi-arch-image")
    layout = work / "layout"
    descriptors = []
    for architecture in ("amd64", "arm64"):
        base = _image_from_tarball(skopeo, work, layout, f"base-{architecture}", f"{architecture}\n".encode())
        descriptors.append(_for_platform(base, architecture))
    index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descriptors}
    digest = _tag_in_layout(layout, OCI_INDEX, json.dumps(index).encode(), "v1")
    return LayoutImage(layout, "v1", digest, tuple(descriptor["digest"] for descriptor in descriptors))


@pytest.fixture
def pushed_image(skopeo: Cli, small_image: LayoutImage, registry: RunningRegistry) -> RemoteImage:
    """The small image, copied by skopeo into a repository of the test's own."""
    image = RemoteImage(registry.host, unique_name("skopeo"), "v1")
    skopeo.run("copy", "--dest-tls-verify=false", small_image.reference, image.docker)
    return image


@pytest.fixture(scope="session")
def docker_archive(skopeo: Cli, small_image: LayoutImage) -> Path:
    """The small image as a `docker save` archive, named `e2e/small:v1` inside."""
    archive = small_image.layout.parent / "small-docker-archive.tar"
    skopeo.run("copy", small_image.reference, f"docker-archive:{archive}:e2e/small:v1")
    return archive


@pytest.fixture(scope="session")
def docker(client_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cli]:
    """The docker client, talking to a private dockerd (vfs storage, no network setup) shared by the session."""
    require_tool("dockerd")
    require_tool(DOCKERD_FOR_TESTS)  # a path: `shutil.which` checks that it is there and executable
    state = tmp_path_factory.mktemp("dockerd")
    started = subprocess.run(
        [DOCKERD_FOR_TESTS, "start", str(state)], capture_output=True, text=True, timeout=60, check=False
    )
    assert started.returncode == 0, describe(started)
    try:
        yield Cli((DOCKER_CLIENT,), client_env | {"DOCKER_HOST": started.stdout.strip()})
    finally:
        _stop_dockerd(state)


@pytest.fixture
def podman(client_env: dict[str, str], tmp_path: Path) -> Iterator[Cli]:
    """podman with image storage of the test's own (vfs, so it needs no mounts)."""
    executable = require_tool("podman")
    # podman refuses a runroot longer than 50 characters, which pytest's tmp paths are.
    with tempfile.TemporaryDirectory(prefix="podman-run-", dir="/tmp", ignore_cleanup_errors=True) as runroot:
        yield Cli(
            (executable, "--root", str(tmp_path / "podman-root"), "--runroot", runroot, "--storage-driver", "vfs"),
            client_env,
        )


@pytest.fixture
def oras_client(registry: RunningRegistry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> oras.provider.Registry:
    """An oras-py client for the shared registry: plain HTTP, Basic auth backend, no retries, its own HOME."""
    home = tmp_path / "oras-home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))  # it reads (and `login()` writes) ~/.docker/config.json
    # The token backend would take a Basic challenge's realm for a token URL and hang.
    client = oras.client.OrasClient(hostname=registry.host, insecure=True, auth_backend="basic")
    # `do_request` retries every error for about two minutes; a test wants the server's first answer.
    single_try = inspect.unwrap(oras.provider.Registry.do_request)
    client.do_request = types.MethodType(single_try, client)  # type: ignore[method-assign]
    return client


def _image_from_tarball(skopeo: Cli, work: Path, layout: Path, tag: str, content: bytes) -> LayoutImage:
    """A one-layer image holding `content` as /hello.txt, written to `layout` under `tag` by skopeo."""
    tarball = work / f"{tag}.tar"
    with tarfile.open(tarball, "w") as archive:
        member = tarfile.TarInfo("hello.txt")
        member.size = len(content)
        member.mode = 0o644
        archive.addfile(member, io.BytesIO(content))
    skopeo.run("copy", f"tarball:{tarball}", f"oci:{layout}:{tag}")
    return LayoutImage(layout, tag, layout_digest(layout, tag))


def _for_platform(base: LayoutImage, architecture: str) -> dict[str, Any]:
    """The index entry of a copy of `base` whose config says `architecture` (skopeo's tarballs are the host's)."""
    manifest = json.loads(blob_path(base.layout, base.digest).read_bytes())
    config = json.loads(blob_path(base.layout, manifest["config"]["digest"]).read_bytes())
    config["architecture"] = architecture
    config_bytes = json.dumps(config).encode()
    config_descriptor = {"digest": _write_blob(base.layout, config_bytes), "size": len(config_bytes)}
    manifest["config"] = manifest["config"] | config_descriptor
    manifest_bytes = json.dumps(manifest).encode()
    return {
        "mediaType": OCI_MANIFEST,
        "digest": _write_blob(base.layout, manifest_bytes),
        "size": len(manifest_bytes),
        "platform": {"architecture": architecture, "os": config["os"]},
    }


def _write_blob(layout: Path, data: bytes) -> str:
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    blob_path(layout, digest).write_bytes(data)
    return digest


def _tag_in_layout(layout: Path, media_type: str, document: bytes, tag: str) -> str:
    """Store `document` as a blob of `layout` and name it `tag` in the layout's index.json."""
    digest = _write_blob(layout, document)
    index_file = layout / "index.json"
    index = json.loads(index_file.read_text())
    index["manifests"].append(
        {
            "mediaType": media_type,
            "digest": digest,
            "size": len(document),
            "annotations": {REF_NAME: tag},
        }
    )
    index_file.write_text(json.dumps(index))
    return digest


def _stop_dockerd(state: Path) -> None:
    """Stop the session's dockerd and wait for it, so its containerd does not outlive the run."""
    pid_file = state / "dockerd.pid"
    pid = int(pid_file.read_text()) if pid_file.exists() else None
    subprocess.run([DOCKERD_FOR_TESTS, "stop", str(state)], timeout=30, check=False)
    deadline = time.monotonic() + 20
    while pid is not None and time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
