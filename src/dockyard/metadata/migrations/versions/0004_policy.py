"""Role definitions (custom), role assignments, scope maps and repository-scoped tokens.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    version = op.create_table(
        "policy_version",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("version", sa.Integer, nullable=False),
    )
    op.bulk_insert(version, [{"id": 1, "version": 0}])
    op.create_table(
        "custom_roles",
        sa.Column("key", sa.String(128), primary_key=True),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("actions", sa.Text, nullable=False),
        sa.Column("data_actions", sa.Text, nullable=False),
        sa.Column("conditions_allowed", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "role_assignments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("principal_id", sa.String(64), nullable=False),
        sa.Column("role", sa.String(128), nullable=False),
        sa.Column("repository", sa.String(255)),
        sa.Column("condition", sa.Text),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_role_assignments_principal", "role_assignments", ["principal_id"])
    op.create_index("ix_role_assignments_role", "role_assignments", ["role"])
    op.create_table(
        "scope_maps",
        sa.Column("key", sa.String(50), primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("actions", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "repository_tokens",
        sa.Column("key", sa.String(50), primary_key=True),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("scope_map", sa.String(50), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_repository_tokens_scope_map", "repository_tokens", ["scope_map"])
    op.create_table(
        "token_passwords",
        sa.Column(
            "token_key",
            sa.String(50),
            sa.ForeignKey("repository_tokens.key", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("name", sa.String(16), primary_key=True),
        sa.Column("hash", sa.String(255), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("expiry", sa.Float),
    )


def downgrade() -> None:
    for table in (
        "token_passwords",
        "repository_tokens",
        "scope_maps",
        "role_assignments",
        "custom_roles",
        "policy_version",
    ):
        op.drop_table(table)
