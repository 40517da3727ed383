"""check-health's token chain: sign in (a refresh token, or Basic credentials), get an access token for the scope
asked (`--repository R --action A`), then compare what the token grants with what was asked — so "logged in but
cannot push" is caught here, before a push fails. Works with any token service that follows the Docker token spec;
Basic and open registries get the checks that make sense for them."""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from dockyard.doctor.connectivity import AuthScheme, Challenge, Target, refusal
from dockyard.doctor.credentials import TOKEN_USER_NAME, Credentials
from dockyard.doctor.steps import Step, failed, passed, skipped
from dockyard.doctor.vocabulary import CauseId, CheckCode, StepName
from dockyard.doctor.wire import Answer, WireError, request

_FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_NOT_REGISTERED = "Application not registered with AAD"
# What a missing action most likely means, by action; `explain` on the server says which for sure.
_MISSING_ACTION_CAUSES = {
    "push": (
        CauseId.PULL_ONLY_ROLE_PUSHING,
        CauseId.LEGACY_ROLE_IN_ABAC_MODE,
        CauseId.CONDITION_EXCLUDES_REPOSITORY,
        CauseId.REPOSITORY_ROLE_IN_RBAC_MODE,
    ),
    "pull": (
        CauseId.NO_PULL_PERMISSION,
        CauseId.LEGACY_ROLE_IN_ABAC_MODE,
        CauseId.CONDITION_EXCLUDES_REPOSITORY,
        CauseId.REPOSITORY_ROLE_IN_RBAC_MODE,
    ),
    "delete": (CauseId.NO_PULL_PERMISSION, CauseId.LEGACY_ROLE_IN_ABAC_MODE, CauseId.CONDITION_EXCLUDES_REPOSITORY),
    "*": (CauseId.CATALOG_WITHOUT_LISTER,),
}


@dataclass(frozen=True)
class Scope:
    """What the user wants to do: `repository:<name>:<action>`, or the catalog (`registry:catalog:*`)."""

    repository: str
    action: str

    @property
    def type(self) -> str:
        """`registry` for the catalog, `repository` otherwise."""
        return "registry" if self.action == "*" else "repository"

    @property
    def name(self) -> str:
        """The repository, or `catalog`."""
        return "catalog" if self.action == "*" else self.repository

    def __str__(self) -> str:
        # As docker asks: a push asks for pull too, so the answer shows what the sign-in may do instead.
        actions = "pull,push" if self.action == "push" else "pull,delete" if self.action == "delete" else self.action
        return f"{self.type}:{self.name}:{actions}"


@dataclass(frozen=True)
class SignedIn:
    """What the sign-in step got: a refresh token, or the credentials to send again (Basic, or a token service that
    issued no refresh token)."""

    refresh_token: str | None
    credentials: Credentials | None


def refresh_token_step(target: Target, challenge: Challenge, credentials: Credentials | None) -> tuple[Step, SignedIn]:
    """Sign in once: CONNECTIVITY_REFRESH_TOKEN_ERROR, with the response code, when the registry refuses."""
    name = StepName.REFRESH_TOKEN
    if challenge.scheme is AuthScheme.OPEN:
        return skipped(name, "the registry asks for no credentials"), SignedIn(None, None)
    if credentials is None:
        return skipped(name, "no credentials given or saved: the next steps go anonymous"), SignedIn(None, None)
    try:
        if challenge.scheme is AuthScheme.BASIC:
            answer = request(f"{target.url}/v2/", headers=_basic(credentials), context=target.context())
        elif credentials.is_token:
            form = {"grant_type": "refresh_token", "refresh_token": credentials.secret, "service": challenge.service}
            answer = request(challenge.realm, "POST", _FORM, urlencode(form).encode(), context=target.context())
        else:
            query = urlencode({"service": challenge.service, "offline_token": "true", "client_id": "dockyard-doctor"})
            answer = request(f"{challenge.realm}?{query}", headers=_basic(credentials), context=target.context())
    except WireError as exc:
        cause = f"the sign-in request failed: {exc.detail}"
        return failed(name, CheckCode.CONNECTIVITY_REFRESH_TOKEN_ERROR, cause, "see the connectivity steps above"), (
            SignedIn(None, None)
        )
    if answer.status == 200:
        return _signed_in(challenge, credentials, answer)
    return _sign_in_refused(credentials, answer), SignedIn(None, None)


