"""Speaking OCI distribution to a registry from tests: digests, blobs, uploads, manifests, errors.

Helpers only assert that a step succeeded when the step is set-up for the behaviour under test;
tests that examine a step itself use the raw responses.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
DOCKER_CONFIG = "application/vnd.docker.container.image.v1+json"
DOCKER_LAYER = "application/vnd.docker.image.rootfs.diff.tar.gzip"
DOCKER_SCHEMA1_SIGNED = "application/vnd.docker.distribution.manifest.v1+prettyjws"


def sha256(data: bytes) -> str:
    """The `sha256:` digest of `data`."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def sha512(data: bytes) -> str:
    """The `sha512:` digest of `data`."""
    return "sha512:" + hashlib.sha512(data).hexdigest()


def random_blob(size: int = 1024) -> bytes:
    """Random bytes, so no two tests ever share a blob by accident."""
    return os.urandom(size)


def unique_name(leaf: str = "app") -> str:
    """A repository name no other test uses: `test-<8 hex>/<leaf>`."""
    return f"test-{uuid.uuid4().hex[:8]}/{leaf}"


def unknown_digest() -> str:
    """A well-formed digest of content nobody pushed."""
    return sha256(random_blob(32))


def error_codes(response: httpx.Response) -> list[str]:
    """The `code`s of an OCI error body; fails the test when the body is not OCI error JSON."""
    body = response.json()
    assert isinstance(body, dict) and isinstance(body.get("errors"), list) and body["errors"], body
    for error in body["errors"]:
        assert isinstance(error, dict), body
        assert isinstance(error.get("code"), str) and error["code"], body
        assert isinstance(error.get("message", ""), str), body
    return [error["code"] for error in body["errors"]]


def assert_oci_error(response: httpx.Response, status: int, code: str) -> None:
    """The response is `status` with an OCI error body naming `code`."""
    assert response.status_code == status, (response.status_code, response.text)
    assert code in error_codes(response), response.text


# -- blobs and uploads -----------------------------------------------------------------------------


def push_blob(client: httpx.Client, name: str, data: bytes, digest: str | None = None) -> str:
    """Push `data` in one `POST ?digest=` request; return its digest."""
    digest = digest or sha256(data)
    response = client.post(f"/v2/{name}/blobs/uploads/", params={"digest": digest}, content=data)
    assert response.status_code == 201, response.text
    return digest


def start_upload(client: httpx.Client, name: str) -> str:
    """Open an upload session; return its location (a path)."""
    response = client.post(f"/v2/{name}/blobs/uploads/", headers={"Content-Length": "0"})
    assert response.status_code == 202, response.text
    return location_path(response)


def location_path(response: httpx.Response) -> str:
    """The `Location` header as a path the client can follow (it may be absolute or relative)."""
    return httpx.URL(response.headers["Location"]).raw_path.decode()


def send_chunk(client: httpx.Client, location: str, chunk: bytes, start: int) -> httpx.Response:
    """PATCH one chunk with `Content-Range: <start>-<end>`."""
    headers = {
        "Content-Type": "application/octet-stream",
        "Content-Range": f"{start}-{start + len(chunk) - 1}",
    }
    return client.patch(location, content=chunk, headers=headers)


def finish_upload(client: httpx.Client, location: str, digest: str, last_chunk: bytes = b"") -> httpx.Response:
    """Close the session with `PUT ?digest=`, optionally carrying the last chunk."""
    return client.put(
        location,
        params={"digest": digest},
        content=last_chunk,
        headers={"Content-Type": "application/octet-stream"},
    )


