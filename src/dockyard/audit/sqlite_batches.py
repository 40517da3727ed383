"""A batch of one kind of event into its SQLite table, and back as JSON lines, in SQLite's own C code;
standard library only, so the audit sink process can use it without SQLAlchemy.

Rows go in as multi-row `INSERT … SELECT … FROM (VALUES …)` statements of up to 500 rows, an event
without a correlation id gets a uuid4 made by SQLite, and the rows just inserted come back as JSON
lines from `json_object` (built into SQLite since 3.38, and into most builds before). The driver
releases the GIL while SQLite runs.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from dockyard.audit.model import COLUMNS, Event, RepositoryEvent, to_json_line

#: Runs one statement with its parameters and returns the first column of the first row (None if none).
Run = Callable[[str, Sequence[Any]], Any]

# Rows per statement: 500, or what the 999 parameters of SQLite before 3.32 allow.
_ROWS = 500 if sqlite3.sqlite_version_info >= (3, 32) else 999 // len(RepositoryEvent._fields)
# A random (version 4) UUID, made by SQLite.
_SQLITE_UUID4 = (
    "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || "
    "substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))"
)
_ISO_TIME = "strftime('%Y-%m-%dT%H:%M:%fZ', time_generated, 'unixepoch')"


class SqliteBatches:
    """The statements that insert batches of one kind of event into `table` and read them back as JSON."""

    def __init__(self, table: str, fields: Sequence[str]) -> None:
        self._table = table
        selected = [
            f"coalesce(nullif(column{i}, ''), {_SQLITE_UUID4})" if name == "correlation_id" else f"column{i}"
            for i, name in enumerate(fields, start=1)
        ]  # the columns of a VALUES list are column1, column2, …
        self._head = f"INSERT INTO {table} ({', '.join(fields)}) SELECT {', '.join(selected)} FROM (VALUES "
        self._row = "(" + ", ".join("?" * len(fields)) + ")"
        time_or_name = [_ISO_TIME if name == "time_generated" else name for name in fields]
        members = ", ".join(f"'{COLUMNS[name]}', {value}" for name, value in zip(fields, time_or_name, strict=True))
        self._json_since = (
            f"SELECT group_concat(line, char(10)) FROM "
            f"(SELECT json_object({members}) AS line FROM {table} WHERE id > ? ORDER BY id)"
        )

    def write(self, run: Run, events: Sequence[Event]) -> str:
        """Insert `events` (in the caller's transaction) and return them as JSON lines."""
        last = run(f"SELECT coalesce(max(id), 0) FROM {self._table}", ())
        for start in range(0, len(events), _ROWS):
            chunk = events[start : start + _ROWS]
            run(self._statement(len(chunk)), tuple(itertools.chain.from_iterable(chunk)))
        lines = run(self._json_since, (last,))
        return f"{lines}\n" if lines else ""

    @functools.lru_cache(maxsize=64)  # noqa: B019 - a few instances, living as long as the process
    def _statement(self, rows: int) -> str:
        return self._head + ", ".join([self._row] * rows) + ")"


@functools.cache
def has_json_functions() -> bool:
    """Whether this process's SQLite library has `json_object` (asked of an in-memory database: every
    connection of the process uses the same library)."""
    with contextlib.closing(sqlite3.connect(":memory:")) as db:
        try:
            db.execute("SELECT json_object('a', 1)")
        except sqlite3.Error:
            return False
    return True


def render(events: Sequence[Event]) -> str:
    """`events` as JSON lines, without storing them (empty correlation ids get a uuid4)."""
    return "".join(map(to_json_line, with_ids(events)))


def with_ids(events: Sequence[Event]) -> Sequence[Event]:
    """`events`, each with a correlation id (a uuid4 where it had none)."""
    if all(event.correlation_id for event in events):
        return events
    return [event if event.correlation_id else event._replace(correlation_id=str(uuid.uuid4())) for event in events]
