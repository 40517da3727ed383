"""Blob use cases: look up, mount from another repository, unlink."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dockyard.content.digests import Digest
from dockyard.content.errors import BlobUnknown
from dockyard.content.registry import Registry


@dataclass(frozen=True)
class BlobInfo:
    """A blob visible in a repository: its digest, size and, for local stores, its file."""

    digest: Digest
    size: int
    path: Path | None


def stat_blob(registry: Registry, name: str, digest: Digest) -> BlobInfo:
    """The blob `digest` as seen from repository `name`; `BlobUnknown` if it is not there."""
    size = registry.metadata.blob_size(name, str(digest))
    if size is None or registry.blobs.blob_size(str(digest)) is None:
        raise BlobUnknown("blob unknown to registry", detail={"digest": str(digest)})
    return BlobInfo(digest, size, registry.blobs.blob_path(str(digest)))


def mount_blob(registry: Registry, name: str, digest: Digest, source: str | None) -> int | None:
    """Link `digest` into `name` from repository `source` (any repository when None).

    Returns the size when mounted, None when the source does not have it (the caller then opens
    an ordinary upload session, as the spec says).
    """
    if source == name:
        return registry.metadata.blob_size(name, str(digest))
    if registry.blobs.blob_size(str(digest)) is None:
        return None
    return registry.metadata.mount_blob(name, source, str(digest), registry.clock())


def delete_blob(registry: Registry, name: str, digest: Digest) -> None:
    """Remove the blob from repository `name`; its bytes go at the next garbage collection."""
    if not registry.metadata.unlink_blob(name, str(digest)):
        raise BlobUnknown("blob unknown to registry", detail={"digest": str(digest)})
