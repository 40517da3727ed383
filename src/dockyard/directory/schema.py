"""The directory's tables, on the metadata store's `MetaData` so Alembic sees one schema.

Migration `0002_directory` creates them. Secrets appear here only as argon2id hashes.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from dockyard.metadata.schema import metadata

_PRINCIPAL = "principals.object_id"

# One row (id 1): the tenant id, generated on first use.
tenant = Table(
    "tenant",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("tenant_id", String(36), nullable=False),
    Column("created_at", Float, nullable=False),
)

principals = Table(
    "principals",
    metadata,
    Column("object_id", String(36), primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("display_name", String(256), nullable=False),
    Column("enabled", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
    Column("user_name", String(128)),  # users only, lower case
    Column("app_id", String(36)),  # service principals and managed identities
    Column("bootstrap", Boolean, nullable=False),
    UniqueConstraint("user_name", name="uq_principals_user_name"),
    UniqueConstraint("app_id", name="uq_principals_app_id"),
    Index("ix_principals_kind", "kind"),
)

password_hashes = Table(
    "password_hashes",
    metadata,
    Column("principal_id", String(36), ForeignKey(_PRINCIPAL, ondelete="CASCADE"), primary_key=True),
    Column("password_hash", String(255), nullable=False),
    Column("changed_at", Float, nullable=False),
)

client_secrets = Table(
    "client_secrets",
    metadata,
    Column("secret_id", String(36), primary_key=True),
    Column("principal_id", String(36), ForeignKey(_PRINCIPAL, ondelete="CASCADE"), nullable=False),
    Column("hint", String(8), nullable=False),
    Column("secret_hash", String(255), nullable=False),
    Column("end_date", Float, nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_client_secrets_principal", "principal_id"),
)

# Direct memberships only; `DirectoryStore.groups_of` resolves nesting.
group_members = Table(
    "group_members",
    metadata,
    Column("group_id", String(36), ForeignKey(_PRINCIPAL, ondelete="CASCADE"), primary_key=True),
    Column("member_id", String(36), ForeignKey(_PRINCIPAL, ondelete="CASCADE"), primary_key=True),
    Index("ix_group_members_member", "member_id"),
)

federated_credentials = Table(
    "federated_credentials",
    metadata,
    Column("credential_id", String(36), primary_key=True),
    Column("principal_id", String(36), ForeignKey(_PRINCIPAL, ondelete="CASCADE"), nullable=False),
    Column("name", String(120), nullable=False),
    Column("issuer", String(600), nullable=False),
    Column("subject", String(600), nullable=False),
    Column("audiences", Text, nullable=False),  # JSON list
    Column("created_at", Float, nullable=False),
    UniqueConstraint("principal_id", "name", name="uq_federated_credentials_name"),
)
