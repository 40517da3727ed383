"""docker (a private dockerd) against Dockyard, and the TLS probe every Go client sends to a plain-HTTP port first."""

from __future__ import annotations

import re
import socket
import ssl
from pathlib import Path

import httpx
import pytest

from tests.conftest import RunningRegistry
from tests.e2e import Cli, RemoteImage
from tests.oci import unique_name

pytestmark = pytest.mark.e2e


def test_docker_pushes_a_loaded_image_and_pulls_it_back(
    docker: Cli, docker_archive: Path, registry: RunningRegistry
) -> None:
    image = RemoteImage(registry.host, unique_name("docker"), "v1")
    docker.run("load", "--input", str(docker_archive))
    docker.run("tag", "e2e/small:v1", image.reference)

    pushed = docker.run("push", image.reference)
    # Remove every name of the image, so the pull has to fetch the layers and not reuse local ones.
    docker.run("rmi", image.reference, "e2e/small:v1")
    docker.run("pull", image.reference)

    digest = re.search(r"digest: (sha256:[0-9a-f]{64})", pushed.stdout)
    assert digest, pushed.stdout
    repo_digests = docker.run("image", "inspect", "--format", "{{json .RepoDigests}}", image.reference).stdout
    assert f"{registry.host}/{image.name}@{digest[1]}" in repo_digests


def test_server_answers_a_tls_client_hello_with_an_error_and_keeps_serving(
    registry: RunningRegistry, http: httpx.Client
) -> None:
    host, _, port = registry.host.rpartition(":")
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE

    # dockerd and every Go client try HTTPS first; a hang here (TimeoutError) would stall each of their commands.
    with (
        socket.create_connection((host, int(port)), timeout=5) as sock,
        pytest.raises((ssl.SSLError, ConnectionResetError)),
    ):
        context.wrap_socket(sock, server_hostname=host)

    assert http.get("/v2/").status_code == 200
