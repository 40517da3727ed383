"""Repositories, tags and manifests, and their changeable attributes (locks): `az acr repository
list|show|show-tags|update|delete|untag`. Paths follow ACR's own `/acr/v1/<name>/_tags/<tag>`: a
repository name may hold slashes, and no name component starts with `_`, so `_tags` is never a name.

Listings of names are those the data plane gives (list-disabled entries are left out); the manifests
listing shows every manifest with its tags (`az acr manifest list-metadata`).
"""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.access.control_plane import ControlAction
from dockyard.access.model import ChangeableAttributes
from dockyard.content.digests import parse_digest
from dockyard.content.locks import get_attributes, set_attributes
from dockyard.content.manifests import (
    catalog,
    delete_manifest,
    delete_repository,
    list_manifests,
    list_tags,
    peek_manifest,
)
from dockyard.content.names import validate_name, validate_tag
from dockyard.management.errors import not_found
from dockyard.management.operations import Call, Operation, Query

_TAG = "repositories"
_PAGE = (
    Query("n", int, "At most this many names (default 100).", minimum=1, maximum=1000),
    Query("last", str, "Names after this one (the `last` of the previous page)."),
)


@dataclass(frozen=True)
class Attributes:
    """What may still be done to a repository, tag or manifest (ACR's `changeableAttributes`)."""

    read_enabled: bool
    write_enabled: bool
    delete_enabled: bool
    list_enabled: bool


@dataclass(frozen=True)
class AttributesUpdate:
    """Flags to change; an absent one stays as it is."""

    read_enabled: bool | None = None
    write_enabled: bool | None = None
    delete_enabled: bool | None = None
    list_enabled: bool | None = None


@dataclass(frozen=True)
class NameList:
    """A page of names, and the `last` to ask for the next page with (null on the last page)."""

    value: list[str]
    last: str | None


@dataclass(frozen=True)
class RepositoryView:
    """A repository and its own changeable attributes."""

    name: str
    changeable_attributes: Attributes


@dataclass(frozen=True)
class ManifestView:
    """A manifest (found by digest, or through a tag) and the changeable attributes of what was named."""

    repository: str
    tag: str | None
    digest: str
    media_type: str
    artifact_type: str | None
    size: int
    subject: str | None
    changeable_attributes: Attributes


@dataclass(frozen=True)
class ManifestSummary:
    """One manifest of a repository listing."""

    digest: str
    media_type: str
    artifact_type: str | None
    size: int
    created_time: float  # seconds since the epoch
    tags: list[str]


@dataclass(frozen=True)
class ManifestList:
    """Every manifest of a repository, newest first."""

    value: list[ManifestSummary]


def _attributes(attributes: ChangeableAttributes) -> Attributes:
    return Attributes(
        attributes.read_enabled, attributes.write_enabled, attributes.delete_enabled, attributes.list_enabled
    )


def _changed(call: Call, tag: str | None = None, digest: str | None = None) -> ChangeableAttributes:
    body: AttributesUpdate = call.body
    return set_attributes(
        call.management.registry,
        call.path["repository"],
        tag=tag,
        digest=digest,
        read_enabled=body.read_enabled,
        write_enabled=body.write_enabled,
        delete_enabled=body.delete_enabled,
        list_enabled=body.list_enabled,
    )


def _page(names: list[str], more: bool) -> NameList:
    return NameList(names, names[-1] if more and names else None)


def list_repositories(call: Call) -> NameList:
    """A page of repository names, in lexical order."""
    names, more = catalog(call.management.registry, call.query.get("n", 100), call.query.get("last"))
    return _page(names, more)


def show_repository(call: Call) -> RepositoryView:
    """A repository's own attributes."""
    name = call.path["repository"]
    return RepositoryView(name, _attributes(get_attributes(call.management.registry, name)))


def update_repository(call: Call) -> RepositoryView:
    """Lock or unlock a repository."""
    return RepositoryView(call.path["repository"], _attributes(_changed(call)))


def delete_whole_repository(call: Call) -> None:
    """Delete a repository with all its manifests and tags; refused when a lock disables deletes."""
    delete_repository(call.management.registry, validate_name(call.path["repository"]))


def list_repository_manifests(call: Call) -> ManifestList:
    """Every manifest of a repository, newest first, with its tags."""
    rows = list_manifests(call.management.registry, validate_name(call.path["repository"]))
    return ManifestList(
        [ManifestSummary(r.digest, r.media_type, r.artifact_type, r.size, r.created_at, r.tags) for r in rows]
    )


