"""`MetadataStore`: the queries behind the registry, over SQLAlchemy Core.

Speaks in plain strings and rows; the content layer turns them into domain values and decisions.
Writes that must be serialized with blob-file changes (committing an upload, collecting garbage)
take the database write lock first (`BEGIN IMMEDIATE` on SQLite), so no blob file is removed
while another process is making the same blob visible.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, delete, event, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from dockyard.metadata import locks
from dockyard.metadata.locks import Flags, LockGuard, LockState
from dockyard.metadata.schema import (
    LOCK_COLUMNS,
    blobs,
    manifest_references,
    manifests,
    repositories,
    repository_blobs,
    tags,
    uploads,
)


@dataclass(frozen=True)
class StoredManifest:
    """A manifest as stored: its digest, media type and exact bytes.

    `read_flags` are the `read_enabled` flags of the rows the lookup went through: repository,
    tag (when looked up by tag), manifest. Only their truth counts (SQLite gives 0 and 1: left
    unconverted on the hot path).
    """

    digest: str
    media_type: str
    content: bytes
    subject: str | None
    read_flags: tuple[int, ...] = ()
    artifact_type: str | None = None  # the manifest's artifactType, else its config's media type


@dataclass(frozen=True)
class ReferrerRow:
    """A manifest whose subject is a given digest."""

    digest: str
    media_type: str
    size: int
    artifact_type: str | None
    annotations: dict[str, str] | None


@dataclass(frozen=True)
class ManifestRow:
    """A manifest as a repository listing shows it."""

    digest: str
    media_type: str
    artifact_type: str | None
    size: int
    created_at: float
    tags: list[str]


@dataclass(frozen=True)
class UploadSession:
    """An upload session: where it goes and how many bytes it has received."""

    id: str
    repository: str
    size: int
    created_at: float
    updated_at: float


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # transactions are begun explicitly below
        cursor = dbapi_connection.cursor()
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000", "foreign_keys=ON"):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        immediate = connection.get_execution_options().get("dockyard_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


_MANIFEST_COLUMNS = "m.digest, m.media_type, m.content, m.subject, m.artifact_type"
# The read flags come back in the same query, so locks cost the hot path no extra round trip.
_MANIFEST_BY_TAG = (
    f"SELECT {_MANIFEST_COLUMNS}, r.read_enabled, t.read_enabled, m.read_enabled "
    "FROM repositories r JOIN tags t ON t.repository_id = r.id "
    "JOIN manifests m ON m.repository_id = t.repository_id AND m.digest = t.manifest_digest "
    "WHERE r.name = :name AND t.name = :ref"
)
_MANIFEST_BY_DIGEST = (
    f"SELECT {_MANIFEST_COLUMNS}, r.read_enabled, m.read_enabled FROM repositories r "
    "JOIN manifests m ON m.repository_id = r.id "
    "WHERE r.name = :name AND m.digest = :ref"
)


class MetadataStore:
    """Repositories, blob links, manifests, tags, referrers and upload sessions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine = create_engine(url)
        self._sqlite_path: str | None = None
        self._local = threading.local()
        if self._engine.dialect.name == "sqlite":
            _configure_sqlite(self._engine)
            database = self._engine.url.database
            self._sqlite_path = database if database and database != ":memory:" else None
        self._writer = self._engine.execution_options(dockyard_write=True)

    @property
    def shared(self) -> bool:
        """Whether another process can open this database by its URL (anything but in-memory SQLite)."""
        return self._engine.dialect.name != "sqlite" or self._sqlite_path is not None

    @property
    def engine(self) -> Engine:
        """The engine, for stores that share this database (the directory)."""
        return self._engine

    def migrate(self) -> None:
        """Bring the schema to the newest revision (idempotent)."""
        from alembic import command  # only here: a server's workers never migrate, and Alembic is big
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", str(resources.files("dockyard.metadata") / "migrations"))
        with self._engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    def close(self) -> None:
        """Release pooled connections."""
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None
        self._engine.dispose()

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._writer.begin() as connection:
            yield connection

    # -- repositories -------------------------------------------------------------------------

    @staticmethod
    def _repository_id(connection: Connection, name: str) -> int | None:
        return connection.execute(select(repositories.c.id).where(repositories.c.name == name)).scalar()

    def _ensure_repository(self, connection: Connection, name: str, now: float) -> int:
        found = self._repository_id(connection, name)
        if found is not None:
            return found
        result = connection.execute(insert(repositories).values(name=name, created_at=now))
        return int(result.inserted_primary_key[0])  # type: ignore[index]

    def repository_exists(self, name: str) -> bool:
        """True when the repository has been created by a push."""
        with self._engine.connect() as connection:
            return self._repository_id(connection, name) is not None

    def catalog(self, limit: int, last: str | None) -> list[str]:
        """Names of repositories whose listing is enabled, after `last`, in lexical order, at most `limit`."""
        query = (
            select(repositories.c.name).where(repositories.c.list_enabled).order_by(repositories.c.name).limit(limit)
        )
        if last:
            query = query.where(repositories.c.name > last)
        with self._engine.connect() as connection:
            return list(connection.execute(query).scalars())

    # -- blobs --------------------------------------------------------------------------------

    def _link_blob(self, connection: Connection, name: str, digest: str, size: int, now: float) -> None:
        repository_id = self._ensure_repository(connection, name, now)
        updated = connection.execute(update(blobs).where(blobs.c.digest == digest).values(touched_at=now))
        if updated.rowcount == 0:
            connection.execute(insert(blobs).values(digest=digest, size=size, touched_at=now))
        linked = select(repository_blobs.c.digest).where(
            repository_blobs.c.repository_id == repository_id, repository_blobs.c.digest == digest
        )
        if connection.execute(linked).first() is None:
            connection.execute(insert(repository_blobs).values(repository_id=repository_id, digest=digest))

    @contextmanager
    def committing_blob(
        self, name: str, digest: str, size: int, upload_id: str, writer: str, now: float
    ) -> Iterator[bool]:
        """Under the write lock: yield whether `writer` still holds the upload session; the caller
        then makes the blob's bytes visible, and the blob is linked to `name` and the session ended
        in the same transaction."""
        with self._write() as connection:
            held = connection.execute(
                select(uploads.c.id).where(uploads.c.id == upload_id, uploads.c.writer == writer)
            ).first()
            yield held is not None
            if held is not None:
                self._link_blob(connection, name, digest, size, now)
                connection.execute(delete(uploads).where(uploads.c.id == upload_id))

    def blob_size(self, name: str, digest: str) -> int | None:
        """Size of a blob linked to repository `name`, or None."""
        query = (
            select(blobs.c.size)
            .join(repository_blobs, repository_blobs.c.digest == blobs.c.digest)
            .join(repositories, repositories.c.id == repository_blobs.c.repository_id)
            .where(repositories.c.name == name, blobs.c.digest == digest)
        )
        with self._engine.connect() as connection:
            return connection.execute(query).scalar()

    def blob_link(self, name: str, digest: str) -> tuple[int, Flags] | None:
        """Size of a blob linked to repository `name` and the repository's flags, or None."""
        query = (
            select(blobs.c.size, *locks.flag_columns(repositories))
            .join(repository_blobs, repository_blobs.c.digest == blobs.c.digest)
            .join(repositories, repositories.c.id == repository_blobs.c.repository_id)
            .where(repositories.c.name == name, blobs.c.digest == digest)
        )
        with self._engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else (row[0], locks.flags_of(row[1:]))

    def mount_blob(self, name: str, source: str | None, digest: str, now: float) -> int | None:
        """Link a blob into `name` from repository `source` (or from anywhere when None); its size or None."""
        query = select(blobs.c.size).where(blobs.c.digest == digest)
        if source is not None:
            query = (
                query.join(repository_blobs, repository_blobs.c.digest == blobs.c.digest)
                .join(repositories, repositories.c.id == repository_blobs.c.repository_id)
                .where(repositories.c.name == source)
            )
        with self._write() as connection:
            size = connection.execute(query).scalar()
            if size is not None:
                self._link_blob(connection, name, digest, size, now)
            return size

    def unlink_blob(self, name: str, digest: str) -> bool:
        """Remove a blob's link to `name`; False when it was not linked."""
        with self._write() as connection:
            repository_id = self._repository_id(connection, name)
            result = connection.execute(
                delete(repository_blobs).where(
                    repository_blobs.c.repository_id == repository_id, repository_blobs.c.digest == digest
                )
            )
            return result.rowcount > 0

    # -- manifests and tags -------------------------------------------------------------------

    def put_manifest(
        self,
        name: str,
        manifest: StoredManifest,
        artifact_type: str | None,
        annotations: dict[str, str] | None,
        references: Sequence[tuple[str, str]],
        tag_names: Sequence[str],
        now: float,
        require_references: bool = True,
        guard: LockGuard | None = None,
    ) -> list[str]:
        """Store a manifest and point `tag_names` at it.

        `references` are (digest, kind) pairs, kind "blob" or "manifest". With
        `require_references`, returns the missing ones, and when any is missing nothing is written.
        `guard` sees the repository's flags and those of the existing tags first.
        """
        with self._write() as connection:
            repository_id = self._ensure_repository(connection, name, now)
            if guard is not None:
                guard(
                    LockState(
                        locks.repository_flags(connection, repository_id),
                        tags=locks.tag_locks(connection, repository_id, tags.c.name.in_(list(tag_names))),
                    )
                )
            missing = self._missing_references(connection, repository_id, references) if require_references else []
            if missing:
                connection.rollback()
                return missing
            exists = connection.execute(
                select(manifests.c.digest).where(
                    manifests.c.repository_id == repository_id, manifests.c.digest == manifest.digest
                )
            ).first()
            if exists is None:
                connection.execute(
                    insert(manifests).values(
                        repository_id=repository_id,
                        digest=manifest.digest,
                        media_type=manifest.media_type,
                        artifact_type=artifact_type,
                        subject=manifest.subject,
                        annotations=json.dumps(annotations) if annotations else None,
                        size=len(manifest.content),
                        content=manifest.content,
                        created_at=now,
                    )
                )
                if references:
                    connection.execute(
                        insert(manifest_references),
                        [
                            {
                                "repository_id": repository_id,
                                "manifest_digest": manifest.digest,
                                "digest": digest,
                                "kind": kind,
                            }
                            for digest, kind in dict(references).items()
                        ],
                    )
            for tag in tag_names:
                self._set_tag(connection, repository_id, tag, manifest.digest, now)
            return []

    @staticmethod
    def _missing_references(
        connection: Connection, repository_id: int, references: Sequence[tuple[str, str]]
    ) -> list[str]:
        wanted_blobs = {d for d, kind in references if kind == "blob"}
        wanted_manifests = {d for d, kind in references if kind == "manifest"}
        present: set[str] = set()
        if wanted_blobs:
            present |= set(
                connection.execute(
                    select(repository_blobs.c.digest).where(
                        repository_blobs.c.repository_id == repository_id,
                        repository_blobs.c.digest.in_(wanted_blobs),
                    )
                ).scalars()
            )
        if wanted_manifests:
            present |= set(
                connection.execute(
                    select(manifests.c.digest).where(
                        manifests.c.repository_id == repository_id, manifests.c.digest.in_(wanted_manifests)
                    )
                ).scalars()
            )
        return sorted((wanted_blobs | wanted_manifests) - present)

    @staticmethod
    def _set_tag(connection: Connection, repository_id: int, tag: str, digest: str, now: float) -> None:
        updated = connection.execute(
            update(tags)
            .where(tags.c.repository_id == repository_id, tags.c.name == tag)
            .values(manifest_digest=digest, updated_at=now)
        )
        if updated.rowcount == 0:
            try:
                with connection.begin_nested():
                    connection.execute(
                        insert(tags).values(
                            repository_id=repository_id, name=tag, manifest_digest=digest, updated_at=now
                        )
                    )
            except IntegrityError:
                connection.execute(
                    update(tags)
                    .where(tags.c.repository_id == repository_id, tags.c.name == tag)
                    .values(manifest_digest=digest, updated_at=now)
                )

    def get_manifest(self, name: str, reference: str, by_digest: bool) -> StoredManifest | None:
        """The manifest tagged `reference`, or with digest `reference` when `by_digest`."""
        row = self._hot_read(_MANIFEST_BY_DIGEST if by_digest else _MANIFEST_BY_TAG, {"name": name, "ref": reference})
        if row is None:
            return None
        return StoredManifest(row[0], row[1], bytes(row[2]), row[3], tuple(row[5:]), row[4])

    def _hot_read(self, sql: str, params: dict[str, str]) -> Any:
        """One row of a read on the hot path. On SQLite it runs on a plain per-thread connection in
        autocommit mode: no pool checkout, no transaction, no statement compilation."""
        if self._sqlite_path is None:
            with self._engine.connect() as connection:
                return connection.execute(text(sql), params).first()
        raw: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if raw is None:
            raw = sqlite3.connect(self._sqlite_path, isolation_level=None, check_same_thread=False)
            raw.execute("PRAGMA busy_timeout=30000")
            self._local.connection = raw
        return raw.execute(sql, params).fetchone()

    def delete_manifest(self, name: str, digest: str, guard: LockGuard | None = None) -> bool:
        """Delete a manifest, every tag on it and its references; False when it did not exist.

        `guard` first sees the flags of the repository, the manifest and every tag on it.
        """
        with self._write() as connection:
            repository_id = self._repository_id(connection, name)
            if repository_id is None:
                return False
            if guard is not None:
                manifest_flags = locks.read_flags(connection, *locks.lock_target(repository_id, None, digest))
                if manifest_flags is None:
                    return False
                on_it = locks.tag_locks(connection, repository_id, tags.c.manifest_digest == digest)
                guard(LockState(locks.repository_flags(connection, repository_id), manifest_flags, on_it))
            removed = connection.execute(
                delete(manifests).where(manifests.c.repository_id == repository_id, manifests.c.digest == digest)
            ).rowcount
            connection.execute(
                delete(tags).where(tags.c.repository_id == repository_id, tags.c.manifest_digest == digest)
            )
            connection.execute(
                delete(manifest_references).where(
                    manifest_references.c.repository_id == repository_id,
                    manifest_references.c.manifest_digest == digest,
                )
            )
            return removed > 0

    def delete_tag(self, name: str, tag: str, guard: LockGuard | None = None) -> bool:
        """Remove a tag (the manifest stays); False when there was no such tag.

        `guard` first sees the flags of the repository, the tag and the manifest it points at.
        """
        with self._write() as connection:
            repository_id = self._repository_id(connection, name)
            if repository_id is None:
                return False
            if guard is not None:
                found = locks.tag_locks(connection, repository_id, tags.c.name == tag)
                if not found:
                    return False
                guard(LockState(locks.repository_flags(connection, repository_id), found[0].manifest_flags, found))
            result = connection.execute(delete(tags).where(tags.c.repository_id == repository_id, tags.c.name == tag))
            return result.rowcount > 0

    def delete_repository(self, name: str, guard: LockGuard | None = None) -> bool:
        """Delete a repository: its manifests, tags, references and blob links (the blobs themselves are
        left to `gc`); False when it did not exist.

        `guard` first sees the repository's flags, every tag with its manifest's flags, and, as `manifest`,
        the flags of all its manifests combined (a flag is off when it is off on any of them).
        """
        with self._write() as connection:
            repository_id = self._repository_id(connection, name)
            if repository_id is None:
                return False
            if guard is not None:
                combined = connection.execute(
                    select(*(func.min(column) for column in locks.flag_columns(manifests))).where(
                        manifests.c.repository_id == repository_id
                    )
                ).one()
                every_manifest = None if combined[0] is None else locks.flags_of(combined)
                on_it = locks.tag_locks(connection, repository_id, tags.c.repository_id == repository_id)
                guard(LockState(locks.repository_flags(connection, repository_id), every_manifest, on_it))
            for table in (tags, manifest_references, manifests, repository_blobs):
                connection.execute(delete(table).where(table.c.repository_id == repository_id))
            connection.execute(delete(repositories).where(repositories.c.id == repository_id))
            return True

    def list_manifests(self, name: str) -> list[ManifestRow] | None:
        """Every manifest of `name`, newest first, with its tags; None for an unknown repository."""
        with self._engine.connect() as connection:
            repository_id = self._repository_id(connection, name)
            if repository_id is None:
                return None
            rows = connection.execute(
                select(
                    manifests.c.digest,
                    manifests.c.media_type,
                    manifests.c.artifact_type,
                    manifests.c.size,
                    manifests.c.created_at,
                )
                .where(manifests.c.repository_id == repository_id)
                .order_by(manifests.c.created_at.desc(), manifests.c.digest)
            ).all()
            tagged: dict[str, list[str]] = {}
            for tag, digest in connection.execute(
                select(tags.c.name, tags.c.manifest_digest)
                .where(tags.c.repository_id == repository_id)
                .order_by(tags.c.name)
            ):
                tagged.setdefault(digest, []).append(tag)
        return [ManifestRow(*row, tags=tagged.get(row.digest, [])) for row in rows]

    def list_tags(self, name: str, limit: int, last: str | None) -> list[str] | None:
        """Tags of `name` after `last` in lexical order (at most `limit`), leaving out those whose own or
        whose manifest's listing is disabled; None for an unknown repository."""
        with self._engine.connect() as connection:
            repository_id = self._repository_id(connection, name)
            if repository_id is None:
                return None
            query = (
                select(tags.c.name)
                .join(manifests, locks.tagged_manifest())
                .where(tags.c.repository_id == repository_id, tags.c.list_enabled, manifests.c.list_enabled)
                .order_by(tags.c.name)
            )
            if last:
                query = query.where(tags.c.name > last)
            return list(connection.execute(query.limit(limit)).scalars())

    def referrers(self, name: str, subject: str, artifact_type: str | None) -> list[ReferrerRow]:
        """Manifests in `name` whose subject is `subject`, optionally of one artifact type."""
        query = (
            select(
                manifests.c.digest,
                manifests.c.media_type,
                manifests.c.size,
                manifests.c.artifact_type,
                manifests.c.annotations,
            )
            .join(repositories, repositories.c.id == manifests.c.repository_id)
            .where(repositories.c.name == name, manifests.c.subject == subject)
            .order_by(manifests.c.created_at, manifests.c.digest)
        )
        if artifact_type is not None:
            query = query.where(manifests.c.artifact_type == artifact_type)
        with self._engine.connect() as connection:
            return [
                ReferrerRow(row[0], row[1], row[2], row[3], json.loads(row[4]) if row[4] else None)
                for row in connection.execute(query)
            ]

    # -- changeable attributes (locks) --------------------------------------------------------

    def attributes(self, name: str, tag: str | None = None, digest: str | None = None) -> Flags | None:
        """The flags of repository `name`, or of its `tag` or manifest `digest`; None when there is none."""
        with self._engine.connect() as connection:
            repository_id = self._repository_id(connection, name)
            if repository_id is None:
                return None
            return locks.read_flags(connection, *locks.lock_target(repository_id, tag, digest))

    def set_attributes(
        self, name: str, changes: Mapping[str, bool], tag: str | None = None, digest: str | None = None
    ) -> Flags | None:
        """Change some flags (named as in `LOCK_COLUMNS`) of repository `name`, or of its `tag` or
        manifest `digest`; the flags after the change, or None when there is no such row."""
        unknown = set(changes) - set(LOCK_COLUMNS)
        if unknown:
            raise ValueError(f"not a changeable attribute: {', '.join(sorted(unknown))}")
        with self._write() as connection:
            repository_id = self._repository_id(connection, name)
            if repository_id is None:
                return None
            table, where = locks.lock_target(repository_id, tag, digest)
            if changes:
                connection.execute(update(table).where(where).values(dict(changes)))
            return locks.read_flags(connection, table, where)

    # -- upload sessions ----------------------------------------------------------------------

    def create_upload(self, upload_id: str, name: str, now: float) -> None:
        """Record a new, empty upload session."""
        with self._write() as connection:
            connection.execute(
                insert(uploads).values(id=upload_id, repository=name, size=0, created_at=now, updated_at=now)
            )

    def get_upload(self, upload_id: str) -> UploadSession | None:
        """An upload session by id."""
        columns = (uploads.c.id, uploads.c.repository, uploads.c.size, uploads.c.created_at, uploads.c.updated_at)
        with self._engine.connect() as connection:
            row = connection.execute(select(*columns).where(uploads.c.id == upload_id)).first()
        return None if row is None else UploadSession(*row)

    def claim_upload(self, upload_id: str, expected_size: int, writer: str, now: float, lease: float) -> bool:
        """Make `writer` the only request writing to the session, if it still holds `expected_size`
        bytes and no other writer's claim is live. False when the claim is refused."""
        free = (uploads.c.writer.is_(None)) | (uploads.c.writer_until < now)
        with self._write() as connection:
            result = connection.execute(
                update(uploads)
                .where(uploads.c.id == upload_id, uploads.c.size == expected_size, free)
                .values(writer=writer, writer_until=now + lease)
            )
            return result.rowcount > 0

    def renew_claim(self, upload_id: str, writer: str, now: float, lease: float) -> bool:
        """Extend `writer`'s claim; False when it has lost it (or the session is gone)."""
        with self._write() as connection:
            result = connection.execute(
                update(uploads)
                .where(uploads.c.id == upload_id, uploads.c.writer == writer)
                .values(writer_until=now + lease)
            )
            return result.rowcount > 0

    def release_claim(self, upload_id: str, writer: str) -> None:
        """Give up `writer`'s claim without changing the session."""
        with self._write() as connection:
            connection.execute(
                update(uploads)
                .where(uploads.c.id == upload_id, uploads.c.writer == writer)
                .values(writer=None, writer_until=None)
            )

    def advance_upload(self, upload_id: str, writer: str, new_size: int, now: float) -> bool:
        """Record `writer`'s completed write and release its claim; False if it had lost the claim."""
        with self._write() as connection:
            result = connection.execute(
                update(uploads)
                .where(uploads.c.id == upload_id, uploads.c.writer == writer)
                .values(size=new_size, updated_at=now, writer=None, writer_until=None)
            )
            return result.rowcount > 0

    def delete_upload(self, upload_id: str) -> bool:
        """Forget an upload session; False when it did not exist."""
        with self._write() as connection:
            return connection.execute(delete(uploads).where(uploads.c.id == upload_id)).rowcount > 0

    def expired_uploads(self, before: float) -> list[str]:
        """Ids of sessions not touched since `before`."""
        with self._engine.connect() as connection:
            return list(connection.execute(select(uploads.c.id).where(uploads.c.updated_at < before)).scalars())

    def upload_ids(self) -> set[str]:
        """Ids of every upload session."""
        with self._engine.connect() as connection:
            return set(connection.execute(select(uploads.c.id)).scalars())

    # -- garbage collection -------------------------------------------------------------------

    def untagged_manifests(self) -> list[tuple[str, str]]:
        """(repository, digest) of manifests with no tag, not in an index, not referring to another, and
        whose deletion neither they nor their repository disable."""
        referenced = select(manifest_references.c.digest).where(
            manifest_references.c.kind == "manifest",
            manifest_references.c.repository_id == manifests.c.repository_id,
        )
        tagged = select(tags.c.manifest_digest).where(tags.c.repository_id == manifests.c.repository_id)
        query = (
            select(repositories.c.name, manifests.c.digest)
            .join(repositories, repositories.c.id == manifests.c.repository_id)
            .where(
                manifests.c.digest.not_in(tagged),
                manifests.c.digest.not_in(referenced),
                manifests.c.subject.is_(None),
                manifests.c.delete_enabled,
                repositories.c.delete_enabled,
            )
        )
        with self._engine.connect() as connection:
            return [(row[0], row[1]) for row in connection.execute(query)]

    def unreferenced_blobs(self, touched_before: float) -> list[str]:
        """Blobs no manifest references and nobody uploaded or mounted since `touched_before`."""
        referenced = select(manifest_references.c.digest).where(manifest_references.c.kind == "blob")
        query = select(blobs.c.digest).where(blobs.c.digest.not_in(referenced), blobs.c.touched_at < touched_before)
        with self._engine.connect() as connection:
            return list(connection.execute(query).scalars())

    @contextmanager
    def removing_blob(self, digest: str, touched_before: float) -> Iterator[bool]:
        """Under the write lock: forget the blob if it is garbage; yield whether its bytes may go.

        They may when the blob is unreferenced and untouched since `touched_before` (its row and
        links are deleted), or when the metadata never knew it (bytes left by a crash). The caller
        deletes the bytes inside the block, so an upload of the same content cannot make it
        visible in between.
        """
        with self._write() as connection:
            touched_at = connection.execute(select(blobs.c.touched_at).where(blobs.c.digest == digest)).scalar()
            if touched_at is None:
                yield True
                return
            referenced = connection.execute(
                select(func.count())
                .select_from(manifest_references)
                .where(manifest_references.c.digest == digest, manifest_references.c.kind == "blob")
            ).scalar()
            if referenced or touched_at >= touched_before:
                yield False
                return
            connection.execute(delete(repository_blobs).where(repository_blobs.c.digest == digest))
            connection.execute(delete(blobs).where(blobs.c.digest == digest))
            yield True

    def known_blobs(self) -> set[str]:
        """Digests of every blob the metadata knows."""
        with self._engine.connect() as connection:
            return set(connection.execute(select(blobs.c.digest)).scalars())
