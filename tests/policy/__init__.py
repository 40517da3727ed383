"""Tests of the policy store, on a real SQLite file migrated to head the way the server migrates it."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from dockyard.directory.secrets import HashParameters, SecretHasher
from dockyard.metadata.store import MetadataStore
from dockyard.policy.store import PolicyStore

T0 = 1_700_000_000.0
DAY = 86_400.0
# The cheapest argon2id there is: these hashes protect nothing, and the suite stays fast.
FAST_HASHER = SecretHasher(HashParameters(time_cost=1, memory_cost=8, parallelism=1))
PRINCIPAL = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
OTHER_PRINCIPAL = "9a7b3c1d-2e4f-4a6b-8c0d-1e2f3a4b5c6d"
READER = "Container Registry Repository Reader"
CONDITION = (
    "((!(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/read'})) OR "
    "(@Resource[Microsoft.ContainerRegistry/registries/repositories:name] StringStartsWith 'team-a/'))"
)


@dataclass
class Clock:
    """A clock the test moves by hand."""

    now: float = T0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move time forward."""
        self.now += seconds


def migrated_engine(tmp_path: Path) -> Engine:
    """The server's engine (WAL, `BEGIN IMMEDIATE` writes) on a fresh database file, migrated to head."""
    metadata = MetadataStore(f"sqlite:///{tmp_path / 'dockyard.db'}")
    metadata.migrate()
    return metadata.engine


def new_store(
    tmp_path: Path, clock: Clock | None = None, principal_exists: Callable[[str], bool] | None = None
) -> PolicyStore:
    """A policy store on a fresh, migrated database file."""
    return PolicyStore(migrated_engine(tmp_path), clock or Clock(), FAST_HASHER, principal_exists)


def every_stored_value(tmp_path: Path) -> list[object]:
    """Every value in every column of every row of the database, read behind the store's back."""
    with sqlite3.connect(tmp_path / "dockyard.db") as connection:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return [value for table in tables for row in connection.execute(f'SELECT * FROM "{table}"') for value in row]
