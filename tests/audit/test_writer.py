"""The audit writer: requests only queue events; batches reach the database and the JSON lines every
interval or as soon as enough wait; what is queued when it stops is written; retention prunes."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from pathlib import Path

import anyio
import pytest

from dockyard.audit.model import LoginEvent, LoginOperation, RepositoryEvent, ResultType, iso_time, to_json
from dockyard.audit.sink import LINES_PER_WRITE, LOGIN_EVENTS_FILE, REPOSITORY_EVENTS_FILE
from dockyard.audit.store import AuditStore, EventQuery
from dockyard.audit.writer import AuditWriter
from dockyard.metadata.store import MetadataStore
from dockyard.network.refusal import RefusedRequest
from dockyard.network.rules import NetworkReason
from tests.audit.test_model import login_event, repository_event

DAY = 86400
T0 = 1_767_225_600.0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[AuditStore]:
    metadata = MetadataStore(f"sqlite:///{tmp_path / 'dockyard.db'}")
    metadata.migrate()
    yield AuditStore(metadata.engine)
    metadata.close()


def _writer(store: AuditStore, directory: Path, **options: object) -> AuditWriter:
    settings: dict[str, object] = {"login_server": "registry.example.com", "retention_days": 90, **options}
    return AuditWriter(store, directory / "audit", **settings)  # type: ignore[arg-type]


def _lines(directory: Path, name: str) -> list[dict[str, object]]:
    path = directory / "audit" / name
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _while_running(writer: AuditWriter, body: Callable[[], Awaitable[None]]) -> None:
    async def main() -> None:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(writer.run)
            await anyio.sleep(0.05)
            await body()
            tasks.cancel_scope.cancel()

    anyio.run(main)


def test_recording_only_queues_nothing_is_written_until_a_flush(store: AuditStore, tmp_path: Path) -> None:
    writer = _writer(store, tmp_path)
    writer.record(login_event())
    writer.record(repository_event())

    assert store.login_events(EventQuery()).events == []
    assert writer.flush() == 2
    assert len(store.login_events(EventQuery()).events) == 1
    assert len(store.repository_events(EventQuery()).events) == 1


def test_pulls_that_share_everything_but_their_times_come_back_as_their_own_events_in_time_order(
    store: AuditStore, tmp_path: Path
) -> None:
    writer = _writer(store, tmp_path)
    recorded = [
        repository_event(time_generated=T0 + i, caller_ip_address=ip, duration_ms=i / 7, correlation_id="")
        for i, ip in enumerate(["192.0.2.1", "192.0.2.2", "192.0.2.1", "192.0.2.1", "192.0.2.2"])
    ]
    for event in recorded:
        writer.record(event)

    assert writer.flush() == 5

    stored = store.repository_events(EventQuery()).events[::-1]
    assert [e._replace(correlation_id="") for e in stored] == [
        e._replace(duration_ms=round(e.duration_ms, 3)) for e in recorded
    ]
    assert len({e.correlation_id for e in stored}) == 5
    assert [line["TimeGenerated"] for line in _lines(tmp_path, REPOSITORY_EVENTS_FILE)] == [
        to_json(e)["TimeGenerated"] for e in recorded
    ]


def test_the_json_lines_of_a_batch_are_its_events(store: AuditStore, tmp_path: Path) -> None:
    writer = _writer(store, tmp_path)
    logins = [login_event(user_agent='a "quoted" é agent')]
    pulls = [repository_event(time_generated=T0 + i, correlation_id=f"id-{i}") for i in range(3)]
    for event in (*logins, *pulls):
        writer.record(event)

    writer.flush()

    assert _lines(tmp_path, LOGIN_EVENTS_FILE) == [to_json(e) for e in logins]
    assert _lines(tmp_path, REPOSITORY_EVENTS_FILE) == [to_json(e) for e in pulls]


def test_a_batch_larger_than_one_write_of_lines_reaches_the_file_whole_and_in_order(
    store: AuditStore, tmp_path: Path
) -> None:
    writer = _writer(store, tmp_path)
    count = LINES_PER_WRITE * 2 + 7
    for i in range(count):
        writer.record(repository_event(time_generated=T0 + i / 1000, caller_ip_address=f"192.0.2.{i % 3}"))

    writer.flush()

    times = [line["TimeGenerated"] for line in _lines(tmp_path, REPOSITORY_EVENTS_FILE)]
    assert times == [iso_time(T0 + i / 1000) for i in range(count)]


def test_a_flush_writes_the_database_and_the_json_lines_alike(store: AuditStore, tmp_path: Path) -> None:
    writer = _writer(store, tmp_path)
    for event in (login_event(correlation_id=""), repository_event(correlation_id=""), repository_event()):
        writer.record(event)

    writer.flush()

    stored_logins = store.login_events(EventQuery()).events
    stored_pulls = store.repository_events(EventQuery()).events
    assert [line["CorrelationId"] for line in _lines(tmp_path, LOGIN_EVENTS_FILE)] == [
        e.correlation_id for e in stored_logins
    ]
    assert sorted(line["CorrelationId"] for line in _lines(tmp_path, REPOSITORY_EVENTS_FILE)) == sorted(
        e.correlation_id for e in stored_pulls
    )


def test_the_writer_writes_a_batch_as_soon_as_batch_size_events_wait(store: AuditStore, tmp_path: Path) -> None:
    writer = _writer(store, tmp_path, interval=3600, batch_size=10)

    async def body() -> None:
        for i in range(10):
            writer.record(repository_event(time_generated=time.time() + i))
        with anyio.fail_after(3):
            while not store.repository_events(EventQuery()).events:
                await anyio.sleep(0.02)

    _while_running(writer, body)
    assert len(store.repository_events(EventQuery()).events) == 10


def test_the_writer_writes_what_waits_every_interval(store: AuditStore, tmp_path: Path) -> None:
    writer = _writer(store, tmp_path, interval=0.05, batch_size=500)

    async def body() -> None:
        writer.record(login_event(time_generated=time.time()))
        with anyio.fail_after(3):
            while not store.login_events(EventQuery()).events:
                await anyio.sleep(0.02)

    _while_running(writer, body)


def test_events_still_queued_when_the_writer_stops_are_written(store: AuditStore, tmp_path: Path) -> None:
    writer = _writer(store, tmp_path, interval=3600, batch_size=500)

    async def body() -> None:
        for _ in range(7):
            writer.record(repository_event())

    _while_running(writer, body)

    assert len(store.repository_events(EventQuery()).events) == 7
    assert len(_lines(tmp_path, REPOSITORY_EVENTS_FILE)) == 7


def test_the_writer_prunes_events_past_retention_when_it_starts(store: AuditStore, tmp_path: Path) -> None:
    now = time.time()
    store.add([login_event(time_generated=now - 31 * DAY), login_event(time_generated=now - 29 * DAY)], [])
    writer = _writer(store, tmp_path, retention_days=30, interval=0.05)

    async def body() -> None:
        with anyio.fail_after(3):
            while len(store.login_events(EventQuery()).events) != 1:
                await anyio.sleep(0.02)

    _while_running(writer, body)
    assert store.login_events(EventQuery()).events[0].time_generated == now - 29 * DAY


def test_retention_of_zero_days_keeps_everything(store: AuditStore, tmp_path: Path) -> None:
    store.add([login_event(time_generated=1.0)], [])

    assert _writer(store, tmp_path, retention_days=0).prune() == 0
    assert len(store.login_events(EventQuery()).events) == 1


def test_a_disabled_writer_records_nothing(store: AuditStore, tmp_path: Path) -> None:
    writer = _writer(store, tmp_path, enabled=False)
    writer.record(login_event())

    assert writer.flush() == 0
    assert not (tmp_path / "audit").exists()


class _BrokenStore(AuditStore):
    def add(self, logins: Sequence[LoginEvent], repositories: Sequence[RepositoryEvent]) -> None:
        raise RuntimeError("the database is gone")


def test_events_the_database_refuses_still_reach_the_json_lines(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    writer = AuditWriter(
        _BrokenStore.__new__(_BrokenStore), tmp_path / "audit", login_server="registry.example.com", retention_days=90
    )
    writer.record(login_event(correlation_id=""))

    writer.flush()

    lines = _lines(tmp_path, LOGIN_EVENTS_FILE)
    assert len(lines) == 1 and lines[0]["CorrelationId"]
    assert "storing 1 audit events failed" in caplog.text


def test_a_network_refusal_is_a_failed_login_event_with_the_rules_reason(store: AuditStore, tmp_path: Path) -> None:
    writer = _writer(store, tmp_path)

    writer.network_refused(
        RefusedRequest("198.51.100.9", "/oauth2/token", "GET", "docker/27.0", NetworkReason.DEFAULT_ACTION_DENY)
    )
    writer.flush()

    [event] = store.login_events(EventQuery()).events
    assert event.operation_name is LoginOperation.NETWORK
    assert event.result_type is ResultType.FAILURE
    assert event.reason == "default_action_deny"
    assert (event.caller_ip_address, event.user_agent, event.identity) == ("198.51.100.9", "docker/27.0", "anonymous")
    assert "198.51.100.9" in event.result_description
