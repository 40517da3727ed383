"""The sign-in endpoints: `/oauth2/token` (what docker, podman, skopeo and oras use),
`/oauth2/exchange`, the directory's `/directory/<tenant>/oauth2/v2.0/token`, and the JWKS.

`GET /oauth2/token` with Basic credentials (or none, for anonymous pull) is the Docker token spec;
`POST` with a form is its OAuth2 variant (`grant_type=password` or `refresh_token`). Refusals there
carry both an OAuth2 error and the OCI `errors` list, because Docker-family clients print the latter;
the directory endpoint answers in plain OAuth2.
"""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Callable, Mapping
from typing import TypeVar
from urllib.parse import parse_qsl

import anyio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from dockyard.audit.model import LoginOperation
from dockyard.auth.caller import caller_ip
from dockyard.auth.challenge import AUTHENTICATION_REQUIRED
from dockyard.auth.credentials import BasicCredentials, CredentialsMalformed, parse_authorization
from dockyard.auth.directory_tokens import OFFLINE_ACCESS, DirectoryTokens
from dockyard.auth.federation import ASSERTION_TYPE
from dockyard.auth.login_events import LoginAttempt
from dockyard.auth.oauth_errors import OAuthError, OAuthFailure, oauth_error_response, throttled
from dockyard.auth.scopes import Scope, ScopeInvalid, parse_scopes
from dockyard.auth.throttle import LoginThrottle
from dockyard.auth.token_service import TOKEN_USER_NAME, SignedIn, SignInFailed, TokenGrant, TokenService

log = logging.getLogger("dockyard.auth")
_APPLICATION_NOT_REGISTERED = "Application not registered with AAD."
_MAX_FORM_BYTES = 64 * 1024
_REALM_NAME = "Dockyard token service"
_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_SignedIn = TypeVar("_SignedIn")


def _service(request: Request) -> TokenService:
    service: TokenService = request.app.state.token_service
    return service


def _failure_response(failure: OAuthFailure, message: str = AUTHENTICATION_REQUIRED) -> Response:
    # A 401 tells Docker-family clients only ACR's generic text; a bad request says what is wrong.
    unauthorized = failure.status == 401
    if unauthorized:
        error = {"code": "UNAUTHORIZED", "message": message}
    elif failure.retry_after is not None:
        error = {"code": "TOOMANYREQUESTS", "message": failure.description}
    else:
        error = {"code": "DENIED", "message": failure.description}
    body = {"error": failure.error.value, "error_description": failure.description, "errors": [error]}
    headers = {"WWW-Authenticate": f'Basic realm="{_REALM_NAME}"'} if unauthorized else {}
    if failure.retry_after is not None:
        headers["Retry-After"] = str(failure.retry_after)
    return Response(json.dumps(body), status_code=failure.status, media_type="application/json", headers=headers)


async def _throttled_sign_in(request: Request, username: str, sign_in: Callable[[], _SignedIn]) -> _SignedIn:
    """A sign-in with a password or secret, slowed and then refused (429) after repeated failures by this
    identity from this address; a success resets the count. Refresh tokens are not throttled."""
    throttle: LoginThrottle = request.app.state.login_throttle
    if username == TOKEN_USER_NAME:
        return sign_in()
    ip = caller_ip(request)
    verdict = throttle.check(username, ip)
    if verdict.retry_after is not None:
        raise throttled(verdict.retry_after)
    if verdict.delay_seconds:
        await anyio.sleep(verdict.delay_seconds)
    try:
        signed_in = sign_in()
    except (SignInFailed, OAuthFailure):
        throttle.failed(username, ip)
        raise
    throttle.succeeded(username, ip)
    return signed_in


def _sign_in_failed(exc: SignInFailed) -> Response:
    log.info("token request refused: %s", exc.reason.value)
    if exc.application_unknown:
        failure = OAuthFailure(OAuthError.INVALID_CLIENT, _APPLICATION_NOT_REGISTERED)
        return _failure_response(failure, _APPLICATION_NOT_REGISTERED)
    return _failure_response(OAuthFailure(OAuthError.INVALID_GRANT, "authentication failed", status=401))


def _grant_response(signed_in: SignedIn, grant: TokenGrant) -> Response:
    for denial in grant.denials:
        log.info("token for %s %r: not granted %s", signed_in.subject.kind.value, signed_in.subject.name, denial)
    body: dict[str, object] = {
        "token": grant.access_token.token,
        "access_token": grant.access_token.token,
        "expires_in": grant.lifetime,
        "issued_at": _iso(grant.issued_at),
    }
    if grant.refresh_token is not None:
        body["refresh_token"] = grant.refresh_token.token
    return JSONResponse(body, headers=_NO_STORE)


