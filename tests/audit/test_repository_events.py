"""Pushes, pulls and deletes of manifests leave repository events with the repository, tag, digest,
media type, size and who did it (the access token's subject, and its `jti` to tie it to the login);
a HEAD is not a pull; a refused operation is a failure with its OCI code."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dockyard.audit.model import RepositoryEvent, RepositoryOperation, ResultType
from dockyard.audit.store import AuditStore, EventQuery
from dockyard.metadata.store import MetadataStore
from tests.audit import events
from tests.auth.conftest import TokenRegistry, jwt_part, start_token_registry
from tests.conftest import RunningRegistry, start_registry
from tests.oci import OCI_CONFIG, OCI_MANIFEST, push_image, unique_name


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    """A token-auth registry of this module's own."""
    running = start_token_registry(tmp_path_factory.mktemp("audit-repositories") / "data")
    yield running
    running.server.stop()


def _client(registry: TokenRegistry, name: str, actions: str) -> tuple[httpx.Client, str]:
    token = registry.access_token(f"repository:{name}:{actions}")
    agent = f"audit-test/{uuid.uuid4().hex}"
    client = registry.bearer_client(token)
    client.headers["User-Agent"] = agent
    return client, token


def _events(data_dir: Path, name: str, count: int = 1) -> list[RepositoryEvent]:
    return events.repository_events(data_dir, lambda e: e.repository == name, count)


def _owner_id(registry: TokenRegistry) -> str:
    with registry.directory() as directory:
        owner = directory.user_by_name("owner")
    assert owner is not None
    return owner.object_id


def test_a_push_records_the_manifest_and_who_pushed_it(registry: TokenRegistry) -> None:
    name = unique_name()
    client, token = _client(registry, name, "pull,push")
    with client:
        pushed = push_image(client, name, "v1")

    [event] = _events(registry.data_dir, name)

    assert (event.operation_name, event.result_type, event.reason) == (RepositoryOperation.PUSH, ResultType.SUCCESS, "")
    assert (event.tag, event.digest, event.size) == ("v1", pushed.digest, len(pushed.body))
    assert (event.media_type, event.artifact_type) == (OCI_MANIFEST, OCI_CONFIG)
    assert (event.identity, event.identity_name) == (_owner_id(registry), "owner")
    assert event.jwt_id == jwt_part(token, 1)["jti"]
    assert event.login_server == registry.host and event.caller_ip_address == "127.0.0.1"
    assert event.user_agent == client.headers["User-Agent"]
    assert uuid.UUID(event.correlation_id).version == 4


def test_a_pull_is_recorded_and_a_head_is_not(registry: TokenRegistry) -> None:
    name = unique_name()
    client, _ = _client(registry, name, "pull,push")
    with client:
        pushed = push_image(client, name, "v1")
        assert client.head(f"/v2/{name}/manifests/v1", headers={"Accept": OCI_MANIFEST}).status_code == 200
        assert client.get(f"/v2/{name}/manifests/{pushed.digest}", headers={"Accept": OCI_MANIFEST}).status_code == 200

    recorded = _events(registry.data_dir, name, count=2)

    assert [e.operation_name for e in recorded] == [RepositoryOperation.PULL, RepositoryOperation.PUSH]
    pull = recorded[0]
    assert (pull.tag, pull.digest, pull.size, pull.result_type) == (
        "",
        pushed.digest,
        len(pushed.body),
        ResultType.SUCCESS,
    )


def test_deleting_a_tag_records_the_tag_and_the_digest_it_pointed_at(registry: TokenRegistry) -> None:
    name = unique_name()
    client, _ = _client(registry, name, "pull,push,delete")
    with client:
        pushed = push_image(client, name, "v1")
        assert client.delete(f"/v2/{name}/manifests/v1").status_code == 202

    delete = _events(registry.data_dir, name, count=2)[0]

    assert (delete.operation_name, delete.tag, delete.digest) == (RepositoryOperation.DELETE, "v1", pushed.digest)


def test_a_pull_of_an_unknown_tag_is_a_failure_with_manifest_unknown(registry: TokenRegistry) -> None:
    name = unique_name()
    client, _ = _client(registry, name, "pull,push")
    with client:
        push_image(client, name, "v1")
        assert client.get(f"/v2/{name}/manifests/nope").status_code == 404

    failed = events.repository_events(registry.data_dir, lambda e: e.repository == name and e.tag == "nope")[0]

    assert (failed.operation_name, failed.result_type, failed.reason) == (
        RepositoryOperation.PULL,
        ResultType.FAILURE,
        "MANIFEST_UNKNOWN",
    )


def test_a_push_the_token_does_not_allow_is_a_failure_with_unauthorized(registry: TokenRegistry) -> None:
    name = unique_name()
    client, _ = _client(registry, name, "pull")
    with client:
        assert (
            client.put(f"/v2/{name}/manifests/v1", content=b"{}", headers={"Content-Type": OCI_MANIFEST}).status_code
            == 401
        )

    [event] = _events(registry.data_dir, name)

    assert (event.operation_name, event.result_type, event.reason) == (
        RepositoryOperation.PUSH,
        ResultType.FAILURE,
        "UNAUTHORIZED",
    )
    assert event.identity == "unauthenticated"


def test_with_open_authentication_the_identity_is_anonymous(fresh_registry: RunningRegistry) -> None:
    name = unique_name()
    with fresh_registry.client() as client:
        push_image(client, name, "v1")

    [event] = _events(fresh_registry.data_dir, name)

    assert (event.identity, event.identity_name, event.jwt_id) == ("anonymous", "anonymous", "")


def test_what_is_queued_when_the_server_stops_is_written(tmp_path: Path) -> None:
    server = start_registry(tmp_path / "data")
    name = unique_name()
    with server.client() as client:
        pushed = push_image(client, name, "v1")
        for _ in range(3):
            client.get(f"/v2/{name}/manifests/v1", headers={"Accept": OCI_MANIFEST})
    server.stop()  # at once: well within the writer's half-second interval

    recorded = _events(server.data_dir, name, count=4)
    lines = [
        line for line in events.json_lines(server.data_dir, "repository-events.jsonl") if line["Repository"] == name
    ]
    assert len(recorded) == 4 and len(lines) == 4
    assert {event.digest for event in recorded} == {pushed.digest}


def test_with_audit_enabled_false_nothing_is_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DOCKYARD_AUDIT_ENABLED", "false")
    server = start_registry(tmp_path / "data")
    with server.client() as client:
        push_image(client, unique_name(), "v1")
    server.stop()

    assert not (server.data_dir / "audit").exists()
    metadata = MetadataStore(f"sqlite:///{server.data_dir / 'dockyard.db'}")
    try:
        assert AuditStore(metadata.engine).repository_events(EventQuery()).events == []
    finally:
        metadata.close()
