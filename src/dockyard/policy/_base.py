"""What every part of the policy store shares: the engine, the clock, the hasher, and writes that
change the policy version in the same transaction."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine

from dockyard.directory.secrets import SecretHasher
from dockyard.policy._rows import bump_version

Clock = Callable[[], float]


class StoreBase:
    """The policy store's plumbing. Subclasses add the operations."""

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        hasher: SecretHasher | None = None,
        principal_exists: Callable[[str], bool] | None = None,
    ) -> None:
        self._engine = engine
        # On the metadata store's SQLite engine this makes writes `BEGIN IMMEDIATE` (no lock-upgrade deadlocks).
        self._writer = engine.execution_options(dockyard_write=True)
        self._clock = clock
        self._hasher = hasher or SecretHasher()
        self._principal_exists = principal_exists

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        """One read transaction: every query in it sees the same state."""
        with self._engine.connect() as connection:
            yield connection

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """One write transaction, which also changes the policy version; this process's cached
        policy is dropped whatever the outcome."""
        try:
            with self._writer.begin() as connection:
                yield connection
                bump_version(connection)
        finally:
            self._changed()

    def _changed(self) -> None:
        """Called after every write (the snapshot drops its cache)."""
