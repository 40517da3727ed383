"""Each resource of the management API on its happy path, over HTTP, as the owner."""

from __future__ import annotations

import datetime
import time

import httpx

from tests.management.conftest import PASSWORD, Api
from tests.oci import image_manifest, push_manifest, random_blob, unique_name

FUTURE = (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_registry_properties_are_shown_and_updated(owner: httpx.Client) -> None:
    shown = owner.get("/registry").json()
    assert shown["roleAssignmentMode"] == "rbac" and shown["tokenLifetimes"]["directoryTokenSeconds"] == 10800
    updated = owner.patch("/registry", json={"roleAssignmentMode": "rbac-abac", "anonymousPullEnabled": True})
    assert updated.status_code == 200
    assert (updated.json()["registry"]["roleAssignmentMode"], updated.json()["registry"]["anonymousPullEnabled"]) == (
        "rbac-abac",
        True,
    )
    owner.patch("/registry", json={"roleAssignmentMode": "rbac", "anonymousPullEnabled": False}).raise_for_status()


def test_network_rules_are_replaced_added_and_removed(owner: httpx.Client) -> None:
    body = {"networkRuleSet": {"ipRules": [{"value": "203.0.113.0/24"}]}, "trustedProxies": ["10.0.0.4"]}
    replaced = owner.patch("/registry", json=body).json()["registry"]
    assert replaced["networkRuleSet"] == {
        "defaultAction": "Allow",
        "ipRules": [{"action": "Allow", "value": "203.0.113.0/24"}],
    }
    assert replaced["trustedProxies"] == ["10.0.0.4/32"]
    added = owner.post("/registry/networkRules/add", json={"value": "198.51.100.7"}).json()
    assert {rule["value"] for rule in added["networkRuleSet"]["ipRules"]} == {"203.0.113.0/24", "198.51.100.7/32"}
    removed = owner.post("/registry/networkRules/remove", json={"value": "203.0.113.0/24"}).json()
    assert removed["networkRuleSet"]["ipRules"] == [{"action": "Allow", "value": "198.51.100.7/32"}]
    missing = owner.post("/registry/networkRules/remove", json={"value": "192.0.2.0/24"})
    assert missing.status_code == 404
    owner.patch("/registry", json={"networkRuleSet": {"ipRules": []}, "trustedProxies": []}).raise_for_status()


def test_admin_passwords_are_shown_once_when_generated_and_then_sign_in(api: Api, owner: httpx.Client) -> None:
    refused = owner.post("/registry/credentials/regenerate", json={"name": "password2"})
    if not owner.get("/registry").json()["adminUserEnabled"]:
        assert refused.status_code == 409
    enabled = owner.patch("/registry", json={"adminUserEnabled": True}).json()
    assert owner.get("/registry/credentials").json() == {"username": "dockyard", "adminUserEnabled": True}
    renewed = owner.post("/registry/credentials/regenerate", json={"name": "password2"})
    assert renewed.status_code == 200
    (password,) = renewed.json()["passwords"]
    assert password["name"] == "password2" and "value" not in owner.get("/registry/credentials").text
    assert api.registry.token_response(auth=("dockyard", password["value"])).status_code == 200
    assert len(enabled["adminPasswords"]) in (0, 2)
    owner.patch("/registry", json={"adminUserEnabled": False}).raise_for_status()


def test_users_are_created_shown_disabled_and_deleted(api: Api, owner: httpx.Client) -> None:
    created = owner.post("/directory/users", json={"userName": "carol", "password": PASSWORD, "displayName": "Carol"})
    assert created.status_code == 201 and created.json()["kind"] == "user"
    assert owner.get("/directory/users/carol").json()["objectId"] == created.json()["objectId"]
    assert api.directory_token("carol", PASSWORD)
    assert owner.patch("/directory/users/carol", json={"enabled": False}).json()["enabled"] is False
    assert "carol" in {user["userName"] for user in owner.get("/directory/users").json()["value"]}
    assert owner.delete("/directory/users/carol").status_code == 204
    assert owner.get("/directory/users/carol").status_code == 404


def test_groups_hold_members(owner: httpx.Client) -> None:
    group = owner.post("/directory/groups", json={"displayName": "platform"}).json()["objectId"]
    member = owner.post("/directory/users", json={"userName": "dave", "password": PASSWORD}).json()["objectId"]
    assert owner.put(f"/directory/groups/{group}/members/{member}").status_code == 204
    assert [m["objectId"] for m in owner.get(f"/directory/groups/{group}/members").json()["value"]] == [member]
    assert owner.delete(f"/directory/groups/{group}/members/{member}").status_code == 204
    assert owner.get(f"/directory/groups/{group}/members").json()["value"] == []
    assert owner.delete(f"/directory/groups/{group}").status_code == 204


def test_a_service_principal_s_secret_is_shown_once_and_signs_in(api: Api, owner: httpx.Client) -> None:
    created = owner.post("/directory/servicePrincipals", json={"displayName": "ci", "secretEndDate": FUTURE}).json()
    app_id = created["principal"]["appId"]
    reset = owner.post(f"/directory/servicePrincipals/{app_id}/secrets/reset", json={"endDate": FUTURE}).json()
    secrets = owner.get(f"/directory/servicePrincipals/{app_id}/secrets").json()["value"]
    assert [s["secretId"] for s in secrets] == [reset["secretId"]] and "value" not in secrets[0]
    with api.registry.client() as client:
        signed_in = client.post(
            f"/directory/{api.tenant}/oauth2/v2.0/token",
            data={"grant_type": "client_credentials", "client_id": app_id, "client_secret": reset["value"]},
        )
    assert signed_in.status_code == 200
    assert owner.delete(f"/directory/servicePrincipals/{app_id}/secrets/{reset['secretId']}").status_code == 204


def test_a_managed_identity_trusts_a_federated_credential(owner: httpx.Client) -> None:
    identity = owner.post("/directory/managedIdentities", json={"displayName": "cluster"}).json()["principal"]
    base = f"/directory/managedIdentities/{identity['appId']}/federatedCredentials"
    body = {"name": "github-main", "issuer": "https://token.actions.githubusercontent.com", "subject": "repo:o/r:ref:x"}
    created = owner.post(base, json=body)
    assert created.status_code == 201 and created.json()["audiences"] == ["api://AzureADTokenExchange"]
    assert owner.get(f"{base}/github-main").json()["subject"] == "repo:o/r:ref:x"
    assert owner.delete(f"{base}/github-main").status_code == 204
    assert owner.get(base).json()["value"] == []


def test_custom_roles_are_defined_and_deleted(owner: httpx.Client) -> None:
    body = {"name": "Token Keeper", "actions": ["Microsoft.ContainerRegistry/registries/tokens/*"]}
    created = owner.post("/roleDefinitions", json=body)
    assert created.status_code == 201 and created.json()["roleType"] == "CustomRole"
    names = {role["name"] for role in owner.get("/roleDefinitions").json()["value"]}
    assert {"Owner", "Role Based Access Control Administrator", "Token Keeper"} <= names
    assert owner.get("/roleDefinitions/Contributor").json()["notActions"]
    assert owner.delete("/roleDefinitions/Token Keeper").status_code == 204


def test_role_assignments_carry_conditions_and_warnings(api: Api, owner: httpx.Client) -> None:
    _, object_id = api.user()
    condition = "@Request[Microsoft.ContainerRegistry/registries/repositories:name] StringStartsWith 'team-a'"
    created = owner.post(
        "/roleAssignments",
        json={"principalId": object_id, "role": "Container Registry Repository Reader", "condition": condition},
    )
    assert created.status_code == 201
    assignment = created.json()["roleAssignment"]
    assert (assignment["conditionVersion"], assignment["principalType"]) == ("2.0", "user")
    assert "team-a/" in created.json()["warnings"][0]
    listed = owner.get("/roleAssignments", params={"principalId": object_id}).json()["value"]
    assert [a["id"] for a in listed] == [assignment["id"]]
    assert owner.delete(f"/roleAssignments/{assignment['id']}").status_code == 204
    assert owner.get(f"/roleAssignments/{assignment['id']}").status_code == 404


def test_tokens_get_passwords_once_that_sign_in(api: Api, owner: httpx.Client) -> None:
    scope_map = owner.post(
        "/scopeMaps", json={"name": "team-a-pull", "actions": ["repositories/team-a/*/content/read"]}
    )
    assert scope_map.status_code == 201
    updated = owner.patch("/scopeMaps/team-a-pull", json={"add": ["repositories/team-a/*/metadata/read"]}).json()
    assert len(updated["actions"]) == 2
    created = owner.post("/tokens", json={"name": "ci-pull", "scopeMap": "team-a-pull", "expiry": FUTURE})
    assert created.status_code == 201
    password1 = next(p["value"] for p in created.json()["passwords"] if p["name"] == "password1")
    assert "value" not in owner.get("/tokens/ci-pull").text
    assert api.registry.token_response("repository:team-a/app:pull", auth=("ci-pull", password1)).status_code == 200
    generated = owner.post("/tokens/ci-pull/passwords/generate", json={"name": "password2", "expiry": FUTURE})
    assert generated.json()["passwords"][0]["name"] == "password2"
    assert owner.patch("/tokens/ci-pull", json={"status": "disabled"}).json()["status"] == "disabled"
    assert owner.delete("/tokens/ci-pull/passwords/password1").status_code == 204
    assert owner.delete("/scopeMaps/team-a-pull").status_code == 409  # still bound to the token
    assert owner.delete("/tokens/ci-pull").status_code == 204
    assert owner.delete("/scopeMaps/team-a-pull").status_code == 204


def test_repositories_tags_and_manifests_are_listed_locked_and_deleted(api: Api, owner: httpx.Client) -> None:
    name = unique_name()
    with api.registry.bearer_client(api.registry.access_token(f"repository:{name}:push,pull")) as data_plane:
        pushed = push_manifest(data_plane, name, "v1", image_manifest(random_blob(), [random_blob()]))
    assert name in owner.get("/repositories", params={"n": 1000}).json()["value"]
    assert owner.get(f"/repositories/{name}/_tags").json() == {"value": ["v1"], "last": None}
    tag = owner.get(f"/repositories/{name}/_tags/v1").json()
    assert (tag["digest"], tag["changeableAttributes"]["deleteEnabled"]) == (pushed.digest, True)
    locked = owner.patch(f"/repositories/{name}/_tags/v1", json={"deleteEnabled": False})
    assert locked.json()["changeableAttributes"]["deleteEnabled"] is False
    refused = owner.delete(f"/repositories/{name}/_tags/v1")
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "OperationDisallowed")
    owner.patch(f"/repositories/{name}/_tags/v1", json={"deleteEnabled": True}).raise_for_status()
    assert (
        owner.patch(f"/repositories/{name}", json={"writeEnabled": False}).json()["changeableAttributes"][
            "writeEnabled"
        ]
        is False
    )
    assert owner.get(f"/repositories/{name}/_manifests/{pushed.digest}").json()["size"] == len(pushed.body)
    assert owner.delete(f"/repositories/{name}/_manifests/{pushed.digest}").status_code == 204
    assert owner.get(f"/repositories/{name}/_tags/v1").status_code == 404


