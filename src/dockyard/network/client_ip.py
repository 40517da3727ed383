"""Which address a request comes from: the TCP peer, or what trusted proxies say in `X-Forwarded-For`.

Each proxy appends the address it received the request from, so the header is read from the right,
one hop at a time, for as long as the hop in hand is a trusted proxy. Whatever a client (or a proxy
nobody trusts) wrote further left is never believed: a spoofed header from an untrusted peer changes
nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

from dockyard.network.addresses import IPAddress, IPNetwork, parse_address

UNKNOWN_CLIENT = ""  # what `client_ip` returns when the server was not told the peer (e.g. a Unix socket)


def client_ip(peer: str | None, forwarded_for: str | None, trusted_proxies: Sequence[IPNetwork]) -> str:
    """The client's address: `peer` (the TCP peer), or the rightmost `X-Forwarded-For` hop that is not
    a trusted proxy when `peer` is one. When every hop is a trusted proxy, the leftmost is the client;
    a hop that is not an address ends the walk at the proxy that reported it. Addresses are normalized
    (an IPv4-mapped IPv6 address is given as IPv4)."""
    if peer is None:
        return UNKNOWN_CLIENT
    current = parse_address(peer)
    if current is None:
        return peer
    if forwarded_for and trusted_proxies:
        hops = forwarded_for.split(",")
        while hops and _trusted(current, trusted_proxies):
            hop = parse_address(hops.pop())
            if hop is None:
                break
            current = hop
    return str(current)


def _trusted(address: IPAddress, proxies: Sequence[IPNetwork]) -> bool:
    return any(address in proxy for proxy in proxies)
