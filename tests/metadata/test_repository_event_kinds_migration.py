"""Migration 0007 splits the repository events into kinds and slim rows: the events stored before it
read back unchanged, and undoing it gives the wide rows back."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import insert, table, text
from sqlalchemy.sql import column

from dockyard.audit.model import RepositoryEvent
from dockyard.audit.store import AuditStore, EventQuery
from dockyard.metadata.store import MetadataStore
from tests.audit.test_model import repository_event
from tests.metadata.migrating import alembic

T0 = 1_767_225_600.0


def _wide_rows(events: list[RepositoryEvent]) -> list[dict[str, object]]:
    return [
        {name: value.value if hasattr(value, "value") else value for name, value in event._asdict().items()}
        for event in events
    ]


def test_events_stored_before_the_split_read_back_unchanged(tmp_path: Path) -> None:
    store = MetadataStore(f"sqlite:///{tmp_path / 'dockyard.db'}")
    alembic(store, "upgrade", "0006")
    before = [
        repository_event(time_generated=T0, correlation_id="a"),
        repository_event(time_generated=T0 + 1, correlation_id="b"),
        repository_event(time_generated=T0 + 2, correlation_id="c", caller_ip_address="192.0.2.9", user_agent="é"),
    ]
    wide = table("repository_events", *(column(name) for name in RepositoryEvent._fields))
    with store.engine.begin() as connection:
        connection.execute(insert(wide), _wide_rows(before))

    store.migrate()

    assert AuditStore(store.engine).repository_events(EventQuery()).events == before[::-1]
    with store.engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM repository_event_kinds")).scalar_one() == 2
    store.close()


def test_the_split_can_be_undone(tmp_path: Path) -> None:
    store = MetadataStore(f"sqlite:///{tmp_path / 'dockyard.db'}")
    store.migrate()
    AuditStore(store.engine).add([], [repository_event(time_generated=T0, correlation_id="a")])

    alembic(store, "downgrade", "0006")

    with store.engine.connect() as connection:
        rows = connection.execute(text("SELECT time_generated, repository, correlation_id FROM repository_events"))
        assert [tuple(row) for row in rows] == [(T0, "team/app", "a")]
    store.migrate()
    store.close()
