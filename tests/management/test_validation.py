"""Bad requests are refused with a body naming the field, and a refused request changes nothing."""

from __future__ import annotations

import httpx

from tests.management.conftest import Api

CONDITION_WITHOUT_CLOSING_PARENTHESIS = (
    "(\n @Request[Microsoft.ContainerRegistry/registries/repositories:name] StringStartsWith 'team-a/'\n"
)


def test_a_body_that_is_not_json_is_a_400(owner: httpx.Client) -> None:
    response = owner.patch(
        "/registry", content=b'{"adminUserEnabled": tru', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "InvalidRequestContent"
    assert "line 1" in response.json()["error"]["message"]


def test_a_field_of_the_wrong_type_is_a_422_naming_it(owner: httpx.Client) -> None:
    response = owner.patch("/registry", json={"networkRuleSet": {"defaultAction": "Sometimes"}})
    assert response.status_code == 422
    assert response.json()["error"] == {
        **response.json()["error"],
        "code": "InvalidParameter",
        "target": "networkRuleSet.defaultAction",
    }


def test_an_unknown_field_is_a_422_naming_it(owner: httpx.Client) -> None:
    response = owner.post("/directory/groups", json={"displayName": "x", "colour": "blue"})
    assert (response.status_code, response.json()["error"]["target"]) == (422, "colour")


def test_a_missing_field_is_a_422_naming_it(owner: httpx.Client) -> None:
    response = owner.post("/tokens", json={"name": "no-scope-map"})
    assert (response.status_code, response.json()["error"]["target"]) == (422, "scopeMap")


def test_a_bad_query_parameter_is_a_422_naming_it(owner: httpx.Client) -> None:
    response = owner.get("/events/login", params={"limit": "many"})
    assert (response.status_code, response.json()["error"]["target"]) == (422, "query.limit")


def test_a_malformed_condition_is_a_400_with_its_line_and_column(api: Api, owner: httpx.Client) -> None:
    _, object_id = api.user()
    response = owner.post(
        "/roleAssignments",
        json={
            "principalId": object_id,
            "role": "Container Registry Repository Reader",
            "condition": CONDITION_WITHOUT_CLOSING_PARENTHESIS,
        },
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], error["target"]) == ("InvalidCondition", "condition")
    assert error["additionalInfo"][0]["line"] == 3
    assert "line 3, column" in error["message"]
    assert owner.get("/roleAssignments", params={"principalId": object_id}).json()["value"] == []


def test_a_domain_rule_is_a_400_naming_the_field(owner: httpx.Client) -> None:
    response = owner.post("/directory/users", json={"userName": "UPPER CASE", "password": "a long enough password"})
    assert (response.status_code, response.json()["error"]["target"]) == (400, "userName")


def test_an_update_with_one_bad_value_changes_nothing(owner: httpx.Client) -> None:
    before = owner.get("/registry").json()
    response = owner.patch(
        "/registry",
        json={
            "anonymousPullEnabled": not before["anonymousPullEnabled"],
            "networkRuleSet": {"defaultAction": "Deny", "ipRules": [{"value": "10.0.0.0/8"}, {"value": "10.0.0.300"}]},
        },
    )
    assert response.status_code == 400
    assert response.json()["error"]["target"] == "networkRuleSet.ipRules[1].value"
    assert owner.get("/registry").json() == before


def test_an_assignment_to_a_principal_that_does_not_exist_is_refused(owner: httpx.Client) -> None:
    response = owner.post(
        "/roleAssignments", json={"principalId": "00000000-0000-0000-0000-000000000001", "role": "AcrPull"}
    )
    assert (response.status_code, response.json()["error"]["target"]) == (400, "principalId")


def test_an_unknown_resource_is_a_404_in_the_same_format(owner: httpx.Client) -> None:
    for path in ("/tokens/no-such-token", "/scopeMaps/no-such-map", "/directory/users/nobody", "/roleDefinitions/x"):
        response = owner.get(path)
        assert (response.status_code, response.json()["error"]["code"]) == (404, "ResourceNotFound"), path


def test_a_secret_is_never_echoed_in_an_error(owner: httpx.Client) -> None:
    secret = "hunter2-but-much-too-short"[:5]
    response = owner.post("/directory/users", json={"userName": "erin", "password": secret})
    assert response.status_code == 422
    assert secret not in response.text
