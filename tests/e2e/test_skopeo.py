"""skopeo against Dockyard: copy in and out, inspect, list tags, delete, cross-repository mounts, image indexes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import RunningRegistry
from tests.e2e import Cli, LayoutImage, RemoteImage, blob_path, layout_digest
from tests.oci import OCI_INDEX, sha256, unique_name

pytestmark = pytest.mark.e2e


def test_skopeo_inspect_reports_the_digest_of_the_pushed_image(
    skopeo: Cli, small_image: LayoutImage, pushed_image: RemoteImage
) -> None:
    result = skopeo.run("inspect", "--tls-verify=false", pushed_image.docker)

    assert json.loads(result.stdout)["Digest"] == small_image.digest


def test_skopeo_list_tags_lists_the_pushed_tag(skopeo: Cli, pushed_image: RemoteImage) -> None:
    repository = pushed_image.docker.rpartition(":")[0]

    result = skopeo.run("list-tags", "--tls-verify=false", repository)

    assert json.loads(result.stdout)["Tags"] == ["v1"]


def test_skopeo_copies_the_image_out_to_an_oci_layout_with_the_same_manifest_digest(
    skopeo: Cli, small_image: LayoutImage, pushed_image: RemoteImage, tmp_path: Path
) -> None:
    skopeo.run("copy", "--src-tls-verify=false", pushed_image.docker, f"oci:{tmp_path / 'out'}:v1")

    assert layout_digest(tmp_path / "out", "v1") == small_image.digest


def test_skopeo_delete_leaves_inspect_answering_manifest_unknown(skopeo: Cli, pushed_image: RemoteImage) -> None:
    skopeo.run("delete", "--tls-verify=false", pushed_image.docker)

    result = skopeo.fails("inspect", "--tls-verify=false", pushed_image.docker)

    assert "manifest unknown" in result.stderr


def test_skopeo_copy_between_repositories_mounts_the_blobs_the_source_has(
    skopeo: Cli, small_image: LayoutImage, pushed_image: RemoteImage
) -> None:
    target = RemoteImage(pushed_image.host, unique_name("mounted"), "v1")

    copied = skopeo.run("copy", "--src-tls-verify=false", "--dest-tls-verify=false", pushed_image.docker, target.docker)

    # skopeo knows where it read the layer, so it asks for `POST uploads/?mount=&from=`; a 201 is "mount OK".
    assert "mount OK" in copied.stderr
    assert json.loads(skopeo.run("inspect", "--tls-verify=false", target.docker).stdout)["Digest"] == small_image.digest


def test_skopeo_copies_a_multi_arch_index_in_and_back_out_with_all(
    skopeo: Cli, multi_arch_image: LayoutImage, registry: RunningRegistry, tmp_path: Path
) -> None:
    image = RemoteImage(registry.host, unique_name("multi"), "v1")
    skopeo.run("copy", "--all", "--dest-tls-verify=false", multi_arch_image.reference, image.docker)
    raw = skopeo.run("inspect", "--raw", "--tls-verify=false", image.docker).stdout.encode()

    out = tmp_path / "out"
    skopeo.run("copy", "--all", "--src-tls-verify=false", image.docker, f"oci:{out}:v1")

    assert (sha256(raw), json.loads(raw)["mediaType"]) == (multi_arch_image.digest, OCI_INDEX)
    assert layout_digest(out, "v1") == multi_arch_image.digest
    for child in multi_arch_image.children:
        manifest = json.loads(blob_path(out, child).read_bytes())
        assert all(blob_path(out, layer["digest"]).exists() for layer in manifest["layers"]), child
