"""Each control-plane role may do what Azure's definition lets it, and a refusal names the missing action."""

from __future__ import annotations

from typing import Any

import pytest

from tests.management.conftest import Api

CRCDACA = "Container Registry Contributor and Data Access Configuration Administrator"
RBAC_ADMIN = "Role Based Access Control Administrator"

# what a request does -> (method, path, body, the action it needs)
REQUESTS: dict[str, tuple[str, str, dict[str, Any] | None, str]] = {
    "read registry": ("GET", "/registry", None, "Microsoft.ContainerRegistry/registries/read"),
    "write registry": ("PATCH", "/registry", {"anonymousPullEnabled": False},
                       "Microsoft.ContainerRegistry/registries/write"),
    "assign role": ("POST", "/roleAssignments", {"principalId": "@self", "role": "AcrPull"},
                    "Microsoft.Authorization/roleAssignments/write"),
    "create scope map": ("POST", "/scopeMaps", {"name": "@unique", "actions": ["repositories/a/content/read"]},
                         "Microsoft.ContainerRegistry/registries/scopeMaps/write"),
    "create user": ("POST", "/directory/users", {"userName": "@unique", "password": "a long enough password"},
                    "Microsoft.Directory/users/write"),
    "show admin credentials": ("GET", "/registry/credentials", None,
                               "Microsoft.ContainerRegistry/registries/listCredentials/action"),
    "read login events": ("GET", "/events/login", None,
                          "Microsoft.OperationalInsights/workspaces/query/ContainerRegistryLoginEvents/read"),
}  # fmt: skip
ALLOWED = {
    "Owner": set(REQUESTS),
    "Contributor": {"read registry", "write registry", "create scope map", "show admin credentials",
                    "read login events"},
    "Reader": {"read registry", "read login events"},
    CRCDACA: {"read registry", "write registry", "create scope map", "show admin credentials"},
    RBAC_ADMIN: {"read registry", "assign role", "read login events"},
    "AcrPush": set(),
}  # fmt: skip
CASES = [(role, request, request in allowed) for role, allowed in ALLOWED.items() for request in REQUESTS]
_counter = iter(range(10**6))


def _body(template: dict[str, Any] | None, object_id: str) -> dict[str, Any] | None:
    if template is None:
        return None
    replacements = {"@self": object_id, "@unique": f"unique-{next(_counter)}-x"}
    return {key: replacements.get(value, value) if isinstance(value, str) else value for key, value in template.items()}


@pytest.mark.parametrize(
    ("role", "what", "allowed"),
    CASES,
    ids=[f"{role}: {what} -> {'allowed' if ok else '403'}" for role, what, ok in CASES],
)
def test_each_control_plane_role_is_allowed_or_refused_by_its_actions(
    api: Api, role: str, what: str, allowed: bool
) -> None:
    client, object_id = api.user(role)
    method, path, template, action = REQUESTS[what]
    with client:
        response = client.request(method, path, json=_body(template, object_id))
    if allowed:
        assert response.status_code in (200, 201), response.text
        return
    assert response.status_code == 403, response.text
    error = response.json()["error"]
    assert error["code"] == "AuthorizationFailed"
    assert error["action"] == action
    assert f"does not have authorization to perform action '{action}'" in error["message"]
    assert error["reasons"], "a refusal says why"


def test_contributor_is_told_its_role_excludes_role_assignments(api: Api) -> None:
    client, object_id = api.user("Contributor")
    with client:
        response = client.post("/roleAssignments", json={"principalId": object_id, "role": "Owner"})
    assert response.status_code == 403
    assert [reason["code"] for reason in response.json()["error"]["reasons"]] == ["action_excluded_by_role"]


def test_a_user_without_any_role_is_told_no_assignment_grants_the_action(api: Api) -> None:
    client, _ = api.user()
    with client:
        response = client.get("/registry")
    assert response.status_code == 403
    assert [reason["code"] for reason in response.json()["error"]["reasons"]] == ["no_control_plane_assignment"]


def test_a_role_held_through_a_group_counts(api: Api, owner: Any) -> None:
    client, object_id = api.user()
    group = owner.post("/directory/groups", json={"displayName": "registry admins"}).json()["objectId"]
    assert owner.put(f"/directory/groups/{group}/members/{object_id}").status_code == 204
    assert owner.post("/roleAssignments", json={"principalId": group, "role": CRCDACA}).status_code == 201
    with client:
        assert client.patch("/registry", json={"anonymousPullEnabled": False}).status_code == 200


def test_a_refused_change_changes_nothing(api: Api, owner: Any) -> None:
    client, _ = api.user("Reader")
    with client:
        assert client.patch("/registry", json={"anonymousPullEnabled": True}).status_code == 403
    assert owner.get("/registry").json()["anonymousPullEnabled"] is False
