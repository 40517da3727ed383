"""`AuditStore`: login and repository events in the metadata store — batch inserts, filtered queries
newest first with paging by cursor, and pruning by age.

Batches are written by `batches`, which is built for cost (the audit inserts one row per audited
request), through the engine's connection. Repository events are stored in two parts (see `schema`) and
read back whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Connection, Engine, FromClause, and_, delete, or_, select

from dockyard.audit.batches import RepositoryEventInserts, Run, TableInserts
from dockyard.audit.model import (
    LoginEvent,
    LoginOperation,
    RepositoryBatch,
    RepositoryEvent,
    RepositoryOperation,
    ResultType,
    packed_groups,
    repository_batch,
    with_ids,
)
from dockyard.audit.schema import login_events, repository_event_kinds, repository_event_rows, repository_events

MAX_LIMIT = 10_000
_E = TypeVar("_E", LoginEvent, RepositoryEvent)


class QueryInvalid(ValueError):
    """A query that cannot be answered (a bad cursor or limit); the message says which."""


@dataclass(frozen=True)
class EventQuery:
    """Which events to return: every filter given must hold. Times are seconds since the epoch;
    `since` is inclusive, `until` exclusive. `identity` matches the identity or its name exactly;
    `reason` matches any part of the reason (`legacy_role_ignored_in_abac_mode` finds the denials)."""

    since: float | None = None
    until: float | None = None
    identity: str | None = None
    result: ResultType | None = None
    operation: str | None = None
    repository: str | None = None  # repository events only
    reason: str | None = None
    limit: int = 100
    cursor: str | None = None  # `Page.next_cursor` of the previous page


@dataclass(frozen=True)
class Page(Generic[_E]):
    """Events newest first, and the cursor of the next page (None when this is the last)."""

    events: list[_E]
    next_cursor: str | None


class AuditStore:
    """The audit trail's tables on the metadata store's engine."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # On the metadata store's SQLite engine this makes writes `BEGIN IMMEDIATE` (no lock-upgrade deadlocks).
        self._writer = engine.execution_options(dockyard_write=True)
        mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"  # PostgreSQL's drivers: format or pyformat
        self._logins = TableInserts(login_events.name, LoginEvent._fields, mark)
        self._repositories = RepositoryEventInserts(mark)

    def add(self, logins: Sequence[LoginEvent], repositories: Sequence[RepositoryEvent]) -> None:
        """Insert events in one transaction. An event whose `correlation_id` is empty is given a random
        one (a uuid4)."""
        self.write(with_ids(logins), repository_batch(packed_groups(repositories)))

    def write(self, logins: Sequence[LoginEvent], repositories: RepositoryBatch) -> None:
        """Insert a batch in one transaction (the sink's form of `add`); every login event must have its
        correlation id."""
        if not logins and not repositories.rows:
            return
        with self._writer.begin() as connection:
            run = _runner(connection)
            self._logins.write(run, logins)
            self._repositories.write(run, repositories)

    def login_events(self, query: EventQuery) -> Page[LoginEvent]:
        """Login events matching `query`, newest first."""
        if query.repository is not None:
            raise QueryInvalid("login events have no repository")
        rows = self._select(login_events, query)
        return _page([_login_event(row) for row in rows], rows, query.limit)

    def login_event(self, event_id: str) -> LoginEvent | None:
        """The login event with this correlation id, or (all digits) this row id; None when there is none."""
        c = login_events.c
        match = c.id == int(event_id) if event_id.isdigit() else c.correlation_id == event_id
        with self._engine.connect() as connection:
            row = connection.execute(select(login_events).where(match).limit(1)).first()
        return None if row is None else _login_event(row)

    def repository_events(self, query: EventQuery) -> Page[RepositoryEvent]:
        """Repository events matching `query`, newest first."""
        rows = self._select(repository_event_rows, query)
        return _page([_repository_event(row) for row in rows], rows, query.limit)

    def prune(self, older_than: float) -> int:
        """Remove every event generated before `older_than`; return how many were removed."""
        removed = 0
        with self._writer.begin() as connection:
            for table in (login_events, repository_events):
                removed += connection.execute(delete(table).where(table.c.time_generated < older_than)).rowcount
            kinds = repository_event_kinds
            used = select(repository_events.c.id).where(repository_events.c.kind_id == kinds.c.id).exists()
            connection.execute(delete(kinds).where(~used))
        return removed

    def _select(self, table: FromClause, query: EventQuery) -> list[Any]:
        if not 1 <= query.limit <= MAX_LIMIT:
            raise QueryInvalid(f"limit must be from 1 to {MAX_LIMIT}")
        statement = (
            select(table)
            .where(*_conditions(table, query))
            .order_by(table.c.time_generated.desc(), table.c.id.desc())
            .limit(query.limit + 1)
        )
        with self._engine.connect() as connection:
            return list(connection.execute(statement))


def _conditions(table: FromClause, query: EventQuery) -> list[ColumnElement[bool]]:
    c = table.c
    conditions: list[ColumnElement[bool]] = []
    if query.since is not None:
        conditions.append(c.time_generated >= query.since)
    if query.until is not None:
        conditions.append(c.time_generated < query.until)
    if query.identity is not None:
        conditions.append(or_(c.identity == query.identity, c.identity_name == query.identity))
    if query.result is not None:
        conditions.append(c.result_type == query.result.value)
    if query.operation is not None:
        conditions.append(c.operation_name == query.operation)
    if query.repository is not None:
        conditions.append(c.repository == query.repository)
    if query.reason is not None:
        conditions.append(c.reason.contains(query.reason, autoescape=True))
    if query.cursor is not None:
        time_generated, row_id = _parse_cursor(query.cursor)
        conditions.append(
            or_(
                c.time_generated < time_generated,
                and_(c.time_generated == time_generated, c.id < row_id),
            )
        )
    return conditions


def _cursor(row: Any) -> str:
    return f"{row.time_generated!r}:{row.id}"


def _parse_cursor(cursor: str) -> tuple[float, int]:
    time_text, _, id_text = cursor.partition(":")
    try:
        return float(time_text), int(id_text)
    except ValueError:
        raise QueryInvalid(f"not a cursor this store handed out: {cursor[:80]!r}") from None


def _page(events: list[_E], rows: list[Any], limit: int) -> Page[_E]:
    if len(rows) > limit:
        return Page(events[:limit], _cursor(rows[limit - 1]))
    return Page(events, None)


def _login_event(row: Any) -> LoginEvent:
    values = row._mapping
    fields = {name: values[name] for name in LoginEvent._fields}
    fields["result_type"] = ResultType(fields["result_type"])
    fields["operation_name"] = LoginOperation(fields["operation_name"])
    return LoginEvent(**fields)


def _repository_event(row: Any) -> RepositoryEvent:
    values = row._mapping
    fields = {name: values[name] for name in RepositoryEvent._fields}
    fields["result_type"] = ResultType(fields["result_type"])
    fields["operation_name"] = RepositoryOperation(fields["operation_name"])
    return RepositoryEvent(**fields)


def _runner(connection: Connection) -> Run:
    """`batches`' statements on `connection`, straight to its driver."""

    def run(sql: str, parameters: Sequence[Any]) -> Iterable[Sequence[Any]]:
        result = connection.exec_driver_sql(sql, tuple(parameters))
        return result.all() if result.returns_rows else ()

    return run
