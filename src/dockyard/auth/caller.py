"""Who is calling from where, for the audit trail: the caller's IP address and user agent.

Read straight from the ASGI scope: this runs on every audited request, and a `Request` would build
objects that are not needed here.
"""

from __future__ import annotations

from starlette.requests import HTTPConnection

_USER_AGENT = b"user-agent"
_MAX_USER_AGENT = 512


def caller_ip(request: HTTPConnection) -> str:
    """The client's IP address: as the network middleware resolved it (`request.state.client_ip`,
    which honours trusted proxies), else the peer address of the connection."""
    state = request.scope.get("state")
    resolved = state.get("client_ip") if state else None  # where `request.state.client_ip` is kept
    if resolved:
        return str(resolved)
    client = request.scope.get("client")
    return str(client[0]) if client else ""


def user_agent(request: HTTPConnection) -> str:
    """The `User-Agent` header (cut to 512 characters), or an empty string."""
    for name, value in request.scope["headers"]:
        if name == _USER_AGENT:
            return str(value[:_MAX_USER_AGENT].decode("latin-1"))
    return ""
