"""The admin verbs against a live registry, as an operator runs them from their own machine: `dockyard login
-n <login server>` once, then every verb goes to `/api/v1` with the signed-in identity's directory token.
One server and one signed-in owner serve the whole module; tests use names of their own."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.auth.conftest import POLICY_REFRESH_SECONDS, TokenRegistry
from tests.cli.conftest import Machine, new_machine, signed_in_machine
from tests.oci import push_image, unique_name


def _json(machine: Machine, *args: str) -> Any:
    return json.loads(machine.dockyard(*args, "-o", "json").stdout)


def _error_lines(machine: Machine, *args: str) -> list[str]:
    result = machine.dockyard(*args, ok=False)
    assert "Traceback" not in result.stderr
    return result.stderr.splitlines()


@pytest.fixture(scope="module")
def remote(owner_machine: Machine, cli_registry: TokenRegistry) -> Machine:
    """The owner's machine (every call below names the login server with -n, or relies on the profile)."""
    return owner_machine


def test_show_and_update_change_the_live_registry_s_properties(remote: Machine, cli_registry: TokenRegistry) -> None:
    host = cli_registry.host

    remote.dockyard("update", "-n", host, "--anonymous-pull-enabled", "true", "--role-assignment-mode", "rbac-abac")
    shown = _json(remote, "show", "-n", host)
    remote.dockyard("update", "-n", host, "--anonymous-pull-enabled", "false", "--role-assignment-mode", "rbac")

    assert shown["anonymousPullEnabled"] is True and shown["roleAssignmentMode"] == "rbac-abac"
    assert shown["loginServer"] and shown["tokenLifetimes"]["directoryTokenSeconds"] > 0


def test_without_a_name_the_verbs_go_to_the_login_server_signed_in_to_last(remote: Machine) -> None:
    query = remote.dockyard("show", "--query", "publicNetworkAccess", "-o", "tsv").stdout

    assert query.strip() == "Enabled"


def test_the_admin_user_is_enabled_its_password_renewed_and_shown_credentials_hold_no_password(
    remote: Machine, cli_registry: TokenRegistry
) -> None:
    host = cli_registry.host
    remote.dockyard("update", "-n", host, "--admin-enabled", "true")
    renewed = remote.dockyard("credential", "renew", "-n", host, "--password-name", "password2").stdout
    shown = _json(remote, "credential", "show", "-n", host)

    assert renewed.startswith("password2: ")
    assert shown["adminUserEnabled"] is True and "password" not in json.dumps(shown)
    assert cli_registry.token_response(auth=(shown["username"], renewed.split()[1])).status_code == 200


def test_network_rules_are_added_listed_and_removed_remotely(remote: Machine, cli_registry: TokenRegistry) -> None:
    host = cli_registry.host
    remote.dockyard("network-rule", "add", "-n", host, "--ip-address", "203.0.113.0/24")
    listed = remote.dockyard("network-rule", "list", "-n", host, "--query", "networkRuleSet.ipRules[].value")
    remote.dockyard("network-rule", "remove", "-n", host, "--ip-address", "203.0.113.0/24")

    assert json.loads(listed.stdout) == ["203.0.113.0/24"]
    assert _json(remote, "network-rule", "list", "-n", host)["networkRuleSet"]["ipRules"] == []


def test_users_and_groups_with_members(remote: Machine) -> None:
    user, group = unique_name("user").replace("/", "-"), unique_name("group").replace("/", "-")
    created = _json(remote, "directory", "user", "create", "--user-name", user, "--password", "a-long-password-1")
    remote.dockyard("directory", "user", "update", "--id", user, "--account-enabled", "false")
    remote.dockyard("directory", "group", "create", "--display-name", group)
    remote.dockyard("directory", "group", "member", "add", "--group", group, "--member-id", user)
    members = _json(remote, "directory", "group", "member", "list", "--group", group)
    shown = _json(remote, "directory", "user", "show", "--id", created["objectId"])
    users = remote.dockyard("directory", "user", "list", "--query", "[].userName", "-o", "tsv").stdout.split()
    remote.dockyard("directory", "group", "member", "remove", "--group", group, "--member-id", user)
    group_shown = _json(remote, "directory", "group", "show", "--group", group)
    remote.dockyard("directory", "group", "delete", "--group", group, "--yes")
    remote.dockyard("directory", "user", "delete", "--id", user, "--yes")

    assert [m["userName"] for m in members] == [user]
    assert shown["enabled"] is False and user in users
    assert group_shown["kind"] == "group" and group_shown["displayName"] == group
    assert group not in remote.dockyard("directory", "group", "list", "-o", "tsv").stdout


