"""Network rules on a running server: refused clients get ACR's 403 on every registry endpoint, before any
credential is looked at; trusted networks, IP rules and trusted proxies admit whom they should.

The tests' client is always 127.0.0.1; other addresses are played through a trusted proxy's
`X-Forwarded-For`. Each test changes the rules with the CLI, as an administrator would.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.auth.conftest import OWNER, TokenRegistry, start_token_registry
from tests.conftest import RunningRegistry, start_registry
from tests.network import PUBLIC_ACCESS_DISABLED, configure, denied_body


def assert_refused(response: httpx.Response, ip: str = "127.0.0.1") -> None:
    assert response.status_code == 403, response.text
    assert response.headers["content-type"] == "application/json"
    assert response.text == denied_body(ip)


DEFAULT_DENY = ("update", "--default-action", "Deny")


@pytest.fixture
def token_server(tmp_path: Path) -> Iterator[TokenRegistry]:
    """A token-auth registry of the test's own."""
    registry = start_token_registry(tmp_path / "data")
    yield registry
    registry.server.stop()


@pytest.fixture
def open_server(tmp_path: Path) -> Iterator[RunningRegistry]:
    """An open (no sign-in) registry of the test's own."""
    server = start_registry(tmp_path / "data")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def closed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    """A token-auth registry whose public network access is disabled."""
    registry = start_token_registry(tmp_path_factory.mktemp("closed") / "data")
    configure(registry.data_dir, PUBLIC_ACCESS_DISABLED)
    yield registry
    registry.server.stop()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v2/"),
        ("HEAD", "/v2/"),
        ("GET", "/v2/_catalog"),
        ("GET", "/v2/team/app/manifests/v1"),
        ("POST", "/v2/team/app/blobs/uploads/"),
        ("GET", "/oauth2/token?service=registry&scope=repository:team/app:pull"),
        ("POST", "/oauth2/token"),
        ("POST", "/oauth2/exchange"),
        ("POST", "/directory/any-tenant/oauth2/v2.0/token"),
    ],
)
def test_a_client_is_refused_on_every_endpoint_when_public_access_is_disabled(
    closed_server: TokenRegistry, method: str, path: str
) -> None:
    with closed_server.client() as client:
        response = client.request(method, path)

    if method == "HEAD":
        assert (response.status_code, response.content) == (403, b"")
    else:
        assert_refused(response)


def test_the_refusal_comes_before_any_credential_is_looked_at(closed_server: TokenRegistry) -> None:
    with closed_server.client() as client:
        right_password = client.get("/v2/", auth=closed_server.owner)
        wrong_password = client.get("/v2/", auth=(OWNER, "wrong"))
        garbage = client.get("/v2/", headers={"Authorization": "Bearer not.a.token"})
    token = closed_server.token_response("repository:team/app:pull", auth=closed_server.owner)

    for response in (right_password, wrong_password, garbage, token):
        assert_refused(response)


def test_the_signing_keys_stay_published_when_public_access_is_disabled(closed_server: TokenRegistry) -> None:
    # Other registries that trust Dockyard's tokens fetch them; they are public keys, not registry content.
    with closed_server.client() as client:
        assert client.get("/.well-known/jwks.json").status_code == 200


def test_a_trusted_network_is_admitted_when_public_access_is_disabled(token_server: TokenRegistry) -> None:
    configure(token_server.data_dir, PUBLIC_ACCESS_DISABLED)
    with token_server.client() as client:
        assert_refused(client.get("/v2/"))

    configure(token_server.data_dir, ("network-rule", "add", "--trusted-network", "127.0.0.0/8"))
    token = token_server.access_token("repository:team/app:pull")
    with token_server.client() as client:
        anonymous = client.get("/v2/")
    with token_server.bearer_client(token) as client:
        signed_in = client.get("/v2/")

    assert anonymous.status_code == 401
    assert signed_in.status_code == 200


def test_an_ip_rule_does_not_open_a_registry_whose_public_access_is_disabled(open_server: RunningRegistry) -> None:
    configure(open_server.data_dir, PUBLIC_ACCESS_DISABLED, ("network-rule", "add", "--ip-address", "127.0.0.1"))

    with open_server.client() as client:
        assert_refused(client.get("/v2/"))


def test_an_open_registry_enforces_the_network_rules_too(open_server: RunningRegistry) -> None:
    configure(open_server.data_dir, PUBLIC_ACCESS_DISABLED)
    with open_server.client() as client:
        assert_refused(client.get("/v2/_catalog"))

    configure(open_server.data_dir, ("update", "--public-network-enabled", "true"))
    with open_server.client() as client:
        assert client.get("/v2/_catalog").status_code == 200


def test_with_the_default_action_deny_only_listed_ranges_are_admitted(open_server: RunningRegistry) -> None:
    configure(open_server.data_dir, DEFAULT_DENY, ("network-rule", "add", "--ip-address", "10.0.0.0/8"))
    with open_server.client() as client:
        assert_refused(client.get("/v2/"))

    configure(open_server.data_dir, ("network-rule", "add", "--ip-address", "127.0.0.1"))
    with open_server.client() as client:
        assert client.get("/v2/").status_code == 200

    configure(open_server.data_dir, ("network-rule", "remove", "--ip-address", "127.0.0.1/32"))
    with open_server.client() as client:
        assert_refused(client.get("/v2/"))


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_changes_nothing(open_server: RunningRegistry) -> None:
    configure(open_server.data_dir, DEFAULT_DENY, ("network-rule", "add", "--ip-address", "203.0.113.0/24"))

    with open_server.client() as client:
        response = client.get("/v2/", headers={"X-Forwarded-For": "203.0.113.5"})

    assert_refused(response, "127.0.0.1")


def test_a_trusted_proxys_forwarded_for_is_believed(open_server: RunningRegistry) -> None:
    configure(
        open_server.data_dir,
        DEFAULT_DENY,
        ("network-rule", "add", "--ip-address", "203.0.113.0/24", "--trusted-proxy", "127.0.0.1"),
    )

    with open_server.client() as client:
        listed = client.get("/v2/", headers={"X-Forwarded-For": "203.0.113.5"})
        # the client wrote the left hop itself; the proxy appended the right one, which is all that counts
        spoofing_through_the_proxy = client.get("/v2/", headers={"X-Forwarded-For": "203.0.113.5, 198.51.100.7"})
        unlisted = client.get("/v2/", headers={"X-Forwarded-For": "198.51.100.7"})
        ipv6 = client.get("/v2/", headers={"X-Forwarded-For": "2001:db8::7"})

    assert listed.status_code == 200
    assert_refused(spoofing_through_the_proxy, "198.51.100.7")
    assert_refused(unlisted, "198.51.100.7")
    assert_refused(ipv6, "2001:db8::7")
