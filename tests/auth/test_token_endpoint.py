"""`/oauth2/token` on a running registry: who gets a token, what it grants, and how refusals look.

Refusals carry ACR's generic text; the precise reason is for the login event only.
"""

from __future__ import annotations

import base64
import datetime
import uuid
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.auth.conftest import (
    ACR_AUTHENTICATION_REQUIRED,
    NOT_REGISTERED_WITH_AAD,
    OWNER,
    TOKEN_USER_NAME,
    TokenRegistry,
    access_of,
    jwt_part,
    oci_messages,
    start_token_registry,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def http(token_registry: TokenRegistry) -> Iterator[httpx.Client]:
    with token_registry.client() as client:
        yield client


def _basic(text: bytes) -> str:
    return "Basic " + base64.b64encode(text).decode()


def _assert_refused_with_acr_text(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    body = response.json()
    assert [error["code"] for error in body["errors"]] == ["UNAUTHORIZED"], body
    assert oci_messages(response)[0].startswith(ACR_AUTHENTICATION_REQUIRED), body
    assert "token" not in body and "access_token" not in body and "refresh_token" not in body


def _assert_client_error(response: httpx.Response) -> None:
    """A 4xx whose JSON body is an OAuth2 error or an OCI `errors` list."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    body = response.json()
    assert isinstance(body.get("error"), str) or isinstance(body.get("errors"), list), body


# -- the owner, GET with Basic --------------------------------------------------------------------


def test_owner_basic_get_returns_token_access_token_expires_in_and_issued_at(token_registry: TokenRegistry) -> None:
    before = datetime.datetime.now(datetime.UTC).replace(microsecond=0)

    body = token_registry.token("repository:app:pull", auth=token_registry.owner)

    assert body["token"] == body["access_token"]
    assert isinstance(body["expires_in"], int) and 0 < body["expires_in"] <= 75 * 60
    issued_at = datetime.datetime.fromisoformat(body["issued_at"].replace("Z", "+00:00"))
    assert abs((issued_at - before).total_seconds()) < 60
    assert "refresh_token" not in body


def test_access_token_expiry_matches_expires_in(token_registry: TokenRegistry) -> None:
    body = token_registry.token("repository:app:pull", auth=token_registry.owner)

    claims = jwt_part(body["access_token"], 1)

    assert claims["exp"] - claims["iat"] == body["expires_in"]
    assert claims["aud"] == token_registry.host and claims["iss"] == token_registry.host


def test_offline_token_true_also_returns_a_refresh_token(token_registry: TokenRegistry) -> None:
    body = token_registry.token("repository:app:pull", auth=token_registry.owner, offline=True)

    assert body["access_token"] and body["refresh_token"]
    assert body["refresh_token"] != body["access_token"]


def test_refresh_token_carries_grant_type_and_tenant(token_registry: TokenRegistry) -> None:
    # DESIGN §5: ACR refresh tokens also carry `grant_type`, `tenant` and `permissions`.
    refresh = token_registry.token(auth=token_registry.owner, offline=True)["refresh_token"]
    with token_registry.directory() as directory:
        tenant = directory.tenant_id()

    claims = jwt_part(refresh, 1)

    assert claims["grant_type"] == "refresh_token"
    assert claims.get("tenant") == tenant


def test_several_scope_parameters_are_all_granted(token_registry: TokenRegistry) -> None:
    body = token_registry.token(
        "repository:team/app:pull",
        "repository:team/db:pull,push",
        "registry:catalog:*",
        auth=token_registry.owner,
    )

    assert access_of(body["access_token"]) == {
        ("repository", "team/app"): {"pull"},
        ("repository", "team/db"): {"pull", "push"},
        ("registry", "catalog"): {"*"},
    }


def test_space_separated_scopes_in_one_parameter_are_all_granted(token_registry: TokenRegistry) -> None:
    body = token_registry.token("repository:a:pull repository:b:push", auth=token_registry.owner)

    assert access_of(body["access_token"]) == {("repository", "a"): {"pull"}, ("repository", "b"): {"push"}}


def test_access_claim_grants_exactly_the_actions_asked(token_registry: TokenRegistry) -> None:
    token = token_registry.access_token("repository:only/pull:pull")

    assert jwt_part(token, 1)["access"] == [{"type": "repository", "name": "only/pull", "actions": ["pull"]}]


def test_login_without_scope_gets_a_token_with_empty_access(token_registry: TokenRegistry) -> None:
    # `docker login` asks for no scope at all.
    token = token_registry.access_token()

    assert jwt_part(token, 1)["access"] == []


# -- refusals --------------------------------------------------------------------------------------


def test_wrong_password_is_refused_with_the_acr_text(token_registry: TokenRegistry) -> None:
    response = token_registry.token_response("repository:app:pull", auth=(OWNER, "not-the-password"))

    _assert_refused_with_acr_text(response)


def test_wrong_password_refusal_does_not_say_why(token_registry: TokenRegistry) -> None:
    response = token_registry.token_response("repository:app:pull", auth=(OWNER, "not-the-password"))

    text = response.text.lower()
    assert not any(word in text for word in ("password", "wrong", "unknown", "user", "owner", "expired", "secret"))


def test_wrong_password_wrong_secret_and_expired_secret_look_the_same_to_the_client(
    token_registry: TokenRegistry,
) -> None:
    live = token_registry.service_principal()
    expired = token_registry.service_principal(expires_in=-3600)

    responses = [
        token_registry.token_response("repository:app:pull", auth=(OWNER, "not-the-password")),
        token_registry.token_response("repository:app:pull", auth=(live.app_id, live.secret[::-1])),
        token_registry.token_response("repository:app:pull", auth=(expired.app_id, expired.secret)),
    ]

    assert [r.status_code for r in responses] == [401, 401, 401]
    assert responses[0].json() == responses[1].json() == responses[2].json()


def test_unknown_user_name_is_refused_as_not_registered_with_aad(token_registry: TokenRegistry) -> None:
    # DESIGN §5: "Application not registered with AAD." answers an unknown application id *or a user name
    # that is not a known principal* (what ACR says to `docker login -u someone-unknown`).
    response = token_registry.token_response("repository:app:pull", auth=("nobody-" + uuid.uuid4().hex[:8], "x"))

    assert response.status_code == 401, response.text
    assert NOT_REGISTERED_WITH_AAD in oci_messages(response)


def test_unknown_application_id_is_refused_as_not_registered_with_aad(token_registry: TokenRegistry) -> None:
    response = token_registry.token_response("repository:app:pull", auth=(str(uuid.uuid4()), "some-secret"))

    assert response.status_code == 401, response.text
    assert NOT_REGISTERED_WITH_AAD in oci_messages(response)


def test_service_principal_client_secret_gets_a_token(token_registry: TokenRegistry) -> None:
    principal = token_registry.service_principal()

    token = token_registry.access_token("repository:ci/app:pull,push", auth=(principal.app_id, principal.secret))

    assert access_of(token) == {("repository", "ci/app"): {"pull", "push"}}
    assert jwt_part(token, 1)["sub"] == principal.object_id


def test_service_principal_app_id_in_upper_case_signs_in(token_registry: TokenRegistry) -> None:
    principal = token_registry.service_principal()

    response = token_registry.token_response("repository:app:pull", auth=(principal.app_id.upper(), principal.secret))

    assert response.status_code == 200, response.text


def test_service_principal_wrong_secret_is_refused_with_the_acr_text(token_registry: TokenRegistry) -> None:
    principal = token_registry.service_principal()

    response = token_registry.token_response("repository:app:pull", auth=(principal.app_id, principal.secret + "x"))

    _assert_refused_with_acr_text(response)


def test_expired_client_secret_is_refused_with_the_acr_text(token_registry: TokenRegistry) -> None:
    principal = token_registry.service_principal(expires_in=-3600)

    response = token_registry.token_response("repository:app:pull", auth=(principal.app_id, principal.secret))

    _assert_refused_with_acr_text(response)
    assert "expired" not in response.text.lower()


def test_disabled_service_principal_is_refused(token_registry: TokenRegistry) -> None:
    principal = token_registry.service_principal(enabled=False)

    response = token_registry.token_response("repository:app:pull", auth=(principal.app_id, principal.secret))

    _assert_refused_with_acr_text(response)


def test_refresh_token_stops_working_once_its_principal_is_disabled(token_registry: TokenRegistry) -> None:
    principal = token_registry.service_principal()
    refresh = token_registry.token(auth=(principal.app_id, principal.secret), offline=True)["refresh_token"]

    token_registry.set_enabled(principal.object_id, False)
    response = token_registry.token_response("repository:app:pull", auth=(TOKEN_USER_NAME, refresh))

    _assert_refused_with_acr_text(response)


# -- POST: the OAuth2 form -------------------------------------------------------------------------


def test_post_password_grant_returns_an_access_token_for_the_scope(
    token_registry: TokenRegistry, http: httpx.Client
) -> None:
    form = {
        "grant_type": "password",
        "username": OWNER,
        "password": token_registry.owner_password,
        "service": token_registry.host,
        "scope": "repository:app:pull",
    }

    response = http.post("/oauth2/token", data=form)

    assert response.status_code == 200, response.text
    assert access_of(response.json()["access_token"]) == {("repository", "app"): {"pull"}}
    assert "refresh_token" not in response.json()


def test_post_password_grant_with_access_type_offline_returns_a_refresh_token(
    token_registry: TokenRegistry, http: httpx.Client
) -> None:
    form = {
        "grant_type": "password",
        "username": OWNER,
        "password": token_registry.owner_password,
        "service": token_registry.host,
        "access_type": "offline",
    }

    response = http.post("/oauth2/token", data=form)

    assert response.status_code == 200, response.text
    assert response.json()["refresh_token"]


def test_post_password_grant_with_a_wrong_password_is_refused(
    token_registry: TokenRegistry, http: httpx.Client
) -> None:
    form = {"grant_type": "password", "username": OWNER, "password": "nope", "service": token_registry.host}

    _assert_refused_with_acr_text(http.post("/oauth2/token", data=form))


def test_post_refresh_token_grant_returns_an_access_token_for_the_scope(
    token_registry: TokenRegistry, http: httpx.Client
) -> None:
    refresh = token_registry.token(auth=token_registry.owner, offline=True)["refresh_token"]
    form = {
        "grant_type": "refresh_token",
        "refresh_token": refresh,
        "service": token_registry.host,
        "scope": "repository:app:pull,push",
    }

    response = http.post("/oauth2/token", data=form)

    assert response.status_code == 200, response.text
    assert access_of(response.json()["access_token"]) == {("repository", "app"): {"pull", "push"}}


def test_post_refresh_token_grant_refuses_an_access_token(token_registry: TokenRegistry, http: httpx.Client) -> None:
    access = token_registry.access_token("repository:app:pull")
    form = {"grant_type": "refresh_token", "refresh_token": access, "service": token_registry.host}

    _assert_refused_with_acr_text(http.post("/oauth2/token", data=form))


def test_post_refresh_token_grant_refuses_a_garbage_token(token_registry: TokenRegistry, http: httpx.Client) -> None:
    form = {"grant_type": "refresh_token", "refresh_token": "not.a.jwt", "service": token_registry.host}

    _assert_refused_with_acr_text(http.post("/oauth2/token", data=form))


def test_post_repeated_scope_fields_are_all_granted(token_registry: TokenRegistry, http: httpx.Client) -> None:
    form = [
        ("grant_type", "password"),
        ("username", OWNER),
        ("password", token_registry.owner_password),
        ("scope", "repository:a:pull"),
        ("scope", "repository:b:push"),
    ]

    response = http.post("/oauth2/token", content=urlencode(form).encode(), headers=FORM)

    assert response.status_code == 200, response.text
    assert access_of(response.json()["access_token"]) == {("repository", "a"): {"pull"}, ("repository", "b"): {"push"}}


def test_unsupported_grant_type_is_400_unsupported_grant_type(http: httpx.Client) -> None:
    response = http.post("/oauth2/token", data={"grant_type": "client_credentials", "client_id": "x"})

    assert response.status_code == 400, response.text
    assert response.json()["error"] == "unsupported_grant_type"


def test_post_without_a_form_content_type_is_400_invalid_request(http: httpx.Client) -> None:
    response = http.post("/oauth2/token", json={"grant_type": "password"})

    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"


def test_post_password_grant_without_a_password_is_400_invalid_request(http: httpx.Client) -> None:
    response = http.post("/oauth2/token", data={"grant_type": "password", "username": OWNER})

    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"


# -- malformed requests: 4xx, never 500 ------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "Basic",
        "Basic =",
        "Basic !!!not-base64!!!",
        "Basic " + "QQ",  # truncated base64 (no padding)
        _basic(b"no-colon-here"),
        _basic(b":password-without-user"),
        _basic(b"\xff\xfe:\xff"),  # not UTF-8
        "Bearer some.access.token",
        "Bearer",
        "Digest username=owner",
        "Negotiate YIIB",
        "Basic " + "A" * 20_000,
    ],
    ids=[
        "basic-no-value",
        "basic-padding-only",
        "bad-base64",
        "truncated-base64",
        "no-colon",
        "empty-user",
        "not-utf8",
        "bearer",
        "bearer-empty",
        "digest",
        "negotiate",
        "oversized",
    ],
)
def test_malformed_authorization_header_at_the_token_endpoint_is_a_4xx_error(http: httpx.Client, header: str) -> None:
    response = http.get("/oauth2/token", params={"scope": "repository:app:pull"}, headers={"Authorization": header})

    _assert_client_error(response)


@pytest.mark.parametrize(
    "scope",
    [
        "repository",
        "repository:app",
        "repository:App:pull",
        "repository:app:PULL",
        "repository:app:",
        "repository::pull",
        ":app:pull",
        "repository:app/:pull",
        "repository:app:pull,,push",
        "repo sitory:app:pull",
        "repository:" + "a" * 2000 + ":pull",
        "repository:app:pull\x00",
    ],
)
def test_broken_scope_is_400_invalid_scope(token_registry: TokenRegistry, scope: str) -> None:
    response = token_registry.token_response(scope, auth=token_registry.owner)

    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_scope"


def test_too_many_scopes_is_400_invalid_scope(token_registry: TokenRegistry) -> None:
    scopes = [f"repository:r{i}:pull" for i in range(101)]

    response = token_registry.token_response(*scopes, auth=token_registry.owner)

    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_scope"


def test_token_for_another_service_is_400_invalid_request(token_registry: TokenRegistry, http: httpx.Client) -> None:
    response = http.get("/oauth2/token", params={"service": "other.example.com"}, auth=token_registry.owner)

    assert response.status_code == 400, response.text
    assert response.json()["error"] == "invalid_request"


# -- the token user name (`login --expose-token`) --------------------------------------------------


def test_token_user_name_with_a_refresh_token_gets_tokens(token_registry: TokenRegistry) -> None:
    refresh = token_registry.token(auth=token_registry.owner, offline=True)["refresh_token"]

    body = token_registry.token("repository:app:pull,push", auth=(TOKEN_USER_NAME, refresh))

    assert access_of(body["access_token"]) == {("repository", "app"): {"pull", "push"}}


def test_token_user_name_with_a_refresh_token_and_offline_gets_a_new_refresh_token(
    token_registry: TokenRegistry,
) -> None:
    refresh = token_registry.token(auth=token_registry.owner, offline=True)["refresh_token"]

    body = token_registry.token(auth=(TOKEN_USER_NAME, refresh), offline=True)

    assert body["refresh_token"]


def test_token_user_name_with_an_access_token_gets_tokens(token_registry: TokenRegistry) -> None:
    # DESIGN §5: the 0000 user name is accepted with a refresh token and with an access token.
    access = token_registry.access_token("repository:app:pull")

    response = token_registry.token_response("repository:app:pull", auth=(TOKEN_USER_NAME, access))

    assert response.status_code == 200, response.text


def test_token_user_name_with_garbage_is_refused_with_the_acr_text(token_registry: TokenRegistry) -> None:
    response = token_registry.token_response("repository:app:pull", auth=(TOKEN_USER_NAME, "garbage"))

    _assert_refused_with_acr_text(response)


def test_refresh_token_of_another_registry_is_refused(
    token_registry: TokenRegistry, anonymous_pull_registry: TokenRegistry
) -> None:
    foreign = anonymous_pull_registry.token(auth=anonymous_pull_registry.owner, offline=True)["refresh_token"]

    response = token_registry.token_response("repository:app:pull", auth=(TOKEN_USER_NAME, foreign))

    _assert_refused_with_acr_text(response)


# -- anonymous -------------------------------------------------------------------------------------


def test_anonymous_without_anonymous_pull_gets_a_token_with_no_access(token_registry: TokenRegistry) -> None:
    body = token_registry.token("repository:app:pull")

    assert jwt_part(body["access_token"], 1)["access"] == []
    assert "refresh_token" not in body


def test_anonymous_offline_token_gets_no_refresh_token(anonymous_pull_registry: TokenRegistry) -> None:
    body = anonymous_pull_registry.token("repository:app:pull", offline=True)

    assert "refresh_token" not in body


def test_anonymous_with_anonymous_pull_gets_pull_but_not_push(anonymous_pull_registry: TokenRegistry) -> None:
    body = anonymous_pull_registry.token("repository:app:pull,push", "registry:catalog:*")

    assert access_of(body["access_token"]) == {("repository", "app"): {"pull"}}


def test_invalid_credentials_are_refused_even_with_anonymous_pull(anonymous_pull_registry: TokenRegistry) -> None:
    # Stale saved credentials break anonymous pulls, exactly as on ACR.
    response = anonymous_pull_registry.token_response("repository:app:pull", auth=(OWNER, "stale-password"))

    _assert_refused_with_acr_text(response)


# -- lifetimes -------------------------------------------------------------------------------------


def test_access_token_from_a_refresh_token_never_outlives_it(tmp_path_factory: pytest.TempPathFactory) -> None:
    registry = start_token_registry(tmp_path_factory.mktemp("short-refresh") / "data", "--refresh-token-seconds", "600")
    try:
        refresh = registry.token(auth=registry.owner, offline=True)["refresh_token"]
        with registry.client() as http:
            response = http.post(
                "/oauth2/token",
                data={"grant_type": "refresh_token", "refresh_token": refresh, "service": registry.host},
            )
    finally:
        registry.server.stop()

    assert response.status_code == 200, response.text
    assert jwt_part(response.json()["access_token"], 1)["exp"] <= jwt_part(refresh, 1)["exp"]


# -- secrets ---------------------------------------------------------------------------------------


def test_secrets_never_appear_in_responses_or_the_server_log(token_registry: TokenRegistry) -> None:
    principal = token_registry.service_principal()
    guesses = ["guess-" + uuid.uuid4().hex, principal.secret[:-1] + "!"]
    responses = [
        token_registry.token_response("repository:app:pull", auth=(principal.app_id, principal.secret)),
        token_registry.token_response("repository:app:pull", auth=(OWNER, token_registry.owner_password)),
        *(token_registry.token_response("repository:app:pull", auth=(OWNER, guess)) for guess in guesses),
        *(token_registry.token_response("repository:app:pull", auth=(principal.app_id, guess)) for guess in guesses),
    ]
    with token_registry.client() as http:
        form = {"grant_type": "password", "username": OWNER, "password": guesses[0]}
        responses.append(http.post("/oauth2/token", data=form))

    secrets = [principal.secret, token_registry.owner_password, *guesses]
    log = token_registry.data_dir.parent / f"{token_registry.data_dir.name}-serve.log"
    for text in [*(r.text + str(r.headers) for r in responses), log.read_text(errors="replace")]:
        assert not [secret for secret in secrets if secret in text]


# -- property-based: whatever arrives, never a 500 ------------------------------------------------

_header_text = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=200) | st.sampled_from(
    ["", " ", "Basic", "Bearer", "Basic Og==", "Basic b3duZXI6", "Bearer a.b.c", "Basic ====="]
)
_authorization = st.one_of(
    st.none(),
    _header_text,
    st.builds(
        lambda scheme, value: f"{scheme} {value}", st.sampled_from(["Basic", "Bearer", "basic", "BEARER"]), _header_text
    ),
    st.builds(
        lambda raw: "Basic " + base64.b64encode(raw).decode(),
        st.binary(max_size=80) | st.sampled_from([b"owner:", b":", b"owner:x", f"{TOKEN_USER_NAME}:x".encode()]),
    ),
)
_param_value = st.text(max_size=60) | st.sampled_from(
    ["password", "refresh_token", "client_credentials", "true", "offline", "repository:app:pull", "registry:catalog:*"]
)
_param_name = st.sampled_from(
    ["grant_type", "username", "password", "refresh_token", "scope", "service", "access_type", "offline_token", "x"]
)
_params = st.lists(st.tuples(_param_name, _param_value), max_size=8)
_content_type = st.sampled_from(
    ["application/x-www-form-urlencoded", "application/json", "text/plain", "multipart/form-data", ""]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(authorization=_authorization, params=_params)
def test_random_get_requests_to_the_token_endpoint_never_get_a_500(
    http: httpx.Client, authorization: str | None, params: list[tuple[str, str]]
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization.strip()}

    response = http.get("/oauth2/token", params=params, headers=headers)

    assert response.status_code < 500, response.text
    assert response.status_code in (200, 400, 401, 429), response.text  # 429: repeated failures are throttled


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    authorization=_authorization,
    content_type=_content_type,
    form=_params,
    raw=st.one_of(st.none(), st.binary(max_size=200)),
)
def test_random_post_requests_to_the_token_endpoint_never_get_a_500(
    http: httpx.Client,
    authorization: str | None,
    content_type: str,
    form: list[tuple[str, str]],
    raw: bytes | None,
) -> None:
    headers = {"Content-Type": content_type}
    if authorization is not None:
        headers["Authorization"] = authorization.strip()  # h11 refuses surrounding spaces
    body = raw if raw is not None else urlencode(form).encode()

    response = http.post("/oauth2/token", content=body, headers=headers)

    assert response.status_code < 500, response.text
    assert response.status_code in (200, 400, 401, 429), response.text  # 429: repeated failures are throttled
