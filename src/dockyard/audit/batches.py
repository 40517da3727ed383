"""Writing batches of events through SQLAlchemy: the part of the audit store that runs for every audited
request, so it is built for cost. On SQLite, the multi-row inserts of `sqlite_batches`; elsewhere
(PostgreSQL), the driver's `executemany`.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, Table, insert, select
from sqlalchemy.dialects.postgresql import insert as upsert

from dockyard.audit.model import KIND_FIELDS, RepositoryBatch, fingerprinted
from dockyard.audit.schema import repository_event_kinds, repository_events
from dockyard.audit.sqlite_batches import ROW_FIELDS, Run, SqliteBatches, SqliteRepositoryEvents, slim_rows


class TableWriter:
    """Inserts batches of rows (tuples of `fields`, in order) into `table`."""

    def __init__(self, engine: Engine, table: Table, fields: Sequence[str]) -> None:
        self._sqlite = SqliteBatches(table.name, fields) if engine.dialect.name == "sqlite" else None
        compiled = insert(table).compile(dialect=engine.dialect, column_keys=list(fields))
        self._sql = str(compiled)
        positional = bool(engine.dialect.positional)
        order = list(compiled.positiontup or ()) if positional else list(fields)
        picked = operator.itemgetter(*(list(fields).index(name) for name in order))
        self._parameters: Callable[[Any], Any] = (
            picked if positional else lambda row: dict(zip(order, picked(row), strict=True))
        )

    def write(self, connection: Connection, rows: Sequence[Sequence[Any]]) -> None:
        """Insert `rows` (in the caller's transaction)."""
        if self._sqlite is not None:
            self._sqlite.write(_runner(connection), rows)
        else:
            connection.exec_driver_sql(self._sql, [self._parameters(row) for row in rows])


class RepositoryEventWriter:
    """Inserts batches of repository events: each kind once (added if new), a slim row per event."""

    def __init__(self, engine: Engine) -> None:
        self._sqlite = SqliteRepositoryEvents() if engine.dialect.name == "sqlite" else None
        self._rows = TableWriter(engine, repository_events, ROW_FIELDS)

    def write(self, connection: Connection, batch: RepositoryBatch) -> None:
        """Insert `batch` (in the caller's transaction)."""
        if self._sqlite is not None:
            self._sqlite.write(_runner(connection), batch)
            return
        fingerprints, new = fingerprinted(batch.kinds)
        rows = [{"fingerprint": f, **dict(zip(KIND_FIELDS, kind, strict=True))} for f, kind in new.items()]
        connection.execute(upsert(repository_event_kinds).on_conflict_do_nothing(index_elements=["fingerprint"]), rows)
        c = repository_event_kinds.c
        found = connection.execute(select(c.fingerprint, c.id).where(c.fingerprint.in_(list(new))))
        ids = dict(found.tuples().all())
        self._rows.write(connection, slim_rows(batch, [ids[fingerprint] for fingerprint in fingerprints]))


def _runner(connection: Connection) -> Run:
    def run(sql: str, parameters: Sequence[Any]) -> Iterable[Sequence[Any]]:
        result = connection.exec_driver_sql(sql, tuple(parameters))
        return result.all() if result.returns_rows else ()

    return run
