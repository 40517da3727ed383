"""The network rules of a registry and `admit()`, which decides from them whether a client IP may connect.

As in ACR: a client is admitted when public network access is enabled and either the default action is
`Allow` or one of the IP rules holds its address. Trusted networks (Dockyard's stand-in for private
endpoints) are admitted even when public network access is disabled. This module is pure: it knows
nothing of HTTP, storage or who calls it, so `explain` and the middleware can never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from dockyard.network.addresses import IPAddress, IPNetwork, normalized, parse_address
from dockyard.network.errors import RuleNotFound, TooManyIpRules

MAX_IP_RULES = 200  # ACR's limit on networkRuleSet.ipRules


class PublicNetworkAccess(StrEnum):
    """`publicNetworkAccess`: whether clients outside the trusted networks may connect at all."""

    ENABLED = "Enabled"
    DISABLED = "Disabled"


class DefaultAction(StrEnum):
    """`networkRuleSet.defaultAction`: what happens to a public client that no IP rule holds."""

    ALLOW = "Allow"
    DENY = "Deny"


class NetworkReason(StrEnum):
    """Why a client was admitted or refused: stable codes for the login log and `explain`."""

    TRUSTED_NETWORK = "trusted_network"
    PUBLIC_ACCESS_DISABLED = "public_access_disabled"
    IP_RULE_ALLOWED = "ip_rule_allowed"
    DEFAULT_ACTION_ALLOW = "default_action_allow"
    DEFAULT_ACTION_DENY = "default_action_deny"
    CLIENT_IP_UNKNOWN = "client_ip_unknown"


@dataclass(frozen=True)
class NetworkRules:
    """The network properties of a registry. Ranges are normalized (IPv4-mapped IPv6 ranges are IPv4)."""

    public_network_access: PublicNetworkAccess = PublicNetworkAccess.ENABLED
    default_action: DefaultAction = DefaultAction.ALLOW
    ip_rules: tuple[IPNetwork, ...] = ()  # each with action Allow, the only action ACR has
    trusted_networks: tuple[IPNetwork, ...] = ()  # admitted even when public network access is disabled
    trusted_proxies: tuple[IPNetwork, ...] = ()  # whose X-Forwarded-For is believed

    @property
    def admits_everyone(self) -> bool:
        """Whether every client is admitted whatever its address (the default)."""
        return self.public_network_access is PublicNetworkAccess.ENABLED and self.default_action is DefaultAction.ALLOW

    @cached_property
    def _trusted(self) -> RangeSet:
        return RangeSet(self.trusted_networks)

    @cached_property
    def _allowed(self) -> RangeSet:
        return RangeSet(self.ip_rules)


class RangeSet:
    """Address ranges compiled for lookup in a few dictionary probes (one per distinct prefix length),
    so 200 IP rules cost no more per request than a handful."""

    def __init__(self, networks: Iterable[IPNetwork]) -> None:
        by_length: dict[tuple[int, int], dict[int, IPNetwork]] = {}
        for network in networks:
            host_bits = network.max_prefixlen - network.prefixlen
            prefixes = by_length.setdefault((network.version, host_bits), {})
            prefixes.setdefault(int(network.network_address) >> host_bits, network)
        # the most specific ranges first, so the range reported is the narrowest that holds the address
        self._lookups = sorted(by_length.items(), key=lambda item: item[0][1])

    def holding(self, ip: IPAddress) -> IPNetwork | None:
        """The narrowest range that holds `ip`, or None."""
        value, version = int(ip), ip.version
        for (range_version, host_bits), prefixes in self._lookups:
            if range_version == version:
                network = prefixes.get(value >> host_bits)
                if network is not None:
                    return network
        return None


@dataclass(frozen=True)
class NetworkDecision:
    """Whether a client may connect, why, and the range that admitted it (if one did)."""

    admitted: bool
    reason: NetworkReason
    rule: IPNetwork | None = None


def admit(ip: IPAddress, rules: NetworkRules) -> NetworkDecision:
    """Decide whether a client at `ip` may reach the registry under `rules`."""
    ip = normalized(ip)
    trusted = rules._trusted.holding(ip)
    if trusted is not None:
        return NetworkDecision(True, NetworkReason.TRUSTED_NETWORK, trusted)
    if rules.public_network_access is PublicNetworkAccess.DISABLED:
        return NetworkDecision(False, NetworkReason.PUBLIC_ACCESS_DISABLED)
    if rules.default_action is DefaultAction.ALLOW:
        return NetworkDecision(True, NetworkReason.DEFAULT_ACTION_ALLOW)
    allowed = rules._allowed.holding(ip)
    if allowed is not None:
        return NetworkDecision(True, NetworkReason.IP_RULE_ALLOWED, allowed)
    return NetworkDecision(False, NetworkReason.DEFAULT_ACTION_DENY)


def admit_client(client_ip: str, rules: NetworkRules) -> NetworkDecision:
    """`admit()` for an address as text; one that cannot be parsed is admitted only when everyone is."""
    ip = parse_address(client_ip)
    if ip is not None:
        return admit(ip, rules)
    if rules.admits_everyone:
        return NetworkDecision(True, NetworkReason.DEFAULT_ACTION_ALLOW)
    return NetworkDecision(False, NetworkReason.CLIENT_IP_UNKNOWN)


def with_range(ranges: tuple[IPNetwork, ...], network: IPNetwork, limit: int | None = None) -> tuple[IPNetwork, ...]:
    """`ranges` with `network` added (unchanged when already there); `TooManyIpRules` beyond `limit`."""
    if network in ranges:
        return ranges
    if limit is not None and len(ranges) >= limit:
        raise TooManyIpRules(f"a registry holds at most {limit} IP rules; remove one before adding {network}")
    return (*ranges, network)


def without_range(ranges: tuple[IPNetwork, ...], network: IPNetwork, kind: str) -> tuple[IPNetwork, ...]:
    """`ranges` without `network`; `RuleNotFound` (naming the list as `kind`) when it is not there."""
    if network not in ranges:
        listed = ", ".join(str(each) for each in ranges) or "none"
        raise RuleNotFound(f"{network} is not among the {kind} (they are: {listed})")
    return tuple(each for each in ranges if each != network)


def to_json(rules: NetworkRules) -> dict[str, object]:
    """The rules as ACR's properties name them (plus Dockyard's `trustedNetworks` and `trustedProxies`)."""
    return {
        "publicNetworkAccess": rules.public_network_access.value,
        "networkRuleSet": {
            "defaultAction": rules.default_action.value,
            "ipRules": [{"action": "Allow", "value": str(network)} for network in rules.ip_rules],
        },
        "trustedNetworks": [str(network) for network in rules.trusted_networks],
        "trustedProxies": [str(network) for network in rules.trusted_proxies],
    }
