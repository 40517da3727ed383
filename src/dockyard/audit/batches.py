"""Batches of events into their tables as multi-row `INSERT … VALUES (…), (…)` statements of up to 500
rows: on SQLite a third cheaper an event than `executemany`, which steps one statement per row.

Plain SQL that SQLite and PostgreSQL both take, written with the driver's own placeholder (`?` for
`sqlite3`, `%s` for PostgreSQL's drivers) and run through a `Run`: the audit sink process runs it with
the standard library's `sqlite3` (no SQLAlchemy there), `AuditStore` through its engine's connection.
"""

from __future__ import annotations

import functools
import itertools
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from dockyard.audit.model import KIND_FIELDS, RepositoryBatch, fingerprinted

#: Runs one statement with its parameters and returns its rows (none for an INSERT).
Run = Callable[[str, Sequence[Any]], Iterable[Sequence[Any]]]

_MAX_PARAMETERS = 32766 if sqlite3.sqlite_version_info >= (3, 32) else 999
ROW_FIELDS = ("time_generated", "duration_ms", "kind_id", "correlation_id")


class TableInserts:
    """The statements that insert batches of rows into `table`, `mark` the driver's placeholder."""

    def __init__(self, table: str, fields: Sequence[str], mark: str = "?") -> None:
        self._head = f"INSERT INTO {table} ({', '.join(fields)}) VALUES "
        self._row = "(" + ", ".join([mark] * len(fields)) + ")"
        self._rows = min(500, _MAX_PARAMETERS // len(fields))

    def write(self, run: Run, rows: Sequence[Sequence[Any]]) -> None:
        """Insert `rows` (in the caller's transaction)."""
        for start in range(0, len(rows), self._rows):
            chunk = rows[start : start + self._rows]
            run(self._statement(len(chunk)), tuple(itertools.chain.from_iterable(chunk)))

    @functools.lru_cache(maxsize=64)  # noqa: B019 - a few instances, living as long as the process
    def _statement(self, rows: int) -> str:
        return self._head + ", ".join([self._row] * rows)


class RepositoryEventInserts:
    """Repository events into their two tables: each kind once (added if new), a slim row per event."""

    def __init__(self, mark: str = "?") -> None:
        fields = ("fingerprint", *KIND_FIELDS)
        self._mark = mark
        self._add_kind = (
            f"INSERT INTO repository_event_kinds ({', '.join(fields)}) VALUES ({', '.join([mark] * len(fields))}) "
            "ON CONFLICT (fingerprint) DO NOTHING"
        )
        self._rows = TableInserts("repository_events", ROW_FIELDS, mark)

    def write(self, run: Run, batch: RepositoryBatch) -> None:
        """Insert `batch` (in the caller's transaction)."""
        fingerprints, new = fingerprinted(batch.kinds)
        for fingerprint, kind in new.items():
            run(self._add_kind, (fingerprint, *kind))
        ids: dict[str, int] = {}
        distinct = list(new)
        for start in range(0, len(distinct), 500):
            chunk = distinct[start : start + 500]
            marks = ", ".join([self._mark] * len(chunk))
            found = run(f"SELECT fingerprint, id FROM repository_event_kinds WHERE fingerprint IN ({marks})", chunk)
            ids.update((fingerprint, kind_id) for fingerprint, kind_id in found)
        self._rows.write(run, slim_rows(batch, [ids[fingerprint] for fingerprint in fingerprints]))


def slim_rows(batch: RepositoryBatch, kind_ids: Sequence[int]) -> list[tuple[float, float, int, str]]:
    """The `ROW_FIELDS` of each event of `batch`, given the ids of its kinds (in the order of `batch.kinds`)."""
    return [(time, duration, kind_ids[index], correlation_id) for time, duration, index, correlation_id in batch.rows]
