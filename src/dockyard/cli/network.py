"""`dockyard network-rule add|remove|list`: IP rules (as `az acr network-rule`), plus Dockyard's trusted
networks (admitted even with public network access disabled) and trusted proxies (whose
`X-Forwarded-For` is believed). `dockyard update --public-network-enabled/--default-action` sets the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dockyard.cli.api import Session, admin_options, admin_session
from dockyard.cli.output import emit, output_options
from dockyard.network.addresses import parse_cidr
from dockyard.network.errors import NetworkRuleError

_RANGE_HELP = "A CIDR range (203.0.113.0/24, 2001:db8::/32) or one address (a /32 or /128); may be repeated."
_NETWORK_KEYS = ("publicNetworkAccess", "networkRuleSet", "trustedNetworks", "trustedProxies")


@click.group("network-rule", short_help="Which client addresses may connect.")
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


def _requested(
    ip_addresses: tuple[str, ...], trusted_networks: tuple[str, ...], trusted_proxies: tuple[str, ...]
) -> list[tuple[str, str]]:
    """(the API's list name, the range) for each range given."""
    requested = [
        *(("ipRules", value) for value in ip_addresses),
        *(("trustedNetworks", value) for value in trusted_networks),
        *(("trustedProxies", value) for value in trusted_proxies),
    ]
    if not requested:
        raise click.UsageError("give at least one of --ip-address, --trusted-network, --trusted-proxy")
    for _, value in requested:  # all valid, or nothing is changed
        try:
            parse_cidr(value)
        except NetworkRuleError as exc:
            raise click.UsageError(str(exc)) from exc
    return requested


def _show(registry: dict[str, Any]) -> None:
    emit({key: registry[key] for key in _NETWORK_KEYS}, columns=("Setting", "Value"), rows=_rows)


def _change(session: Session, verb: str, requested: list[tuple[str, str]]) -> None:
    registry: dict[str, Any] = {}
    for kind, value in requested:
        registry = session.call(
            "POST",
            f"/registry/networkRules/{verb}",
            body={"value": value, "list": kind},
            not_found="`dockyard network-rule list` shows the ranges held",
            conflict="remove a rule first (`dockyard network-rule remove`): ACR allows at most 200 IP rules",
        )
    _show(registry)


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
@admin_options
@output_options()
def add(
    name: str | None,
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
    with admin_session(name, config, flags) as session:
        _change(session, "add", requested)


@network_rule.command()
@_range_options
@admin_options
@output_options()
def remove(
    name: str | None,
    config: Path | None,
    ip_addresses: tuple[str, ...],
    trusted_networks: tuple[str, ...],
    trusted_proxies: tuple[str, ...],
    **flags: Any,
) -> None:
    """Remove IP rules, trusted networks or trusted proxies; print the network properties."""
    requested = _requested(ip_addresses, trusted_networks, trusted_proxies)
    with admin_session(name, config, flags) as session:
        _change(session, "remove", requested)


@network_rule.command("list")
@admin_options
@output_options()
def list_rules(name: str | None, config: Path | None, **flags: Any) -> None:
    """Print the network properties: publicNetworkAccess, networkRuleSet (defaultAction, ipRules),
    trustedNetworks and trustedProxies."""
    with admin_session(name, config, flags) as session:
        _show(session.get("/registry"))
