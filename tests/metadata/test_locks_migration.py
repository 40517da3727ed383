"""Migration 0005 adds the changeable attributes: what was pushed before it comes out unlocked."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text

from dockyard.metadata.locks import UNLOCKED_FLAGS
from dockyard.metadata.store import MetadataStore
from tests.metadata.migrating import alembic


def test_images_pushed_before_the_upgrade_are_unlocked(tmp_path: Path) -> None:
    store = MetadataStore(f"sqlite:///{tmp_path / 'dockyard.db'}")
    alembic(store, "upgrade", "0004")
    with store.engine.begin() as connection:
        connection.execute(text("INSERT INTO repositories (id, name, created_at) VALUES (1, 'team/app', 0)"))
        connection.execute(
            text(
                "INSERT INTO manifests (repository_id, digest, media_type, size, content, created_at) "
                "VALUES (1, 'sha256:aa', 'application/vnd.oci.image.manifest.v1+json', 2, x'7b7d', 0)"
            )
        )
        connection.execute(text("INSERT INTO tags VALUES (1, 'v1', 'sha256:aa', 0)"))
    store.migrate()
    assert store.attributes("team/app") == UNLOCKED_FLAGS
    assert store.attributes("team/app", tag="v1") == UNLOCKED_FLAGS
    assert store.attributes("team/app", digest="sha256:aa") == UNLOCKED_FLAGS
    store.close()


def test_the_upgrade_can_be_undone(tmp_path: Path) -> None:
    store = MetadataStore(f"sqlite:///{tmp_path / 'dockyard.db'}")
    store.migrate()
    alembic(store, "downgrade", "0004")
    with store.engine.connect() as connection:
        columns = {row[1] for row in connection.execute(text("PRAGMA table_info(tags)"))}
    assert "write_enabled" not in columns
    store.migrate()
    store.close()
