"""The audit trail's tables, on the metadata store's `MetaData` so Alembic sees one schema.

Migration `0006_audit` creates them. Columns are the fields of `audit.model`'s events; every text
column is NOT NULL (an empty string for "none"), so a row reads back as its event unchanged. Few
indexes, on purpose: every pull writes a row, and each index is paid for on each of those inserts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, Float, Index, Integer, String, Table, Text

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

repository_events = Table(
    "repository_events",
    metadata,
    *_common(),
    Column("repository", String(255), nullable=False),
    Column("tag", String(255), nullable=False),
    Column("digest", String(200), nullable=False),
    Column("artifact_type", String(255), nullable=False),
    Column("media_type", String(255), nullable=False),
    Column("size", BigInteger, nullable=False),
    Index("ix_repository_events_time", "time_generated", "id"),
    Index("ix_repository_events_repository", "repository", "time_generated"),
)
