"""`SqliteEventStore`: what the audit sink process needs of the audit store — add a batch, render one,
prune by age — on a SQLite file through the standard library's driver, so the sink process stays small
(no SQLAlchemy: about 15 MB of memory instead of 50). The schema is the metadata store's (migration
0006); the connection is set up as the metadata store sets up its own (WAL, `busy_timeout`), and writes
take the write lock at once (`BEGIN IMMEDIATE`), as the metadata store's writers do.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from dockyard.audit.model import JsonLines, LoginEvent, RepositoryEvent, to_json_line
from dockyard.audit.sqlite_batches import SqliteBatches, has_json_functions, render, with_ids

_TABLES = (("login_events", LoginEvent._fields), ("repository_events", RepositoryEvent._fields))


class SqliteEventStore:
    """The audit tables of the SQLite database at `path`."""

    def __init__(self, path: str) -> None:
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=30000"):
            self._db.execute(f"PRAGMA {pragma}")
        fast = has_json_functions()
        self._logins, self._repositories = (SqliteBatches(t, f) if fast else None for t, f in _TABLES)
        self._plain = {
            table: f"INSERT INTO {table} ({', '.join(fields)}) VALUES ({', '.join('?' * len(fields))})"
            for table, fields in _TABLES
        }

    def add(self, logins: Sequence[LoginEvent], repositories: Sequence[RepositoryEvent]) -> JsonLines:
        """Insert a batch in one transaction and return it as JSON lines (see `AuditStore.add`)."""
        if not logins and not repositories:
            return JsonLines("", "")
        self._db.execute("BEGIN IMMEDIATE")
        try:
            lines = JsonLines(
                self._write(self._logins, "login_events", logins),
                self._write(self._repositories, "repository_events", repositories),
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return lines

    @staticmethod
    def render(logins: Sequence[LoginEvent], repositories: Sequence[RepositoryEvent]) -> JsonLines:
        """A batch as JSON lines without storing it (for when the database refused it)."""
        return JsonLines(render(logins), render(repositories))

    def prune(self, older_than: float) -> int:
        """Remove every event generated before `older_than`; return how many were removed."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            removed = sum(
                self._db.execute(f"DELETE FROM {table} WHERE time_generated < ?", (older_than,)).rowcount
                for table, _ in _TABLES
            )
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return removed

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def _write(self, batches: SqliteBatches | None, table: str, events: Sequence[Any]) -> str:
        if not events:
            return ""
        if batches is not None:
            return batches.write(self._run, events)
        events = with_ids(events)  # a SQLite without JSON functions: ids and lines from Python
        self._db.executemany(self._plain[table], events)
        return "".join(map(to_json_line, events))

    def _run(self, sql: str, parameters: Sequence[Any]) -> Any:
        row = self._db.execute(sql, tuple(parameters)).fetchone()
        return None if row is None else row[0]
