"""The migrations build exactly the schema the code declares."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import dockyard.audit.schema
import dockyard.directory.schema
import dockyard.properties.schema  # noqa: F401 - and so do the registry properties and the audit trail
from dockyard.metadata.schema import metadata
from dockyard.metadata.store import MetadataStore


def test_migrating_a_new_database_yields_the_declared_schema(tmp_path: Path) -> None:
    store = MetadataStore(f"sqlite:///{tmp_path / 'dockyard.db'}")
    store.migrate()
    with store.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    store.close()
    assert differences == []


def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    store = MetadataStore(f"sqlite:///{tmp_path / 'dockyard.db'}")
    store.migrate()
    store.migrate()
    store.close()
