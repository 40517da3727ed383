"""Blob stores: where the bytes of blobs and in-progress uploads live.

`BlobStore` is the seam: the filesystem store is the default, an S3-compatible store plugs in here.
A store never decides what is visible in a repository; that is the metadata store's job.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Protocol


class Hasher(Protocol):
    """What hashlib objects offer: enough to hash a stream as it is stored."""

    @property
    def name(self) -> str: ...

    def update(self, data: bytes | bytearray, /) -> None: ...
    def hexdigest(self) -> str: ...


class BlobStore(Protocol):
    """Content-addressed blob storage with resumable upload staging.

    Digests are passed as validated strings (`sha256:<hex>`); the store never parses user input.
    """

    def create_upload(self, upload_id: str) -> None:
        """Prepare an empty staging area for a new upload session."""

    async def append_upload(
        self, upload_id: str, offset: int, chunks: AsyncIterator[bytes], hasher: Hasher | None
    ) -> int:
        """Write `chunks` at `offset` of the upload, feeding `hasher`; return the new upload size.

        Bytes past the new end (from an earlier interrupted write) are discarded.
        """

    def upload_size(self, upload_id: str) -> int | None:
        """Bytes staged for the upload, or None when it has no staging area."""

    def read_upload(self, upload_id: str) -> Iterator[bytes]:
        """The staged bytes, in chunks (to re-hash an upload resumed by another process)."""

    def seal_upload(self, upload_id: str) -> None:
        """Make the staged bytes durable (slow: call it off the event loop, before `commit_upload`)."""

    def commit_upload(self, upload_id: str, digest: str) -> None:
        """Make sealed staged bytes visible as `digest`, atomically; the staging area is gone after."""

    def discard_upload(self, upload_id: str) -> None:
        """Remove the staging area of an upload; no error if it is gone."""

    def staged_uploads(self) -> list[str]:
        """Ids of every upload with a staging area (for clean-up of abandoned sessions)."""

    def blob_size(self, digest: str) -> int | None:
        """Size of a stored blob, or None when it is not stored."""

    def blob_path(self, digest: str) -> Path | None:
        """A local file path for zero-copy sending, or None when the store is not local."""

    def delete_blob(self, digest: str) -> None:
        """Remove a stored blob; no error if it is gone."""

    def stored_blobs(self) -> Iterator[str]:
        """Every stored blob (for garbage collection)."""


def open_blob_store(url: str) -> BlobStore:
    """The blob store named by `url` (`file:///path`)."""
    from dockyard.storage.filesystem import FilesystemBlobStore

    if url.startswith("file://"):
        return FilesystemBlobStore(Path(url.removeprefix("file://")))
    raise ValueError(f"unsupported blob store URL {url!r}: use file:///path")
