"""Where batches of events end up, and the process that puts them there.

`EventSink` writes a batch — one transaction in the metadata store, then its JSON lines, up to
`LINES_PER_WRITE` in each `write()` — and prunes what retention no longer keeps, in the tables and in
the rotated files.

`SinkProcess` is a child process (`python -m dockyard.audit.sink`) running an `EventSink`. A server
hands it each batch through a pipe and goes on: the database work, which costs several times what
queueing the events did, then runs on another core, outside the server's interpreter and its GIL.
The child stops when the pipe closes (the server stopped, cleanly or not) after writing everything
it received; it ignores SIGINT and SIGTERM so that a Ctrl-C or a service manager's stop, which reach
the whole process group, cannot cut it off before the server's last batch.

The pipe carries frames: a 4-byte little-endian length, then a `marshal` dump (both ends run the same
interpreter; marshal dumps plain tuples of strings and numbers about twice as fast as pickle). The
first frame is the `SinkConfig` as a tuple; each further one is a batch `(login rows, repository
groups)`: login events as plain tuples, their enum members as plain strings, and repository events as
`PackedGroups`. The database URL travels in that first frame, never on the command line where `ps`
would show it. The sink rounds each duration to the microsecond and puts the repository events back in
time order, so the server does not have to.
"""

from __future__ import annotations

import dataclasses
import datetime
import logging
import marshal
import os
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from dockyard.audit.model import (
    LoginEvent,
    PackedGroups,
    RepositoryBatch,
    json_lines,
    plain_row,
    repository_batch,
    repository_json_lines,
    with_ids,
)

log = logging.getLogger("dockyard.audit")

LOGIN_EVENTS_FILE = "login-events.jsonl"
REPOSITORY_EVENTS_FILE = "repository-events.jsonl"
PRUNE_EVERY_SECONDS = 3600
STOP_TIMEOUT_SECONDS = 60.0
#: Lines formatted and written at a time: a batch's lines all at once are megabytes of fresh memory, and
#: the caches they sweep are shared with the server's cores.
LINES_PER_WRITE = 500
_DAY = 86400
_HEADER = struct.Struct("<I")
_new = tuple.__new__
_PAIR = 16  # bytes: two doubles, an event's time and duration


@dataclass(frozen=True)
class SinkConfig:
    """What a sink process needs: where the events go and how long they are kept."""

    database_url: str
    directory: str
    retention_days: int


class BatchStore(Protocol):
    """What a sink needs of the audit's tables: `AuditStore`, or `SqliteEventStore` in the sink process."""

    def write(self, logins: Sequence[LoginEvent], repositories: RepositoryBatch) -> None: ...

    def prune(self, older_than: float) -> int: ...


