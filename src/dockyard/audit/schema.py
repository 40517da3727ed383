"""The audit trail's tables, on the metadata store's `MetaData` so Alembic sees one schema.

Migration `0006_audit` creates them; `0007_repository_event_kinds` splits the repository events in two
(see below). Columns are the fields of `audit.model`'s events; every text column is NOT NULL (an empty
string for "none"), so a row reads back as its event unchanged. Few indexes, on purpose: every pull
writes a row, and each index is paid for on each of those inserts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Float, ForeignKey, Index, Integer, String, Table, Text, select

from dockyard.audit.model import KIND_FIELDS, LoginEvent
from dockyard.metadata.schema import metadata

# The column type of each event field; a field not named here is a String(255).
_TYPES: dict[str, Any] = {
    "time_generated": Float,
    "duration_ms": Float,
    "operation_name": String(32),
    "result_type": String(16),
    "caller_ip_address": String(64),
    "jwt_id": String(64),
    "correlation_id": String(64),
    "digest": String(200),
    "size": BigInteger,
    "user_agent": Text,
    "result_description": Text,
    "reason": Text,
}


def _id() -> Column[int]:
    return Column("id", Integer, primary_key=True, autoincrement=True)


def _columns(*names: str) -> list[Column[Any]]:
    return [Column(name, _TYPES.get(name, String(255)), nullable=False) for name in names]


login_events = Table(
    "login_events",
    metadata,
    _id(),
    *_columns(*LoginEvent._fields),
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
    _id(),
    Column("fingerprint", String(64), nullable=False, unique=True),  # see audit.model.kind_fingerprint
    *_columns(*KIND_FIELDS),
    Index("ix_repository_event_kinds_repository", "repository"),
)

repository_events = Table(
    "repository_events",
    metadata,
    _id(),
    *_columns("time_generated", "duration_ms"),
    Column("kind_id", Integer, ForeignKey("repository_event_kinds.id"), nullable=False),
    *_columns("correlation_id"),
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