def test_a_service_principal_signs_in_with_the_secret_printed_once_and_after_a_reset(
    remote: Machine, cli_registry: TokenRegistry, tmp_path: Path
) -> None:
    created = _json(remote, "sp", "create", "--display-name", "cli-admin-sp", "--years", "1")
    app_id = created["appId"]
    reset = _json(remote, "sp", "credential", "reset", "--id", app_id, "--end-date", "2099-01-31")
    secrets = _json(remote, "directory", "sp", "credential", "list", "--id", app_id)
    remote.dockyard("sp", "update", "--id", app_id, "--enabled", "true")
    listed = _json(remote, "sp", "list")
    login = ("login", "-n", cli_registry.host, "--service-principal", "-u", app_id, "--password-stdin")

    ci = new_machine(tmp_path / "ci")
    ci.dockyard(*login, stdin=reset["password"])
    old = ci.dockyard(*login, stdin=created["password"], ok=False)
    remote.dockyard("sp", "delete", "--id", app_id, "--yes")

    assert [s["endDate"][:10] for s in secrets] == ["2099-01-31"]
    assert app_id in [p["appId"] for p in listed]
    assert old.stderr.startswith("error: ")


def test_a_managed_identity_with_a_federated_credential(remote: Machine) -> None:
    name = "cli-admin-workload"
    remote.dockyard("identity", "create", "--identity-name", name)
    issuer, subject = "https://token.actions.githubusercontent.com", "repo:contoso/app:ref:refs/heads/main"
    created = _json(remote, "identity", "federated-credential", "create", "--identity-name", name,
                    "--credential-name", "github-main", "--issuer", issuer, "--subject", subject,
                    "--audiences", "api://AzureADTokenExchange")  # fmt: skip
    listed = _json(remote, "directory", "identity", "federated-credential", "list", "--identity-name", name)
    shown = _json(remote, "identity", "federated-credential", "show", "--identity-name", name,
                  "--credential-name", "github-main")  # fmt: skip
    remote.dockyard("identity", "federated-credential", "delete", "--identity-name", name,
                    "--credential-name", "github-main", "--yes")  # fmt: skip
    identity = _json(remote, "identity", "show", "--identity-name", name)
    remote.dockyard("identity", "delete", "--identity-name", name, "--yes")

    assert created["subject"] == shown["subject"] == subject
    assert [c["name"] for c in listed] == ["github-main"]
    assert identity["kind"] == "managed_identity"
    assert name not in remote.dockyard("identity", "list", "-o", "tsv").stdout


def test_role_assignments_with_a_condition_and_custom_role_definitions(remote: Machine) -> None:
    user = "cli-admin-roles"
    remote.dockyard("directory", "user", "create", "--user-name", user, "--password", "a-long-password-2")
    condition = "@Request[Microsoft.ContainerRegistry/registries/repositories:name] StringStartsWithIgnoreCase 'team-a'"
    created = remote.dockyard("role", "assignment", "create", "--assignee", user, "--role",
                              "Container Registry Repository Reader", "--condition", condition,
                              "--condition-version", "2.0")  # fmt: skip
    assignment = json.loads(created.stdout)
    listed = _json(remote, "role", "assignment", "list", "--assignee", user)
    shown = _json(remote, "role", "assignment", "show", "--id", assignment["id"])
    definition = (
        '{"Name": "Cli Puller", "Description": "reads", "Actions": ["Microsoft.ContainerRegistry/registries/read"]}'
    )
    remote.dockyard("role", "definition", "create", "--role-definition", definition)
    custom = _json(remote, "role", "definition", "list", "--custom-role-only")
    acr_push = _json(remote, "role", "definition", "show", "--role", "acrpush")
    remote.dockyard("role", "definition", "delete", "--role", "Cli Puller", "--yes")
    remote.dockyard("role", "assignment", "delete", "--assignee", user, "--yes")

    assert created.stderr.startswith("warning: StringStartsWithIgnoreCase 'team-a' also matches")
    assert [a["id"] for a in listed] == [assignment["id"]] and shown["condition"] == condition
    assert [r["name"] for r in custom] == ["Cli Puller"] and acr_push["name"] == "AcrPush"
    assert _json(remote, "role", "assignment", "list", "--assignee", user) == []
    remote.dockyard("directory", "user", "delete", "--id", user, "--yes")


def test_scope_maps_and_tokens_whose_password_signs_in(remote: Machine, cli_registry: TokenRegistry) -> None:
    remote.dockyard("scope-map", "create", "-n", "cli-team-pull", "--repository", "team-b/*", "content/read",
                    "metadata/read", "--description", "team b pulls")  # fmt: skip
    updated = _json(remote, "scope-map", "update", "-n", "cli-team-pull", "--add-repository", "shared",
                    "content/read")  # fmt: skip
    created = _json(remote, "token", "create", "-n", "cli-puller", "--scope-map", "cli-team-pull",
                    "--expiration-in-days", "30")  # fmt: skip
    time.sleep(POLICY_REFRESH_SECONDS)
    first = created["credentials"]["passwords"][0]["value"]
    signs_in = cli_registry.token_response("repository:team-b/app:pull", auth=("cli-puller", first)).status_code
    generated = _json(remote, "token", "credential", "generate", "-n", "cli-puller", "--password1",
                      "--expiration", "2099-01-31")  # fmt: skip
    remote.dockyard("token", "update", "-n", "cli-puller", "--status", "disabled")
    shown = _json(remote, "token", "show", "-n", "cli-puller")
    tokens = remote.dockyard("token", "list", "-o", "tsv").stdout
    remote.dockyard("token", "credential", "delete", "-n", "cli-puller", "--password2")
    remote.dockyard("token", "delete", "-n", "cli-puller", "--yes")
    maps = _json(remote, "scope-map", "list", "--query", "[].name")
    shown_map = _json(remote, "scope-map", "show", "-n", "cli-team-pull")
    remote.dockyard("scope-map", "delete", "-n", "cli-team-pull", "--yes")

    assert "repositories/shared/content/read" in updated["actions"] and signs_in == 200
    assert generated["passwords"][0]["name"] == "password1" and generated["passwords"][0]["value"] != first
    assert shown["status"] == "disabled" and "cli-puller" in tokens
    assert "cli-team-pull" in maps and shown_map["description"] == "team b pulls"


