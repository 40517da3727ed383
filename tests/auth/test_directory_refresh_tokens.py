"""The directory refresh token: a user who signs in with `offline_access` can renew its directory token
without the password (as Entra's refresh tokens allow), until the user is disabled or deleted, the
password changes, or 90 days pass.

Live tests run against a real server; the expiry test runs `DirectoryTokens` in process with a clock
moved forward instead of sleeping.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from dockyard.auth.directory_tokens import DirectoryTokens
from dockyard.auth.keys import SigningKeys
from dockyard.auth.oauth_errors import OAuthFailure
from tests.auth.conftest import TOKEN_USER_NAME, TokenRegistry, jwt_part
from tests.directory import T0, new_store

PASSWORD = "correct horse battery"
OFFLINE = "openid offline_access"


def _user(registry: TokenRegistry) -> tuple[str, str]:
    """A new user (user name, object id) with the password `PASSWORD`."""
    name = f"user-{uuid.uuid4().hex[:8]}"
    with registry.directory() as directory:
        return name, directory.create_user(name, PASSWORD).object_id


def _tenant(registry: TokenRegistry) -> str:
    with registry.directory() as directory:
        return directory.tenant_id()


def _directory(registry: TokenRegistry, tenant: str, **form: str) -> httpx.Response:
    with registry.client() as client:
        return client.post(f"/directory/{tenant}/oauth2/v2.0/token", data=form)


def _sign_in(registry: TokenRegistry, name: str, tenant: str = "organizations") -> dict[str, Any]:
    response = _directory(registry, tenant, grant_type="password", username=name, password=PASSWORD, scope=OFFLINE)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _refresh(registry: TokenRegistry, refresh_token: str, tenant: str = "organizations") -> httpx.Response:
    return _directory(registry, tenant, grant_type="refresh_token", refresh_token=refresh_token)


def _exchange(registry: TokenRegistry, directory_token: str) -> httpx.Response:
    form = {"grant_type": "access_token", "service": registry.host, "tenant": _tenant(registry)}
    with registry.client() as client:
        return client.post("/oauth2/exchange", data=form | {"access_token": directory_token})


def test_offline_access_gives_a_refresh_token_that_renews_the_directory_token(token_registry: TokenRegistry) -> None:
    name, object_id = _user(token_registry)
    signed_in = _sign_in(token_registry, name)

    renewed = _refresh(token_registry, signed_in["refresh_token"])

    assert renewed.status_code == 200, renewed.text
    body = renewed.json()
    assert jwt_part(body["access_token"], 1)["oid"] == object_id
    assert body["refresh_token"] != signed_in["refresh_token"]  # a new one, valid for 90 days again
    assert 89 * 86400 < body["refresh_token_expires_in"] <= 90 * 86400
    assert _exchange(token_registry, body["access_token"]).status_code == 200


def test_without_offline_access_there_is_no_refresh_token(token_registry: TokenRegistry) -> None:
    name, _ = _user(token_registry)

    response = _directory(token_registry, "organizations", grant_type="password", username=name, password=PASSWORD)

    assert response.status_code == 200
    assert "refresh_token" not in response.json()


def test_the_organizations_tenant_signs_in_to_this_directory_and_the_token_names_the_real_tenant(
    token_registry: TokenRegistry,
) -> None:
    name, _ = _user(token_registry)

    token = _sign_in(token_registry, name, tenant="organizations")["access_token"]

    assert jwt_part(token, 1)["tid"] == _tenant(token_registry)


def test_a_changed_password_revokes_the_refresh_token(token_registry: TokenRegistry) -> None:
    name, object_id = _user(token_registry)
    refresh_token = _sign_in(token_registry, name)["refresh_token"]
    with token_registry.directory() as directory:
        directory.set_password(object_id, "another password entirely")

    response = _refresh(token_registry, refresh_token)

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert response.json()["error_description"].startswith("AADSTS50173:")


def test_a_disabled_user_cannot_refresh(token_registry: TokenRegistry) -> None:
    name, object_id = _user(token_registry)
    refresh_token = _sign_in(token_registry, name)["refresh_token"]
    token_registry.set_enabled(object_id, False)

    response = _refresh(token_registry, refresh_token)

    assert response.status_code == 400
    assert response.json()["error_description"].startswith("AADSTS50057:")


def test_a_deleted_user_cannot_refresh(token_registry: TokenRegistry) -> None:
    name, object_id = _user(token_registry)
    refresh_token = _sign_in(token_registry, name)["refresh_token"]
    with token_registry.directory() as directory:
        directory.delete_principal(object_id)

    response = _refresh(token_registry, refresh_token)

    assert response.status_code == 400
    assert response.json()["error_description"].startswith("AADSTS50034:")


def test_a_directory_refresh_token_is_neither_a_registry_refresh_token_nor_a_directory_token(
    token_registry: TokenRegistry,
) -> None:
    name, _ = _user(token_registry)
    refresh_token = _sign_in(token_registry, name)["refresh_token"]

    as_registry_token = token_registry.token_response("repository:any:pull", auth=(TOKEN_USER_NAME, refresh_token))
    at_the_exchange = _exchange(token_registry, refresh_token)

    assert as_registry_token.status_code == 401
    assert at_the_exchange.status_code == 401


def test_neither_a_directory_token_nor_a_registry_refresh_token_refreshes(token_registry: TokenRegistry) -> None:
    name, _ = _user(token_registry)
    directory_token = _sign_in(token_registry, name)["access_token"]
    registry_refresh_token = _exchange(token_registry, directory_token).json()["refresh_token"]

    for token in (directory_token, registry_refresh_token, "not-a-token"):
        response = _refresh(token_registry, token)
        assert response.status_code == 400
        assert response.json()["error_description"].startswith("AADSTS9002313:")


def test_a_refresh_token_expires_after_90_days(tmp_path: Path) -> None:
    now = [T0]
    directory = new_store(tmp_path)
    directory.create_user("alice", PASSWORD)
    keys = SigningKeys(tmp_path / "keys", issuer="registry.example", overlap=100 * 86400)
    tokens = DirectoryTokens(keys, directory, "https://registry.example", "https://registry.example", lambda: now[0])
    tenant = directory.tenant_id()
    refresh_token = tokens.password(tenant, "alice", PASSWORD, offline=True).refresh_token
    assert refresh_token is not None

    now[0] = T0 + 89 * 86400
    assert tokens.refresh(tenant, refresh_token.token).principal.user_name == "alice"
    now[0] = T0 + 90 * 86400 + 61  # past the expiry and the leeway
    with pytest.raises(OAuthFailure) as refused:
        tokens.refresh(tenant, refresh_token.token)

    assert refused.value.reason == "refresh_token_expired"
    assert refused.value.description.startswith("AADSTS700082:")
