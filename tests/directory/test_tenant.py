"""The tenant id is generated once and kept."""

from __future__ import annotations

import uuid
from pathlib import Path

from sqlalchemy import create_engine

from dockyard.directory.store import DirectoryStore
from tests.directory import database_url, new_store


def test_tenant_id_is_a_uuid(tmp_path: Path) -> None:
    tenant_id = new_store(tmp_path).tenant_id()

    assert str(uuid.UUID(tenant_id)) == tenant_id


def test_tenant_id_is_the_same_for_every_store_on_the_database(tmp_path: Path) -> None:
    first = new_store(tmp_path).tenant_id()

    assert DirectoryStore(create_engine(database_url(tmp_path))).tenant_id() == first
