"""Locks over HTTP: a running open registry refuses what a changeable attribute disables with 403
`DENIED` and ACR's words, from the next request on. The locks are set from this process, on the
server's own database, as `dockyard repository update` would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from dockyard.access.model import ChangeableAttributes
from dockyard.content.locks import set_attributes
from dockyard.content.registry import Registry
from dockyard.metadata.store import MetadataStore
from dockyard.storage import open_blob_store
from tests.conftest import RunningRegistry
from tests.oci import (
    OCI_MANIFEST,
    assert_oci_error,
    canonical,
    finish_upload,
    image_manifest,
    push_blob,
    push_image,
    put_manifest,
    random_blob,
    sha256,
    start_upload,
    unique_name,
)

ACR_TEXT = "The operation is disallowed on this registry, repository or image."


class Locks:
    """Sets changeable attributes on the server's database."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    def set(self, repository: str, **changes: Any) -> ChangeableAttributes:
        """`set_attributes` on the running server's registry."""
        return set_attributes(self._registry, repository, **changes)


@pytest.fixture
def locks(registry: RunningRegistry) -> Iterator[Locks]:
    metadata = MetadataStore(f"sqlite:///{registry.data_dir / 'dockyard.db'}")
    yield Locks(Registry(metadata, open_blob_store(f"file://{registry.data_dir / 'blobs'}")))
    metadata.close()


def _assert_denied(response: httpx.Response) -> None:
    assert_oci_error(response, 403, "DENIED")


def test_the_refusal_is_403_denied_with_acr_text(http: httpx.Client, locks: Locks) -> None:
    name = unique_name()
    push_image(http, name, "v1")
    locks.set(name, tag="v1", write_enabled=False)
    response = http.put(
        f"/v2/{name}/manifests/v1",
        content=canonical(image_manifest(random_blob(32), [])),
        headers={"Content-Type": OCI_MANIFEST},
    )
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/json"
    (error,) = response.json()["errors"]
    assert error["code"] == "DENIED"
    assert error["message"] == ACR_TEXT
    assert error["detail"] == {"repository": name, "tag": "v1", "attribute": "writeEnabled"}


def test_a_write_disabled_tag_cannot_be_overwritten(http: httpx.Client, locks: Locks) -> None:
    name = unique_name()
    first = push_image(http, name, "v1")
    locks.set(name, tag="v1", write_enabled=False)
    second = image_manifest(random_blob(32), [])
    _assert_denied(put_manifest(http, name, "v1", canonical(second), OCI_MANIFEST))
    assert http.get(f"/v2/{name}/manifests/v1").headers["Docker-Content-Digest"] == first.digest


def test_unlocking_allows_the_overwrite_again(http: httpx.Client, locks: Locks) -> None:
    name = unique_name()
    push_image(http, name, "v1")
    locks.set(name, tag="v1", write_enabled=False)
    body = canonical(image_manifest(random_blob(32), []))
    _assert_denied(put_manifest(http, name, "v1", body, OCI_MANIFEST))
    locks.set(name, tag="v1", write_enabled=True)
    assert put_manifest(http, name, "v1", body, OCI_MANIFEST).status_code == 201
    assert http.get(f"/v2/{name}/manifests/v1").headers["Docker-Content-Digest"] == sha256(body)


def test_a_delete_disabled_manifest_cannot_be_deleted_by_tag_or_digest(http: httpx.Client, locks: Locks) -> None:
    name = unique_name()
    pushed = push_image(http, name, "v1")
    locks.set(name, digest=pushed.digest, delete_enabled=False)
    _assert_denied(http.delete(f"/v2/{name}/manifests/v1"))
    _assert_denied(http.delete(f"/v2/{name}/manifests/{pushed.digest}"))
    assert http.get(f"/v2/{name}/manifests/v1").status_code == 200


