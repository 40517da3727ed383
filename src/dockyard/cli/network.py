"""`dockyard network-rule add|remove|list`: IP rules (as `az acr network-rule`), plus Dockyard's trusted
networks (admitted even with public network access disabled) and trusted proxies (whose
`X-Forwarded-For` is believed). `dockyard update --public-network-enabled/--default-action` sets the rest.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from dockyard.cli.options import load, store_options
from dockyard.cli.output import emit, output_options
from dockyard.metadata.store import MetadataStore
from dockyard.network.addresses import parse_cidr
from dockyard.network.errors import NetworkRuleError
from dockyard.network.rules import to_json
from dockyard.properties.store import NetworkList, PropertiesStore

_RANGE_HELP = "A CIDR range (203.0.113.0/24, 2001:db8::/32) or one address (a /32 or /128); may be repeated."


@click.group("network-rule")
def network_rule() -> None:
    """Which client addresses may reach the registry (as `az acr network-rule`)."""


def _range_options(command: Callable[..., Any]) -> Callable[..., Any]:
    command = click.option(
        "--trusted-proxy",
        "trusted_proxies",
        multiple=True,
        help=f"A proxy or load balancer whose X-Forwarded-For is believed. {_RANGE_HELP}",
    )(command)
    command = click.option(
        "--trusted-network",
        "trusted_networks",
        multiple=True,
        help=f"A network always admitted, even with public network access disabled. {_RANGE_HELP}",
    )(command)
    return click.option(
        "--ip-address",
        "ip_addresses",
        multiple=True,
        help=f"An IP rule (action Allow): admitted when the default action is Deny. {_RANGE_HELP}",
    )(command)


@contextmanager
def _properties(config: Path | None, flags: dict[str, Any]) -> Iterator[PropertiesStore]:
    settings = load(config, flags)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    metadata = MetadataStore(settings.resolved_metadata_url)
    try:
        metadata.migrate()
        yield PropertiesStore(metadata.engine, time.time)
    except NetworkRuleError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        metadata.close()


def _requested(
    ip_addresses: tuple[str, ...], trusted_networks: tuple[str, ...], trusted_proxies: tuple[str, ...]
) -> list[tuple[NetworkList, str]]:
    requested = [
        *((NetworkList.IP_RULES, value) for value in ip_addresses),
        *((NetworkList.TRUSTED_NETWORKS, value) for value in trusted_networks),
        *((NetworkList.TRUSTED_PROXIES, value) for value in trusted_proxies),
    ]
    if not requested:
        raise click.UsageError("give at least one of --ip-address, --trusted-network, --trusted-proxy")
    for _, value in requested:  # all valid, or nothing is changed
        try:
            parse_cidr(value)
        except NetworkRuleError as exc:
            raise click.UsageError(str(exc)) from exc
    return requested


def _show(properties: PropertiesStore) -> None:
    emit(to_json(properties.current().network_rules), columns=("Setting", "Value"), rows=_rows)


def _rows(rules: dict[str, Any]) -> list[dict[str, str]]:
    """The network properties as a table: one row per setting, IP rule, trusted network and proxy."""
    rule_set = rules["networkRuleSet"]
    return [
        {"Setting": "publicNetworkAccess", "Value": rules["publicNetworkAccess"]},
        {"Setting": "defaultAction", "Value": rule_set["defaultAction"]},
        *({"Setting": "ipRule", "Value": rule["value"]} for rule in rule_set["ipRules"]),
        *({"Setting": "trustedNetwork", "Value": value} for value in rules["trustedNetworks"]),
        *({"Setting": "trustedProxy", "Value": value} for value in rules["trustedProxies"]),
    ]


@network_rule.command()
@_range_options
@store_options
@output_options()
def add(
    config: Path | None,
    ip_addresses: tuple[str, ...],
    trusted_networks: tuple[str, ...],
    trusted_proxies: tuple[str, ...],
    **flags: Any,
) -> None:
    """Add IP rules, trusted networks or trusted proxies; print the network properties.

    Takes effect on every server process within a second. Adding a range already listed changes nothing.
    """
    requested = _requested(ip_addresses, trusted_networks, trusted_proxies)
    with _properties(config, flags) as properties:
        for kind, value in requested:
            properties.add_range(kind, value)
        _show(properties)


@network_rule.command()
@_range_options
@store_options
@output_options()
def remove(
    config: Path | None,
    ip_addresses: tuple[str, ...],
    trusted_networks: tuple[str, ...],
    trusted_proxies: tuple[str, ...],
    **flags: Any,
) -> None:
    """Remove IP rules, trusted networks or trusted proxies; print the network properties."""
    requested = _requested(ip_addresses, trusted_networks, trusted_proxies)
    with _properties(config, flags) as properties:
        for kind, value in requested:
            properties.remove_range(kind, value)
        _show(properties)


@network_rule.command("list")
@store_options
@output_options()
def list_rules(config: Path | None, **flags: Any) -> None:
    """Print the network properties: publicNetworkAccess, networkRuleSet (defaultAction, ipRules),
    trustedNetworks and trustedProxies."""
    with _properties(config, flags) as properties:
        _show(properties)
