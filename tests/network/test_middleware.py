"""`NetworkRulesMiddleware` in front of a small Starlette app: what it refuses, what it records, what it leaves."""

from __future__ import annotations

import json

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp

from dockyard.network.addresses import parse_cidr
from dockyard.network.middleware import NetworkRulesMiddleware
from dockyard.network.refusal import RefusedRequest
from dockyard.network.rules import NetworkReason, NetworkRules, PublicNetworkAccess
from tests.network import denied_body

DISABLED = NetworkRules(public_network_access=PublicNetworkAccess.DISABLED)


async def _echo_client_ip(request: Request) -> JSONResponse:
    return JSONResponse({"client_ip": request.state.client_ip})


class _Client:
    """Requests to an ASGI app from the peer 127.0.0.1, without a server."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    def request(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self._app, client=("127.0.0.1", 40000))
            async with httpx.AsyncClient(transport=transport, base_url="http://registry.test") as client:
                return await client.request(method, path, **kwargs)  # type: ignore[arg-type]

        return anyio.run(send)

    def get(self, path: str, **kwargs: object) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def head(self, path: str, **kwargs: object) -> httpx.Response:
        return self.request("HEAD", path, **kwargs)

    def post(self, path: str, **kwargs: object) -> httpx.Response:
        return self.request("POST", path, **kwargs)


def _client(rules: NetworkRules, refused: list[RefusedRequest] | None = None) -> _Client:
    on_refused = refused.append if refused is not None else None
    app = Starlette(
        routes=[Route(path, _echo_client_ip, methods=["GET", "HEAD", "POST"]) for path in _PATHS],
        middleware=[Middleware(NetworkRulesMiddleware, rules=lambda: rules, on_refused=on_refused)],
    )
    return _Client(app)


_PATHS = ["/v2", "/v2/", "/v2/team/app/manifests/v1", "/oauth2/token", "/directory/t/oauth2/v2.0/token", "/v2x", "/"]


@pytest.mark.parametrize(
    "path", ["/v2", "/v2/", "/v2/team/app/manifests/v1", "/oauth2/token", "/directory/t/oauth2/v2.0/token"]
)
def test_a_refused_client_gets_acrs_403_on_every_guarded_path(path: str) -> None:
    response = _client(DISABLED).get(path, auth=("owner", "a password nobody checks"))

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/json"
    assert response.text == denied_body("127.0.0.1")


@pytest.mark.parametrize("path", ["/v2x", "/"])
def test_paths_outside_the_registry_endpoints_are_not_guarded(path: str) -> None:
    assert _client(DISABLED).get(path).status_code == 200


def test_a_refused_head_request_gets_no_body() -> None:
    response = _client(DISABLED).head("/v2/")

    assert response.status_code == 403
    assert response.content == b""


def test_the_client_ip_is_recorded_for_every_later_layer() -> None:
    assert _client(NetworkRules()).get("/v2/").json() == {"client_ip": "127.0.0.1"}


def test_the_recorded_client_ip_is_the_one_a_trusted_proxy_forwarded() -> None:
    rules = NetworkRules(trusted_proxies=(parse_cidr("127.0.0.1"),))

    response = _client(rules).get("/v2/", headers={"X-Forwarded-For": "198.51.100.7"})

    assert response.json() == {"client_ip": "198.51.100.7"}


def test_a_forwarded_for_header_from_an_untrusted_peer_is_ignored() -> None:
    rules = NetworkRules(
        public_network_access=PublicNetworkAccess.DISABLED, trusted_networks=(parse_cidr("10.0.0.0/8"),)
    )

    response = _client(rules).get("/v2/", headers={"X-Forwarded-For": "10.0.0.1"})

    assert response.status_code == 403
    assert "client with IP '127.0.0.1'" in response.json()["errors"][0]["message"]


def test_each_refusal_is_reported_with_its_reason() -> None:
    refused: list[RefusedRequest] = []

    _client(DISABLED, refused).post("/oauth2/token", headers={"User-Agent": "docker/27.5.1"})

    assert refused == [
        RefusedRequest("127.0.0.1", "/oauth2/token", "POST", "docker/27.5.1", NetworkReason.PUBLIC_ACCESS_DISABLED)
    ]


def test_a_failing_report_does_not_turn_the_refusal_into_an_error() -> None:
    def broken(_: RefusedRequest) -> None:
        raise RuntimeError("the audit trail is down")

    app = Starlette(
        routes=[Route("/v2/", _echo_client_ip)],
        middleware=[Middleware(NetworkRulesMiddleware, rules=lambda: DISABLED, on_refused=broken)],
    )
    response = _Client(app).get("/v2/")

    assert response.status_code == 403
    assert json.loads(response.text)["errors"][0]["code"] == "DENIED"
