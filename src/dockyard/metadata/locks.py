"""Changeable attributes (locks) as the metadata store keeps them: four flag columns on each
repository, tag and manifest row, and the queries that read them inside a write transaction.

Rows and flags only; what a flag allows or refuses is decided in `dockyard.content.locks`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, Table, and_, select

from dockyard.metadata.schema import LOCK_COLUMNS, manifests, repositories, tags

# A row's changeable attributes, in the order of `LOCK_COLUMNS`: read, write, delete, list enabled.
Flags = tuple[bool, bool, bool, bool]
UNLOCKED_FLAGS: Flags = (True, True, True, True)


@dataclass(frozen=True)
class TagLocks:
    """A tag's flags, the manifest it points at and that manifest's flags."""

    tag: str
    digest: str
    tag_flags: Flags
    manifest_flags: Flags


@dataclass(frozen=True)
class LockState:
    """The changeable attributes that bear on one write, read under the write lock.

    `manifest` holds the flags of the manifest the write names (None when it names none), `tags`
    the existing tags it would change or remove.
    """

    repository: Flags
    manifest: Flags | None = None
    tags: tuple[TagLocks, ...] = ()


# Called under the write lock before a manifest or tag write; raising aborts the write.
LockGuard = Callable[[LockState], None]


def flag_columns(table: Table) -> list[ColumnElement[bool]]:
    """The flag columns of `table`, in the order of `LOCK_COLUMNS`."""
    return [table.c[name] for name in LOCK_COLUMNS]


def flags_of(values: Sequence[Any]) -> Flags:
    """Flags from four column values (SQLite hands booleans back as 0 and 1)."""
    read, write, delete, list_ = (bool(value) for value in values)
    return read, write, delete, list_


def tagged_manifest() -> ColumnElement[bool]:
    """The join condition of a tag and the manifest it points at."""
    return and_(manifests.c.repository_id == tags.c.repository_id, manifests.c.digest == tags.c.manifest_digest)


def lock_target(repository_id: int, tag: str | None, digest: str | None) -> tuple[Table, ColumnElement[bool]]:
    """The table and row that hold the flags of a repository, or of one of its tags or manifests."""
    if tag is not None:
        return tags, and_(tags.c.repository_id == repository_id, tags.c.name == tag)
    if digest is not None:
        return manifests, and_(manifests.c.repository_id == repository_id, manifests.c.digest == digest)
    return repositories, repositories.c.id == repository_id


def read_flags(connection: Connection, table: Table, where: ColumnElement[bool]) -> Flags | None:
    """The flags of the row of `table` that `where` selects, or None when there is none."""
    row = connection.execute(select(*flag_columns(table)).where(where)).first()
    return None if row is None else flags_of(row)


def repository_flags(connection: Connection, repository_id: int) -> Flags:
    """The flags of an existing repository."""
    return read_flags(connection, *lock_target(repository_id, None, None)) or UNLOCKED_FLAGS


def tag_locks(connection: Connection, repository_id: int, which: ColumnElement[bool]) -> tuple[TagLocks, ...]:
    """The tags of a repository that `which` selects, with their flags and their manifests'."""
    query = (
        select(tags.c.name, tags.c.manifest_digest, *flag_columns(tags), *flag_columns(manifests))
        .outerjoin(manifests, tagged_manifest())
        .where(tags.c.repository_id == repository_id, which)
    )
    # A tag whose manifest row is missing (never written so) reads as pointing at an unlocked one.
    return tuple(
        TagLocks(row[0], row[1], flags_of(row[2:6]), UNLOCKED_FLAGS if row[6] is None else flags_of(row[6:10]))
        for row in connection.execute(query)
    )
