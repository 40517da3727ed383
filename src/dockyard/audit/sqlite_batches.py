"""A batch of one kind of event into its SQLite table as multi-row `INSERT … VALUES (…), (…)` statements
of up to 500 rows: a third cheaper an event than `executemany`, which steps one statement per row.
Standard library only, so the audit sink process can use it without SQLAlchemy.
"""

from __future__ import annotations

import functools
import itertools
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from dockyard.audit.model import Event, RepositoryEvent

#: Runs one statement with its parameters.
Run = Callable[[str, Sequence[Any]], object]

# Rows per statement: 500, or what the 999 parameters of SQLite before 3.32 allow.
_ROWS = 500 if sqlite3.sqlite_version_info >= (3, 32) else 999 // len(RepositoryEvent._fields)


class SqliteBatches:
    """The statements that insert batches of one kind of event into `table`."""

    def __init__(self, table: str, fields: Sequence[str]) -> None:
        self._head = f"INSERT INTO {table} ({', '.join(fields)}) VALUES "
        self._row = "(" + ", ".join("?" * len(fields)) + ")"

    def write(self, run: Run, events: Sequence[Event]) -> None:
        """Insert `events` (in the caller's transaction)."""
        for start in range(0, len(events), _ROWS):
            chunk = events[start : start + _ROWS]
            run(self._statement(len(chunk)), tuple(itertools.chain.from_iterable(chunk)))

    @functools.lru_cache(maxsize=64)  # noqa: B019 - a few instances, living as long as the process
    def _statement(self, rows: int) -> str:
        return self._head + ", ".join([self._row] * rows)
