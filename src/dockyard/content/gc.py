"""Garbage collection: remove blobs no manifest references (and, if asked, untagged manifests).

Safe while pushes run: a blob uploaded or mounted within the grace period is never removed, and
each removal happens under the metadata write lock that an upload takes to make a blob visible.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dockyard.content.errors import OperationDisallowed
from dockyard.content.locks import delete_guard
from dockyard.content.registry import Registry
from dockyard.content.uploads import expire_uploads


@dataclass
class GcReport:
    """What a collection removed (or, in a dry run, would remove)."""

    manifests: list[tuple[str, str]] = field(default_factory=list)
    blobs: list[str] = field(default_factory=list)
    bytes_freed: int = 0
    uploads_expired: int = 0


def collect_garbage(registry: Registry, grace_seconds: int, untagged: bool, dry_run: bool) -> GcReport:
    """Run one collection and report what it removed."""
    report = GcReport()
    if not dry_run:
        report.uploads_expired = expire_uploads(registry)
    if untagged:
        _remove_untagged_manifests(registry, dry_run, report)
    cutoff = registry.clock() - grace_seconds
    candidates = registry.metadata.unreferenced_blobs(cutoff)
    orphans = set(registry.blobs.stored_blobs()) - registry.metadata.known_blobs()
    for digest in sorted(set(candidates) | orphans):
        size = registry.blobs.blob_size(digest) or 0
        if dry_run:
            report.blobs.append(digest)
            report.bytes_freed += size
            continue
        with registry.metadata.removing_blob(digest, cutoff) as removable:
            if removable:
                registry.blobs.delete_blob(digest)
                report.blobs.append(digest)
                report.bytes_freed += size
    return report


def _remove_untagged_manifests(registry: Registry, dry_run: bool, report: GcReport) -> None:
    # Removing an untagged index can leave its children untagged: repeat until nothing changes.
    # Manifests whose deletion is disabled (on them or their repository) are never listed, so kept.
    kept: set[tuple[str, str]] = set()  # refused by a lock set since the listing: never asked again
    while True:
        found = [m for m in registry.metadata.untagged_manifests() if m not in report.manifests and m not in kept]
        if not found:
            return
        report.manifests.extend(found)
        if dry_run:
            return
        for name, digest in found:
            try:
                registry.metadata.delete_manifest(name, digest, guard=delete_guard(name, digest))
            except OperationDisallowed:
                report.manifests.remove((name, digest))
                kept.add((name, digest))