def _signed_in(challenge: Challenge, credentials: Credentials, answer: Answer) -> tuple[Step, SignedIn]:
    name = StepName.REFRESH_TOKEN
    who = "a registry token" if credentials.is_token else f"user {credentials.username!r}"
    if challenge.scheme is AuthScheme.BASIC:
        finding = f"signed in as {who} with Basic authentication (credentials go with every request)"
        return passed(name, finding), SignedIn(None, credentials)
    if credentials.is_token:
        expiry = _expiry(credentials.secret)
        return passed(name, f"{who} from {credentials.source} is valid{expiry}"), SignedIn(credentials.secret, None)
    refresh = answer.json().get("refresh_token")
    if isinstance(refresh, str) and refresh:
        return passed(name, f"signed in as {who}: got a refresh token{_expiry(refresh)}"), SignedIn(refresh, None)
    return passed(name, f"signed in as {who} (the token service issues no refresh token)"), SignedIn(None, credentials)


def _sign_in_refused(credentials: Credentials, answer: Answer) -> Step:
    name = StepName.REFRESH_TOKEN
    refused = refusal(name, answer)
    if refused is not None:
        return refused
    said = "; ".join(answer.oci_messages()) or str(answer.json().get("error_description", "")) or "no reason given"
    cause = f"Access to registry was denied. Response code: {answer.status}. {said}"
    saved = not credentials.source.startswith("given")
    causes: tuple[CauseId, ...]
    if _NOT_REGISTERED.lower() in said.lower():
        causes = (CauseId.UNKNOWN_APPLICATION,)
        fix = "use the application (client) id of a service principal, or a user name the directory knows"
    elif not credentials.is_token and _looks_like_token(credentials.secret):
        causes = (CauseId.TOKEN_USER_NAME_FORGOTTEN,)
        fix = f"a registry token is a password only for the user name {TOKEN_USER_NAME}"
    elif credentials.is_token:
        expired = _expired(credentials.secret)
        causes = (CauseId.DIRECTORY_TOKEN_EXPIRED, CauseId.STALE_SAVED_CREDENTIALS, CauseId.PERMISSIONS_MODE_CHANGED)
        cause += " The token expired at " + _when(credentials.secret) + "." if expired else ""
        fix = "sign in again: dockyard login -n <login server> (or --configure-helper, which renews it)"
    else:
        causes = (
            CauseId.WRONG_PASSWORD,
            CauseId.SECRET_EXPIRED,
            CauseId.ADMIN_USER_DISABLED,
            CauseId.PRINCIPAL_DISABLED,
            CauseId.TOKEN_PASSWORD_EXPIRED,
        )
        fix = "check the user name and password (or client secret); an operator sees the exact reason: " + (
            "dockyard logs login --result failure --since 1h"
        )
    if saved:
        causes = (*causes, CauseId.STALE_SAVED_CREDENTIALS)
        fix += f"; these came from {credentials.source}: docker logout <login server> removes them"
    return failed(name, CheckCode.CONNECTIVITY_REFRESH_TOKEN_ERROR, cause, fix, *dict.fromkeys(causes))


def access_token_step(
    target: Target, challenge: Challenge, signed_in: SignedIn, scope: Scope | None
) -> tuple[Step, str | None]:
    """An access token for the scope asked: CONNECTIVITY_ACCESS_TOKEN_ERROR, with the response code, when refused."""
    name = StepName.ACCESS_TOKEN
    if scope is None:
        return skipped(name, "no scope asked: give --repository and --action to check one"), None
    if challenge.scheme is not AuthScheme.BEARER:
        return skipped(name, f"the registry uses {challenge.scheme.value} authentication: it issues no tokens"), None
    try:
        if signed_in.refresh_token:
            form = {
                "grant_type": "refresh_token",
                "refresh_token": signed_in.refresh_token,
                "service": challenge.service,
                "scope": str(scope),
            }
            answer = request(challenge.realm, "POST", _FORM, urlencode(form).encode(), context=target.context())
        else:
            query = urlencode({"service": challenge.service, "scope": str(scope)})
            headers = _basic(signed_in.credentials) if signed_in.credentials else {}
            answer = request(f"{challenge.realm}?{query}", headers=headers, context=target.context())
    except WireError as exc:
        return failed(name, CheckCode.CONNECTIVITY_ACCESS_TOKEN_ERROR, f"the request failed: {exc.detail}", ""), None
    token = answer.json().get("access_token") or answer.json().get("token")
    if answer.status == 200 and isinstance(token, str):
        return passed(name, f"got an access token for {scope}"), token
    refused = refusal(name, answer)
    if refused is not None:
        return refused, None
    said = "; ".join(answer.oci_messages()) or str(answer.json().get("error_description", ""))
    cause = f"Access to registry was denied. Response code: {answer.status}. {said}".strip()
    return failed(name, CheckCode.CONNECTIVITY_ACCESS_TOKEN_ERROR, cause, "sign in again, then retry"), None


