"""Blob use cases: look up, mount from another repository, unlink."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dockyard.content.digests import Digest
from dockyard.content.errors import BlobUnknown
from dockyard.content.locks import Attribute, attributes_of, require, require_repository
from dockyard.content.registry import Registry


@dataclass(frozen=True)
class BlobInfo:
    """A blob visible in a repository: its digest, size and, for local stores, its file."""

    digest: Digest
    size: int
    path: Path | None


def stat_blob(registry: Registry, name: str, digest: Digest) -> BlobInfo:
    """The blob `digest` as seen from repository `name`; `BlobUnknown` if it is not there,
    `OperationDisallowed` when the repository disables reads."""
    link = registry.metadata.blob_link(name, str(digest))
    if link is None or registry.blobs.blob_size(str(digest)) is None:
        raise BlobUnknown("blob unknown to registry", detail={"digest": str(digest)})
    size, flags = link
    require(Attribute.READ, flags, {"repository": name})
    return BlobInfo(digest, size, registry.blobs.blob_path(str(digest)))


def mount_blob(registry: Registry, name: str, digest: Digest, source: str | None) -> int | None:
    """Link `digest` into `name` from repository `source` (any repository when None).

    Returns the size when mounted, None when the source does not have it or disables reads (the
    caller then opens an ordinary upload session, as the spec says). Refused with
    `OperationDisallowed` when `name` disables writes.
    """
    require_repository(registry, name, Attribute.WRITE)
    if source is not None and source != name and not _readable(registry, source):
        return None
    if source == name:
        return registry.metadata.blob_size(name, str(digest))
    if registry.blobs.blob_size(str(digest)) is None:
        return None
    return registry.metadata.mount_blob(name, source, str(digest), registry.clock())


def _readable(registry: Registry, name: str) -> bool:
    flags = registry.metadata.attributes(name)
    return flags is None or attributes_of(flags).read_enabled


def delete_blob(registry: Registry, name: str, digest: Digest) -> None:
    """Remove the blob from repository `name`; its bytes go at the next garbage collection.
    Refused with `OperationDisallowed` when the repository disables deletes."""
    require_repository(registry, name, Attribute.DELETE)
    if not registry.metadata.unlink_blob(name, str(digest)):
        raise BlobUnknown("blob unknown to registry", detail={"digest": str(digest)})
