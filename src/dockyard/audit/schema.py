"""The audit trail's tables, on the metadata store's `MetaData` so Alembic sees one schema.

Migration `0006_audit` creates them; `0007_repository_event_kinds` splits the repository events in two
(see below). Columns are the fields of `audit.model`'s events; every text column is NOT NULL (an empty
string for "none"), so a row reads back as its event unchanged. Few indexes, on purpose: every pull
writes a row, and each index is paid for on each of those inserts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Float, ForeignKey, Index, Integer, String, Table, Text, select

from dockyard.audit.model import KIND_FIELDS
from dockyard.metadata.schema import metadata


def _common() -> list[Column[Any]]:
    return [
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column("time_generated", Float, nullable=False),
        Column("identity", String(255), nullable=False),
        Column("identity_name", String(255), nullable=False),
        Column("login_server", String(255), nullable=False),
        Column("caller_ip_address", String(64), nullable=False),
        Column("user_agent", Text, nullable=False),
        Column("result_type", String(16), nullable=False),
        Column("result_description", Text, nullable=False),
        Column("operation_name", String(32), nullable=False),
        Column("duration_ms", Float, nullable=False),
        Column("jwt_id", String(64), nullable=False),
        Column("correlation_id", String(64), nullable=False),
        Column("reason", Text, nullable=False),
    ]


login_events = Table(
    "login_events",
    metadata,
    *_common(),
    # time ranges, paging (newest first) and retention; identity filters scan the time range
    Index("ix_login_events_time", "time_generated", "id"),
)

# A repository event is stored in two parts: what the pulls of one client share (its kind: everything but
# the time, the duration and the correlation id, kept once) and a slim row per event pointing at it. A
# busy registry writes a row per pull; a slim row takes about three quarters of a whole one's time to
# insert and a quarter of its room.
repository_event_kinds = Table(
    "repository_event_kinds",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("fingerprint", String(64), nullable=False, unique=True),  # see audit.model.kind_fingerprint
    Column("operation_name", String(32), nullable=False),
    Column("identity", String(255), nullable=False),
    Column("identity_name", String(255), nullable=False),
    Column("login_server", String(255), nullable=False),
    Column("repository", String(255), nullable=False),
    Column("tag", String(255), nullable=False),
    Column("digest", String(200), nullable=False),
    Column("artifact_type", String(255), nullable=False),
    Column("media_type", String(255), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("caller_ip_address", String(64), nullable=False),
    Column("user_agent", Text, nullable=False),
    Column("result_type", String(16), nullable=False),
    Column("result_description", Text, nullable=False),
    Column("jwt_id", String(64), nullable=False),
    Column("reason", Text, nullable=False),
    Index("ix_repository_event_kinds_repository", "repository"),
)

repository_events = Table(
    "repository_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("time_generated", Float, nullable=False),
    Column("duration_ms", Float, nullable=False),
    Column("kind_id", Integer, ForeignKey("repository_event_kinds.id"), nullable=False),
    Column("correlation_id", String(64), nullable=False),
    Index("ix_repository_events_time", "time_generated", "id"),
    Index("ix_repository_events_kind", "kind_id", "time_generated"),
)

#: The repository events whole, as queries read them: a row per event with every field of `RepositoryEvent`.
repository_event_rows = (
    select(
        repository_events.c.id,
        repository_events.c.time_generated,
        *(repository_event_kinds.c[name] for name in KIND_FIELDS[:14]),
        repository_events.c.duration_ms,
        repository_event_kinds.c.jwt_id,
        repository_events.c.correlation_id,
        repository_event_kinds.c.reason,
    )
    .join_from(repository_events, repository_event_kinds, repository_events.c.kind_id == repository_event_kinds.c.id)
    .subquery("repository_event_rows")
)
