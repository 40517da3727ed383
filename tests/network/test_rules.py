"""`admit()`: which client addresses the network rules let in, and the reason each decision gives."""

from __future__ import annotations

from ipaddress import ip_address

import pytest

from dockyard.network.addresses import parse_cidr
from dockyard.network.rules import (
    DefaultAction,
    NetworkDecision,
    NetworkReason,
    NetworkRules,
    PublicNetworkAccess,
    admit,
    admit_client,
)

DISABLED = PublicNetworkAccess.DISABLED
DENY = DefaultAction.DENY


def _rules(
    public: PublicNetworkAccess = PublicNetworkAccess.ENABLED,
    default: DefaultAction = DefaultAction.ALLOW,
    ip_rules: tuple[str, ...] = (),
    trusted: tuple[str, ...] = (),
) -> NetworkRules:
    return NetworkRules(
        public_network_access=public,
        default_action=default,
        ip_rules=tuple(parse_cidr(value) for value in ip_rules),
        trusted_networks=tuple(parse_cidr(value) for value in trusted),
    )


CASES = [
    # (client, rules, admitted, reason, deciding range)
    ("203.0.113.9", _rules(), True, NetworkReason.DEFAULT_ACTION_ALLOW, None),
    ("2001:db8::1", _rules(), True, NetworkReason.DEFAULT_ACTION_ALLOW, None),
    ("127.0.0.1", _rules(public=DISABLED), False, NetworkReason.PUBLIC_ACCESS_DISABLED, None),
    ("::1", _rules(public=DISABLED), False, NetworkReason.PUBLIC_ACCESS_DISABLED, None),
    (
        "127.0.0.1",
        _rules(public=DISABLED, trusted=("127.0.0.0/8",)),
        True,
        NetworkReason.TRUSTED_NETWORK,
        "127.0.0.0/8",
    ),
    ("10.1.2.3", _rules(public=DISABLED, trusted=("127.0.0.0/8",)), False, NetworkReason.PUBLIC_ACCESS_DISABLED, None),
    ("fd00::5", _rules(public=DISABLED, trusted=("fd00::/8",)), True, NetworkReason.TRUSTED_NETWORK, "fd00::/8"),
    # IP rules do not open a registry whose public access is disabled
    ("10.1.2.3", _rules(public=DISABLED, ip_rules=("10.0.0.0/8",)), False, NetworkReason.PUBLIC_ACCESS_DISABLED, None),
    ("10.1.2.3", _rules(default=DENY, ip_rules=("10.0.0.0/8",)), True, NetworkReason.IP_RULE_ALLOWED, "10.0.0.0/8"),
    ("10.1.2.3", _rules(default=DENY, ip_rules=("10.1.2.3",)), True, NetworkReason.IP_RULE_ALLOWED, "10.1.2.3/32"),
    ("10.1.2.4", _rules(default=DENY, ip_rules=("10.1.2.3",)), False, NetworkReason.DEFAULT_ACTION_DENY, None),
    ("11.0.0.1", _rules(default=DENY, ip_rules=("10.0.0.0/8",)), False, NetworkReason.DEFAULT_ACTION_DENY, None),
    (
        "2001:db8:1::7",
        _rules(default=DENY, ip_rules=("2001:db8::/32",)),
        True,
        NetworkReason.IP_RULE_ALLOWED,
        "2001:db8::/32",
    ),
    ("2001:db9::7", _rules(default=DENY, ip_rules=("2001:db8::/32",)), False, NetworkReason.DEFAULT_ACTION_DENY, None),
    # an IPv6 client never matches an IPv4 rule, nor the other way round
    ("::1", _rules(default=DENY, ip_rules=("127.0.0.0/8",)), False, NetworkReason.DEFAULT_ACTION_DENY, None),
    ("127.0.0.1", _rules(default=DENY, ip_rules=("::1/128",)), False, NetworkReason.DEFAULT_ACTION_DENY, None),
    # IPv4-mapped IPv6 clients compare as IPv4; so do IPv4-mapped ranges
    (
        "::ffff:10.1.2.3",
        _rules(default=DENY, ip_rules=("10.0.0.0/8",)),
        True,
        NetworkReason.IP_RULE_ALLOWED,
        "10.0.0.0/8",
    ),
    (
        "10.9.1.1",
        _rules(default=DENY, ip_rules=("::ffff:10.9.0.0/112",)),
        True,
        NetworkReason.IP_RULE_ALLOWED,
        "10.9.0.0/16",
    ),
    (
        "::ffff:127.0.0.1",
        _rules(public=DISABLED, trusted=("127.0.0.0/8",)),
        True,
        NetworkReason.TRUSTED_NETWORK,
        "127.0.0.0/8",
    ),
    # a trusted network is admitted whatever the default action
    (
        "192.168.1.1",
        _rules(default=DENY, trusted=("192.168.0.0/16",)),
        True,
        NetworkReason.TRUSTED_NETWORK,
        "192.168.0.0/16",
    ),
    # the narrowest range that holds the client is the one reported
    (
        "10.1.2.3",
        _rules(default=DENY, ip_rules=("10.0.0.0/8", "10.1.0.0/16", "10.1.2.3")),
        True,
        NetworkReason.IP_RULE_ALLOWED,
        "10.1.2.3/32",
    ),
    (
        "10.1.9.9",
        _rules(default=DENY, ip_rules=("10.0.0.0/8", "10.1.0.0/16")),
        True,
        NetworkReason.IP_RULE_ALLOWED,
        "10.1.0.0/16",
    ),
    (
        "10.2.0.1",
        _rules(default=DENY, ip_rules=("10.1.0.0/16", "10.0.0.0/8")),
        True,
        NetworkReason.IP_RULE_ALLOWED,
        "10.0.0.0/8",
    ),
    ("198.51.100.1", _rules(default=DENY, ip_rules=("0.0.0.0/0",)), True, NetworkReason.IP_RULE_ALLOWED, "0.0.0.0/0"),
    ("2001:db8::1", _rules(default=DENY, ip_rules=("0.0.0.0/0",)), False, NetworkReason.DEFAULT_ACTION_DENY, None),
    ("2001:db8::1", _rules(default=DENY, ip_rules=("::/0",)), True, NetworkReason.IP_RULE_ALLOWED, "::/0"),
    # with the default action Allow, the IP rules decide nothing
    ("10.1.2.3", _rules(ip_rules=("10.0.0.0/8",)), True, NetworkReason.DEFAULT_ACTION_ALLOW, None),
]


