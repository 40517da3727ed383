"""The filesystem blob store: `blobs/<alg>/<xx>/<hex>` files and `uploads/<id>` staging files.

A blob file appears only by an atomic rename of a fully written, fsynced staging file, so a reader
never sees a partial blob, whatever happens to the writer.
"""

from __future__ import annotations

import asyncio
import os
import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

from dockyard.storage import Hasher

_READ_CHUNK = 1024 * 1024
_FLUSH_BYTES = 1024 * 1024
# While a body streams in, the writer thread also flushes to disk every this many bytes, so that the
# fsync that seals the upload, which the client waits for, has only the tail left to write.
_SYNC_BYTES = 32 * 1024 * 1024
_UPLOAD_ID = re.compile(r"^[A-Za-z0-9-]{1,64}$")
_DIGEST = re.compile(r"^[a-z0-9]+:[a-f0-9]{64,128}$")


def _sharded(digest: str) -> str:
    """`sha256:abcd…` -> `sha256/ab/abcd…`; refuses anything that could escape the blob tree."""
    if not _DIGEST.fullmatch(digest):
        raise ValueError("not a validated digest")
    algorithm, encoded = digest.split(":", 1)
    return f"{algorithm}/{encoded[:2]}/{encoded}"


class FilesystemBlobStore:
    """Blobs and upload staging under one root directory on the local disk."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._blobs = root / "blobs"
        self._uploads = root / "uploads"
        self._blobs.mkdir(parents=True, exist_ok=True)
        self._uploads.mkdir(parents=True, exist_ok=True)

    def _upload_path(self, upload_id: str) -> Path:
        if not _UPLOAD_ID.fullmatch(upload_id):
            raise ValueError("not a valid upload id")
        return self._uploads / upload_id

    def create_upload(self, upload_id: str) -> None:
        """Create an empty staging file."""
        self._upload_path(upload_id).touch()

    async def append_upload(
        self, upload_id: str, offset: int, chunks: AsyncIterator[bytes], hasher: Hasher | None
    ) -> int:
        """Write chunks at `offset`, hashing as they arrive; truncate whatever lay beyond.

        Chunks are gathered, as they are (no copy), into batches of about 1 MiB that a worker thread
        writes with one `writev` and hashes (both release the GIL) while the event loop receives the
        next batch; every 32 MiB the thread also flushes the file to disk (see `_SYNC_BYTES`).
        """
        loop = asyncio.get_running_loop()
        fd = os.open(self._upload_path(upload_id), os.O_WRONLY)
        pending: asyncio.Future[None] | None = None
        try:
            os.lseek(fd, offset, os.SEEK_SET)
            position = offset
            batch: list[bytes] = []
            batched = unsynced = 0
            async for chunk in chunks:
                batch.append(chunk)
                batched += len(chunk)
                if batched >= _FLUSH_BYTES:
                    if pending is not None:
                        await pending
                    unsynced += batched
                    sync = unsynced >= _SYNC_BYTES
                    unsynced = 0 if sync else unsynced
                    pending = loop.run_in_executor(None, _write_and_hash, fd, batch, hasher, sync)
                    position += batched
                    batch, batched = [], 0
            if pending is not None:
                await pending
                pending = None
            _write_and_hash(fd, batch, hasher, False)
            position += batched
            os.ftruncate(fd, position)
            return position
        finally:
            if pending is not None:
                await asyncio.wait([pending])
            os.close(fd)

    def upload_size(self, upload_id: str) -> int | None:
        """Size of the staging file."""
        try:
            return self._upload_path(upload_id).stat().st_size
        except FileNotFoundError:
            return None

    def read_upload(self, upload_id: str) -> Iterator[bytes]:
        """Read the staging file in chunks."""
        with open(self._upload_path(upload_id), "rb") as file:
            while chunk := file.read(_READ_CHUNK):
                yield chunk

    def seal_upload(self, upload_id: str) -> None:
        """fsync the staging file."""
        fd = os.open(self._upload_path(upload_id), os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def commit_upload(self, upload_id: str, digest: str) -> None:
        """Rename the sealed staging file into place and fsync the directory."""
        source = self._upload_path(upload_id)
        target = self._blobs / _sharded(digest)
        target.parent.mkdir(parents=True, exist_ok=True)
        os.replace(source, target)
        _fsync_dir(target.parent)

    def discard_upload(self, upload_id: str) -> None:
        """Remove the staging file."""
        self._upload_path(upload_id).unlink(missing_ok=True)

    def staged_uploads(self) -> list[str]:
        """Names of staging files."""
        return [p.name for p in self._uploads.iterdir()]

    def blob_size(self, digest: str) -> int | None:
        """Size of the blob file, or None."""
        try:
            return (self._blobs / _sharded(digest)).stat().st_size
        except FileNotFoundError:
            return None

    def blob_path(self, digest: str) -> Path:
        """The blob file's path (it may not exist)."""
        return self._blobs / _sharded(digest)

    def delete_blob(self, digest: str) -> None:
        """Unlink the blob file."""
        (self._blobs / _sharded(digest)).unlink(missing_ok=True)

    def stored_blobs(self) -> Iterator[str]:
        """Walk the blob tree; files with names that are not digests are skipped."""
        for algorithm_dir in self._blobs.iterdir():
            for path in algorithm_dir.glob("*/*"):
                digest = f"{algorithm_dir.name}:{path.name}"
                if _DIGEST.fullmatch(digest):
                    yield digest


def _write_and_hash(fd: int, chunks: list[bytes], hasher: Hasher | None, sync: bool) -> None:
    written = os.writev(fd, chunks) if chunks else 0
    for chunk in chunks:
        if written < len(chunk):  # a short write (rare on a regular file): the rest, one write at a time
            view = memoryview(chunk)[written:]
            while view:
                view = view[os.write(fd, view) :]
            written = 0
        else:
            written -= len(chunk)
        if hasher is not None:
            hasher.update(chunk)
    if sync:
        os.fdatasync(fd)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
