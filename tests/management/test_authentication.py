"""Who may call the management API at all: a directory token in `Authorization: Bearer`, nothing else."""

from __future__ import annotations

import httpx

from tests.management.conftest import Api


def test_a_request_without_a_token_is_refused_with_401_and_a_bearer_challenge(api: Api) -> None:
    with api.client(None) as client:
        response = client.get("/registry")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AuthenticationFailed"
    assert response.headers["WWW-Authenticate"].startswith('Bearer authorization_uri="')
    assert f"/directory/{api.tenant}/oauth2/v2.0/token" in response.headers["WWW-Authenticate"]


def test_a_token_that_is_not_a_directory_token_is_refused_as_invalid(api: Api) -> None:
    with api.client("not.a.jwt") as client:
        response = client.get("/registry")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "InvalidAuthenticationToken"
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_a_registry_access_token_does_not_open_the_management_api(api: Api) -> None:
    registry_token = api.registry.access_token("repository:any/thing:pull")
    with api.client(registry_token) as client:
        assert client.get("/registry").status_code == 401


def test_basic_credentials_are_refused_even_the_owner_s(api: Api) -> None:
    response = httpx.get(f"{api.registry.url}/api/v1/registry", auth=api.registry.owner, timeout=30)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "AuthenticationFailed"


def test_the_bootstrap_owner_s_directory_token_opens_the_api(owner: httpx.Client) -> None:
    assert owner.get("/registry").status_code == 200


def test_the_openapi_document_is_served_without_signing_in(api: Api) -> None:
    response = httpx.get(f"{api.registry.url}/api/openapi.json", timeout=30)
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.")
    assert "/api/v1/roleAssignments" in response.json()["paths"]


def test_an_unknown_route_is_a_404_in_the_api_s_error_format(owner: httpx.Client) -> None:
    response = owner.get("/no/such/thing")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NotFound"
