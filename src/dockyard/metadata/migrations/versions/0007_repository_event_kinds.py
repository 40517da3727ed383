"""Repository events in two parts: their kinds (what a client's pulls share), each stored once, and a
slim row per event. The events already stored are moved.

Revision ID: 0007
Revises: 0006
"""

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_KIND = (
    "operation_name",
    "identity",
    "identity_name",
    "login_server",
    "repository",
    "tag",
    "digest",
    "artifact_type",
    "media_type",
    "size",
    "caller_ip_address",
    "user_agent",
    "result_type",
    "result_description",
    "jwt_id",
    "reason",
)
_TYPES: dict[str, Any] = {
    "operation_name": sa.String(32),
    "caller_ip_address": sa.String(64),
    "user_agent": sa.Text,
    "result_type": sa.String(16),
    "result_description": sa.Text,
    "jwt_id": sa.String(64),
    "reason": sa.Text,
    "digest": sa.String(200),
    "size": sa.BigInteger,
}


def _fingerprint(values: Sequence[Any]) -> str:
    # As audit.model.kind_fingerprint computes it, frozen here.
    return hashlib.sha256(json.dumps(list(values), ensure_ascii=False).encode()).hexdigest()


def _kind_columns() -> list[sa.Column[Any]]:
    return [sa.Column(name, _TYPES.get(name, sa.String(255)), nullable=False) for name in _KIND]


def upgrade() -> None:
    op.create_table(
        "repository_event_kinds",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("fingerprint", sa.String(64), nullable=False, unique=True),
        *_kind_columns(),
    )
    op.create_index("ix_repository_event_kinds_repository", "repository_event_kinds", ["repository"])
    op.create_table(
        "repository_events_slim",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("time_generated", sa.Float, nullable=False),
        sa.Column("duration_ms", sa.Float, nullable=False),
        sa.Column("kind_id", sa.Integer, sa.ForeignKey("repository_event_kinds.id"), nullable=False),
        sa.Column("correlation_id", sa.String(64), nullable=False),
    )
    bind = op.get_bind()
    kinds = sa.table("repository_event_kinds", *(sa.column(name) for name in ("fingerprint", *_KIND)))
    found = bind.execute(sa.text(f"SELECT DISTINCT {', '.join(_KIND)} FROM repository_events")).all()
    if found:
        bind.execute(
            kinds.insert(), [{"fingerprint": _fingerprint(row), **dict(zip(_KIND, row, strict=True))} for row in found]
        )
    same_kind = " AND ".join(f"k.{name} = e.{name}" for name in _KIND)
    bind.execute(
        sa.text(
            "INSERT INTO repository_events_slim (id, time_generated, duration_ms, kind_id, correlation_id) "
            "SELECT e.id, e.time_generated, e.duration_ms, k.id, e.correlation_id "
            f"FROM repository_events e JOIN repository_event_kinds k ON {same_kind}"
        )
    )
    op.drop_table("repository_events")
    op.rename_table("repository_events_slim", "repository_events")
    op.create_index("ix_repository_events_time", "repository_events", ["time_generated", "id"])
    op.create_index("ix_repository_events_kind", "repository_events", ["kind_id", "time_generated"])


def downgrade() -> None:
    op.create_table(
        "repository_events_wide",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("time_generated", sa.Float, nullable=False),
        sa.Column("duration_ms", sa.Float, nullable=False),
        sa.Column("correlation_id", sa.String(64), nullable=False),
        *_kind_columns(),
    )
    kind = ", ".join(f"k.{name}" for name in _KIND)
    op.get_bind().execute(
        sa.text(
            f"INSERT INTO repository_events_wide (id, time_generated, duration_ms, correlation_id, {', '.join(_KIND)}) "
            f"SELECT e.id, e.time_generated, e.duration_ms, e.correlation_id, {kind} "
            "FROM repository_events e JOIN repository_event_kinds k ON k.id = e.kind_id"
        )
    )
    op.drop_table("repository_events")
    op.drop_table("repository_event_kinds")
    op.rename_table("repository_events_wide", "repository_events")
    op.create_index("ix_repository_events_time", "repository_events", ["time_generated", "id"])
    op.create_index("ix_repository_events_repository", "repository_events", ["repository", "time_generated"])
