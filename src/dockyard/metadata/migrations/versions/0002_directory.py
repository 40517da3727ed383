"""The directory: tenant, principals, password hashes, client secrets, group members, federated credentials.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_PRINCIPAL = "principals.object_id"


def _principal_fk(name: str, primary_key: bool = False) -> sa.Column[str]:
    return sa.Column(
        name,
        sa.String(36),
        sa.ForeignKey(_PRINCIPAL, ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "tenant",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("tenant_id", sa.String(36), nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_table(
        "principals",
        sa.Column("object_id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("display_name", sa.String(256), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.Column("user_name", sa.String(128)),
        sa.Column("app_id", sa.String(36)),
        sa.Column("bootstrap", sa.Boolean, nullable=False),
        sa.UniqueConstraint("user_name", name="uq_principals_user_name"),
        sa.UniqueConstraint("app_id", name="uq_principals_app_id"),
    )
    op.create_index("ix_principals_kind", "principals", ["kind"])
    op.create_table(
        "password_hashes",
        _principal_fk("principal_id", primary_key=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("changed_at", sa.Float, nullable=False),
    )
    op.create_table(
        "client_secrets",
        sa.Column("secret_id", sa.String(36), primary_key=True),
        _principal_fk("principal_id"),
        sa.Column("hint", sa.String(8), nullable=False),
        sa.Column("secret_hash", sa.String(255), nullable=False),
        sa.Column("end_date", sa.Float, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
    )
    op.create_index("ix_client_secrets_principal", "client_secrets", ["principal_id"])
    op.create_table(
        "group_members",
        _principal_fk("group_id", primary_key=True),
        _principal_fk("member_id", primary_key=True),
    )
    op.create_index("ix_group_members_member", "group_members", ["member_id"])
    op.create_table(
        "federated_credentials",
        sa.Column("credential_id", sa.String(36), primary_key=True),
        _principal_fk("principal_id"),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("issuer", sa.String(600), nullable=False),
        sa.Column("subject", sa.String(600), nullable=False),
        sa.Column("audiences", sa.Text, nullable=False),
        sa.Column("created_at", sa.Float, nullable=False),
        sa.UniqueConstraint("principal_id", "name", name="uq_federated_credentials_name"),
    )


def downgrade() -> None:
    for table in (
        "federated_credentials",
        "group_members",
        "client_secrets",
        "password_hashes",
        "principals",
        "tenant",
    ):
        op.drop_table(table)