def split_at(data: bytes, points: Iterable[int]) -> list[bytes]:
    """`data` cut at the given offsets (duplicates and out-of-range offsets are ignored)."""
    cuts = sorted({p for p in points if 0 < p < len(data)})
    bounds = [0, *cuts, len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def push_blob_in_chunks(client: httpx.Client, name: str, chunks: Sequence[bytes], digest: str | None = None) -> str:
    """POST, one PATCH per chunk, then PUT ?digest=; return the digest."""
    data = b"".join(chunks)
    digest = digest or sha256(data)
    location = start_upload(client, name)
    offset = 0
    for chunk in chunks:
        response = send_chunk(client, location, chunk, offset)
        assert response.status_code == 202, response.text
        offset += len(chunk)
        location = location_path(response)
    response = finish_upload(client, location, digest)
    assert response.status_code == 201, response.text
    return digest


# -- manifests -------------------------------------------------------------------------------------


def descriptor(media_type: str, data: bytes, **extra: Any) -> dict[str, Any]:
    """A content descriptor of `data`."""
    return {"mediaType": media_type, "digest": sha256(data), "size": len(data), **extra}


def canonical(document: dict[str, Any]) -> bytes:
    """The bytes a client would push for a manifest document."""
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def image_manifest(
    config: bytes,
    layers: Sequence[bytes],
    *,
    media_type: str = OCI_MANIFEST,
    config_media_type: str | None = None,
    layer_media_type: str | None = None,
    subject: dict[str, Any] | None = None,
    artifact_type: str | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An image manifest (OCI, or Docker schema 2 by `media_type`) of a config and layers."""
    docker = media_type == DOCKER_MANIFEST
    document: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": descriptor(config_media_type or (DOCKER_CONFIG if docker else OCI_CONFIG), config),
        "layers": [descriptor(layer_media_type or (DOCKER_LAYER if docker else OCI_LAYER), layer) for layer in layers],
    }
    return _with_optional_fields(document, subject, artifact_type, annotations)


def index_manifest(
    children: Sequence[Pushed],
    *,
    media_type: str = OCI_INDEX,
    subject: dict[str, Any] | None = None,
    artifact_type: str | None = None,
    annotations: dict[str, str] | None = None,
) -> dict[str, Any]:
    """An index (OCI, or Docker manifest list by `media_type`) of already pushed manifests."""
    document: dict[str, Any] = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "manifests": [child.descriptor() for child in children],
    }
    return _with_optional_fields(document, subject, artifact_type, annotations)


def _with_optional_fields(
    document: dict[str, Any],
    subject: dict[str, Any] | None,
    artifact_type: str | None,
    annotations: dict[str, str] | None,
) -> dict[str, Any]:
    optional = {"subject": subject, "artifactType": artifact_type, "annotations": annotations}
    document.update({key: value for key, value in optional.items() if value is not None})
    return document


def put_manifest(
    client: httpx.Client, name: str, reference: str, body: bytes, media_type: str | None
) -> httpx.Response:
    """PUT manifest bytes under a tag or digest, with `Content-Type: media_type` when given."""
    headers = {"Content-Type": media_type} if media_type else {}
    return client.put(f"/v2/{name}/manifests/{reference}", content=body, headers=headers)


@dataclass(frozen=True)
class Pushed:
    """A manifest in the registry: its media type, exact bytes and digest."""

    media_type: str
    body: bytes
    digest: str

    def descriptor(self) -> dict[str, Any]:
        """The descriptor other manifests use to point at this one."""
        return {"mediaType": self.media_type, "digest": self.digest, "size": len(self.body)}


def push_manifest(client: httpx.Client, name: str, reference: str | None, document: dict[str, Any]) -> Pushed:
    """PUT a manifest document under `reference` (its own digest when None); return what was pushed."""
    body = canonical(document)
    media_type = str(document["mediaType"])
    digest = sha256(body)
    response = put_manifest(client, name, reference or digest, body, media_type)
    assert response.status_code == 201, response.text
    return Pushed(media_type, body, digest)


def push_image(
    client: httpx.Client,
    name: str,
    reference: str | None = "latest",
    *,
    layers: int = 1,
    media_type: str = OCI_MANIFEST,
    **manifest_fields: Any,
) -> Pushed:
    """Push a config, `layers` random layers and an image manifest over them."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "id": uuid.uuid4().hex}).encode()
    layer_blobs = [random_blob(256) for _ in range(layers)]
    for blob in (config, *layer_blobs):
        push_blob(client, name, blob)
    document = image_manifest(config, layer_blobs, media_type=media_type, **manifest_fields)
    return push_manifest(client, name, reference, document)
