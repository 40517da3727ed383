"""`client_ip()`: the peer, unless a trusted proxy forwarded the request; then the rightmost untrusted hop."""

from __future__ import annotations

import pytest

from dockyard.network.addresses import IPNetwork, parse_cidr
from dockyard.network.client_ip import UNKNOWN_CLIENT, client_ip

PROXIES = (parse_cidr("10.0.0.0/24"), parse_cidr("fd00::/64"))

CASES = [
    # (peer, X-Forwarded-For, trusted proxies, client)
    ("203.0.113.5", None, PROXIES, "203.0.113.5"),
    ("203.0.113.5", "", PROXIES, "203.0.113.5"),
    # an untrusted peer's header changes nothing, whatever it says
    ("203.0.113.5", "10.0.0.1", PROXIES, "203.0.113.5"),
    ("203.0.113.5", "198.51.100.1, 10.0.0.7", PROXIES, "203.0.113.5"),
    ("203.0.113.5", "198.51.100.1", (), "203.0.113.5"),
    # a trusted proxy's last hop is believed
    ("10.0.0.1", "198.51.100.1", PROXIES, "198.51.100.1"),
    ("10.0.0.1", " 198.51.100.1 ", PROXIES, "198.51.100.1"),
    # hops the client wrote itself (left of the first untrusted hop) are never believed
    ("10.0.0.1", "127.0.0.1, 198.51.100.1", PROXIES, "198.51.100.1"),
    ("10.0.0.1", "evil, 198.51.100.1", PROXIES, "198.51.100.1"),
    # a chain of trusted proxies is walked from the right
    ("10.0.0.1", "198.51.100.1, 10.0.0.2, 10.0.0.3", PROXIES, "198.51.100.1"),
    ("10.0.0.1", "192.0.2.1, 198.51.100.1, 10.0.0.2", PROXIES, "198.51.100.1"),
    # every hop a trusted proxy: the leftmost is the client
    ("10.0.0.1", "10.0.0.9, 10.0.0.2", PROXIES, "10.0.0.9"),
    # a hop that is not an address ends the walk at the proxy that reported it
    ("10.0.0.1", "198.51.100.1, not-an-ip", PROXIES, "10.0.0.1"),
    ("10.0.0.1", "198.51.100.1, junk, 10.0.0.2", PROXIES, "10.0.0.2"),
    ("10.0.0.1", "198.51.100.1, ", PROXIES, "10.0.0.1"),
    ("10.0.0.1", "unknown", PROXIES, "10.0.0.1"),
    # ports, as some proxies write them
    ("10.0.0.1", "198.51.100.1:4711", PROXIES, "198.51.100.1"),
    ("10.0.0.1", "[2001:db8::5]:4711", PROXIES, "2001:db8::5"),
    # IPv6
    ("2001:db8::5", None, PROXIES, "2001:db8::5"),
    ("2001:db8::5", "198.51.100.1", PROXIES, "2001:db8::5"),
    ("fd00::1", "2001:db8::7", PROXIES, "2001:db8::7"),
    ("fd00::1", "198.51.100.1, fd00::2", PROXIES, "198.51.100.1"),
    # IPv4-mapped addresses are IPv4, as peers and as hops
    ("::ffff:10.0.0.1", "198.51.100.1", PROXIES, "198.51.100.1"),
    ("::ffff:203.0.113.5", "198.51.100.1", PROXIES, "203.0.113.5"),
    ("10.0.0.1", "::ffff:198.51.100.1", PROXIES, "198.51.100.1"),
    # no peer known (e.g. a Unix socket): nobody can vouch for the header
    (None, "198.51.100.1", PROXIES, UNKNOWN_CLIENT),
]


@pytest.mark.parametrize(("peer", "forwarded_for", "proxies", "expected"), CASES)
def test_client_ip_believes_only_trusted_proxies(
    peer: str | None, forwarded_for: str | None, proxies: tuple[IPNetwork, ...], expected: str
) -> None:
    assert client_ip(peer, forwarded_for, proxies) == expected
