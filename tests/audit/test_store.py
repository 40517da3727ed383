"""The audit store on a real SQLite database built by the migrations: batches in, queries newest first
with filters and paging, and pruning by age."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from dockyard.audit.model import (
    LoginEvent,
    LoginOperation,
    RepositoryEvent,
    RepositoryOperation,
    ResultType,
)
from dockyard.audit.store import AuditStore, EventQuery, QueryInvalid
from dockyard.metadata.store import MetadataStore
from tests.audit.test_model import login_event, repository_event

T0 = 1_767_225_600.0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[AuditStore]:
    metadata = MetadataStore(f"sqlite:///{tmp_path / 'dockyard.db'}")
    metadata.migrate()
    yield AuditStore(metadata.engine)
    metadata.close()


def _pulls(count: int, start: float = T0) -> list[RepositoryEvent]:
    return [repository_event(time_generated=start + i, correlation_id=f"id-{i}") for i in range(count)]


def test_events_come_back_as_they_were_stored_newest_first(store: AuditStore) -> None:
    logins = [login_event(time_generated=T0), login_event(time_generated=T0 + 1, identity="admin")]
    pulls = _pulls(2)

    store.add(logins, pulls)

    assert store.login_events(EventQuery()).events == logins[::-1]
    assert store.repository_events(EventQuery()).events == pulls[::-1]


def test_an_event_without_a_correlation_id_is_given_a_uuid4(store: AuditStore) -> None:
    store.add([login_event(correlation_id="")], [])

    stored = store.login_events(EventQuery()).events[0].correlation_id
    assert uuid.UUID(stored).version == 4


def test_a_large_batch_is_stored_whole(store: AuditStore) -> None:
    store.add([], [repository_event(time_generated=T0 + i, correlation_id="") for i in range(1234)])

    events = store.repository_events(EventQuery(limit=2000)).events
    assert len(events) == 1234
    assert len({event.correlation_id for event in events}) == 1234


def test_time_range_is_since_inclusive_until_exclusive(store: AuditStore) -> None:
    store.add([], _pulls(10))

    found = store.repository_events(EventQuery(since=T0 + 3, until=T0 + 6)).events

    assert [event.time_generated for event in found] == [T0 + 5, T0 + 4, T0 + 3]


def test_identity_matches_the_identity_or_its_name(store: AuditStore) -> None:
    store.add(
        [
            login_event(identity="0000-ci", identity_name="ci"),
            login_event(identity="admin", identity_name="contoso"),
            login_event(identity="token:builder", identity_name="builder"),
        ],
        [],
    )

    assert [e.identity for e in store.login_events(EventQuery(identity="contoso")).events] == ["admin"]
    assert [e.identity for e in store.login_events(EventQuery(identity="0000-ci")).events] == ["0000-ci"]


def test_filters_by_result_and_operation(store: AuditStore) -> None:
    store.add(
        [
            login_event(result_type=ResultType.FAILURE, reason="wrong_secret"),
            login_event(operation_name=LoginOperation.REFRESH),
            login_event(operation_name=LoginOperation.EXCHANGE, result_type=ResultType.FAILURE),
        ],
        [],
    )

    failures = store.login_events(EventQuery(result=ResultType.FAILURE)).events
    refreshes = store.login_events(EventQuery(operation=LoginOperation.REFRESH)).events
    assert sorted(e.reason for e in failures) == ["", "wrong_secret"]
    assert [e.operation_name for e in refreshes] == [LoginOperation.REFRESH]


def test_filters_repository_events_by_repository_and_operation(store: AuditStore) -> None:
    store.add(
        [],
        [
            repository_event(repository="team/app", operation_name=RepositoryOperation.PUSH),
            repository_event(repository="team/app"),
            repository_event(repository="team/other"),
        ],
    )

    found = store.repository_events(EventQuery(repository="team/app", operation=RepositoryOperation.PUSH)).events

    assert [(e.repository, e.operation_name) for e in found] == [("team/app", RepositoryOperation.PUSH)]


def test_reason_matches_a_denied_action_anywhere_in_the_reason(store: AuditStore) -> None:
    denial = "repository:team/app:push=legacy_role_ignored_in_abac_mode(1234)"
    store.add([login_event(reason=denial), login_event(reason="wrong_password"), login_event(reason="100%_a")], [])

    assert [e.reason for e in store.login_events(EventQuery(reason="legacy_role_ignored")).events] == [denial]
    assert [e.reason for e in store.login_events(EventQuery(reason="%")).events] == ["100%_a"]


def test_login_events_have_no_repository_filter(store: AuditStore) -> None:
    with pytest.raises(QueryInvalid):
        store.login_events(EventQuery(repository="team/app"))


def test_pages_follow_the_cursor_to_the_last_without_gaps_or_repeats(store: AuditStore) -> None:
    pulls = _pulls(25)
    pulls += [repository_event(time_generated=T0 + 12, correlation_id=f"same-time-{i}") for i in range(4)]
    store.add([], pulls)

    seen: list[RepositoryEvent] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = store.repository_events(EventQuery(limit=10, cursor=cursor))
        seen += page.events
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break

    assert pages == 3
    assert sorted(e.correlation_id for e in seen) == sorted(e.correlation_id for e in pulls)
    assert [e.time_generated for e in seen] == sorted((e.time_generated for e in pulls), reverse=True)


def test_a_page_that_ends_exactly_at_the_last_event_has_no_cursor(store: AuditStore) -> None:
    store.add([], _pulls(10))

    assert store.repository_events(EventQuery(limit=10)).next_cursor is None


@pytest.mark.parametrize("query", [EventQuery(cursor="not-a-cursor"), EventQuery(limit=0), EventQuery(limit=10_001)])
def test_a_bad_cursor_or_limit_is_refused(store: AuditStore, query: EventQuery) -> None:
    with pytest.raises(QueryInvalid):
        store.repository_events(query)


def test_prune_removes_only_events_older_than_the_cutoff(store: AuditStore) -> None:
    store.add([login_event(time_generated=T0 + i) for i in range(5)], _pulls(5))

    removed = store.prune(older_than=T0 + 3)

    assert removed == 6
    assert [e.time_generated for e in store.login_events(EventQuery()).events] == [T0 + 4, T0 + 3]
    assert [e.time_generated for e in store.repository_events(EventQuery()).events] == [T0 + 4, T0 + 3]


def test_login_events_round_trip_every_field(store: AuditStore) -> None:
    event: LoginEvent = login_event(
        result_type=ResultType.FAILURE,
        operation_name=LoginOperation.DIRECTORY_TOKEN,
        result_description="invalid client secret provided",
        reason="wrong_secret",
        jwt_id="",
    )
    store.add([event], [])

    assert store.login_events(EventQuery()).events == [event]


def _kinds(store: AuditStore) -> int:
    with store._engine.connect() as connection:
        return int(connection.execute(text("SELECT count(*) FROM repository_event_kinds")).scalar_one())


def test_pulls_that_share_all_but_their_times_share_one_stored_kind(store: AuditStore) -> None:
    store.add([], [*_pulls(3), repository_event(time_generated=T0 + 9, caller_ip_address="192.0.2.9")])
    store.add([], _pulls(2, start=T0 + 20))

    assert len(store.repository_events(EventQuery()).events) == 6
    assert _kinds(store) == 2


def test_prune_removes_the_kinds_no_event_points_at_any_more(store: AuditStore) -> None:
    store.add([], [*_pulls(2), repository_event(time_generated=T0 + 9, caller_ip_address="192.0.2.9")])

    store.prune(older_than=T0 + 5)

    assert [e.caller_ip_address for e in store.repository_events(EventQuery()).events] == ["192.0.2.9"]
    assert _kinds(store) == 1