@pytest.mark.parametrize(("client", "rules", "admitted", "reason", "deciding"), CASES)
def test_admit_decides_with_its_reason(
    client: str, rules: NetworkRules, admitted: bool, reason: NetworkReason, deciding: str | None
) -> None:
    decision = admit(ip_address(client), rules)

    assert decision == NetworkDecision(admitted, reason, parse_cidr(deciding) if deciding else None)


def test_the_default_rules_admit_everyone() -> None:
    assert NetworkRules().admits_everyone
    assert admit(ip_address("198.51.100.1"), NetworkRules()).admitted


@pytest.mark.parametrize("client", ["", "unknown", "/run/dockyard.sock"])
def test_a_client_without_an_address_is_admitted_only_when_everyone_is(client: str) -> None:
    assert admit_client(client, NetworkRules()) == NetworkDecision(True, NetworkReason.DEFAULT_ACTION_ALLOW)
    assert admit_client(client, _rules(default=DENY, ip_rules=("0.0.0.0/0",))) == NetworkDecision(
        False, NetworkReason.CLIENT_IP_UNKNOWN
    )
    assert not admit_client(client, _rules(public=DISABLED, trusted=("0.0.0.0/0", "::/0"))).admitted


def test_admit_client_parses_the_address_it_is_given() -> None:
    rules = _rules(default=DENY, ip_rules=("10.0.0.0/8",))

    assert admit_client("10.0.0.1", rules).reason is NetworkReason.IP_RULE_ALLOWED
    assert admit_client("::ffff:10.0.0.1", rules).reason is NetworkReason.IP_RULE_ALLOWED
    assert admit_client("11.0.0.1", rules).reason is NetworkReason.DEFAULT_ACTION_DENY


def test_two_hundred_ip_rules_each_admit_their_own_range_only() -> None:
    rules = _rules(default=DENY, ip_rules=tuple(f"10.{index}.0.0/16" for index in range(200)))

    assert all(admit(ip_address(f"10.{index}.7.7"), rules).admitted for index in range(200))
    assert not admit(ip_address("10.200.0.1"), rules).admitted
