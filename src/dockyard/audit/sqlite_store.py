"""`SqliteEventStore`: what the audit sink process needs of the audit store — write a batch, prune by age —
on a SQLite file through the standard library's driver, so the sink process stays small (no SQLAlchemy:
about 15 MB of memory instead of 50). The schema is the metadata store's (migrations 0006 and 0007); the
connection is set up as the metadata store sets up its own (WAL, `busy_timeout`), and writes take the
write lock at once (`BEGIN IMMEDIATE`), as the metadata store's writers do.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from dockyard.audit.batches import RepositoryEventInserts, TableInserts
from dockyard.audit.model import LoginEvent, RepositoryBatch

#: Removes the kinds no repository event points at any more.
PRUNE_KINDS = (
    "DELETE FROM repository_event_kinds WHERE NOT EXISTS "
    "(SELECT 1 FROM repository_events WHERE repository_events.kind_id = repository_event_kinds.id)"
)


class SqliteEventStore:
    """The audit tables of the SQLite database at `path`."""

    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
            self._db.execute(f"PRAGMA {pragma}")
        self._logins = TableInserts("login_events", LoginEvent._fields)
        self._repositories = RepositoryEventInserts()

    def write(self, logins: Sequence[LoginEvent], repositories: RepositoryBatch) -> None:
        """Insert a batch in one transaction (see `AuditStore.write`); every login event must have its
        correlation id."""
        if not logins and not repositories.rows:
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._logins.write(self._run, logins)
            self._repositories.write(self._run, repositories)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def prune(self, older_than: float) -> int:
        """Remove every event generated before `older_than`; return how many were removed."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            removed = sum(
                self._db.execute(f"DELETE FROM {table} WHERE time_generated < ?", (older_than,)).rowcount
                for table in ("login_events", "repository_events")
            )
            self._db.execute(PRUNE_KINDS)
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return removed

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def _run(self, sql: str, parameters: Sequence[Any]) -> sqlite3.Cursor:
        return self._db.execute(sql, tuple(parameters))
