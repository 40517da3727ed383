"""podman against Dockyard over plain HTTP, with image storage of its own."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.conftest import RunningRegistry
from tests.e2e import Cli, LayoutImage, RemoteImage, random_rootfs
from tests.oci import OCI_MANIFEST, unique_name

pytestmark = pytest.mark.e2e


def _local_digest(podman: Cli, reference: str) -> str:
    return podman.run("image", "inspect", "--format", "{{.Digest}}", reference).stdout.strip()


def test_podman_pulls_an_image_that_skopeo_pushed(
    podman: Cli, small_image: LayoutImage, pushed_image: RemoteImage
) -> None:
    podman.run("pull", "--tls-verify=false", pushed_image.reference)

    assert _local_digest(podman, pushed_image.reference) == small_image.digest


def test_podman_pushes_a_new_image_and_pulls_it_back(
    podman: Cli, registry: RunningRegistry, http: httpx.Client, tmp_path: Path
) -> None:
    image = RemoteImage(registry.host, unique_name("podman"), "v1")
    podman.run("import", str(random_rootfs(tmp_path / "rootfs.tar")), image.reference)

    podman.run("push", "--tls-verify=false", image.reference)
    podman.run("rmi", image.reference)
    podman.run("pull", "--tls-verify=false", image.reference)

    head = http.head(f"/v2/{image.name}/manifests/{image.tag}", headers={"Accept": OCI_MANIFEST})
    assert head.status_code == 200
    assert _local_digest(podman, image.reference) == head.headers["Docker-Content-Digest"]