def test_repositories_tags_and_manifests_are_listed_locked_and_deleted(
    remote: Machine, cli_registry: TokenRegistry
) -> None:
    name = unique_name("cli")
    with cli_registry.bearer_client(cli_registry.access_token(f"repository:{name}:pull,push")) as client:
        v1 = push_image(client, name, "v1")
        push_image(client, name, "v2")
    repositories = _json(remote, "repository", "list")
    tags = _json(remote, "repository", "show-tags", "--repository", name)
    detail = _json(remote, "repository", "show-tags", "--repository", name, "--detail", "--top", "1")
    manifests = _json(remote, "repository", "show-manifests", "--repository", name)
    locked = _json(remote, "repository", "update", "--image", f"{name}:v1", "--delete-enabled", "false")
    refused = _error_lines(remote, "repository", "delete", "--image", f"{name}:v1", "--yes")
    remote.dockyard("repository", "update", "--image", f"{name}:v1", "--delete-enabled", "true")
    remote.dockyard("repository", "untag", "--image", f"{name}:v2")
    remote.dockyard("repository", "delete", "--image", f"{name}@{v1.digest}", "--yes")
    shown = _json(remote, "repository", "show", "--repository", name)
    remote.dockyard("repository", "delete", "--repository", name, "--yes")

    assert name in repositories and tags == ["v1", "v2"]
    assert [t["digest"] for t in detail] == [v1.digest] and len(manifests) == 2
    assert locked["changeableAttributes"]["deleteEnabled"] is False
    assert refused[0].startswith("error: ") and refused[1].startswith("fix: ") and len(refused) == 2
    assert shown["name"] == name
    assert name not in _json(remote, "repository", "list")


def test_the_logs_show_a_failed_sign_in(remote: Machine, cli_registry: TokenRegistry) -> None:
    cli_registry.token_response("repository:x/y:pull", auth=("cli-nobody", "wrong-password"))
    deadline = time.monotonic() + 10
    failures: list[Any] = []
    while not failures and time.monotonic() < deadline:
        failures = _json(remote, "logs", "login", "--since", "1h", "--result", "failure",
                         "--identity", "cli-nobody")["events"]  # fmt: skip
        time.sleep(0.3)
    pushes = remote.dockyard("logs", "repository", "--since", "1h", "--limit", "5")

    assert failures and failures[0]["ResultType"] == "failure"
    assert pushes.stdout.splitlines()[0].split()[:2] == ["TimeGenerated", "OperationName"]


def test_a_reader_is_refused_a_change_in_one_line_that_names_the_action(
    remote: Machine, cli_registry: TokenRegistry, tmp_path: Path
) -> None:
    user, password = "cli-reader", "a-long-password-3"
    remote.dockyard("directory", "user", "create", "--user-name", user, "--password", password)
    remote.dockyard("role", "assignment", "create", "--assignee", user, "--role", "Reader")
    time.sleep(POLICY_REFRESH_SECONDS)
    reader = signed_in_machine(tmp_path / "reader", cli_registry, user, password)

    shown = _json(reader, "show")
    refused = _error_lines(reader, "update", "--anonymous-pull-enabled", "true")

    assert shown["name"]
    assert refused[0] == (
        "error: the signed-in identity may not perform 'Microsoft.ContainerRegistry/registries/write' "
        "(no_control_plane_assignment)"
    )
    assert refused[1].startswith("fix: ask an Owner to assign a role that allows Microsoft.ContainerRegistry")
    assert len(refused) == 2


def test_an_unknown_resource_is_one_line_and_a_fix(remote: Machine) -> None:
    lines = _error_lines(remote, "token", "show", "-n", "no-such-token")

    assert lines == ["error: The token 'no-such-token' was not found.", "fix: `dockyard token list` shows the tokens"]


def test_a_delete_without_a_terminal_asks_for_yes(remote: Machine) -> None:
    lines = _error_lines(remote, "scope-map", "delete", "-n", "_repositories_pull")

    assert lines[0] == "error: refusing to delete scope map '_repositories_pull' without confirmation"


def test_a_login_server_nobody_signed_in_to_is_one_line(remote: Machine) -> None:
    lines = _error_lines(remote, "show", "-n", "127.0.0.1:1")

    assert lines == ["error: not signed in to 127.0.0.1:1", "fix: dockyard login -n 127.0.0.1:1"]
