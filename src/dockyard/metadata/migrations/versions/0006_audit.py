"""The audit trail: login events and repository events.

Revision ID: 0006
Revises: 0005
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _common() -> list[sa.Column[Any]]:
    return [
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("time_generated", sa.Float, nullable=False),
        sa.Column("identity", sa.String(255), nullable=False),
        sa.Column("identity_name", sa.String(255), nullable=False),
        sa.Column("login_server", sa.String(255), nullable=False),
        sa.Column("caller_ip_address", sa.String(64), nullable=False),
        sa.Column("user_agent", sa.Text, nullable=False),
        sa.Column("result_type", sa.String(16), nullable=False),
        sa.Column("result_description", sa.Text, nullable=False),
        sa.Column("operation_name", sa.String(32), nullable=False),
        sa.Column("duration_ms", sa.Float, nullable=False),
        sa.Column("jwt_id", sa.String(64), nullable=False),
        sa.Column("correlation_id", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
    ]


def upgrade() -> None:
    op.create_table("login_events", *_common())
    op.create_index("ix_login_events_time", "login_events", ["time_generated", "id"])
    op.create_table(
        "repository_events",
        *_common(),
        sa.Column("repository", sa.String(255), nullable=False),
        sa.Column("tag", sa.String(255), nullable=False),
        sa.Column("digest", sa.String(200), nullable=False),
        sa.Column("artifact_type", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(255), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
    )
    op.create_index("ix_repository_events_time", "repository_events", ["time_generated", "id"])
    op.create_index("ix_repository_events_repository", "repository_events", ["repository", "time_generated"])


def downgrade() -> None:
    op.drop_table("repository_events")
    op.drop_table("login_events")