class EventSink:
    """Writes batches to the metadata store and the JSON-lines files under `directory`."""

    def __init__(self, store: BatchStore, directory: Path) -> None:
        self._store = store
        self._directory = directory

    def write(self, logins: Sequence[LoginEvent], repositories: PackedGroups) -> int:
        """Store a batch and append it as JSON lines, giving each event without a correlation id a new
        one; return how many events it held. A batch the database refuses is logged and still reaches
        the JSON lines."""
        logins, batch = with_ids(logins), repository_batch(repositories)
        count = len(logins) + len(batch.rows)
        try:
            self._store.write(logins, batch)
        except Exception:
            log.exception("storing %d audit events failed; they are written to the JSON lines only", count)
        self._append(LOGIN_EVENTS_FILE, [json_lines(logins)])
        rows = range(0, len(batch.rows), LINES_PER_WRITE)
        self._append(REPOSITORY_EVENTS_FILE, (repository_json_lines(batch, i, i + LINES_PER_WRITE) for i in rows))
        return count

    def prune(self, now: float, retention_days: int) -> int:
        """Remove events older than `retention_days` (none when it is 0 or less) from the tables, and
        rotate the JSON-lines files: a file last written on an earlier day (UTC) is renamed
        `<name>.<that day>`, and rotated files older than the retention period are deleted."""
        if retention_days <= 0:
            return 0
        removed = self._store.prune(now - retention_days * _DAY)
        today = _day(now)
        oldest_kept = _day(now - retention_days * _DAY)
        for name in (LOGIN_EVENTS_FILE, REPOSITORY_EVENTS_FILE):
            self._rotate(name, today, oldest_kept)
        return removed

    def _rotate(self, name: str, today: str, oldest_kept: str) -> None:
        current = self._directory / name
        try:
            last_written = _day(current.stat().st_mtime)
            if last_written < today and not current.with_name(f"{name}.{last_written}").exists():
                current.rename(current.with_name(f"{name}.{last_written}"))
        except FileNotFoundError:  # nothing written yet, or another worker rotated it first
            pass
        for rotated in self._directory.glob(f"{name}.*"):
            if rotated.name[len(name) + 1 :] < oldest_kept:
                rotated.unlink(missing_ok=True)

    def _append(self, name: str, chunks: Iterable[str]) -> None:
        """Append each chunk of lines with one `write()` (opened once, and only if there are lines)."""
        descriptor = None
        try:
            for lines in chunks:
                if not lines:
                    continue
                if descriptor is None:
                    # Opened per batch, so rotation (ours or a log rotator's) may move the file away at any time.
                    self._directory.mkdir(parents=True, exist_ok=True)
                    descriptor = os.open(self._directory / name, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
                view = memoryview(lines.encode())
                while view:
                    view = view[os.write(descriptor, view) :]
        finally:
            if descriptor is not None:
                os.close(descriptor)


class SinkProcess:
    """The server's end of a sink process: `frame()` a batch, then `write()` it. `write()` blocks while
    the pipe is full: call it off the event loop. An `OSError` from it means the child is gone."""

    def __init__(self, config: SinkConfig) -> None:
        self._child = subprocess.Popen(
            [sys.executable, "-m", "dockyard.audit.sink"],
            stdin=subprocess.PIPE,
            close_fds=True,
        )
        self.write(_frame(dataclasses.astuple(config)))

    @staticmethod
    def frame(logins: Sequence[LoginEvent], repositories: PackedGroups) -> bytes:
        """A batch as the bytes `write()` sends."""
        return _frame(([plain_row(e) for e in logins], repositories))

    def write(self, frame: bytes) -> None:
        """Send a frame to the child."""
        stdin = self._child.stdin
        assert stdin is not None
        stdin.write(frame)
        stdin.flush()

    def close(self, timeout: float = STOP_TIMEOUT_SECONDS) -> bool:
        """Close the pipe and wait for the child to write what it received; False if it failed or hung."""
        stdin = self._child.stdin
        try:
            if stdin is not None:
                stdin.close()
            return self._child.wait(timeout) == 0
        except (OSError, subprocess.TimeoutExpired):
            self._child.kill()
            return False


def serve(source: IO[bytes]) -> None:
    """The child's loop: read the config, then write batches until the pipe closes; prune at start
    and hourly."""
    config = SinkConfig(*_read_frame(source))
    store, close = _open_store(config.database_url)
    sink = EventSink(store, Path(config.directory))
    next_prune = 0.0
    try:
        while (batch := _read_frame(source)) is not None:
            logins, repositories = batch
            sink.write([_new(LoginEvent, row) for row in logins], repositories)
            if time.monotonic() >= next_prune:
                next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
                try:
                    sink.prune(time.time(), config.retention_days)
                except Exception:  # the next round tries again
                    log.exception("pruning audit events failed")
    finally:
        close()


def _open_store(database_url: str) -> tuple[BatchStore, Callable[[], None]]:
    """The audit tables of `database_url`: on a SQLite file through the standard library (a small
    process), elsewhere through the metadata store's SQLAlchemy engine."""
    path = _sqlite_file(database_url)
    if path is not None:
        from dockyard.audit.sqlite_store import SqliteEventStore

        sqlite_store = SqliteEventStore(path)
        return sqlite_store, sqlite_store.close
    from dockyard.audit.store import AuditStore
    from dockyard.metadata.store import MetadataStore

    metadata = MetadataStore(database_url)
    return AuditStore(metadata.engine), metadata.close


def _sqlite_file(database_url: str) -> str | None:
    """The file of a `sqlite:///path` URL (`sqlite+pysqlite:` too); None for anything else."""
    scheme, _, rest = database_url.partition(":///")
    if scheme not in ("sqlite", "sqlite+pysqlite") or not rest or "?" in rest:
        return None
    return rest


def event_count(groups: PackedGroups) -> int:
    """How many events `groups` hold."""
    return sum(len(packed) for _, packed in groups) // _PAIR


def _frame(value: Any) -> bytes:
    payload = marshal.dumps(value)
    return _HEADER.pack(len(payload)) + payload


def _read_frame(source: IO[bytes]) -> Any:
    header = source.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (length,) = _HEADER.unpack(header)
    payload = source.read(length)
    if len(payload) < length:
        return None  # the server died halfway through a frame: that batch is lost, as the docs say
    return marshal.loads(payload)


def _day(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).date().isoformat()


if __name__ == "__main__":
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    serve(sys.stdin.buffer)
