"""OCI Distribution client operations the benchmark needs: blob uploads, manifest push, seeding.

Everything here speaks to a registry through `rawhttp.Connection`; nothing here measures time. The
seed image is the same for every server, so every server answers the same manifest and the same blob.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
from pathlib import Path

import httpx

from bench.rawhttp import BlobSource, Connection, expect, path_of, with_query

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
# Sent by every manifest request (wrk, h2load, checks) to every server: distribution 2.8 answers 404 to
# a GET of an OCI manifest whose Accept does not list OCI, so the header must be there for all of them.
MANIFEST_ACCEPT = f"{OCI_MANIFEST}, application/vnd.docker.distribution.manifest.v2+json"
SEED_REPO = "bench/app"
SEED_TAG = "latest"


@dataclasses.dataclass(frozen=True)
class SeedImage:
    """The image pushed to every registry before measuring: config + small layer + big layer."""

    config: bytes
    small_layer: bytes
    big_layer_path: Path
    big_layer_digest: str
    big_layer_size: int

    def manifest(self) -> bytes:
        """The OCI image manifest (canonical JSON bytes) that references the three blobs."""
        doc = {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": _descriptor(OCI_CONFIG, self.config),
            "layers": [
                _descriptor(OCI_LAYER, self.small_layer),
                {
                    "mediaType": OCI_LAYER,
                    "digest": self.big_layer_digest,
                    "size": self.big_layer_size,
                },
            ],
        }
        return json.dumps(doc, separators=(",", ":"), sort_keys=True).encode()


def sha256_digest(data: bytes) -> str:
    """`sha256:<hex>` of `data`."""
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _descriptor(media_type: str, data: bytes) -> dict[str, object]:
    return {"mediaType": media_type, "digest": sha256_digest(data), "size": len(data)}


def push_monolithic(conn: Connection, repo: str, blob: BlobSource | bytes, digest: str) -> None:
    """POST to open an upload session, then PUT ?digest= with the whole body."""
    location = _open_upload(conn, repo)
    target = with_query(path_of(location), "digest", digest)
    headers = {"Content-Type": "application/octet-stream"}
    expect(conn.request("PUT", target, headers, blob), 201, what=f"PUT blob {digest}")


def push_chunked(conn: Connection, repo: str, blob: BlobSource, digest: str, chunk: int) -> None:
    """POST, then PATCH `chunk`-sized pieces with Content-Range, then an empty PUT ?digest=."""
    location = _open_upload(conn, repo)
    for start in range(0, blob.size, chunk):
        end = min(start + chunk, blob.size)
        headers = {
            "Content-Type": "application/octet-stream",
            "Content-Range": f"{start}-{end - 1}",
        }
        response = conn.request("PATCH", path_of(location), headers, blob, (start, end))
        location = expect(response, 202, what=f"PATCH {start}-{end - 1}").headers["location"]
    target = with_query(path_of(location), "digest", digest)
    expect(conn.request("PUT", target), 201, what=f"final PUT {digest}")


def _open_upload(conn: Connection, repo: str) -> str:
    response = expect(conn.request("POST", f"/v2/{repo}/blobs/uploads/"), 202, what="POST upload")
    return response.headers["location"]


def seed(conn: Connection, image: SeedImage) -> None:
    """Push the seed image to `bench/app:latest` and check that it reads back."""
    for data in (image.config, image.small_layer):
        push_monolithic(conn, SEED_REPO, data, sha256_digest(data))
    with image.big_layer_path.open("rb") as f:
        blob = BlobSource(f, image.big_layer_size)
        push_monolithic(conn, SEED_REPO, blob, image.big_layer_digest)
    manifest = image.manifest()
    target = f"/v2/{SEED_REPO}/manifests/{SEED_TAG}"
    expect(conn.request("PUT", target, {"Content-Type": OCI_MANIFEST}, manifest), 201, what="PUT manifest")
    check_manifest(conn, manifest)


def seed_many(host: str, port: int, image: SeedImage, count: int, connections: int = 8) -> None:
    """`count` more repositories, `bench/many/r00000` …, each a one-layer image whose blobs are mounted
    from the seed repository (the listing figures). Several connections push in parallel."""
    config = _descriptor(OCI_CONFIG, image.config)
    layer = _descriptor(OCI_LAYER, image.small_layer)
    manifest = json.dumps(
        {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": [layer]},
        separators=(",", ":"),
        sort_keys=True,
    ).encode()

    def push(first: int) -> None:
        with Connection(host, port) as conn:
            for i in range(first, count, connections):
                repo = f"bench/many/r{i:05d}"
                for descriptor in (config, layer):
                    target = f"/v2/{repo}/blobs/uploads/?mount={descriptor['digest']}&from={SEED_REPO}"
                    expect(conn.request("POST", target), 201, what=f"mount into {repo}")
                target = f"/v2/{repo}/manifests/{SEED_TAG}"
                expect(conn.request("PUT", target, {"Content-Type": OCI_MANIFEST}, manifest), 201, what="PUT manifest")

    with concurrent.futures.ThreadPoolExecutor(connections) as pool:
        for done in [pool.submit(push, first) for first in range(connections)]:
            done.result()


def check_manifest(conn: Connection, manifest: bytes) -> None:
    """GET and HEAD the seed manifest by tag; both must succeed and the GET must return its bytes."""
    target = f"/v2/{SEED_REPO}/manifests/{SEED_TAG}"
    got = expect(conn.request("GET", target, {"Accept": MANIFEST_ACCEPT}), 200, what="GET manifest")
    if got.body != manifest:
        raise RuntimeError(f"GET {target} returned other bytes than were pushed")
    expect(conn.request("HEAD", target, {"Accept": MANIFEST_ACCEPT}), 200, what="HEAD manifest")


def write_static_copy(root: Path, image: SeedImage) -> None:
    """Lay the seed image out under `root` so a static server answers the same URLs as a registry."""
    blobs = root / "v2" / SEED_REPO / "blobs"
    manifests = root / "v2" / SEED_REPO / "manifests"
    blobs.mkdir(parents=True)
    manifests.mkdir(parents=True)
    for data in (image.config, image.small_layer):
        (blobs / sha256_digest(data)).write_bytes(data)
    big = blobs / image.big_layer_digest
    try:
        big.hardlink_to(image.big_layer_path)
    except OSError:
        big.symlink_to(image.big_layer_path)
    (manifests / SEED_TAG).write_bytes(image.manifest())


def verify_blob(base_url: str, digest: str, size: int, headers: dict[str, str] | None = None) -> None:
    """GET the seed's big blob once (untimed) and check its length and digest: fast must also be right."""
    hasher = hashlib.sha256()
    got = 0
    url = f"{base_url}/v2/{SEED_REPO}/blobs/{digest}"
    with httpx.stream("GET", url, headers=headers, timeout=120) as response:
        if response.status_code != 200:
            raise RuntimeError(f"GET blob answered {response.status_code}")
        for chunk in response.iter_raw(1 << 20):
            hasher.update(chunk)
            got += len(chunk)
    if got != size or "sha256:" + hasher.hexdigest() != digest:
        raise RuntimeError(f"GET blob returned {got} bytes with another digest than {digest}")