def list_repository_tags(call: Call) -> NameList:
    """A page of a repository's tags, in lexical order."""
    name = validate_name(call.path["repository"])
    tags, more = list_tags(call.management.registry, name, call.query.get("n", 100), call.query.get("last"))
    return _page(tags, more)


def _manifest(call: Call, attributes: ChangeableAttributes, reference: str, tag: str | None) -> ManifestView:
    name = call.path["repository"]
    found = peek_manifest(call.management.registry, name, reference)
    if found is None:  # deleted between the two reads
        raise not_found("manifest", f"{name}:{reference}")
    return ManifestView(
        name,
        tag,
        found.digest,
        found.media_type,
        found.artifact_type,
        len(found.content),
        found.subject,
        _attributes(attributes),
    )


def show_tag(call: Call) -> ManifestView:
    """A tag: the manifest it points at, and the tag's own attributes."""
    tag = call.path["tag"]
    attributes = get_attributes(call.management.registry, call.path["repository"], tag=tag)
    return _manifest(call, attributes, tag, tag)


def update_tag(call: Call) -> ManifestView:
    """Lock or unlock a tag."""
    tag = call.path["tag"]
    return _manifest(call, _changed(call, tag=tag), tag, tag)


def delete_tag(call: Call) -> None:
    """Untag: the manifest stays (`az acr repository untag`); refused when a lock disables deletes."""
    name = validate_name(call.path["repository"])
    delete_manifest(call.management.registry, name, validate_tag(call.path["tag"]))


def show_manifest(call: Call) -> ManifestView:
    """A manifest by digest, and its own attributes."""
    digest = call.path["digest"]
    attributes = get_attributes(call.management.registry, call.path["repository"], digest=digest)
    return _manifest(call, attributes, digest, None)


def update_manifest(call: Call) -> ManifestView:
    """Lock or unlock a manifest."""
    digest = call.path["digest"]
    return _manifest(call, _changed(call, digest=digest), digest, None)


def delete_manifest_by_digest(call: Call) -> None:
    """Delete a manifest and every tag on it; refused when a lock disables deletes."""
    name = validate_name(call.path["repository"])
    delete_manifest(call.management.registry, name, str(parse_digest(call.path["digest"])))


A = ControlAction
_ONE_TAG = "/repositories/{repository}/_tags/{tag}"
_ONE_MANIFEST = "/repositories/{repository}/_manifests/{digest}"
OPERATIONS = [  # the most specific paths first: `{repository}` takes slashes
    Operation("GET", _ONE_TAG, A.REPOSITORIES_READ, "Show a tag", show_tag, _TAG, response=ManifestView),
    Operation("PATCH", _ONE_TAG, A.REPOSITORIES_WRITE, "Lock or unlock a tag", update_tag, _TAG,
              body=AttributesUpdate, response=ManifestView),
    Operation("DELETE", _ONE_TAG, A.REPOSITORIES_DELETE, "Untag", delete_tag, _TAG),
    Operation("GET", "/repositories/{repository}/_tags", A.REPOSITORIES_READ, "List a repository's tags",
              list_repository_tags, _TAG, response=NameList, query=_PAGE),
    Operation("GET", "/repositories/{repository}/_manifests", A.REPOSITORIES_READ, "List a repository's manifests",
              list_repository_manifests, _TAG, response=ManifestList),
    Operation("GET", _ONE_MANIFEST, A.REPOSITORIES_READ, "Show a manifest", show_manifest, _TAG,
              response=ManifestView),
    Operation("PATCH", _ONE_MANIFEST, A.REPOSITORIES_WRITE, "Lock or unlock a manifest", update_manifest, _TAG,
              body=AttributesUpdate, response=ManifestView),
    Operation("DELETE", _ONE_MANIFEST, A.REPOSITORIES_DELETE, "Delete a manifest and its tags",
              delete_manifest_by_digest, _TAG),
    Operation("GET", "/repositories", A.REPOSITORIES_READ, "List repositories", list_repositories, _TAG,
              response=NameList, query=_PAGE),
    Operation("GET", "/repositories/{repository}", A.REPOSITORIES_READ, "Show a repository", show_repository, _TAG,
              response=RepositoryView),
    Operation("PATCH", "/repositories/{repository}", A.REPOSITORIES_WRITE, "Lock or unlock a repository",
              update_repository, _TAG, body=AttributesUpdate, response=RepositoryView),
    Operation("DELETE", "/repositories/{repository}", A.REPOSITORIES_DELETE,
              "Delete a repository with all its manifests and tags", delete_whole_repository, _TAG),
]  # fmt: skip
