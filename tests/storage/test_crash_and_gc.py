"""Storage never lies: killed uploads leave no visible blob and can be resumed; gc removes only garbage."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
from pathlib import Path

import httpx

from tests.conftest import DOCKYARD, RunningRegistry, start_registry


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _blob_files(data_dir: Path) -> list[Path]:
    return [p for p in (data_dir / "blobs" / "blobs").rglob("*") if p.is_file()]


def _start_upload(client: httpx.Client, name: str) -> str:
    response = client.post(f"/v2/{name}/blobs/uploads/")
    assert response.status_code == 202
    return response.headers["Location"]


def _push_blob(client: httpx.Client, name: str, data: bytes) -> str:
    digest = _digest(data)
    response = client.post(f"/v2/{name}/blobs/uploads/", params={"digest": digest}, content=data)
    assert response.status_code == 201, response.text
    return digest


def _push_image(client: httpx.Client, name: str, tag: str, layer: bytes) -> str:
    config = json.dumps({"architecture": "amd64", "os": "linux", "tag": tag}).encode()
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {
            "mediaType": "application/vnd.oci.image.config.v1+json",
            "digest": _push_blob(client, name, config),
            "size": len(config),
        },
        "layers": [
            {
                "mediaType": "application/vnd.oci.image.layer.v1.tar",
                "digest": _push_blob(client, name, layer),
                "size": len(layer),
            }
        ],
    }
    body = json.dumps(manifest).encode()
    response = client.put(
        f"/v2/{name}/manifests/{tag}",
        content=body,
        headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
    )
    assert response.status_code == 201, response.text
    return _digest(body)


def _restart(server: RunningRegistry, kill: bool = False) -> RunningRegistry:
    if kill:
        server.kill()
    else:
        server.stop()
    return start_registry(server.data_dir, port=int(server.host.rsplit(":", 1)[1]))


def _gc(data_dir: Path, *flags: str) -> str:
    result = subprocess.run(
        [DOCKYARD, "gc", "--data-dir", str(data_dir), *flags], capture_output=True, text=True, check=True
    )
    return result.stdout


def test_upload_resumes_after_the_server_is_killed(fresh_registry: RunningRegistry) -> None:
    first, second = os.urandom(100_000), os.urandom(50_000)
    with fresh_registry.client() as client:
        location = _start_upload(client, "crash/resume")
        assert (
            client.patch(location, content=first, headers={"Content-Range": f"0-{len(first) - 1}"}).status_code == 202
        )
    server = _restart(fresh_registry, kill=True)
    try:
        with server.client() as client:
            status = client.get(location)
            assert status.status_code == 204
            assert status.headers["Range"] == f"0-{len(first) - 1}"
            end = len(first) + len(second) - 1
            assert (
                client.patch(location, content=second, headers={"Content-Range": f"{len(first)}-{end}"}).status_code
                == 202
            )
            done = client.put(location, params={"digest": _digest(first + second)})
            assert done.status_code == 201, done.text
            assert client.get(f"/v2/crash/resume/blobs/{_digest(first + second)}").content == first + second
    finally:
        server.stop()


def test_a_process_killed_mid_upload_leaves_no_visible_blob(fresh_registry: RunningRegistry) -> None:
    data = os.urandom(4 * 1024 * 1024)
    digest = _digest(data)
    with fresh_registry.client() as client:
        location = _start_upload(client, "crash/partial")
    host, port = fresh_registry.host.rsplit(":", 1)
    with socket.create_connection((host, int(port))) as sock:
        head = (
            f"PUT {location}?digest={digest} HTTP/1.1\r\nHost: {fresh_registry.host}\r\n"
            f"Content-Length: {len(data)}\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        sock.sendall(head.encode() + data[: len(data) // 2])
        server = _restart(fresh_registry, kill=True)
    try:
        with server.client() as client:
            assert client.head(f"/v2/crash/partial/blobs/{digest}").status_code == 404
            assert client.get(location).headers["Range"] == "0-0"
        assert _blob_files(server.data_dir) == []
    finally:
        server.stop()


def test_gc_removes_unreferenced_blobs_and_keeps_referenced_ones(fresh_registry: RunningRegistry) -> None:
    with fresh_registry.client() as client:
        _push_image(client, "gc/app", "v1", b"layer kept")
        orphan = _push_blob(client, "gc/app", b"nobody references me")
    output = _gc(fresh_registry.data_dir, "--gc-grace-seconds", "0")
    assert f"removed blob {orphan}" in output
    with fresh_registry.client() as client:
        assert client.head(f"/v2/gc/app/blobs/{orphan}").status_code == 404
        pulled = client.get("/v2/gc/app/manifests/v1")
        assert pulled.status_code == 200
        for layer in pulled.json()["layers"]:
            assert client.get(f"/v2/gc/app/blobs/{layer['digest']}").status_code == 200
    assert len(_blob_files(fresh_registry.data_dir)) == 2


def test_gc_never_removes_a_blob_younger_than_the_grace_period(fresh_registry: RunningRegistry) -> None:
    with fresh_registry.client() as client:
        young = _push_blob(client, "gc/young", b"just uploaded")
    assert "removed 0 manifests, 0 blobs" in _gc(fresh_registry.data_dir)
    with fresh_registry.client() as client:
        assert client.head(f"/v2/gc/young/blobs/{young}").status_code == 200


def test_gc_dry_run_removes_nothing(fresh_registry: RunningRegistry) -> None:
    with fresh_registry.client() as client:
        orphan = _push_blob(client, "gc/dry", b"would go")
    assert f"would remove blob {orphan}" in _gc(fresh_registry.data_dir, "--gc-grace-seconds", "0", "--dry-run")
    with fresh_registry.client() as client:
        assert client.head(f"/v2/gc/dry/blobs/{orphan}").status_code == 200


def test_gc_untagged_removes_untagged_manifests_and_then_their_blobs(fresh_registry: RunningRegistry) -> None:
    with fresh_registry.client() as client:
        old = _push_image(client, "gc/untagged", "v1", b"old layer")
        _push_image(client, "gc/untagged", "v1", b"new layer")
    output = _gc(fresh_registry.data_dir, "--gc-grace-seconds", "0", "--untagged")
    assert f"removed manifest gc/untagged@{old}" in output
    with fresh_registry.client() as client:
        assert client.get(f"/v2/gc/untagged/manifests/{old}").status_code == 404
        assert client.get("/v2/gc/untagged/manifests/v1").status_code == 200
    assert len(_blob_files(fresh_registry.data_dir)) == 2
