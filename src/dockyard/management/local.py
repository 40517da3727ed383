"""The management API in-process, as the machine's operator: what the `dockyard` CLI's local verbs use.

    with operator_client(settings) as client:
        client.patch("/api/v1/registry", json={"anonymousPullEnabled": True}).raise_for_status()

`operator_client(settings)` opens the stores of `settings.data_dir` (migrating the schema, as every
local command does), builds a management app whose authenticator is `authentication.Operator` — every
request acts as the local operator, whom `decide_control()` allows everything — and returns a
synchronous `httpx.Client` whose transport calls that app directly, in a private event loop (an anyio
blocking portal), never through a socket.

The operator cannot be reached over the network: the server's app (`dockyard.app.create_app`) builds
its management API with `DirectoryBearer` only, and nothing in a request can choose the
authenticator. Reaching the operator takes running Python on this machine with access to the data
directory — which already gives full power over the registry's files. The client's `close()` (or the
end of its `with` block) stops the loop and closes the stores.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import httpx
from anyio.from_thread import start_blocking_portal
from starlette.routing import Router

from dockyard.management.api import management_app, mount
from dockyard.management.authentication import Operator
from dockyard.settings import Settings

if TYPE_CHECKING:
    from starlette.types import ASGIApp

BASE_URL = "http://dockyard.local"


class _PortalTransport(httpx.BaseTransport):
    """Sends each request to an ASGI app, awaited in a private event loop on its own thread."""

    def __init__(self, app: ASGIApp, on_close: contextlib.ExitStack) -> None:
        self._exit = on_close
        self._portal = on_close.enter_context(start_blocking_portal())
        self._asgi = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Run the request through the app and return the whole response."""
        content = request.read()

        async def send() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            forwarded = httpx.Request(request.method, request.url, headers=request.headers, content=content)
            response = await self._asgi.handle_async_request(forwarded)
            body = await response.aread()
            return response.status_code, response.headers.raw, body

        status, headers, body = self._portal.call(send)
        return httpx.Response(status, headers=headers, content=body, request=request)

    def close(self) -> None:
        """Stop the event loop and close the stores."""
        self._exit.close()


def operator_client(settings: Settings) -> httpx.Client:
    """An HTTP client on the management API of `settings`' data directory, acting as the local operator."""
    from dockyard.app import open_registry  # the assembler imports this package: import it only when called

    registry = open_registry(settings)
    on_close = contextlib.ExitStack()
    on_close.callback(registry.metadata.close)
    try:
        registry.metadata.migrate()
        app = Router([mount(management_app(settings, registry, Operator()))])
        transport = _PortalTransport(app, on_close)
    except BaseException:
        on_close.close()
        raise
    return httpx.Client(transport=transport, base_url=BASE_URL)
