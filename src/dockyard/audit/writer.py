"""`AuditWriter`: request handlers hand it events without waiting; a task on the server's event loop
writes them in batches to the metadata store and as JSON lines, and prunes what retention no longer keeps.

`record()` only appends to an in-memory queue. `run()` (a task in the app's lifespan) wakes every
`interval` seconds, or as soon as `batch_size` events wait, takes what is queued and writes it: one
transaction in the metadata store, then one `write()` per JSON-lines file. When it is cancelled (the
server stops) it writes whatever is still queued, so a clean stop loses nothing; a crash loses what
was queued and not yet written (at most about one interval's worth). A failed write is logged and its
batch kept in the JSON lines only: the audit never stops the registry.

Why a task and not a thread: the audit shares the interpreter with the request handlers. Per event,
Python only queues a tuple (on the loop thread, like everything else per request); the database work
runs in a worker thread as C code that releases the GIL (see `batches`). A Python thread working on the
same events would contend for the GIL with the event loop and granian's threads, and in measurements
cost the manifest GET several times what the work itself costs.

One writer runs in each server worker process; batches from several workers interleave in the files
(each batch is one `O_APPEND` write) and in the tables (ordered by `TimeGenerated` when read).
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

import anyio
import anyio.to_thread

from dockyard.audit.model import ANONYMOUS, Event, LoginEvent, LoginOperation, RepositoryEvent, ResultType
from dockyard.audit.store import AuditStore

log = logging.getLogger("dockyard.audit")

LOGIN_EVENTS_FILE = "login-events.jsonl"
REPOSITORY_EVENTS_FILE = "repository-events.jsonl"
DEFAULT_INTERVAL = 0.5
DEFAULT_BATCH_SIZE = 500
# Far behind the database (a stalled disk): the oldest unwritten events give way, memory stays bounded.
MAX_QUEUED = 200_000
PRUNE_EVERY_SECONDS = 3600
_DAY = 86400


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
    ) -> None:
        self.enabled = enabled
        self.login_server = login_server
        self.clock = clock
        self._store = store
        self._directory = directory
        self._retention_days = retention_days
        self._interval = interval
        self._batch_size = batch_size
        self._queue: deque[Event] = deque(maxlen=MAX_QUEUED)
        self._wakeup: anyio.Event | None = None

    def record(self, event: Event) -> None:
        """Queue an event; never blocks and never fails. An empty `correlation_id` is given a uuid4
        when the event is stored."""
        if not self.enabled:
            return
        queue = self._queue
        queue.append(event)
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
        """Write batches until cancelled, then write what is still queued. Prunes at once, then hourly."""
        if not self.enabled:
            await anyio.sleep(math.inf)
        next_prune = 0.0
        try:
            while True:
                self._wakeup = anyio.Event()
                with anyio.move_on_after(self._interval):
                    await self._wakeup.wait()
                await self._write_in_thread(len(self._queue))
                if time.monotonic() >= next_prune:
                    next_prune = time.monotonic() + PRUNE_EVERY_SECONDS
                    await anyio.to_thread.run_sync(self._guarded, self.prune, "pruning audit events failed")
        finally:
            self._wakeup = None
            self._guarded(self.flush, "writing audit events failed")

    def flush(self) -> int:
        """Write every event queued so far, here and now; return how many were written."""
        written = 0
        while self._queue:
            logins, repositories = self._take(len(self._queue))
            self._write(logins, repositories)
            written += len(logins) + len(repositories)
        return written

    def prune(self) -> int:
        """Remove events older than the retention period (none when it is 0 or less)."""
        if self._retention_days <= 0:
            return 0
        return self._store.prune(self.clock() - self._retention_days * _DAY)

    async def _write_in_thread(self, count: int) -> None:
        # One batch per wake-up, what is queued now: draining until empty would chase the requests
        # with tiny batches, each paying a commit.
        if count == 0:
            return
        logins, repositories = self._take(count)
        write = lambda: self._write(logins, repositories)  # noqa: E731
        await anyio.to_thread.run_sync(self._guarded, write, "writing audit events failed")

    def _take(self, count: int) -> tuple[list[LoginEvent], list[RepositoryEvent]]:
        queue = self._queue
        if len(queue) == MAX_QUEUED:
            log.warning("the audit queue is full (%d events): the oldest unwritten events were dropped", MAX_QUEUED)
        logins: list[LoginEvent] = []
        repositories: list[RepositoryEvent] = []
        for _ in range(min(count, len(queue))):
            event = queue.popleft()
            if type(event) is RepositoryEvent:
                repositories.append(event)
            else:
                logins.append(event)  # type: ignore[arg-type]
        return logins, repositories

    def _write(self, logins: list[LoginEvent], repositories: list[RepositoryEvent]) -> int:
        try:
            lines = self._store.add(logins, repositories)
        except Exception:
            count = len(logins) + len(repositories)
            log.exception("storing %d audit events failed; they are written to the JSON lines only", count)
            lines = self._store.render(logins, repositories)
        self._append(LOGIN_EVENTS_FILE, lines.logins)
        self._append(REPOSITORY_EVENTS_FILE, lines.repositories)
        return len(logins) + len(repositories)

    @staticmethod
    def _guarded(step: Callable[[], int], message: str) -> int:
        try:
            return step()
        except Exception:  # the audit must never take the server down; the next round goes on
            log.exception(message)
            return 0

    def _append(self, name: str, lines: str) -> None:
        if not lines:
            return
        data = lines.encode()
        # Opened per batch, so a log rotator may move the file away at any time.
        self._directory.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self._directory / name, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(descriptor, view) :]
        finally:
            os.close(descriptor)