def permissions_step(
    target: Target, challenge: Challenge, signed_in: SignedIn, scope: Scope | None, token: str | None
) -> Step:
    """Whether the sign-in may do what was asked: the token's grant against the action (token services), or a
    read of the repository (Basic and open registries, which say nothing in advance)."""
    name = StepName.PERMISSIONS
    if scope is None:
        return skipped(name, "no scope asked: give --repository and --action to check one")
    if challenge.scheme is AuthScheme.BEARER:
        if token is None:
            return skipped(name, "no access token to look at")
        granted = granted_actions(token, scope)
        if granted is None:
            return _read_check(target, scope, {"Authorization": f"Bearer {token}"})
        if scope.action in granted:
            return passed(
                name, f"the token grants {scope.action} on {scope.name} (granted: {', '.join(sorted(granted))})"
            )
        who = "anonymous callers" if signed_in == SignedIn(None, None) else "this sign-in"
        have = ", ".join(sorted(granted)) or "nothing"
        cause = f"{who} may not {scope.action} {scope.name}: the token grants {have}"
        fix = (
            f"an operator sees why: dockyard explain --identity <name> --repository {scope.name} --action "
            f"{scope.action}, or dockyard logs login --since 10m (its Reason names each action not granted)"
        )
        causes = _MISSING_ACTION_CAUSES.get(scope.action, ())
        if who == "anonymous callers":
            causes = (CauseId.NOT_SIGNED_IN, *causes)
        return failed(name, CheckCode.CONNECTIVITY_ACCESS_TOKEN_ERROR, cause, fix, *causes)
    if scope.action != "pull":
        return skipped(
            name, f"{challenge.scheme.value} registries do not say in advance whether {scope.action} is allowed"
        )
    headers = _basic(signed_in.credentials) if signed_in.credentials else {}
    return _read_check(target, scope, headers)


def _read_check(target: Target, scope: Scope, headers: dict[str, str]) -> Step:
    name = StepName.PERMISSIONS
    if scope.action != "pull":
        return skipped(name, f"the token is not a JWT: whether {scope.action} is allowed shows only when it is tried")
    try:
        answer = request(f"{target.url}/v2/{scope.repository}/tags/list", headers=headers, context=target.context())
    except WireError as exc:
        return failed(name, CheckCode.CONNECTIVITY_ACCESS_TOKEN_ERROR, f"reading the tags failed: {exc.detail}", "")
    if answer.status in (200, 404):
        return passed(name, f"{scope.repository} can be read (GET tags/list: {answer.status})")
    said = "; ".join(answer.oci_messages())
    cause = f"GET /v2/{scope.repository}/tags/list answered {answer.status}: {said}"
    causes = (CauseId.REPOSITORY_LOCKED,) if "disallowed" in said else _MISSING_ACTION_CAUSES["pull"]
    return failed(
        name, CheckCode.CONNECTIVITY_ACCESS_TOKEN_ERROR, cause, "sign in with an identity that may pull", *causes
    )


def granted_actions(token: str, scope: Scope) -> set[str] | None:
    """The actions a JWT's `access` claim grants on the scope's resource; None when the token is no JWT."""
    claims = _claims(token)
    if claims is None or not isinstance(claims.get("access"), list):
        return None
    granted: set[str] = set()
    for entry in claims["access"]:
        if isinstance(entry, dict) and entry.get("type") == scope.type and entry.get("name") == scope.name:
            granted |= {str(action) for action in entry.get("actions") or []}
    return granted


def _claims(token: str) -> dict[str, Any] | None:
    try:
        segment = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (IndexError, ValueError):
        return None
    return claims if isinstance(claims, dict) else None


def _looks_like_token(secret: str) -> bool:
    return secret.startswith("eyJ") and secret.count(".") == 2 and _claims(secret) is not None


def _expired(token: str) -> bool:
    claims = _claims(token) or {}
    return isinstance(claims.get("exp"), int | float) and claims["exp"] < time.time()


def _when(token: str) -> str:
    exp = (_claims(token) or {}).get("exp")
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(exp)) if isinstance(exp, int | float) else "?"


def _expiry(token: str) -> str:
    return f" until {_when(token)}" if (_claims(token) or {}).get("exp") else ""


def _basic(credentials: Credentials) -> dict[str, str]:
    raw = f"{credentials.username}:{credentials.secret}".encode()
    return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
