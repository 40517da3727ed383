"""Table definitions. Alembic migrations under `migrations/` create and evolve them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    true,
)

metadata = MetaData()

# ACR's changeable attributes (locks): every repository, tag and manifest row carries its own, so the
# manifest GET reads them in the query it already makes. All true (unlocked) unless an administrator
# changes them; a tag's or manifest's go with its row.
LOCK_COLUMNS = ("read_enabled", "write_enabled", "delete_enabled", "list_enabled")


def _lock_columns() -> list[Column[bool]]:
    return [Column(name, Boolean, nullable=False, server_default=true()) for name in LOCK_COLUMNS]


repositories = Table(
    "repositories",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("created_at", Float, nullable=False),
    *_lock_columns(),
)

# Content stored in the blob store; `touched_at` is the last upload or mount (gc's grace period).
blobs = Table(
    "blobs",
    metadata,
    Column("digest", String(200), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("touched_at", Float, nullable=False),
)

# A blob is visible in a repository only through a link (uploaded there, mounted, or referenced).
repository_blobs = Table(
    "repository_blobs",
    metadata,
    Column("repository_id", Integer, ForeignKey("repositories.id", ondelete="CASCADE"), primary_key=True),
    Column("digest", String(200), ForeignKey("blobs.digest", ondelete="CASCADE"), primary_key=True),
    Index("ix_repository_blobs_digest", "digest"),
)

manifests = Table(
    "manifests",
    metadata,
    Column("repository_id", Integer, ForeignKey("repositories.id", ondelete="CASCADE"), primary_key=True),
    Column("digest", String(200), primary_key=True),
    Column("media_type", String(255), nullable=False),
    Column("artifact_type", String(255)),
    Column("subject", String(200)),
    Column("annotations", Text),
    Column("size", BigInteger, nullable=False),
    Column("content", LargeBinary, nullable=False),
    Column("created_at", Float, nullable=False),
    *_lock_columns(),
    Index("ix_manifests_subject", "repository_id", "subject"),
)

# What a manifest references: blobs (config, layers) and, for indexes, child manifests.
manifest_references = Table(
    "manifest_references",
    metadata,
    Column("repository_id", Integer, primary_key=True),
    Column("manifest_digest", String(200), primary_key=True),
    Column("digest", String(200), primary_key=True),
    Column("kind", String(16), nullable=False),
    Index("ix_manifest_references_digest", "digest"),
)

tags = Table(
    "tags",
    metadata,
    Column("repository_id", Integer, ForeignKey("repositories.id", ondelete="CASCADE"), primary_key=True),
    Column("name", String(128), primary_key=True),
    Column("manifest_digest", String(200), nullable=False),
    Column("updated_at", Float, nullable=False),
    *_lock_columns(),
    Index("ix_tags_manifest", "repository_id", "manifest_digest"),
)

uploads = Table(
    "uploads",
    metadata,
    Column("id", String(64), primary_key=True),
    Column("repository", String(255), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("updated_at", Float, nullable=False),
    # The request writing to the session right now, and until when its claim holds.
    Column("writer", String(64)),
    Column("writer_until", Float),
)