def _iso(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp, datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _scopes_and_service(service: TokenService, params: Mapping[str, str], scopes: list[str]) -> list[Scope]:
    asked = params.get("service")
    if asked and asked != service.service:
        raise OAuthFailure(OAuthError.INVALID_REQUEST, f"this token service is for {service.service!r}")
    try:
        return parse_scopes(scopes)
    except ScopeInvalid as exc:
        raise OAuthFailure(OAuthError.INVALID_SCOPE, str(exc)) from None


async def token_get(request: Request) -> Response:
    """GET /oauth2/token?service=&scope=…[&offline_token=true] with Basic credentials or none."""
    service = _service(request)
    now = service_clock(request)
    attempt = LoginAttempt(request, LoginOperation.TOKEN)
    try:
        scopes = _scopes_and_service(service, request.query_params, request.query_params.getlist("scope"))
        credentials = parse_authorization(request.headers.get("authorization"))
        if credentials is None:
            signed_in: SignedIn = service.anonymous()
        elif isinstance(credentials, BasicCredentials):
            attempt.presented(credentials.username)
            basic = credentials
            signed_in = await _throttled_sign_in(
                request, basic.username, lambda: service.sign_in(basic.username, basic.password, now)
            )
        else:
            raise OAuthFailure(OAuthError.INVALID_REQUEST, "use Basic credentials at the token endpoint", status=401)
    except CredentialsMalformed as exc:
        attempt.malformed(str(exc))
        return _failure_response(OAuthFailure(OAuthError.INVALID_REQUEST, str(exc), status=401))
    except OAuthFailure as failure:
        attempt.oauth_failed(failure)
        return _failure_response(failure)
    except SignInFailed as exc:
        attempt.sign_in_failed(exc)
        return _sign_in_failed(exc)
    offline = request.query_params.get("offline_token", "").lower() == "true"
    return _granted(attempt, signed_in, service.issue(signed_in, scopes, now, offline))


async def token_post(request: Request) -> Response:
    """POST /oauth2/token with `grant_type=password` or `grant_type=refresh_token`."""
    service = _service(request)
    now = service_clock(request)
    attempt = LoginAttempt(request, LoginOperation.TOKEN)
    try:
        form = await _form(request)
        scopes = _scopes_and_service(service, form, form.get("scope", "").split())
        grant_type = form.get("grant_type", "")
        if grant_type == "refresh_token":
            attempt.presented(TOKEN_USER_NAME)
            signed_in = service.subject_of_refresh_token(_required(form, "refresh_token"), now)
            offline = False
        elif grant_type == "password":
            username, password = _required(form, "username"), _required(form, "password")
            attempt.presented(username)
            signed_in = await _throttled_sign_in(request, username, lambda: service.sign_in(username, password, now))
            offline = form.get("access_type") == "offline"
        else:
            raise OAuthFailure(OAuthError.UNSUPPORTED_GRANT_TYPE, "grant_type must be password or refresh_token")
    except OAuthFailure as failure:
        attempt.oauth_failed(failure)
        return _failure_response(failure)
    except SignInFailed as exc:
        attempt.sign_in_failed(exc)
        return _sign_in_failed(exc)
    return _granted(attempt, signed_in, service.issue(signed_in, scopes, now, offline))


def _granted(attempt: LoginAttempt, signed_in: SignedIn, grant: TokenGrant) -> Response:
    attempt.succeeded(signed_in.subject.id, signed_in.subject.name, grant.access_token.jwt_id, grant)
    return _grant_response(signed_in, grant)


async def _form(request: Request) -> dict[str, str]:
    if "application/x-www-form-urlencoded" not in request.headers.get("content-type", ""):
        raise OAuthFailure(OAuthError.INVALID_REQUEST, "send the request as application/x-www-form-urlencoded")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > _MAX_FORM_BYTES:
            raise OAuthFailure(OAuthError.INVALID_REQUEST, "the form is too large")
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        raise OAuthFailure(OAuthError.INVALID_REQUEST, "the form cannot be parsed") from None
    form: dict[str, str] = {}
    for key, value in pairs:
        form[key] = f"{form[key]} {value}" if key == "scope" and key in form else value
    return form


async def exchange(request: Request) -> Response:
    """POST /oauth2/exchange: a directory token in, a registry refresh token out."""
    service = _service(request)
    tokens: DirectoryTokens = request.app.state.directory_tokens
    now = service_clock(request)
    attempt = LoginAttempt(request, LoginOperation.EXCHANGE)
    try:
        form = await _form(request)
        if form.get("grant_type") not in ("access_token", "access_token_refresh_token"):
            raise OAuthFailure(OAuthError.UNSUPPORTED_GRANT_TYPE, "grant_type must be access_token")
        _scopes_and_service(service, form, [])
        principal = tokens.principal_of(_required(form, "access_token"), _required(form, "tenant"))
    except OAuthFailure as failure:
        attempt.oauth_failed(failure)
        return _failure_response(failure)
    subject = service.subject_of(principal)
    grant = service.issue(SignedIn(subject), [], now, offline=True)
    assert grant.refresh_token is not None  # a directory principal is never anonymous
    attempt.succeeded(subject.id, subject.name, grant.refresh_token.jwt_id)
    return JSONResponse({"refresh_token": grant.refresh_token.token}, headers=_NO_STORE)


async def directory_token(request: Request) -> Response:
    """POST /directory/{tenant}/oauth2/v2.0/token: `client_credentials`, `password` (with a directory refresh
    token when `scope` holds `offline_access`) or `refresh_token`."""
    tokens: DirectoryTokens = request.app.state.directory_tokens
    tenant = request.path_params["tenant"]
    attempt = LoginAttempt(request, LoginOperation.DIRECTORY_TOKEN)
    try:
        form = await _form(request)
        grant_type = form.get("grant_type", "")
        attempt.presented(form.get("client_id") or form.get("username") or "")
        if grant_type == "client_credentials" and form.get("client_assertion_type") == ASSERTION_TYPE:
            signed = tokens.client_assertion(tenant, _required(form, "client_id"), _required(form, "client_assertion"))
        elif grant_type == "client_credentials":
            client_id, secret = _required(form, "client_id"), _required(form, "client_secret")
            signed = await _throttled_sign_in(
                request, client_id, lambda: tokens.client_credentials(tenant, client_id, secret)
            )
        elif grant_type == "password":
            username, password = _required(form, "username"), _required(form, "password")
            offline = OFFLINE_ACCESS in form.get("scope", "").split()
            signed = await _throttled_sign_in(
                request, username, lambda: tokens.password(tenant, username, password, offline)
            )
        elif grant_type == "refresh_token":  # not throttled, as registry refresh tokens are not
            signed = tokens.refresh(tenant, _required(form, "refresh_token"))
        else:
            description = "grant_type must be client_credentials, password or refresh_token"
            raise OAuthFailure(OAuthError.UNSUPPORTED_GRANT_TYPE, description)
    except OAuthFailure as failure:
        log.info("directory sign-in refused: %s", failure.error.value)
        attempt.oauth_failed(failure)
        return oauth_error_response(failure)
    principal = signed.principal
    attempt.succeeded(principal.object_id, principal.user_name or principal.display_name, signed.token.jwt_id)
    now = service_clock(request)
    issued = signed.token
    body: dict[str, object] = {
        "token_type": "Bearer",
        "access_token": issued.token,
        "expires_in": int(issued.expires_at - now),
    }
    if signed.refresh_token is not None:
        body["refresh_token"] = signed.refresh_token.token
        body["refresh_token_expires_in"] = int(signed.refresh_token.expires_at - now)
    return JSONResponse(body, headers=_NO_STORE)


async def jwks(request: Request) -> Response:
    """GET /.well-known/jwks.json: the public keys that verify this registry's tokens."""
    return JSONResponse(_service(request).keys.jwks(service_clock(request)))


def _required(form: Mapping[str, str], name: str) -> str:
    value = form.get(name)
    if not value:
        raise OAuthFailure(OAuthError.INVALID_REQUEST, f"{name} is required")
    return value


def service_clock(request: Request) -> float:
    """Now, from the application's clock."""
    clock = request.app.state.registry.clock
    return float(clock())


routes = [
    Route("/oauth2/token", token_get, methods=["GET"]),
    Route("/oauth2/token", token_post, methods=["POST"]),
    Route("/oauth2/exchange", exchange, methods=["POST"]),
    Route("/.well-known/jwks.json", jwks, methods=["GET"]),
    Route("/directory/{tenant}/oauth2/v2.0/token", directory_token, methods=["POST"]),
]
