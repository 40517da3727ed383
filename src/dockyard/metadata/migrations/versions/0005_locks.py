"""Changeable attributes (locks) of repositories, tags and manifests.

Four flags on each repository, tag and manifest row, all true (unlocked) for rows that exist already.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_TABLES = ("repositories", "manifests", "tags")
_FLAGS = ("read_enabled", "write_enabled", "delete_enabled", "list_enabled")


# Plain ALTER TABLE ADD/DROP COLUMN, never batch mode: on SQLite a batch rebuilds the table, and
# dropping the old `repositories` with foreign keys on would cascade-delete every tag and manifest.


def upgrade() -> None:
    for table in _TABLES:
        for flag in _FLAGS:
            op.add_column(table, sa.Column(flag, sa.Boolean, nullable=False, server_default=sa.true()))


def downgrade() -> None:
    for table in _TABLES:
        for flag in _FLAGS:
            op.drop_column(table, flag)
