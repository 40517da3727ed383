"""oras-py against Dockyard: artifacts pushed and pulled back, and referrers attached with a subject.

oras-py 0.2.43 has no referrers or discover call, so referrers are discovered with the HTTP API it relies on.
"""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import oras.oci
import oras.provider
import pytest

from tests.conftest import RunningRegistry
from tests.e2e import RemoteImage
from tests.oci import OCI_INDEX, OCI_MANIFEST, sha256, unique_name

pytestmark = pytest.mark.e2e


def _file(path: Path, content: bytes) -> str:
    path.write_bytes(content)
    return str(path)


def _push(client: oras.provider.Registry, image: RemoteImage, file: str, **options: object) -> None:
    response = client.push(target=image.reference, files=[file], disable_path_validation=True, quiet=True, **options)
    assert response.status_code == 201, response.text


def test_oras_pulls_back_the_bytes_of_a_pushed_file(
    oras_client: oras.provider.Registry, registry: RunningRegistry, tmp_path: Path
) -> None:
    image = RemoteImage(registry.host, unique_name("oras"), "v1")
    content = os.urandom(100_000)
    _push(oras_client, image, _file(tmp_path / "artifact.bin", content))

    pulled = oras_client.pull(target=image.reference, outdir=str(tmp_path / "out"))

    assert [Path(path).name for path in pulled] == ["artifact.bin"]
    assert Path(pulled[0]).read_bytes() == content


def test_oras_artifact_pushed_with_a_subject_is_listed_among_its_referrers(
    oras_client: oras.provider.Registry, registry: RunningRegistry, http: httpx.Client, tmp_path: Path
) -> None:
    name = unique_name("oras")
    subject_image = RemoteImage(registry.host, name, "v1")
    _push(oras_client, subject_image, _file(tmp_path / "artifact.bin", os.urandom(1000)))
    subject_bytes = http.get(f"/v2/{name}/manifests/v1", headers={"Accept": OCI_MANIFEST}).content
    subject = oras.oci.Subject(mediaType=OCI_MANIFEST, digest=sha256(subject_bytes), size=len(subject_bytes))

    _push(oras_client, RemoteImage(registry.host, name, "signature"), _file(tmp_path / "sig", b"sig"), subject=subject)
    signature = http.get(f"/v2/{name}/manifests/signature", headers={"Accept": OCI_MANIFEST})
    response = http.get(f"/v2/{name}/referrers/{subject.digest}")

    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == OCI_INDEX
    assert [(d["digest"], d["artifactType"]) for d in response.json()["manifests"]] == [
        # With no artifactType in the manifest, the spec says the config's mediaType stands in for it.
        (sha256(signature.content), signature.json()["config"]["mediaType"])
    ]
