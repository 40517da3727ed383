"""Who is calling the management API.

Over the network there is one way in: `Authorization: Bearer <directory token>`, the 3-hour token the
directory issues at `/directory/<tenant>/oauth2/v2.0/token`, verified by `DirectoryTokens` exactly as
`/oauth2/exchange` verifies it. A missing or bad token is a 401 in ARM's words with a
`WWW-Authenticate: Bearer` challenge naming where to sign in.

`Operator` is the other authenticator: it ignores the request and answers with the machine's local
operator. Only `management.local` builds an app with it, in-process; the server never does.
"""

from __future__ import annotations

from typing import Protocol

from dockyard.access.decision import Subject, SubjectKind
from dockyard.auth.directory_tokens import DirectoryTokens
from dockyard.auth.oauth_errors import OAuthFailure
from dockyard.directory.model import PrincipalKind
from dockyard.management.errors import ErrorCode, ErrorDetail, ManagementError
from dockyard.management.operations import Caller

_KINDS = {
    PrincipalKind.USER: SubjectKind.USER,
    PrincipalKind.SERVICE_PRINCIPAL: SubjectKind.SERVICE_PRINCIPAL,
    PrincipalKind.MANAGED_IDENTITY: SubjectKind.MANAGED_IDENTITY,
}
OPERATOR = Caller(Subject(SubjectKind.OPERATOR, "operator", "local operator"), "local operator", "operator")


class Authenticator(Protocol):
    """Turns a request's `Authorization` header into the caller, or raises a 401 `ManagementError`."""

    def __call__(self, authorization: str | None) -> Caller: ...


class Operator:
    """The in-process operator: whatever the request says, the caller is the local operator."""

    def __call__(self, authorization: str | None) -> Caller:
        """The local operator."""
        return OPERATOR


class DirectoryBearer:
    """Directory tokens in `Authorization: Bearer`, verified against this directory's tenant."""

    def __init__(self, tokens: DirectoryTokens) -> None:
        self._tokens = tokens

    def __call__(self, authorization: str | None) -> Caller:
        """The principal the bearer token was issued to, with its groups."""
        directory = self._tokens.directory
        tenant = directory.tenant_id()
        scheme, _, token = (authorization or "").strip().partition(" ")
        if not authorization:
            raise self._refusal(tenant, ErrorCode.AUTHENTICATION_FAILED, "The 'Authorization' header is missing.")
        if scheme.lower() != "bearer" or not token.strip():
            message = "The 'Authorization' header must be 'Bearer <directory token>'."
            raise self._refusal(tenant, ErrorCode.AUTHENTICATION_FAILED, message)
        try:
            principal = self._tokens.principal_of(token.strip(), tenant)
        except OAuthFailure as failure:
            expired = failure.reason == "directory_token_expired"
            code = ErrorCode.EXPIRED_AUTHENTICATION_TOKEN if expired else ErrorCode.INVALID_AUTHENTICATION_TOKEN
            message = "The access token has expired: sign in again." if expired else failure.description
            raise self._refusal(tenant, code, message, invalid=True) from None
        kind = _KINDS.get(principal.kind)
        if kind is None:  # a group never signs in; a token naming one is not ours
            raise self._refusal(tenant, ErrorCode.INVALID_AUTHENTICATION_TOKEN, "not a principal that signs in")
        subject = Subject(
            kind,
            principal.object_id,
            principal.user_name or principal.display_name,
            principal.enabled,
            directory.groups_of(principal.object_id),
        )
        return Caller(subject, principal.user_name or principal.app_id or principal.display_name, principal.object_id)

    def _refusal(self, tenant: str, code: ErrorCode, message: str, invalid: bool = False) -> ManagementError:
        uri = f"{self._tokens.issuer_base}/directory/{tenant}/oauth2/v2.0/token"
        challenge = f'Bearer authorization_uri="{uri}"'
        if invalid:
            challenge += f', error="invalid_token", error_description="{_quoted(message)}"'
        detail = ErrorDetail(code, f"Authentication failed. {message}")
        return ManagementError(detail, {"WWW-Authenticate": challenge})


def _quoted(text: str) -> str:
    return "".join(c for c in text if c.isprintable() and c not in '"\\')[:200]
