"""`AuditWriter`: request handlers hand it events without waiting; a task on the server's event loop
takes them in batches to the sink process (`audit.sink`), which writes them to the metadata store and
as JSON lines and prunes what retention no longer keeps.

`record()` only queues the event in memory: a login event as it is, a repository event as two numbers
(its time and duration) appended to the array of its `RepositoryKey`. The pulls of one client share a
key, so the queue keeps no object per pull: kept objects (a few per request, until the next batch)
spread each request over fresh memory and cost a manifest GET about 5 % of its rate, measured.

`run()` (a task in the app's lifespan) starts the sink process, then wakes every `interval` seconds,
or as soon as `batch_size` events wait, and sends what is queued down the pipe (dumped with marshal on
the loop's thread; written from a worker thread, so a busy sink slows nobody). When it is cancelled
(the server stops) it sends whatever is still queued and waits for the sink to write it, so a clean
stop loses nothing; a crash loses what was queued and not yet sent (at most about one interval's worth).

Why a process: in the server's own interpreter the sink's work — then about 7 µs an event, now about
3 — competed with the request handlers for the GIL and, measured, cost a manifest GET a quarter of
its rate. In its own process it needs no GIL of the server's; on a machine whose
cores the server keeps busy it still takes their CPU (see docs/audit.md, "What it costs").

Without a `database_url` (or when the sink process cannot start, or dies) batches are written in the
server process instead, from a worker thread: slower for the requests, but nothing is lost. A failed
write is logged and its batch kept in the JSON lines only: the audit never stops the registry.

One writer (and one sink process) runs in each server worker process; batches from several workers
interleave in the files (each `O_APPEND` write is whole lines) and in the tables (ordered by
`TimeGenerated` when read).
"""

from __future__ import annotations

import logging
import math
import time
from array import array
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
    PackedGroups,
    RepositoryEvent,
    RepositoryKey,
    ResultType,
    repository_key,
)
from dockyard.audit.sink import PRUNE_EVERY_SECONDS, EventSink, SinkConfig, SinkProcess, event_count
from dockyard.audit.store import AuditStore

log = logging.getLogger("dockyard.audit")

DEFAULT_INTERVAL = 0.5
DEFAULT_BATCH_SIZE = 10_000
# Far behind the database (a stalled disk): memory stays bounded, the newest events (or, for login
# events, the oldest unwritten) give way.
MAX_QUEUED = 200_000


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
        self._repositories: dict[RepositoryKey, array[float]] = {}
        self._repository_count = 0
        self._dropped = 0
        self._wakeup: anyio.Event | None = None

    def record(self, event: Event) -> None:
        """Queue an event; never blocks and never fails. An empty `correlation_id` is given a uuid4
        when the event is stored."""
        if type(event) is RepositoryEvent:
            self.record_repository(repository_key(event), event.time_generated, event.duration_ms)
        elif self.enabled:
            self._logins.append(event)  # type: ignore[arg-type]

    def record_repository(self, key: RepositoryKey, time_generated: float, duration_ms: float) -> None:
        """Queue a repository event given as its key and its two numbers: the hot path's form."""
        if not self.enabled:
            return
        if self._repository_count >= MAX_QUEUED:
            self._dropped += 1
            return
        times = self._repositories.get(key)
        if times is None:
            times = self._repositories[key] = array("d")
        times.append(time_generated)
        times.append(duration_ms)
        self._repository_count += 1
        if self._repository_count == self._batch_size and self._wakeup is not None:
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

    def _send_or_write(self, logins: list[LoginEvent], repositories: PackedGroups) -> int:
        process = self._process
        if process is not None:
            try:
                process.write(process.frame(logins, repositories))
                return len(logins) + event_count(repositories)
            except OSError:
                self._lost_process()
        return self._write(logins, repositories)

    def _write(self, logins: list[LoginEvent], repositories: PackedGroups) -> int:
        return self._sink.write(logins, repositories)

    def _lost_process(self) -> None:
        log.exception("the audit sink process is gone; writing audit events in the server process")
        self._process = None

    def _take(self) -> tuple[list[LoginEvent], PackedGroups]:
        """Everything queued: one batch per wake-up (draining until empty would chase the requests with
        tiny batches, each paying a commit, or a dump and a pipe write)."""
        if len(self._logins) == MAX_QUEUED:
            log.warning("the audit queue is full (%d login events): the oldest unwritten were dropped", MAX_QUEUED)
        if self._dropped:
            log.warning("the audit queue is full (%d repository events): %d were dropped", MAX_QUEUED, self._dropped)
        logins, self._logins = self._logins, deque(maxlen=MAX_QUEUED)
        repositories, self._repositories = self._repositories, {}
        self._repository_count = self._dropped = 0
        return list(logins), [(key, times.tobytes()) for key, times in repositories.items()]

    @staticmethod
    def _guarded(step: Callable[[], int], message: str) -> int:
        try:
            return step()
        except Exception:  # the audit must never take the server down; the next round goes on
            log.exception(message)
            return 0
