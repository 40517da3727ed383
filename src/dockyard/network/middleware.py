"""`NetworkRulesMiddleware`: the first thing a request meets. It resolves the client's address (the
peer, or what trusted proxies forwarded), records it in `scope["state"]["client_ip"]` for every later
layer (the audit trail uses the same address), and refuses a client the network rules do not admit
with ACR's 403 `DENIED` — before any credential is parsed.

This is the one module of `network` that knows HTTP; the decision itself is `rules.admit_client()`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from dockyard.network.client_ip import client_ip
from dockyard.network.refusal import RefusedRequest, denied_message
from dockyard.network.rules import NetworkReason, NetworkRules, admit_client

log = logging.getLogger("dockyard.network")

# The data plane, the token service (and `az acr login`'s exchange) and the directory's token endpoint.
GUARDED_PATHS = ("/v2", "/oauth2/", "/directory/")


class NetworkRulesMiddleware:
    """Apply the network rules to HTTP requests whose path starts with one of `guarded`.

    `rules` is called once per request, so it must be cheap (a cached read); `on_refused` is called,
    on the event loop, for each refusal and must not block (an audit trail queues the event).
    """

    def __init__(
        self,
        app: ASGIApp,
        rules: Callable[[], NetworkRules],
        on_refused: Callable[[RefusedRequest], None] | None = None,
        guarded: tuple[str, ...] = GUARDED_PATHS,
    ) -> None:
        self.app = app
        self._rules = rules
        self._on_refused = on_refused
        self._guarded = guarded

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rules = self._rules()
        peer = scope.get("client")
        forwarded = _header(scope, b"x-forwarded-for") if rules.trusted_proxies else None
        ip = client_ip(peer[0] if peer else None, forwarded, rules.trusted_proxies)
        scope.setdefault("state", {})["client_ip"] = ip
        if self._is_guarded(scope["path"]):
            decision = admit_client(ip, rules)
            if not decision.admitted:
                self._report(scope, ip, decision.reason)
                await _deny(scope, send, ip)
                return
        await self.app(scope, receive, send)

    def _is_guarded(self, path: str) -> bool:
        return any(path.startswith(prefix) and _whole_segment(path, prefix) for prefix in self._guarded)

    def _report(self, scope: Scope, ip: str, reason: NetworkReason) -> None:
        log.info("refused %s %s from %s: %s", scope["method"], scope["path"], ip, reason.value)
        if self._on_refused is None:
            return
        refused = RefusedRequest(ip, scope["path"], scope["method"], _header(scope, b"user-agent") or "", reason)
        try:
            self._on_refused(refused)
        except Exception:  # a failing audit must not turn a refusal into a 500
            log.exception("recording a refused request failed")


def _whole_segment(path: str, prefix: str) -> bool:
    # `/v2` guards `/v2` and `/v2/…`, not `/v2x`; a prefix ending in `/` is a whole segment already.
    return prefix.endswith("/") or len(path) == len(prefix) or path[len(prefix)] == "/"


def _header(scope: Scope, name: bytes) -> str | None:
    values = [value.decode("latin-1") for key, value in scope["headers"] if key == name]
    return ",".join(values) if values else None


async def _deny(scope: Scope, send: Send, ip: str) -> None:
    error = {"code": "DENIED", "message": denied_message(ip)}
    body = json.dumps({"errors": [error]}, separators=(",", ":")).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
        (b"docker-distribution-api-version", b"registry/2.0"),
    ]
    await send({"type": "http.response.start", "status": 403, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if scope["method"] == "HEAD" else body})
