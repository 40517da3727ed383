"""`dockyard import` from a live reference registry (CNCF distribution, Debian `docker-registry`): an index
with its child manifests and blobs arrives byte for byte — in the live Dockyard over `/v2/` with the CLI's
sign-in, and in a local data directory through the content domain; the source signs in with Basic
credentials or a bearer token; an import broken off half-way copies only what is missing the second time.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.auth.conftest import OWNER, TokenRegistry
from tests.cli.conftest import Machine, new_machine
from tests.conftest import free_port, require_tool
from tests.oci import OCI_MANIFEST, canonical, image_manifest, push_image, random_blob, sha256

OCI_INDEX = "application/vnd.oci.image.index.v1+json"
PULLER = ("puller", "pull-secret-1")


@dataclass
class Source:
    """A running reference registry, and what was pushed to it."""

    host: str
    process: subprocess.Popen[bytes]
    auth: tuple[str, str] | None = None

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=f"http://{self.host}", auth=self.auth, timeout=30)

    def push_blob(self, name: str, data: bytes) -> str:
        """POST then PUT (distribution takes no monolithic POST)."""
        with self.client() as client:
            started = client.post(f"/v2/{name}/blobs/uploads/")
            assert started.status_code == 202, started.text
            location = httpx.URL(started.headers["location"]).copy_merge_params({"digest": sha256(data)})
            assert client.put(location, content=data).status_code == 201
        return sha256(data)

    def push_manifest(self, name: str, reference: str | None, document: dict[str, object]) -> bytes:
        body = canonical(document)
        with self.client() as client:
            answer = client.put(f"/v2/{name}/manifests/{reference or sha256(body)}", content=body,
                                headers={"Content-Type": str(document["mediaType"])})  # fmt: skip
        assert answer.status_code == 201, answer.text
        return body

    def push_index(self, name: str, tag: str, layer_size: int = 64 * 1024) -> tuple[bytes, list[bytes]]:
        """An index of two single-layer images; returns its bytes and the blobs."""
        children, blobs = [], []
        for _ in range(2):
            config = json.dumps({"architecture": "amd64", "os": "linux", "id": uuid.uuid4().hex}).encode()
            layer = random_blob(layer_size)
            for blob in (config, layer):
                self.push_blob(name, blob)
            blobs += [config, layer]
            body = self.push_manifest(name, None, image_manifest(config, [layer]))
            children.append({"mediaType": OCI_MANIFEST, "digest": sha256(body), "size": len(body)})
        index = {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": children}
        return self.push_manifest(name, tag, index), blobs

    def delete_blob(self, name: str, digest: str) -> None:
        with self.client() as client:
            assert client.delete(f"/v2/{name}/blobs/{digest}").status_code == 202

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _start_source(directory: Path, htpasswd: bool) -> Source:
    executable = require_tool("docker-registry")
    directory.mkdir(parents=True, exist_ok=True)
    host = f"127.0.0.1:{free_port()}"
    config: dict[str, object] = {
        "version": 0.1,
        "log": {"level": "error"},
        "storage": {"filesystem": {"rootdirectory": str(directory / "storage")}, "delete": {"enabled": True}},
        "http": {"addr": host},
    }
    if htpasswd:
        users = subprocess.run([require_tool("htpasswd"), "-Bbn", *PULLER], capture_output=True, text=True, check=True)
        (directory / "htpasswd").write_text(users.stdout)
        config["auth"] = {"htpasswd": {"realm": "source", "path": str(directory / "htpasswd")}}
    (directory / "config.yml").write_text(json.dumps(config))  # JSON is YAML
    with (directory / "log").open("ab") as log:
        process = subprocess.Popen([executable, "serve", str(directory / "config.yml")], stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip
    source = Source(host, process, PULLER if htpasswd else None)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"http://{host}/v2/", timeout=1).status_code in (200, 401):
                return source
        time.sleep(0.05)
    source.stop()
    raise RuntimeError(f"docker-registry did not answer: {(directory / 'log').read_text()}")


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    """An anonymous reference registry."""
    running = _start_source(tmp_path_factory.mktemp("source"), htpasswd=False)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def basic_source(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Source]:
    """A reference registry that wants Basic credentials (htpasswd)."""
    running = _start_source(tmp_path_factory.mktemp("basic-source"), htpasswd=True)
    yield running
    running.stop()


def _manifest(registry: TokenRegistry, name: str, reference: str) -> bytes:
    with registry.bearer_client(registry.access_token(f"repository:{name}:pull")) as client:
        answer = client.get(f"/v2/{name}/manifests/{reference}", headers={"Accept": f"{OCI_INDEX}, {OCI_MANIFEST}"})
    assert answer.status_code == 200, answer.text
    return answer.content


def test_an_index_is_imported_into_the_live_registry_with_the_cli_s_sign_in(
    source: Source, owner_machine: Machine, cli_registry: TokenRegistry
) -> None:
    index, _ = source.push_index("library/app", "v1")

    result = owner_machine.dockyard("import", "-n", cli_registry.host, "--source", f"{source.host}/library/app:v1",
                                    "--image", "imported/app:v1")  # fmt: skip

    assert _manifest(cli_registry, "imported/app", "v1") == index
    for child in json.loads(index)["manifests"]:
        assert json.loads(_manifest(cli_registry, "imported/app", child["digest"]))["layers"]
    assert "4 blobs copied" in result.stdout and result.stderr.count(" copied ") == 4
    again = owner_machine.dockyard("import", "--source", f"{source.host}/library/app:v1", "--image",
                                   "imported/app:v1", "--force")  # fmt: skip
    assert "0 blobs copied" in again.stdout and "4 already present" in again.stdout


def test_an_existing_tag_is_kept_without_force(source: Source, owner_machine: Machine) -> None:
    result = owner_machine.dockyard("import", "--source", f"{source.host}/library/app:v1", "--image",
                                    "imported/app:v1", ok=False)  # fmt: skip

    assert result.stderr.splitlines() == [
        "error: the tag v1 exists in the destination",
        "fix: add --force to overwrite it",
    ]


def test_a_broken_off_import_copies_only_what_is_missing_when_run_again(source: Source, tmp_path: Path) -> None:
    index, blobs = source.push_index("team/resume", "v1")
    source.delete_blob("team/resume", sha256(blobs[-1]))  # the last blob cannot be read: the import stops there
    machine, data = new_machine(tmp_path / "home"), str(tmp_path / "data")
    command = ("import", "--source", f"{source.host}/team/resume:v1", "--data-dir", data)

    broken = machine.dockyard(*command, ok=False)
    source.push_blob("team/resume", blobs[-1])
    resumed = machine.dockyard(*command)

    assert broken.stderr.count(" copied ") == 3 and "not found" in broken.stderr.splitlines()[-2]
    assert "1 blobs copied" in resumed.stdout and "3 already present" in resumed.stdout
    shown = json.loads(machine.dockyard("repository", "show", "--image", "team/resume:v1", "--data-dir", data).stdout)
    assert shown["digest"] == sha256(index)


def test_a_source_that_wants_basic_credentials(basic_source: Source, tmp_path: Path) -> None:
    basic_source.push_index("team/private", "v1", layer_size=1024)
    machine, data = new_machine(tmp_path / "home"), str(tmp_path / "data")
    source = f"http://{basic_source.host}/team/private:v1"

    refused = machine.dockyard("import", "--source", source, "--data-dir", data, ok=False)
    imported = machine.dockyard("import", "--source", source, "-u", PULLER[0], "-p", PULLER[1], "--data-dir", data)

    assert refused.stderr.startswith(f"error: {basic_source.host} refused access to team/private:v1 (401)")
    assert "4 blobs copied" in imported.stdout
    assert PULLER[1] not in refused.stderr + imported.stderr + imported.stdout


def test_a_source_that_hands_out_bearer_tokens(cli_registry: TokenRegistry, tmp_path: Path) -> None:
    with cli_registry.bearer_client(cli_registry.access_token("repository:bearer/app:pull,push")) as client:
        pushed = push_image(client, "bearer/app", "v1")
    machine, data = new_machine(tmp_path / "home"), str(tmp_path / "data")

    credentials = ("-u", OWNER, "-p", cli_registry.owner_password)
    result = machine.dockyard("import", "--source", f"{cli_registry.host}/bearer/app:v1", *credentials,
                              "--image", "copied:v1", "--data-dir", data)  # fmt: skip

    assert f"({pushed.digest})" in result.stdout
