"""Reading a running server's audit trail from a test: its events in the metadata store, waited for
(the writer writes every half second), and its JSON lines."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from dockyard.audit.model import LoginEvent, RepositoryEvent
from dockyard.audit.store import AuditStore, EventQuery
from dockyard.metadata.store import MetadataStore

_E = TypeVar("_E", LoginEvent, RepositoryEvent)
WAIT_SECONDS = 5.0


def login_events(data_dir: Path, predicate: Callable[[LoginEvent], bool], count: int = 1) -> list[LoginEvent]:
    """The server's login events matching `predicate` (newest first), once there are at least `count`."""
    return _wait(data_dir, lambda store: store.login_events(EventQuery(limit=10_000)).events, predicate, count)


def repository_events(
    data_dir: Path, predicate: Callable[[RepositoryEvent], bool], count: int = 1
) -> list[RepositoryEvent]:
    """The server's repository events matching `predicate` (newest first), once there are at least `count`."""
    return _wait(data_dir, lambda store: store.repository_events(EventQuery(limit=10_000)).events, predicate, count)


def json_lines(data_dir: Path, name: str) -> list[dict[str, Any]]:
    """The objects of one of the server's JSON-lines files (`login-events.jsonl`, `repository-events.jsonl`)."""
    path = data_dir / "audit" / name
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _wait(
    data_dir: Path,
    read: Callable[[AuditStore], list[_E]],
    predicate: Callable[[_E], bool],
    count: int,
) -> list[_E]:
    deadline = time.monotonic() + WAIT_SECONDS
    metadata = MetadataStore(f"sqlite:///{data_dir / 'dockyard.db'}")
    try:
        store = AuditStore(metadata.engine)
        while True:
            found = [event for event in read(store) if predicate(event)]
            if len(found) >= count or time.monotonic() > deadline:
                assert len(found) >= count, f"expected {count} matching events within {WAIT_SECONDS} s, found {found}"
                return found
            time.sleep(0.1)
    finally:
        metadata.close()