def test_a_read_disabled_repository_refuses_pulls_with_denied(http: httpx.Client, locks: Locks) -> None:
    name = unique_name()
    pushed = push_image(http, name, "v1")
    layer = push_blob(http, name, random_blob(64))
    locks.set(name, read_enabled=False)
    for reference in ("v1", pushed.digest):
        _assert_denied(http.get(f"/v2/{name}/manifests/{reference}"))
        assert http.head(f"/v2/{name}/manifests/{reference}").status_code == 403
    _assert_denied(http.get(f"/v2/{name}/blobs/{layer}"))
    assert http.head(f"/v2/{name}/blobs/{layer}").status_code == 403


def test_a_read_disabled_tag_leaves_pulls_by_digest_alone(http: httpx.Client, locks: Locks) -> None:
    name = unique_name()
    pushed = push_image(http, name, "v1")
    locks.set(name, tag="v1", read_enabled=False)
    _assert_denied(http.get(f"/v2/{name}/manifests/v1"))
    assert http.get(f"/v2/{name}/manifests/{pushed.digest}").content == pushed.body


def test_a_write_disabled_repository_refuses_uploads_and_mounts(http: httpx.Client, locks: Locks) -> None:
    name, source = unique_name(), unique_name("source")
    shared = push_blob(http, source, random_blob(64))
    push_image(http, name, "v1")
    locks.set(name, write_enabled=False)
    _assert_denied(http.post(f"/v2/{name}/blobs/uploads/"))
    data = random_blob(64)
    _assert_denied(http.post(f"/v2/{name}/blobs/uploads/", params={"digest": sha256(data)}, content=data))
    _assert_denied(http.post(f"/v2/{name}/blobs/uploads/", params={"mount": shared, "from": source}))


def test_an_upload_opened_before_the_lock_cannot_be_finished(http: httpx.Client, locks: Locks) -> None:
    name = unique_name()
    push_image(http, name, "v1")
    location = start_upload(http, name)
    locks.set(name, write_enabled=False)
    data = random_blob(64)
    _assert_denied(finish_upload(http, location, sha256(data), data))
    assert http.head(f"/v2/{name}/blobs/{sha256(data)}").status_code == 404


def test_a_delete_disabled_repository_refuses_blob_deletes(http: httpx.Client, locks: Locks) -> None:
    name = unique_name()
    layer = push_blob(http, name, random_blob(64))
    locks.set(name, delete_enabled=False)
    _assert_denied(http.delete(f"/v2/{name}/blobs/{layer}"))
    assert http.head(f"/v2/{name}/blobs/{layer}").status_code == 200


def test_a_list_disabled_tag_is_left_out_of_the_tag_list(http: httpx.Client, locks: Locks) -> None:
    name = unique_name()
    for tag in ("a", "b", "c"):
        push_image(http, name, tag)
    locks.set(name, tag="b", list_enabled=False)
    assert http.get(f"/v2/{name}/tags/list").json() == {"name": name, "tags": ["a", "c"]}
    assert http.get(f"/v2/{name}/manifests/b").status_code == 200


def test_a_list_disabled_repository_is_left_out_of_the_catalog(http: httpx.Client, locks: Locks) -> None:
    prefix = unique_name("").rstrip("/")
    for leaf in ("a", "b", "c"):
        push_image(http, f"{prefix}/{leaf}", "v1")
    locks.set(f"{prefix}/b", list_enabled=False)
    page = http.get("/v2/_catalog", params={"n": 2, "last": f"{prefix}/"}).json()
    assert page == {"repositories": [f"{prefix}/a", f"{prefix}/c"]}
    assert http.get(f"/v2/{prefix}/b/tags/list").json()["tags"] == ["v1"]


def test_locks_of_a_deleted_tag_go_with_it(http: httpx.Client, locks: Locks) -> None:
    name = unique_name()
    push_image(http, name, "v1")
    locks.set(name, tag="v1", read_enabled=False)
    assert http.delete(f"/v2/{name}/manifests/v1").status_code == 202
    push_image(http, name, "v1")
    assert http.get(f"/v2/{name}/manifests/v1").status_code == 200
