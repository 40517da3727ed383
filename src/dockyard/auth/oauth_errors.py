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
    """A refusal at an OAuth2 endpoint. `description` is shown to the client; keep secrets out."""

    def __init__(self, error: OAuthError, description: str, status: int | None = None) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status or error.status


def oauth_error_response(failure: OAuthFailure) -> Response:
    """The RFC 6749 JSON error body with its status."""
    return Response(
        json.dumps({"error": failure.error.value, "error_description": failure.description}),
        status_code=failure.status,
        media_type="application/json",
        headers={"Cache-Control": "no-store", "Pragma": "no-cache"},
    )
