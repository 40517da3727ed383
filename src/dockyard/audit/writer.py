"""`AuditWriter`: request handlers hand it events without waiting; a task on the server's event loop
takes them in batches to the sink process (`audit.sink`), which writes them to the metadata store and
as JSON lines and prunes what retention no longer keeps.

`record()` only appends a tuple to an in-memory queue. `run()` (a task in the app's lifespan) starts
the sink process, then wakes every `interval` seconds, or as soon as `batch_size` events wait, and
sends what is queued down the pipe (dumped with marshal on the loop's thread, about half a microsecond an event;
written from a worker thread, so a busy sink slows nobody). When it is cancelled (the server stops)
it sends whatever is still queued and waits for the sink to write it, so a clean stop loses nothing;
a crash loses what was queued and not yet sent (at most about one interval's worth).

Why a process: in the server's own interpreter the database work — about 10 to 20 µs an event, in
SQLite and the driver — competed with the request handlers for the GIL and, measured, cost a manifest
GET a quarter of its rate. In its own process it runs on the core the server leaves idle.

Without a `database_url` (or when the sink process cannot start, or dies) batches are written in the
server process instead, from a worker thread: slower for the requests, but nothing is lost. A failed
write is logged and its batch kept in the JSON lines only: the audit never stops the registry.

One writer (and one sink process) runs in each server worker process; batches from several workers
interleave in the files (each batch is one `O_APPEND` write) and in the tables (ordered by
`TimeGenerated` when read).
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import anyio
import anyio.to_thread

from dockyard.audit.model import (
    ANONYMOUS,
    Event,
    LoginEvent,
    LoginOperation,
    RepositoryEvent,
    RepositoryRow,
    ResultType,
)
from dockyard.audit.sink import PRUNE_EVERY_SECONDS, EventSink, SinkConfig, SinkProcess, plain_row, repository_event
from dockyard.audit.store import AuditStore

log = logging.getLogger("dockyard.audit")

DEFAULT_INTERVAL = 0.5
DEFAULT_BATCH_SIZE = 500
# Far behind the database (a stalled disk): the oldest unwritten events give way, memory stays bounded.
MAX_QUEUED = 200_000
_new = tuple.__new__


class NetworkRefusal(Protocol):
    """What the network rules say about a request they refused (the network middleware's
    `RefusedRequest` has these attributes)."""

    @property
    def ip(self) -> str: ...

    @property
    def method(self) -> str: ...

    @property
    def path(self) -> str: ...

    @property
    def user_agent(self) -> str: ...

    @property
    def reason(self) -> str: ...


class AuditWriter:
    """The audit trail of one server process. With `enabled` false it records nothing.

    Call `record()` and `network_refused()` on the event loop's thread."""

    def __init__(
        self,
        store: AuditStore,
        directory: Path,
        *,
        login_server: str,
        retention_days: int,
        enabled: bool = True,
        clock: Callable[[], float] = time.time,
        interval: float = DEFAULT_INTERVAL,
        batch_size: int = DEFAULT_BATCH_SIZE,
        database_url: str | None = None,
    ) -> None:
        self.enabled = enabled
        self.login_server = login_server
        self.clock = clock
        self._sink = EventSink(store, directory)
        self._process_config = (
            SinkConfig(database_url, str(directory), retention_days) if database_url and enabled else None
        )
        self._process: SinkProcess | None = None
        self._retention_days = retention_days
        self._interval = interval
        self._batch_size = batch_size
        self._logins: deque[LoginEvent] = deque(maxlen=MAX_QUEUED)
        self._repositories: deque[RepositoryRow] = deque(maxlen=MAX_QUEUED)
        self._wakeup: anyio.Event | None = None

    def record(self, event: Event) -> None:
        """Queue an event; never blocks and never fails. An empty `correlation_id` is given a uuid4
        when the event is stored."""
        if type(event) is RepositoryEvent:
            self.record_repository_row(plain_row(event))
        elif self.enabled:
            self._logins.append(event)  # type: ignore[arg-type]

    def record_repository_row(self, row: RepositoryRow) -> None:
        """Queue a repository event given as a plain tuple of `RepositoryEvent`'s fields, in order:
        the hot path's form (a plain tuple is the cheapest thing to build, keep and dump)."""
        if not self.enabled:
            return
        queue = self._repositories
        queue.append(row)
        if len(queue) == self._batch_size and self._wakeup is not None:
            self._wakeup.set()

    def network_refused(self, refusal: NetworkRefusal) -> None:
        """The hook for the network rules: a login event for a request refused before any credential
        was looked at (pass it as the network middleware's `on_refused`)."""
        if not self.enabled:
            return
        description = f"client with IP '{refusal.ip}' is not allowed access ({refusal.method} {refusal.path[:200]})"
        self.record(
            LoginEvent(
                time_generated=self.clock(),
                identity=ANONYMOUS,
                identity_name=ANONYMOUS,
                login_server=self.login_server,
                caller_ip_address=refusal.ip,
                result_type=ResultType.FAILURE,
                result_description=description,
                operation_name=LoginOperation.NETWORK,
                user_agent=refusal.user_agent,
                duration_ms=0.0,
                jwt_id="",
                correlation_id="",
                reason=str(refusal.reason),
            )
        )

    async def run(self) -> None:
        """Send (or write) batches until cancelled, then what is still queued. Prunes at once, then hourly."""
        if not self.enabled:
            await anyio.sleep(math.inf)
        self._process = self._start_process()
        next_prune = 0.0
        try:
            while True:
                self._wakeup = anyio.Event()
                with anyio.move_on_after(self._interval):
                    await self._wakeup.wait()
                await self._write_in_thread()
                if self._process is None and time.monotonic() >= next_prune:  # the sink process prunes its own
                    next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
                    await anyio.to_thread.run_sync(self._guarded, self.prune, "pruning audit events failed")
        finally:
            self._wakeup = None
            self._guarded(self.flush, "writing audit events failed")
            process, self._process = self._process, None
            if process is not None and not process.close():
                log.error("the audit sink process did not finish writing; see its log for the events it held")

    def flush(self) -> int:
        """Send (or write) every event queued so far, here and now; return how many there were."""
        logins, repositories = self._take()
        return self._send_or_write(logins, repositories) if logins or repositories else 0

    def prune(self) -> int:
        """Remove events older than the retention period (none when it is 0 or less), in this process."""
        return self._sink.prune(self.clock(), self._retention_days)

    def _start_process(self) -> SinkProcess | None:
        if self._process_config is None:
            return None
        try:
            return SinkProcess(self._process_config)
        except OSError:
            log.exception("cannot start the audit sink process; writing audit events in the server process")
            return None

    async def _write_in_thread(self) -> None:
        logins, repositories = self._take()
        if not logins and not repositories:
            return
        process = self._process
        if process is not None:
            # Pickled here, on the loop's thread: in a worker thread it would only pass the GIL back and forth.
            frame = process.frame(logins, repositories)
            try:
                with anyio.CancelScope(shield=True):  # taken from the queue: a stop must not drop it on the way
                    await anyio.to_thread.run_sync(process.write, frame)
                return
            except OSError:
                self._lost_process()
        write = lambda: self._write(logins, repositories)  # noqa: E731
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(self._guarded, write, "writing audit events failed")

    def _send_or_write(self, logins: list[LoginEvent], repositories: list[RepositoryRow]) -> int:
        process = self._process
        if process is not None:
            try:
                process.write(process.frame(logins, repositories))
                return len(logins) + len(repositories)
            except OSError:
                self._lost_process()
        return self._write(logins, repositories)

    def _write(self, logins: list[LoginEvent], repositories: list[RepositoryRow]) -> int:
        return self._sink.write(logins, [repository_event(row) for row in repositories])

    def _lost_process(self) -> None:
        log.exception("the audit sink process is gone; writing audit events in the server process")
        self._process = None

    def _take(self) -> tuple[list[LoginEvent], list[RepositoryRow]]:
        """Everything queued: one batch per wake-up (draining until empty would chase the requests with
        tiny batches, each paying a commit, or a dump and a pipe write)."""
        if MAX_QUEUED in (len(self._logins), len(self._repositories)):
            log.warning("the audit queue is full (%d events): the oldest unwritten events were dropped", MAX_QUEUED)
        logins, self._logins = self._logins, deque(maxlen=MAX_QUEUED)
        repositories, self._repositories = self._repositories, deque(maxlen=MAX_QUEUED)
        return list(logins), list(repositories)

    @staticmethod
    def _guarded(step: Callable[[], int], message: str) -> int:
        try:
            return step()
        except Exception:  # the audit must never take the server down; the next round goes on
            log.exception(message)
            return 0
