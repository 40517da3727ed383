"""The network properties in the properties store: validated, normalized, shared by every process."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.network.addresses import parse_cidr
from dockyard.network.errors import InvalidAddress, RuleNotFound, TooManyIpRules
from dockyard.network.rules import MAX_IP_RULES, DefaultAction, NetworkRules, PublicNetworkAccess, to_json
from dockyard.properties.store import NetworkList, PropertiesStore
from tests.policy import FAST_HASHER, Clock, migrated_engine


@pytest.fixture
def properties(tmp_path: Path) -> PropertiesStore:
    return PropertiesStore(migrated_engine(tmp_path), Clock(), FAST_HASHER)


def test_a_new_registry_admits_everyone(properties: PropertiesStore) -> None:
    assert properties.current().network_rules == NetworkRules()
    assert to_json(properties.current().network_rules) == {
        "publicNetworkAccess": "Enabled",
        "networkRuleSet": {"defaultAction": "Allow", "ipRules": []},
        "trustedNetworks": [],
        "trustedProxies": [],
    }


def test_every_network_property_is_stored_and_read_back(properties: PropertiesStore) -> None:
    properties.set_public_network_access(PublicNetworkAccess.DISABLED)
    properties.set_default_action(DefaultAction.DENY)
    properties.add_range(NetworkList.IP_RULES, "203.0.113.0/24")
    properties.add_range(NetworkList.IP_RULES, "2001:db8::1")
    properties.add_range(NetworkList.TRUSTED_NETWORKS, "127.0.0.0/8")
    properties.add_range(NetworkList.TRUSTED_PROXIES, "10.0.0.1")

    assert to_json(properties.current().network_rules) == {
        "publicNetworkAccess": "Disabled",
        "networkRuleSet": {
            "defaultAction": "Deny",
            "ipRules": [
                {"action": "Allow", "value": "203.0.113.0/24"},
                {"action": "Allow", "value": "2001:db8::1/128"},
            ],
        },
        "trustedNetworks": ["127.0.0.0/8"],
        "trustedProxies": ["10.0.0.1/32"],
    }


def test_the_default_action_and_the_ip_rules_do_not_overwrite_each_other(properties: PropertiesStore) -> None:
    properties.add_range(NetworkList.IP_RULES, "10.0.0.0/8")
    properties.set_default_action(DefaultAction.DENY)
    properties.add_range(NetworkList.IP_RULES, "11.0.0.0/8")

    rules = properties.current().network_rules
    assert rules.default_action is DefaultAction.DENY
    assert rules.ip_rules == (parse_cidr("10.0.0.0/8"), parse_cidr("11.0.0.0/8"))


def test_adding_a_range_already_listed_changes_nothing(properties: PropertiesStore) -> None:
    properties.add_range(NetworkList.IP_RULES, "10.1.2.3")
    properties.add_range(NetworkList.IP_RULES, "10.1.2.3/32")

    assert properties.current().network_rules.ip_rules == (parse_cidr("10.1.2.3/32"),)


def test_a_registry_holds_at_most_200_ip_rules(properties: PropertiesStore) -> None:
    for index in range(MAX_IP_RULES):
        properties.add_range(NetworkList.IP_RULES, f"10.0.{index}.0/24")

    with pytest.raises(TooManyIpRules, match="at most 200 IP rules"):
        properties.add_range(NetworkList.IP_RULES, "11.0.0.0/8")
    assert len(properties.current().network_rules.ip_rules) == MAX_IP_RULES
    properties.add_range(NetworkList.TRUSTED_NETWORKS, "11.0.0.0/8")  # the limit is the IP rules' alone


def test_removing_a_range_takes_it_out_of_its_list_only(properties: PropertiesStore) -> None:
    properties.add_range(NetworkList.IP_RULES, "10.0.0.0/8")
    properties.add_range(NetworkList.TRUSTED_NETWORKS, "10.0.0.0/8")

    properties.remove_range(NetworkList.IP_RULES, "10.0.0.0/8")

    rules = properties.current().network_rules
    assert rules.ip_rules == ()
    assert rules.trusted_networks == (parse_cidr("10.0.0.0/8"),)


def test_removing_a_range_that_is_not_listed_names_the_list(properties: PropertiesStore) -> None:
    properties.add_range(NetworkList.TRUSTED_PROXIES, "10.0.0.1")

    with pytest.raises(RuleNotFound, match=r"10.0.0.2/32 is not among the trusted proxies \(they are: 10.0.0.1/32\)"):
        properties.remove_range(NetworkList.TRUSTED_PROXIES, "10.0.0.2")


def test_an_invalid_range_is_refused_and_nothing_is_written(properties: PropertiesStore) -> None:
    with pytest.raises(InvalidAddress, match=r"did you mean 10\.0\.0\.0/8"):
        properties.add_range(NetworkList.IP_RULES, "10.0.0.1/8")

    assert properties.current().network_rules == NetworkRules()


def test_another_process_sees_a_change_within_a_second(tmp_path: Path) -> None:
    engine = migrated_engine(tmp_path)
    clock = Clock()
    server = PropertiesStore(engine, clock, FAST_HASHER)
    assert server.current().network_rules.admits_everyone

    PropertiesStore(engine, clock, FAST_HASHER).set_public_network_access(PublicNetworkAccess.DISABLED)
    assert server.current().network_rules.admits_everyone  # still cached
    clock.advance(1)

    assert server.current().network_rules.public_network_access is PublicNetworkAccess.DISABLED
