"""Manifest use cases: put, get, delete, untag; tag lists, the catalog and referrers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from dockyard.content.digests import Digest, digest_of, is_digest, parse_digest
from dockyard.content.errors import (
    DigestInvalid,
    ManifestBlobUnknown,
    ManifestTooLarge,
    ManifestUnknown,
    NameUnknown,
    PaginationInvalid,
    TooManyTags,
)
from dockyard.content.locks import delete_guard, push_guard, require_readable
from dockyard.content.manifest_format import (
    MAX_MANIFEST_BYTES,
    OCI_INDEX,
    Descriptor,
    parse_manifest,
)
from dockyard.content.names import validate_tag
from dockyard.content.registry import Registry
from dockyard.metadata.store import ManifestRow
from dockyard.metadata.store import StoredManifest as StoredManifest  # the manifest handlers receive

MAX_PAGE = 1000


MAX_TAGS_PER_PUT = 100


@dataclass(frozen=True)
class PutResult:
    """What the client is told after a manifest is stored."""

    digest: Digest
    subject: Digest | None
    tags: tuple[str, ...]
    media_type: str = ""
    artifact_type: str | None = None
    size: int = 0


def put_manifest(
    registry: Registry, name: str, reference: str, body: bytes, content_type: str, tags: Sequence[str] = ()
) -> PutResult:
    """Validate and store a manifest under a tag, or under its digest with any number of `tags`
    (the `?tag=` parameters of a push by digest).

    Unless the registry accepts sparse manifests, the referenced blobs (and, for an index, the
    child manifests) must already be in the repository. Refused with `OperationDisallowed` when the
    repository or a tag it sets disables writes, or a tag would move away from a write-disabled manifest.
    """
    if len(body) > MAX_MANIFEST_BYTES:
        raise ManifestTooLarge(f"manifest is larger than {MAX_MANIFEST_BYTES} bytes")
    if len(tags) > MAX_TAGS_PER_PUT:
        raise TooManyTags(f"at most {MAX_TAGS_PER_PUT} tags can be pushed in one request")
    if is_digest(reference):
        expected = parse_digest(reference)
        digest = digest_of(body, expected.algorithm)
        if digest != expected:
            raise DigestInvalid(
                "the manifest does not match the digest in the URL",
                detail={"expected": reference, "actual": str(digest)},
            )
        tags = tuple(dict.fromkeys(validate_tag(tag) for tag in tags))
    else:
        tags = (validate_tag(reference),)
        digest = digest_of(body)
    manifest = parse_manifest(body, content_type)
    references = [(str(d), "blob") for d in manifest.blobs] + [(str(d), "manifest") for d in manifest.children]
    stored = StoredManifest(str(digest), manifest.media_type, body, str(manifest.subject) if manifest.subject else None)
    missing = registry.metadata.put_manifest(
        name,
        stored,
        manifest.artifact_type,
        manifest.annotations,
        references,
        tags,
        registry.clock(),
        require_references=not registry.sparse_manifests,
        guard=push_guard(name, str(digest)),
    )
    if missing:
        raise ManifestBlobUnknown(
            "the manifest references content this repository does not have", detail={"digests": missing}
        )
    return PutResult(digest, manifest.subject, tuple(tags), manifest.media_type, manifest.artifact_type, len(body))


def get_manifest(registry: Registry, name: str, reference: str) -> StoredManifest:
    """The manifest under a tag or digest; `ManifestUnknown` (or `NameUnknown`) when absent,
    `OperationDisallowed` when the repository, the tag or the manifest disables reads."""
    by_digest = is_digest(reference)
    if by_digest:
        parse_digest(reference)
    else:
        validate_tag(reference)
    found = registry.metadata.get_manifest(name, reference, by_digest)
    if found is None:
        if not registry.metadata.repository_exists(name):
            raise NameUnknown("repository name not known to registry", detail={"name": name})
        what = f'manifest tagged by "{reference}" is not found' if not by_digest else "manifest unknown"
        raise ManifestUnknown(what, detail={"reference": reference})
    require_readable(name, None if by_digest else reference, found.digest, found.read_flags)
    return found


def peek_manifest(registry: Registry, name: str, reference: str) -> StoredManifest | None:
    """The manifest under a tag or digest, whatever its locks say, or None: for describing an operation
    (the audit trail), never for serving it."""
    by_digest = is_digest(reference)
    return registry.metadata.get_manifest(name, reference, by_digest)


def delete_manifest(registry: Registry, name: str, reference: str) -> None:
    """Delete by digest (the manifest and all its tags) or by tag (only the tag).

    Refused with `OperationDisallowed` when the repository, the manifest or a tag removed disables deletes.
    """
    if is_digest(reference):
        digest = str(parse_digest(reference))
        if not registry.metadata.delete_manifest(name, digest, guard=delete_guard(name, digest)):
            raise ManifestUnknown("manifest unknown", detail={"reference": reference})
        return
    if not registry.metadata.delete_tag(name, validate_tag(reference), guard=delete_guard(name)):
        raise ManifestUnknown(f'manifest tagged by "{reference}" is not found', detail={"reference": reference})


def delete_repository(registry: Registry, name: str) -> None:
    """Delete a repository and everything in it (`az acr repository delete`); its blobs are left to `gc`.

    Refused with `OperationDisallowed` when the repository, or any manifest or tag in it, disables deletes.
    """
    if not registry.metadata.delete_repository(name, guard=delete_guard(name, digest="*")):
        raise NameUnknown("repository name not known to registry", detail={"name": name})


def list_manifests(registry: Registry, name: str) -> list[ManifestRow]:
    """Every manifest of a repository, newest first, with its tags (`az acr manifest list-metadata`)."""
    found = registry.metadata.list_manifests(name)
    if found is None:
        raise NameUnknown("repository name not known to registry", detail={"name": name})
    return found


def page_size(raw: str | None) -> int:
    """The `n` query parameter: 0 to 1000, 1000 when absent."""
    if raw is None or raw == "":
        return MAX_PAGE
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_PAGE:
        raise PaginationInvalid(f"n must be an integer from 0 to {MAX_PAGE}", detail={"n": raw[:20]})
    return int(raw)


def list_tags(registry: Registry, name: str, limit: int, last: str | None) -> tuple[list[str], bool]:
    """A page of tags and whether more follow."""
    found = registry.metadata.list_tags(name, limit + 1, last)
    if found is None:
        raise NameUnknown("repository name not known to registry", detail={"name": name})
    return found[:limit], len(found) > limit


def catalog(registry: Registry, limit: int, last: str | None) -> tuple[list[str], bool]:
    """A page of repository names and whether more follow."""
    found = registry.metadata.catalog(limit + 1, last)
    return found[:limit], len(found) > limit


def referrers(registry: Registry, name: str, subject: Digest, artifact_type: str | None) -> dict[str, object]:
    """The referrers index of `subject`: an OCI image index of manifests whose subject it is."""
    rows = registry.metadata.referrers(name, str(subject), artifact_type)
    descriptors = [
        Descriptor(row.media_type, parse_digest(row.digest), row.size, row.artifact_type, row.annotations).to_json()
        for row in rows
    ]
    return {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": descriptors}
