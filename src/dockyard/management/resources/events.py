"""Login and repository events, filtered and paged newest first (the `ContainerRegistryLoginEvents` and
`ContainerRegistryRepositoryEvents` tables, with ACR's column names).

Pages come from `AuditStore`'s cursor: pass a page's `nextCursor` as `cursor` for the next one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import ClassVar

from dockyard.access.control_plane import ControlAction
from dockyard.audit.model import LoginOperation, RepositoryOperation, ResultType
from dockyard.audit.store import MAX_LIMIT, EventQuery
from dockyard.management.operations import Call, Operation, Query
from dockyard.management.schema import timestamp

_TAG = "events"


@dataclass(frozen=True)
class LoginEventView:
    """One authentication attempt (`Reason` is the exact reason code)."""

    JSON_CASE: ClassVar[str] = "pascal"  # the log table's column names

    time_generated: datetime.datetime
    identity: str
    identity_name: str
    login_server: str
    caller_ip_address: str
    result_type: ResultType
    result_description: str
    operation_name: LoginOperation
    user_agent: str
    duration_ms: float
    jwt_id: str
    correlation_id: str
    reason: str


@dataclass(frozen=True)
class RepositoryEventView:
    """One push, pull or delete of a manifest or tag."""

    JSON_CASE: ClassVar[str] = "pascal"  # the log table's column names

    time_generated: datetime.datetime
    operation_name: RepositoryOperation
    identity: str
    identity_name: str
    login_server: str
    repository: str
    tag: str
    digest: str
    artifact_type: str
    media_type: str
    size: int
    caller_ip_address: str
    user_agent: str
    result_type: ResultType
    result_description: str
    duration_ms: float
    jwt_id: str
    correlation_id: str
    reason: str


@dataclass(frozen=True)
class LoginEventPage:
    """Login events, newest first, and the cursor of the next page (null on the last)."""

    value: list[LoginEventView]
    next_cursor: str | None


@dataclass(frozen=True)
class RepositoryEventPage:
    """Repository events, newest first, and the cursor of the next page (null on the last)."""

    value: list[RepositoryEventView]
    next_cursor: str | None


def _query(call: Call) -> EventQuery:
    q = call.query

    def seconds(name: str) -> float | None:
        when: datetime.datetime | None = q.get(name)
        return None if when is None else when.timestamp()

    return EventQuery(
        since=seconds("since"),
        until=seconds("until"),
        identity=q.get("identity"),
        result=q.get("result"),
        operation=q.get("operation"),
        repository=q.get("repository"),
        reason=q.get("reason"),
        limit=q.get("limit", 100),
        cursor=q.get("cursor"),
    )


def list_login_events(call: Call) -> LoginEventPage:
    """Login events matching every filter given."""
    page = call.management.audit.login_events(_query(call))
    events = [LoginEventView(timestamp(event.time_generated), *event[1:]) for event in page.events]
    return LoginEventPage(events, page.next_cursor)


def list_repository_events(call: Call) -> RepositoryEventPage:
    """Repository events matching every filter given."""
    page = call.management.audit.repository_events(_query(call))
    events = [RepositoryEventView(timestamp(event.time_generated), *event[1:]) for event in page.events]
    return RepositoryEventPage(events, page.next_cursor)


def _filters(operations: type[LoginOperation] | type[RepositoryOperation]) -> tuple[Query, ...]:
    return (
        Query("since", datetime.datetime, "Events at or after this time (RFC 3339)."),
        Query("until", datetime.datetime, "Events before this time (RFC 3339)."),
        Query("identity", str, "Events of this identity (object id, `admin`, `token:<name>`…) or name."),
        Query("result", ResultType, "success or failure."),
        Query("operation", operations, "Events of this operation."),
        Query("reason", str, "Events whose reason code contains this text."),
        Query("limit", int, "At most this many events (default 100).", minimum=1, maximum=MAX_LIMIT),
        Query("cursor", str, "The `nextCursor` of the previous page."),
    )


A = ControlAction
OPERATIONS = [
    Operation("GET", "/events/login", A.LOGIN_EVENTS_READ, "List login events", list_login_events, _TAG,
              response=LoginEventPage, query=_filters(LoginOperation)),
    Operation("GET", "/events/repository", A.REPOSITORY_EVENTS_READ, "List repository events",
              list_repository_events, _TAG, response=RepositoryEventPage,
              query=(*_filters(RepositoryOperation), Query("repository", str, "Events of this repository."))),
]  # fmt: skip
