"""The OAuth2 error vocabulary of `/oauth2/*` and `/directory/*` (RFC 6749 §5.2), produced in one place."""

from __future__ import annotations

import json
from enum import StrEnum

from starlette.responses import Response


class OAuthError(StrEnum):
    """RFC 6749 error codes, with the HTTP status each is answered with."""

    INVALID_REQUEST = "invalid_request"
    INVALID_CLIENT = "invalid_client"
    INVALID_GRANT = "invalid_grant"
    UNAUTHORIZED_CLIENT = "unauthorized_client"
    UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
    INVALID_SCOPE = "invalid_scope"
    ACCESS_DENIED = "access_denied"

    @property
    def status(self) -> int:
        """400, except 401 for a client that failed to authenticate."""
        return 401 if self in (OAuthError.INVALID_CLIENT, OAuthError.UNAUTHORIZED_CLIENT) else 400


class OAuthFailure(Exception):
    """A refusal at an OAuth2 endpoint. `description` is shown to the client; keep secrets out.
    `reason` is the exact cause for the login event (the OAuth2 error code when none is more precise)."""

    def __init__(
        self,
        error: OAuthError,
        description: str,
        status: int | None = None,
        reason: str = "",
        retry_after: int | None = None,
    ) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status or error.status
        self.reason = reason or error.value
        self.retry_after = retry_after  # seconds, for a 429


LOGIN_THROTTLED = "login_throttled"


def throttled(retry_after: int) -> OAuthFailure:
    """Too many failed sign-ins by this identity from this address: 429 until `retry_after` seconds pass."""
    return OAuthFailure(
        OAuthError.ACCESS_DENIED,
        f"too many failed sign-ins; retry after {retry_after} seconds",
        status=429,
        reason=LOGIN_THROTTLED,
        retry_after=retry_after,
    )


def oauth_error_response(failure: OAuthFailure) -> Response:
    """The RFC 6749 JSON error body with its status (and `Retry-After` on a 429)."""
    headers = {"Cache-Control": "no-store", "Pragma": "no-cache"}
    if failure.retry_after is not None:
        headers["Retry-After"] = str(failure.retry_after)
    return Response(
        json.dumps({"error": failure.error.value, "error_description": failure.description}),
        status_code=failure.status,
        media_type="application/json",
        headers=headers,
    )
