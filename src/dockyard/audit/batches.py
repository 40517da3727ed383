"""Writing a batch of events to one table through SQLAlchemy and rendering it as JSON lines: the part of
the audit store that runs for every audited request, so it is built for cost.

On SQLite the database does the work (see `sqlite_batches`). Elsewhere (PostgreSQL), Python gives the
ids, the driver's `executemany` inserts, and `model.to_json_line` renders — the same lines either way.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert

from dockyard.audit.model import Event, to_json_line
from dockyard.audit.sqlite_batches import Run, SqliteBatches, has_json_functions, with_ids


class TableWriter:
    """Inserts batches of one kind of event into its table and returns them as JSON lines."""

    def __init__(self, engine: Engine, table: Table, fields: Sequence[str]) -> None:
        fast = engine.dialect.name == "sqlite" and has_json_functions()
        self._sqlite = SqliteBatches(table.name, fields) if fast else None
        compiled = insert(table).compile(dialect=engine.dialect, column_keys=list(fields))
        self._sql = str(compiled)
        positional = bool(engine.dialect.positional)
        order = list(compiled.positiontup or ()) if positional else list(fields)
        picked = operator.itemgetter(*(list(fields).index(name) for name in order))
        self._parameters: Callable[[Any], Any] = (
            picked if positional else lambda event: dict(zip(order, picked(event), strict=True))
        )

    def write(self, connection: Connection, events: Sequence[Event]) -> str:
        """Insert `events` (in the caller's transaction) and return them as JSON lines."""
        if self._sqlite is not None:
            return self._sqlite.write(_runner(connection), events)
        events = with_ids(events)
        connection.exec_driver_sql(self._sql, [self._parameters(event) for event in events])
        return "".join(map(to_json_line, events))


def _runner(connection: Connection) -> Run:
    def run(sql: str, parameters: Sequence[Any]) -> Any:
        result = connection.exec_driver_sql(sql, tuple(parameters))
        return result.scalar() if result.returns_rows else None

    return run
