"""On a live server: a token request that is denied a push leaves a login event, and
`dockyard explain --event <id>` (a separate process, on the server's data) names the same reason."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.audit.events import login_events
from tests.auth.conftest import TokenRegistry, start_token_registry
from tests.conftest import DOCKYARD


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    running = start_token_registry(tmp_path_factory.mktemp("explain") / "data")
    yield running
    running.server.stop()


def _explain(data_dir: Path, *args: str) -> str:
    done = subprocess.run(
        [DOCKYARD, "explain", *args, "--data-dir", str(data_dir)], check=True, capture_output=True, text=True
    )
    return done.stdout


def test_explain_event_names_the_reason_the_token_service_logged(registry: TokenRegistry) -> None:
    principal = registry.service_principal("explained-puller", role="AcrPull")
    response = registry.token_response("repository:team/app:pull,push", auth=(principal.app_id, principal.secret))
    assert response.status_code == 200
    (event,) = login_events(registry.data_dir, lambda e: e.identity == principal.object_id)
    assert "repository:team/app:push=no_matching_assignment" in event.reason

    document = json.loads(_explain(registry.data_dir, "--event", event.correlation_id, "--output", "json"))
    tree = _explain(registry.data_dir, "--event", event.correlation_id)

    (denied,) = document["notGranted"]
    assert (denied["name"], denied["action"]) == ("team/app", "push")
    assert denied["reasons"][0]["code"] == "no_matching_assignment"
    (now,) = document["now"]
    assert (now["verdict"], now["reasons"][0]["code"]) == ("denied", "no_matching_assignment")
    assert "no role assignment grants this action on this repository" in tree
    assert "DENIED: push on team/app by explained-puller (service principal)" in tree
