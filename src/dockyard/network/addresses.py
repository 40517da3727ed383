"""Parsing IP addresses and CIDR ranges as network rules name them, with errors a person can act on.

IPv4-mapped IPv6 addresses (`::ffff:10.1.2.3`, what a dual-stack socket reports for an IPv4 peer) are
turned into IPv4 here, so every comparison elsewhere is IPv4 against IPv4.
"""

from __future__ import annotations

import functools
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

from dockyard.network.errors import InvalidAddress

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

_MAPPED_PREFIX = 96  # ::ffff:0:0/96 holds the IPv4-mapped addresses


def normalized(address: IPAddress) -> IPAddress:
    """`address`, with an IPv4-mapped IPv6 address turned into the IPv4 address it carries."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


@functools.lru_cache(maxsize=4096)  # called for every request; the same peers come again and again
def parse_address(value: str) -> IPAddress | None:
    """The IP address in `value` (`1.2.3.4`, `::1`, `[::1]:443`, `1.2.3.4:80`), normalized; None if there is none."""
    text = value.strip()
    if text.startswith("["):  # [v6]:port
        text = text[1:].partition("]")[0]
    elif text.count(":") == 1:  # v4:port
        text = text.partition(":")[0]
    try:
        return normalized(ip_address(text))
    except ValueError:
        return None


def parse_cidr(value: str) -> IPNetwork:
    """An IPv4 or IPv6 range written as CIDR (`10.0.0.0/8`, `2001:db8::/32`); a bare address means one host.

    Raises `InvalidAddress` for anything else, including host bits set beyond the prefix (`10.0.0.1/8`),
    so a typo never silently widens or narrows a rule.
    """
    text = value.strip()
    try:
        network = ip_network(text, strict=True)
    except ValueError:
        try:
            loose = ip_network(text, strict=False)
        except ValueError:
            raise InvalidAddress(
                f"{value!r} is not an IP address or CIDR range (e.g. 203.0.113.0/24, 2001:db8::/32)"
            ) from None
        raise InvalidAddress(f"{value!r} has host bits set beyond the prefix length; did you mean {loose}?") from None
    if isinstance(network, IPv6Network) and network.prefixlen >= _MAPPED_PREFIX:
        mapped = network.network_address.ipv4_mapped
        if mapped is not None:
            return IPv4Network(f"{mapped}/{network.prefixlen - _MAPPED_PREFIX}")
    return network
