"""The in-process operator client: full power on the data directory, no network involved."""

from __future__ import annotations

from pathlib import Path

from dockyard.app import prepare
from dockyard.management.local import operator_client
from dockyard.settings import Settings


def test_the_local_operator_may_manage_a_registry_without_any_role(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    prepare(settings)
    with operator_client(settings) as client:
        created = client.post("/api/v1/directory/users", json={"userName": "first", "password": "long enough pw"})
        assert created.status_code == 201
        assigned = client.post(
            "/api/v1/roleAssignments", json={"principalId": created.json()["objectId"], "role": "Owner"}
        )
        assert assigned.status_code == 201
        assert client.patch("/api/v1/registry", json={"anonymousPullEnabled": True}).json()["registry"][
            "anonymousPullEnabled"
        ]


def test_the_local_operator_s_refusals_use_the_api_s_error_format(tmp_path: Path) -> None:
    with operator_client(Settings(data_dir=tmp_path / "data")) as client:
        response = client.post("/api/v1/roleAssignments", json={"principalId": "nobody", "role": "Owner"})
    assert (response.status_code, response.json()["error"]["target"]) == (400, "principalId")
