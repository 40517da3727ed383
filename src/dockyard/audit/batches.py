"""Writing a batch of events to one table and rendering it as JSON lines: the part of the audit store
that runs for every audited request, so it is built for cost.

On SQLite (the default) the database does the work, in C, in one transaction: rows go in as multi-row
`INSERT … SELECT … FROM (VALUES …)` statements of up to 500 rows, an event without a correlation id
gets a uuid4 made by SQLite, and the rows just inserted come back as JSON lines from `json_object`.
The driver releases the GIL while SQLite runs, so the request handlers keep the interpreter.
Elsewhere (PostgreSQL), Python gives the ids, the driver's `executemany` inserts, and
`model.to_json_line` renders — the same lines either way.
"""

from __future__ import annotations

import functools
import itertools
import operator
import sqlite3
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert
from sqlalchemy.exc import DBAPIError

from dockyard.audit.model import COLUMNS, Event, RepositoryEvent, to_json_line

# Rows per statement: 500, or what the 999 parameters of SQLite before 3.32 allow.
_ROWS = 500 if sqlite3.sqlite_version_info >= (3, 32) else 999 // len(RepositoryEvent._fields)
# A random (version 4) UUID, made by SQLite.
_SQLITE_UUID4 = (
    "lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' || "
    "substr('89ab', 1 + (random() & 3), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6)))"
)
_ISO_TIME = "strftime('%Y-%m-%dT%H:%M:%fZ', time_generated, 'unixepoch')"


class TableWriter:
    """Inserts batches of one kind of event into its table and returns them as JSON lines."""

    def __init__(self, engine: Engine, table: Table, fields: Sequence[str]) -> None:
        self._table = table.name
        self._fields = list(fields)
        self._sqlite = engine.dialect.name == "sqlite" and _has_json_functions(engine)
        compiled = insert(table).compile(dialect=engine.dialect, column_keys=self._fields)
        self._sql = str(compiled)
        positional = bool(engine.dialect.positional)
        order = list(compiled.positiontup or ()) if positional else self._fields
        picked = operator.itemgetter(*(self._fields.index(name) for name in order))
        self._parameters: Callable[[Any], Any] = (
            picked if positional else lambda event: dict(zip(order, picked(event), strict=True))
        )
        selected = [
            f"coalesce(nullif(column{i}, ''), {_SQLITE_UUID4})" if name == "correlation_id" else f"column{i}"
            for i, name in enumerate(self._fields, start=1)
        ]  # the columns of a VALUES list are column1, column2, …
        self._head = f"INSERT INTO {table.name} ({', '.join(self._fields)}) SELECT {', '.join(selected)} FROM (VALUES "
        self._row = "(" + ", ".join("?" * len(self._fields)) + ")"
        time_or_name = [_ISO_TIME if name == "time_generated" else name for name in self._fields]
        members = ", ".join(
            f"'{COLUMNS[name]}', {value}" for name, value in zip(self._fields, time_or_name, strict=True)
        )
        self._json_since = (
            f"SELECT group_concat(line, char(10)) FROM "
            f"(SELECT json_object({members}) AS line FROM {table.name} WHERE id > ? ORDER BY id)"
        )

    def write(self, connection: Connection, events: Sequence[Event]) -> str:
        """Insert `events` (in the caller's transaction) and return them as JSON lines."""
        if not self._sqlite:
            events = _with_ids(events)
            connection.exec_driver_sql(self._sql, [self._parameters(event) for event in events])
            return "".join(map(to_json_line, events))
        last = connection.exec_driver_sql(f"SELECT coalesce(max(id), 0) FROM {self._table}").scalar()
        for start in range(0, len(events), _ROWS):
            chunk = events[start : start + _ROWS]
            connection.exec_driver_sql(self._statement(len(chunk)), tuple(itertools.chain.from_iterable(chunk)))
        lines = connection.exec_driver_sql(self._json_since, (last,)).scalar()
        return f"{lines}\n" if lines else ""

    @functools.lru_cache(maxsize=64)  # noqa: B019 - two instances, living as long as the process
    def _statement(self, rows: int) -> str:
        return self._head + ", ".join([self._row] * rows) + ")"


def render(events: Sequence[Event]) -> str:
    """`events` as JSON lines, without storing them (empty correlation ids get a uuid4)."""
    return "".join(map(to_json_line, _with_ids(events)))


def _with_ids(events: Sequence[Event]) -> Sequence[Event]:
    if all(event.correlation_id for event in events):
        return events
    return [event if event.correlation_id else event._replace(correlation_id=str(uuid.uuid4())) for event in events]


def _has_json_functions(engine: Engine) -> bool:
    """Whether this SQLite has `json_object` (built in since 3.38, and in most builds before)."""
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT json_object('a', 1)")
    except DBAPIError:
        return False
    return True
