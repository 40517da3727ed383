"""Tests of the directory: its store on a real SQLite file migrated to head, and its use cases."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from sqlalchemy import create_engine

from dockyard.directory.secrets import HashParameters, SecretHasher
from dockyard.directory.store import DirectoryStore
from dockyard.metadata.store import MetadataStore

T0 = 1_700_000_000.0
DAY = 86_400.0
# The cheapest argon2id there is: these hashes protect nothing, and the suite stays fast.
FAST_HASHING = HashParameters(time_cost=1, memory_cost=8, parallelism=1)


def database_url(tmp_path: Path) -> str:
    """The SQLite URL of the test's database file."""
    return f"sqlite:///{tmp_path / 'dockyard.db'}"


def new_store(tmp_path: Path, now: float = T0, hashing: HashParameters = FAST_HASHING) -> DirectoryStore:
    """A directory store on a fresh database file, migrated the way the server migrates it."""
    url = database_url(tmp_path)
    metadata = MetadataStore(url)
    metadata.migrate()
    metadata.close()
    return DirectoryStore(create_engine(url), SecretHasher(hashing), clock=lambda: now)


def every_stored_value(tmp_path: Path) -> list[object]:
    """Every value in every column of every row of the database, read behind the store's back."""
    with sqlite3.connect(tmp_path / "dockyard.db") as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return [value for table in tables for row in connection.execute(f'SELECT * FROM "{table}"') for value in row]
