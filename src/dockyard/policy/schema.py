"""The policy's tables, on the metadata store's `MetaData` so Alembic sees one schema.

Migration `0004_policy` creates them. Names of roles, scope maps and tokens are unique whatever
their case (as Azure's resource names are): each table is keyed by the lower-cased name and keeps
the name as written. Token passwords appear here only as argon2id hashes.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Float, ForeignKey, Index, Integer, String, Table, Text

from dockyard.metadata.schema import metadata

# One row (id 1): bumped in the same transaction as every write, so each process can tell cheaply
# whether the policy it compiled is still current.
policy_version = Table(
    "policy_version",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("version", Integer, nullable=False),
)

custom_roles = Table(
    "custom_roles",
    metadata,
    Column("key", String(128), primary_key=True),  # the name, lower case
    Column("name", String(128), nullable=False),
    Column("description", Text, nullable=False),
    Column("actions", Text, nullable=False),  # JSON list
    Column("data_actions", Text, nullable=False),  # JSON list
    Column("conditions_allowed", Boolean, nullable=False),
    Column("created_at", Float, nullable=False),
)

# No foreign keys: the role may be built in, and the principal lives in the directory (an
# assignment outlives a deleted principal, as in Azure, and grants nothing to anyone).
role_assignments = Table(
    "role_assignments",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("principal_id", String(64), nullable=False),
    Column("role", String(128), nullable=False),  # the role's name as defined
    Column("repository", String(255)),  # None: the whole registry
    Column("condition", Text),
    Column("description", Text, nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_role_assignments_principal", "principal_id"),
    Index("ix_role_assignments_role", "role"),
)

scope_maps = Table(
    "scope_maps",
    metadata,
    Column("key", String(50), primary_key=True),  # the name, lower case
    Column("name", String(50), nullable=False),
    Column("actions", Text, nullable=False),  # JSON list of `repositories/<pattern>/<action>`
    Column("description", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)

repository_tokens = Table(
    "repository_tokens",
    metadata,
    Column("key", String(50), primary_key=True),  # the name, lower case
    Column("name", String(50), nullable=False),
    Column("scope_map", String(50), nullable=False),  # the scope map's name as defined (built-ins have no row)
    Column("status", String(16), nullable=False),
    Column("created_at", Float, nullable=False),
    Index("ix_repository_tokens_scope_map", "scope_map"),
)

token_passwords = Table(
    "token_passwords",
    metadata,
    Column("token_key", String(50), ForeignKey("repository_tokens.key", ondelete="CASCADE"), primary_key=True),
    Column("name", String(16), primary_key=True),  # password1 or password2
    Column("hash", String(255), nullable=False),
    Column("created_at", Float, nullable=False),
    Column("expiry", Float),
)
