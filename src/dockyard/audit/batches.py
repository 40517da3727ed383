"""Writing a batch of events to one table through SQLAlchemy: the part of the audit store that runs for
every audited request, so it is built for cost. On SQLite, multi-row inserts (`sqlite_batches`);
elsewhere (PostgreSQL), the driver's `executemany`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert

from dockyard.audit.model import Event
from dockyard.audit.sqlite_batches import SqliteBatches


class TableWriter:
    """Inserts batches of one kind of event into its table."""

    def __init__(self, engine: Engine, table: Table, fields: Sequence[str]) -> None:
        self._sqlite = SqliteBatches(table.name, fields) if engine.dialect.name == "sqlite" else None
        compiled = insert(table).compile(dialect=engine.dialect, column_keys=list(fields))
        self._sql = str(compiled)
        positional = bool(engine.dialect.positional)
        order = list(compiled.positiontup or ()) if positional else list(fields)
        picked = operator.itemgetter(*(list(fields).index(name) for name in order))
        self._parameters: Callable[[Any], Any] = (
            picked if positional else lambda event: dict(zip(order, picked(event), strict=True))
        )

    def write(self, connection: Connection, events: Sequence[Event]) -> None:
        """Insert `events` (in the caller's transaction); every one must have its correlation id."""
        if self._sqlite is not None:
            self._sqlite.write(lambda sql, parameters: connection.exec_driver_sql(sql, tuple(parameters)), events)
        else:
            connection.exec_driver_sql(self._sql, [self._parameters(event) for event in events])
