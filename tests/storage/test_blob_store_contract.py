"""The contract every BlobStore keeps; a new backend is correct when this suite passes against it."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import pytest

from dockyard.storage import BlobStore
from dockyard.storage.filesystem import FilesystemBlobStore


@pytest.fixture(params=["filesystem"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    """Each blob-store implementation in turn."""
    yield FilesystemBlobStore(tmp_path / "blobs")


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def _append(store: BlobStore, upload_id: str, offset: int, *parts: bytes) -> int:
    hasher = hashlib.sha256()

    async def run() -> int:
        return await store.append_upload(upload_id, offset, _chunks(*parts), hasher)

    return anyio.run(run)


def _digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def test_a_new_upload_is_empty_and_listed(store: BlobStore) -> None:
    store.create_upload("u1")
    assert store.upload_size("u1") == 0
    assert store.staged_uploads() == ["u1"]


def test_appending_at_an_offset_replaces_what_an_interrupted_write_left(store: BlobStore) -> None:
    store.create_upload("u1")
    assert _append(store, "u1", 0, b"hello ", b"world, and some junk") == 26
    assert _append(store, "u1", 6, b"there") == 11
    assert b"".join(store.read_upload("u1")) == b"hello there"


def test_a_committed_upload_becomes_a_blob_and_leaves_staging(store: BlobStore) -> None:
    store.create_upload("u1")
    _append(store, "u1", 0, b"content")
    store.seal_upload("u1")
    store.commit_upload("u1", _digest(b"content"))
    assert store.blob_size(_digest(b"content")) == 7
    assert store.upload_size("u1") is None
    assert list(store.stored_blobs()) == [_digest(b"content")]


def test_committing_the_same_content_twice_keeps_one_blob(store: BlobStore) -> None:
    for upload_id in ("u1", "u2"):
        store.create_upload(upload_id)
        _append(store, upload_id, 0, b"same")
        store.seal_upload(upload_id)
        store.commit_upload(upload_id, _digest(b"same"))
    assert list(store.stored_blobs()) == [_digest(b"same")]


def test_deleting_and_discarding_are_idempotent(store: BlobStore) -> None:
    store.delete_blob(_digest(b"never stored"))
    store.discard_upload("never-started")
    assert store.blob_size(_digest(b"never stored")) is None


def test_a_digest_that_could_escape_the_store_is_refused(store: BlobStore) -> None:
    with pytest.raises(ValueError):
        store.blob_size("sha256:../../etc/passwd")


def test_an_upload_id_that_could_escape_the_store_is_refused(store: BlobStore) -> None:
    with pytest.raises(ValueError):
        store.create_upload("../escape")
