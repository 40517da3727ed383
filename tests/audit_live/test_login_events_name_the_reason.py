"""The seed's causes 5 and 7 on a live server leave login events that name the exact reason, and a push
and a pull leave repository events. Events are read from the JSON lines the server appends."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.auth.conftest import TokenRegistry, start_token_registry

FLUSH_SECONDS = 1.5  # the audit writer flushes about every half second


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    """A token-auth registry of this module's own (it switches the permissions mode)."""
    running = start_token_registry(tmp_path_factory.mktemp("audit") / "data")
    yield running
    running.server.stop()


def _events(data_dir: Path, kind: str) -> list[dict[str, Any]]:
    time.sleep(FLUSH_SECONDS)
    path = data_dir / "audit" / f"{kind}-events.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_wrong_client_secret_is_logged_with_its_reason(registry: TokenRegistry) -> None:
    principal = registry.service_principal("audited-ci", role="AcrPull")
    registry.token_response(auth=(principal.app_id, "not-the-secret"))

    events = [e for e in _events(registry.data_dir, "login") if e["Identity"] == principal.app_id]

    assert [e["ResultType"] for e in events][-1:] == ["failure"]
    assert events[-1]["Reason"] == "wrong_secret"
    assert "not-the-secret" not in json.dumps(events)


def test_pushing_with_acrpull_only_is_logged_as_a_denied_action(registry: TokenRegistry) -> None:
    principal = registry.service_principal("audited-puller", role="AcrPull")
    registry.token_response("repository:team/app:pull,push", auth=(principal.app_id, principal.secret))

    events = [e for e in _events(registry.data_dir, "login") if e["Identity"] == principal.object_id]

    assert "repository:team/app:push=no_matching_assignment" in events[-1]["Reason"]


def test_after_switching_to_rbac_abac_the_legacy_role_is_named(registry: TokenRegistry) -> None:
    principal = registry.service_principal("audited-legacy", role="AcrPull")
    registry.update("--role-assignment-mode", "rbac-abac")
    try:
        registry.token_response("repository:team/app:pull", auth=(principal.app_id, principal.secret))
        events = [e for e in _events(registry.data_dir, "login") if e["Identity"] == principal.object_id]
    finally:
        registry.update("--role-assignment-mode", "rbac")

    assert "repository:team/app:pull=legacy_role_ignored_in_abac_mode(" in events[-1]["Reason"]


def test_a_push_and_a_pull_leave_repository_events(registry: TokenRegistry) -> None:
    token = registry.access_token("repository:audited/app:pull,push")
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": _EMPTY, "size": 2},
            "layers": [],
        }
    ).encode()
    with registry.bearer_client(token) as client:
        client.post(f"/v2/audited/app/blobs/uploads/?digest={_EMPTY}", content=b"{}")
        pushed = client.put(
            "/v2/audited/app/manifests/v1",
            content=manifest,
            headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"},
        )
        pulled = client.get("/v2/audited/app/manifests/v1")
    assert (pushed.status_code, pulled.status_code) == (201, 200)

    events = [e for e in _events(registry.data_dir, "repository") if e["Repository"] == "audited/app"]

    assert [(e["OperationName"], e["Tag"], e["Digest"]) for e in events] == [
        ("push", "v1", pushed.headers["Docker-Content-Digest"]),
        ("pull", "v1", pushed.headers["Docker-Content-Digest"]),
    ]


_EMPTY = "sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
