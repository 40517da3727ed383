"""The admin verbs on the registry of this machine: with `--data-dir` (or `--config`) and no `-n`, each verb
runs the management API in-process as the local operator — no server, no sign-in. One data directory
serves the module; tests use names of their own."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from dockyard.content.manifests import put_manifest
from dockyard.content.registry import Registry
from dockyard.metadata.store import MetadataStore
from dockyard.storage import open_blob_store
from tests.cli.conftest import Machine, new_machine
from tests.oci import OCI_MANIFEST, canonical, image_manifest, random_blob


class Local:
    """`dockyard <verb> … --data-dir <the module's data directory>` on a machine nobody signed in on."""

    def __init__(self, machine: Machine, data_dir: Path) -> None:
        self.machine, self.data_dir = machine, data_dir

    def run(self, *args: str, ok: bool = True) -> Any:
        return self.machine.dockyard(*args, "--data-dir", str(self.data_dir), ok=ok)

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args, "-o", "json").stdout)

    def error(self, *args: str) -> list[str]:
        lines: list[str] = self.run(*args, ok=False).stderr.splitlines()
        return lines


@pytest.fixture(scope="module")
def local(tmp_path_factory: pytest.TempPathFactory) -> Local:
    """A data directory holding `team/app:v1`, and a machine with no sign-in."""
    data_dir = tmp_path_factory.mktemp("local") / "data"
    data_dir.mkdir()
    metadata = MetadataStore(f"sqlite:///{data_dir / 'dockyard.db'}")
    metadata.migrate()
    registry = Registry(metadata, open_blob_store(f"file://{data_dir / 'blobs'}"), sparse_manifests=True)
    put_manifest(registry, "team/app", "v1", canonical(image_manifest(random_blob(32), [])), OCI_MANIFEST)
    metadata.close()
    return Local(new_machine(tmp_path_factory.mktemp("local-home")), data_dir)


def test_registry_properties_admin_user_and_network_rules(local: Local) -> None:
    enabled = local.run("update", "--admin-enabled", "true", "--default-action", "Deny").stdout
    renewed = local.run("credential", "renew").stdout
    local.run("network-rule", "add", "--ip-address", "198.51.100.0/24")
    shown = local.json("show")

    assert "password: " in enabled and "password2: " in enabled and renewed.startswith("password: ")
    assert local.json("credential", "show") == {"username": "dockyard", "adminUserEnabled": True}
    assert shown["networkRuleSet"] == {
        "defaultAction": "Deny",
        "ipRules": [{"action": "Allow", "value": "198.51.100.0/24"}],
    }
    local.run("network-rule", "remove", "--ip-address", "198.51.100.0/24")
    local.run("update", "--default-action", "Allow")


def test_the_directory(local: Local) -> None:
    user = local.json("directory", "user", "create", "--user-name", "local-user", "--password", "a-long-password")
    local.run("directory", "group", "create", "--display-name", "local-group")
    local.run("directory", "group", "member", "add", "-g", "local-group", "--member-id", user["objectId"])
    sp = local.json("sp", "create", "--display-name", "local-sp", "--skip-secret")
    secret = local.json("sp", "credential", "reset", "--id", "local-sp", "--years", "2")
    local.run("directory", "identity", "create", "--identity-name", "local-identity")
    local.run("sp", "federated-credential", "create", "--id", sp["appId"], "--credential-name", "ci-job",
              "--issuer", "https://issuer.example", "--subject", "job")  # fmt: skip

    assert "password" not in sp and secret["password"] and secret["appId"] == sp["appId"]
    assert local.json("directory", "group", "member", "list", "-g", "local-group")[0]["userName"] == "local-user"
    assert local.json("sp", "federated-credential", "list", "--id", "local-sp")[0]["subject"] == "job"
    assert "local-identity" in local.run("identity", "list", "-o", "tsv").stdout
    assert local.json("directory", "sp", "show", "--id", "local-sp")["appId"] == sp["appId"]


def test_roles_scope_maps_and_tokens(local: Local) -> None:
    local.run("directory", "user", "create", "--user-name", "local-pusher", "--password", "a-long-password")
    assignment = local.json("role", "assignment", "create", "--assignee", "local-pusher", "--role", "acrpush",
                            "--scope", "repositories/team/app")  # fmt: skip
    local.run("scope-map", "create", "-n", "local-map", "--repository", "team/app", "content/read")
    token = local.json("token", "create", "-n", "local-token", "--repository", "team/app", "content/read",
                       "content/write")  # fmt: skip

    assert assignment["role"] == "AcrPush" and assignment["scope"] == "repositories/team/app"
    assert [a["id"] for a in local.json("role", "assignment", "list", "--scope", "repositories/team/app")] == [
        assignment["id"]
    ]
    assert token["scopeMap"] == "local-token-scope-map" and len(token["credentials"]["passwords"]) == 2
    assert "local-map" in local.json("scope-map", "list", "--query", "[].name")
    assert local.json("role", "definition", "list", "--role", "AcrPull")[0]["roleType"] == "BuiltInRole"


def test_repositories(local: Local) -> None:
    local.run("repository", "update", "--repository", "team/app", "--write-enabled", "false")

    assert local.json("repository", "list") == ["team/app"]
    assert local.json("repository", "show-tags", "--repository", "team/app") == ["v1"]
    assert local.json("repository", "show", "--repository", "team/app")["changeableAttributes"]["writeEnabled"] is False
    assert local.json("repository", "show-manifests", "--repository", "team/app")[0]["tags"] == ["v1"]
    local.run("repository", "update", "--repository", "team/app", "--write-enabled", "true")


def test_logs_are_read_locally(local: Local) -> None:
    assert local.json("logs", "login", "--since", "1h", "--result", "failure", "--identity", "nobody") == {
        "events": [],
        "nextCursor": None,
    }


def test_a_query_reshapes_a_listing_for_scripts(local: Local) -> None:
    names = local.run("role", "definition", "list", "--query", "[?roleType=='BuiltInRole'].name", "-o", "tsv")

    assert "AcrPush" in names.stdout.splitlines()


def test_an_unknown_resource_is_one_line_and_a_fix(local: Local) -> None:
    assert local.error("directory", "user", "show", "--id", "nobody") == [
        "error: The user 'nobody' was not found.",
        "fix: check the name or id: `dockyard directory user list` shows them",
    ]


def test_a_bad_value_names_the_field(local: Local) -> None:
    lines = local.error("token", "create", "-n", "tok", "--scope-map", "_repositories_pull")

    assert lines[0].startswith("error: ") and lines[0].endswith("(field: name)") and len(lines) == 2


def test_help_lists_every_admin_group_with_a_whole_one_line_description(local: Local) -> None:
    lines = local.machine.dockyard("--help").stdout.splitlines()
    listed = {line.split()[0]: line for line in lines if line.startswith("  ") and len(line.split()) > 1}

    groups = ("show", "update", "credential", "network-rule", "directory", "sp", "identity", "role", "scope-map",
              "token", "repository", "logs", "import", "login", "logout", "gc")  # fmt: skip
    assert [group for group in groups if group not in listed or listed[group].endswith("...")] == []