def test_a_repository_lists_its_manifests_and_is_deleted_whole_unless_a_lock_forbids(
    api: Api, owner: httpx.Client
) -> None:
    name = unique_name()
    with api.registry.bearer_client(api.registry.access_token(f"repository:{name}:push,pull")) as data_plane:
        first = push_manifest(data_plane, name, "v1", image_manifest(random_blob(), [random_blob()]))
        second = push_manifest(data_plane, name, "v2", image_manifest(random_blob(), [random_blob()]))
    listed = owner.get(f"/repositories/{name}/_manifests").json()["value"]
    assert {(m["digest"], tuple(m["tags"])) for m in listed} == {(first.digest, ("v1",)), (second.digest, ("v2",))}
    owner.patch(f"/repositories/{name}/_manifests/{first.digest}", json={"deleteEnabled": False}).raise_for_status()

    refused = owner.delete(f"/repositories/{name}")

    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "OperationDisallowed")
    owner.patch(f"/repositories/{name}/_manifests/{first.digest}", json={"deleteEnabled": True}).raise_for_status()
    assert owner.delete(f"/repositories/{name}").status_code == 204
    assert owner.get(f"/repositories/{name}/_manifests").status_code == 404
    assert name not in owner.get("/repositories", params={"n": 1000}).json()["value"]


def test_login_events_are_filtered_and_paged(api: Api, owner: httpx.Client) -> None:
    for _ in range(3):
        api.registry.token_response(auth=("nobody-here", "wrong password"))
    deadline = datetime.datetime.now() + datetime.timedelta(seconds=10)
    while True:  # the audit writer batches events off the request path
        page = owner.get("/events/login", params={"identity": "nobody-here", "result": "failure", "limit": 2}).json()
        if page["nextCursor"] or datetime.datetime.now() > deadline:
            break
        time.sleep(0.2)
    assert len(page["value"]) == 2 and page["value"][0]["ResultType"] == "failure"
    rest = owner.get(
        "/events/login", params={"identity": "nobody-here", "limit": 2, "cursor": page["nextCursor"]}
    ).json()
    assert len(rest["value"]) == 1
    assert owner.get("/events/repository", params={"result": "success"}).status_code == 200
