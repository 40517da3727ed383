"""Dockyard's token service fronting the reference registry (CNCF distribution 2.8, Debian `docker-registry`).

distribution is configured with Dockyard's realm, service, issuer and certificate bundle, so it accepts
only tokens Dockyard signed: skopeo logs in to distribution, follows the challenge to Dockyard for a token,
and pushes with it. That proves the token format works for a verifier that is not Dockyard (the `kid` as a
libtrust fingerprint of a bundle certificate's key, `aud` as one string, `iss`, the `access` claim), and a
token granting nothing is refused there.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from dockyard.auth.keys import SigningKeys
from tests.conftest import RunningRegistry, free_port, require_tool, start_registry
from tests.e2e import Cli, LayoutImage, RemoteImage

pytestmark = pytest.mark.e2e

OWNER = "owner"
# Any overlap longer than the test keeps the one key Dockyard made in the bundle.
_KEY_OVERLAP = 3600.0


@dataclass
class ReferenceRegistry:
    """A running `docker-registry` that trusts Dockyard's tokens."""

    host: str
    log: Path
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def dockyard(tmp_path: Path) -> Iterator[RunningRegistry]:
    """Dockyard with token authentication (anonymous pull off), whose signing key already exists."""
    server = start_registry(tmp_path / "dockyard", authentication="token")
    try:
        # The key is made on first use: ask for a token once so the bundle has a certificate in it.
        with server.client() as client:
            answer = client.get("/oauth2/token", params={"service": server.host}, auth=(OWNER, _password(server)))
        assert answer.status_code == 200, answer.text
        yield server
    finally:
        server.stop()


@pytest.fixture
def reference(dockyard: RunningRegistry, tmp_path: Path) -> Iterator[ReferenceRegistry]:
    """distribution 2.8 configured to trust Dockyard's tokens: its realm, service, issuer and certificates."""
    executable = require_tool("docker-registry")
    keys = SigningKeys(dockyard.data_dir / "keys", issuer=dockyard.host, overlap=_KEY_OVERLAP)
    bundle = tmp_path / "dockyard-certificates.pem"
    bundle.write_bytes(keys.certificate_bundle(time.time()))
    assert bundle.read_bytes().count(b"BEGIN CERTIFICATE") == 1

    host = f"127.0.0.1:{free_port()}"
    config = {
        "version": 0.1,
        "log": {"level": "error"},
        "storage": {"filesystem": {"rootdirectory": str(tmp_path / "reference-storage")}},
        "http": {"addr": host},
        "auth": {
            "token": {
                "realm": f"{dockyard.url}/oauth2/token",
                "service": dockyard.host,
                "issuer": dockyard.host,
                "rootcertbundle": str(bundle),
            }
        },
    }
    config_file = tmp_path / "reference-config.yml"
    config_file.write_text(json.dumps(config))  # JSON is YAML
    log_path = tmp_path / "reference.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [executable, "serve", str(config_file)], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    server = ReferenceRegistry(host, log_path, process)
    try:
        _wait_for_challenge(server, dockyard)
        yield server
    finally:
        server.stop()


def test_reference_registry_accepts_dockyard_tokens_from_a_skopeo_login_and_push(
    skopeo: Cli, small_image: LayoutImage, dockyard: RunningRegistry, reference: ReferenceRegistry
) -> None:
    image = RemoteImage(reference.host, "interop/small", "v1")

    skopeo.run("login", "--tls-verify=false", "-u", OWNER, "-p", _password(dockyard), reference.host)
    try:
        skopeo.run("copy", "--dest-tls-verify=false", small_image.reference, image.docker)
        inspected = skopeo.run("inspect", "--tls-verify=false", image.docker)
    finally:
        skopeo.run("logout", reference.host)

    assert json.loads(inspected.stdout)["Digest"] == small_image.digest, reference.log.read_text()


def test_reference_registry_refuses_a_dockyard_token_that_grants_no_access(
    dockyard: RunningRegistry, reference: ReferenceRegistry
) -> None:
    with dockyard.client() as client:
        issued = client.get("/oauth2/token", params={"service": dockyard.host, "scope": "repository:x:pull"})
    assert issued.status_code == 200, issued.text
    token = issued.json()["access_token"]

    answer = httpx.get(f"{reference.url}/v2/x/tags/list", headers={"Authorization": f"Bearer {token}"}, timeout=10)

    assert answer.status_code == 401, answer.text
    assert [error["code"] for error in answer.json()["errors"]] == ["UNAUTHORIZED"]
    assert 'error="insufficient_scope"' in answer.headers["www-authenticate"]
    assert 'scope="repository:x:pull"' in answer.headers["www-authenticate"]


def _password(server: RunningRegistry) -> str:
    return (server.data_dir / "initial-owner-password").read_text().strip()


def _wait_for_challenge(server: ReferenceRegistry, dockyard: RunningRegistry) -> None:
    """Wait until distribution answers `/v2/` with a 401 that sends clients to Dockyard's token endpoint."""
    realm = f'realm="{dockyard.url}/oauth2/token"'
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"docker-registry exited with {server.process.returncode}:\n{server.log.read_text()}")
        try:
            answer = httpx.get(f"{server.url}/v2/", timeout=1)
        except httpx.TransportError:
            time.sleep(0.05)
            continue
        challenge = answer.headers.get("www-authenticate", "")
        assert answer.status_code == 401 and realm in challenge, (answer.status_code, challenge)
        assert f'service="{dockyard.host}"' in challenge, challenge
        return
    raise RuntimeError(f"docker-registry did not answer within 20 s:\n{server.log.read_text()}")
