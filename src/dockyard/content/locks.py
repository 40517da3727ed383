"""Changeable attributes (ACR's locks) of repositories, tags and manifests: setting and reading them,
and the checks the content use cases make before they read, write or delete.

A disabled flag holds whoever asks, whatever their role or token: the checks run at the operation
itself, on every request, so a change applies at once. The effective attributes of an operation are
those of the repository, the tag and the manifest it touches, combined with "and". Never cache
flags between requests: several server processes share the metadata.
"""

from __future__ import annotations

from enum import StrEnum

from dockyard.access.model import ChangeableAttributes
from dockyard.content.digests import parse_digest
from dockyard.content.errors import ManifestUnknown, NameUnknown, OperationDisallowed
from dockyard.content.names import validate_name, validate_tag
from dockyard.content.registry import Registry
from dockyard.metadata.locks import Flags, LockGuard, LockState


class Attribute(StrEnum):
    """The four changeable attributes, as ACR names them."""

    READ = "readEnabled"
    WRITE = "writeEnabled"
    DELETE = "deleteEnabled"
    LIST = "listEnabled"

    @property
    def field(self) -> str:
        """The field of `ChangeableAttributes` (and the metadata column) that holds it."""
        return f"{self.name.lower()}_enabled"


def attributes_of(flags: Flags) -> ChangeableAttributes:
    """The domain value of a metadata row's flags."""
    return ChangeableAttributes(*flags)


def to_json(attributes: ChangeableAttributes) -> dict[str, bool]:
    """The attributes as `az acr repository show` prints them: `{"readEnabled": true, ...}`."""
    return {attribute.value: getattr(attributes, attribute.field) for attribute in Attribute}


# -- the administrator's use cases -------------------------------------------------------------


def get_attributes(
    registry: Registry, repository: str, *, tag: str | None = None, digest: str | None = None
) -> ChangeableAttributes:
    """The own attributes of a repository, or of one of its tags or manifests (not combined).

    Raises `NameUnknown` for an unknown repository, `ManifestUnknown` for an unknown tag or manifest.
    """
    tag, digest = _target(repository, tag, digest)
    flags = registry.metadata.attributes(repository, tag, digest)
    return attributes_of(flags if flags is not None else _unknown(registry, repository, tag, digest))


def set_attributes(
    registry: Registry,
    repository: str,
    *,
    tag: str | None = None,
    digest: str | None = None,
    read_enabled: bool | None = None,
    write_enabled: bool | None = None,
    delete_enabled: bool | None = None,
    list_enabled: bool | None = None,
) -> ChangeableAttributes:
    """Change the attributes of a repository, or of one of its tags or manifests; None leaves a flag
    as it is. Returns the attributes after the change; raises as `get_attributes` does."""
    tag, digest = _target(repository, tag, digest)
    given = {
        Attribute.READ: read_enabled,
        Attribute.WRITE: write_enabled,
        Attribute.DELETE: delete_enabled,
        Attribute.LIST: list_enabled,
    }
    changes = {attribute.field: value for attribute, value in given.items() if value is not None}
    flags = registry.metadata.set_attributes(repository, changes, tag, digest)
    return attributes_of(flags if flags is not None else _unknown(registry, repository, tag, digest))


def _target(repository: str, tag: str | None, digest: str | None) -> tuple[str | None, str | None]:
    if tag is not None and digest is not None:
        raise ValueError("name a tag or a digest, not both")
    validate_name(repository)
    return (
        None if tag is None else validate_tag(tag),
        None if digest is None else str(parse_digest(digest)),
    )


def _unknown(registry: Registry, repository: str, tag: str | None, digest: str | None) -> Flags:
    if not registry.metadata.repository_exists(repository):
        raise NameUnknown("repository name not known to registry", detail={"name": repository})
    if tag is not None:
        raise ManifestUnknown(f'manifest tagged by "{tag}" is not found', detail={"reference": tag})
    raise ManifestUnknown("manifest unknown", detail={"reference": digest})


# -- the checks the content use cases make -----------------------------------------------------


def require(attribute: Attribute, flags: Flags, where: dict[str, str]) -> None:
    """Refuse with `OperationDisallowed` when `flags` disable `attribute`; `where` names the locked
    repository, tag or manifest in the error's detail."""
    if not getattr(attributes_of(flags), attribute.field):
        raise OperationDisallowed(detail={**where, "attribute": attribute.value})


def require_repository(registry: Registry, name: str, attribute: Attribute) -> None:
    """Refuse with `OperationDisallowed` when repository `name` disables `attribute` (blob
    uploads, mounts and deletes). A repository that does not exist yet is unlocked."""
    flags = registry.metadata.attributes(name)
    if flags is not None:
        require(attribute, flags, {"repository": name})


def require_readable(name: str, tag: str | None, digest: str, read_flags: tuple[int, ...]) -> None:
    """Refuse a manifest read when the repository, the tag it was asked by (if any) or the manifest
    disables reads. `read_flags` come with the manifest, from the query that found it."""
    if all(read_flags):
        return
    levels = [{"repository": name}, *([{"repository": name, "tag": tag}] if tag is not None else [])]
    levels.append({"repository": name, "digest": digest})
    for where, enabled in zip(levels, read_flags, strict=True):
        if not enabled:
            raise OperationDisallowed(detail={**where, "attribute": Attribute.READ.value})


def push_guard(name: str, digest: str) -> LockGuard:
    """The check of a manifest push, run under the write lock: the repository and every existing tag
    it sets must allow writes, and no tag may move away from a write-disabled manifest."""

    def guard(state: LockState) -> None:
        require(Attribute.WRITE, state.repository, {"repository": name})
        for tag in state.tags:
            require(Attribute.WRITE, tag.tag_flags, {"repository": name, "tag": tag.tag})
            if tag.digest != digest:
                require(Attribute.WRITE, tag.manifest_flags, {"repository": name, "digest": tag.digest})

    return guard


def delete_guard(name: str, digest: str | None = None) -> LockGuard:
    """The check of a manifest deletion (by `digest`) or a tag deletion, run under the write lock:
    the repository, the manifest and every tag the deletion removes must allow deletes."""

    def guard(state: LockState) -> None:
        require(Attribute.DELETE, state.repository, {"repository": name})
        for tag in state.tags:
            require(Attribute.DELETE, tag.tag_flags, {"repository": name, "tag": tag.tag})
            require(Attribute.DELETE, tag.manifest_flags, {"repository": name, "digest": tag.digest})
        if state.manifest is not None and digest is not None:
            require(Attribute.DELETE, state.manifest, {"repository": name, "digest": digest})

    return guard
