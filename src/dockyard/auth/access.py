"""The one seam for access control (the shape of CNCF distribution's `registry/auth`).

Handlers ask `AccessController.authorize(request, accesses)` before doing anything. A controller
returns a `Grant` or raises `Challenge` (the client should authenticate: 401 with
`WWW-Authenticate`) or `AccessDenied` (403).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from starlette.requests import HTTPConnection


@dataclass(frozen=True)
class Access:
    """One thing a request wants to do: `repository:<name>:pull`, `registry:catalog:*`, ..."""

    type: str
    name: str
    action: str


@dataclass(frozen=True)
class Grant:
    """Who the request acts as, once allowed: the subject, its display name and the `jti` of the
    token that said so (both empty when there is no token), for the audit trail."""

    subject: str
    name: str = ""
    jwt_id: str = ""


class Challenge(Exception):
    """The request must authenticate: answered 401 with this `WWW-Authenticate` header."""

    def __init__(self, message: str, www_authenticate: str, detail: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.www_authenticate = www_authenticate
        self.detail = detail


class AccessDenied(Exception):
    """The request is refused outright (403)."""

    def __init__(self, message: str, detail: object = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


class AccessController(Protocol):
    """Decides whether a request may perform `accesses`."""

    async def authorize(self, request: HTTPConnection, accesses: Sequence[Access]) -> Grant:
        """Return the grant, or raise `Challenge` / `AccessDenied`."""
        ...


class OpenAccess:
    """Everyone may do everything: the registry before authentication is configured."""

    _GRANT = Grant("anonymous", "anonymous")

    async def authorize(self, request: HTTPConnection, accesses: Sequence[Access]) -> Grant:
        """Allow."""
        return self._GRANT
