"""The sink: batches reach the database and the JSON lines from a separate process, which writes all it
received when the server stops and whose loss the server survives; retention rotates the files."""

from __future__ import annotations

import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest

from dockyard.audit.sink import LOGIN_EVENTS_FILE, REPOSITORY_EVENTS_FILE, EventSink
from dockyard.audit.store import AuditStore, EventQuery
from dockyard.audit.writer import AuditWriter
from dockyard.metadata.store import MetadataStore
from tests.audit.test_model import login_event, repository_event

DAY = 86400


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[str, AuditStore]]:
    url = f"sqlite:///{tmp_path / 'dockyard.db'}"
    metadata = MetadataStore(url)
    metadata.migrate()
    yield url, AuditStore(metadata.engine)
    metadata.close()


def _writer(store: AuditStore, directory: Path, database_url: str, interval: float) -> AuditWriter:
    return AuditWriter(
        store, directory / "audit", login_server="r", retention_days=90, interval=interval, database_url=database_url
    )


def _sink_children() -> list[int]:
    """The pids of this process's children that run the sink."""
    children = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == os.getpid() and b"dockyard.audit.sink" in command:
            children.append(int(entry.name))
    return children


def _lines(directory: Path, name: str) -> list[dict[str, object]]:
    path = directory / name
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_with_a_database_url_a_child_process_writes_the_batches(
    database: tuple[str, AuditStore], tmp_path: Path
) -> None:
    url, store = database
    writer = _writer(store, tmp_path, url, interval=0.05)

    async def main() -> None:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(writer.run)
            await anyio.sleep(0.05)
            assert len(_sink_children()) == 1
            writer.record(login_event(correlation_id="", time_generated=time.time()))
            writer.record(repository_event(time_generated=time.time()))
            with anyio.fail_after(10):
                while not store.repository_events(EventQuery()).events:
                    await anyio.sleep(0.05)
            tasks.cancel_scope.cancel()

    anyio.run(main)

    assert len(store.login_events(EventQuery()).events) == 1
    [line] = _lines(tmp_path / "audit", LOGIN_EVENTS_FILE)
    assert line["CorrelationId"]
    assert _sink_children() == []  # it stopped with the writer


def test_the_child_writes_everything_still_queued_when_the_server_stops(
    database: tuple[str, AuditStore], tmp_path: Path
) -> None:
    url, store = database
    writer = _writer(store, tmp_path, url, interval=3600)

    async def main() -> None:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(writer.run)
            await anyio.sleep(0.05)
            for i in range(1000):
                writer.record(repository_event(time_generated=time.time() + i))
            tasks.cancel_scope.cancel()

    anyio.run(main)

    assert len(store.repository_events(EventQuery(limit=5000)).events) == 1000
    assert len(_lines(tmp_path / "audit", REPOSITORY_EVENTS_FILE)) == 1000


def test_when_the_child_dies_the_server_writes_the_events_itself(
    database: tuple[str, AuditStore], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url, store = database
    writer = _writer(store, tmp_path, url, interval=0.05)

    async def main() -> None:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(writer.run)
            await anyio.sleep(0.05)
            [child] = _sink_children()
            os.kill(child, signal.SIGKILL)
            await anyio.sleep(0.3)
            for _ in range(3):
                writer.record(repository_event(time_generated=time.time()))
            with anyio.fail_after(10):
                while len(store.repository_events(EventQuery()).events) < 3:
                    await anyio.sleep(0.05)
            tasks.cancel_scope.cancel()

    anyio.run(main)

    assert "the audit sink process is gone" in caplog.text


def test_retention_rotates_yesterdays_file_and_deletes_rotated_files_past_retention(
    database: tuple[str, AuditStore], tmp_path: Path
) -> None:
    _, store = database
    directory = tmp_path / "audit"
    directory.mkdir()
    now = time.mktime((2026, 11, 27, 12, 0, 0, 0, 0, -1))
    current = directory / LOGIN_EVENTS_FILE
    current.write_text('{"yesterday": 1}\n')
    os.utime(current, (now - DAY, now - DAY))
    (directory / f"{LOGIN_EVENTS_FILE}.2026-10-01").write_text("{}\n")
    (directory / f"{LOGIN_EVENTS_FILE}.2026-11-20").write_text("{}\n")

    EventSink(store, directory).prune(now, retention_days=30)

    assert sorted(path.name for path in directory.iterdir()) == [
        f"{LOGIN_EVENTS_FILE}.2026-11-20",
        f"{LOGIN_EVENTS_FILE}.2026-11-26",
    ]


def test_todays_file_is_not_rotated(database: tuple[str, AuditStore], tmp_path: Path) -> None:
    _, store = database
    directory = tmp_path / "audit"
    directory.mkdir()
    (directory / REPOSITORY_EVENTS_FILE).write_text("{}\n")

    EventSink(store, directory).prune(time.time(), retention_days=30)

    assert [path.name for path in directory.iterdir()] == [REPOSITORY_EVENTS_FILE]
