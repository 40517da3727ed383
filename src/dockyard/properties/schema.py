"""Tables of the registry properties, on the shared metadata (created by migration 0003)."""

from __future__ import annotations

from sqlalchemy import Column, Float, String, Table, Text

from dockyard.metadata.schema import metadata

registry_properties = Table(
    "registry_properties",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Text, nullable=False),  # JSON
    Column("updated_at", Float, nullable=False),
)

# The admin user's two passwords (`password`, `password2`), as argon2id hashes only.
admin_passwords = Table(
    "admin_passwords",
    metadata,
    Column("name", String(16), primary_key=True),
    Column("hash", Text, nullable=False),
    Column("created_at", Float, nullable=False),
)
