"""Running one Alembic command against a metadata store, for the migration tests."""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config

from dockyard.metadata.store import MetadataStore


def alembic(store: MetadataStore, verb: str, revision: str) -> None:
    """`alembic <verb> <revision>` (upgrade or downgrade) on `store`'s database."""
    config = Config()
    config.set_main_option("script_location", str(resources.files("dockyard.metadata") / "migrations"))
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        getattr(command, verb)(config, revision)
