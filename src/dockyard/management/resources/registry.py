"""The registry's properties (`az acr show|update`), its network rules (`az acr network-rule`) and the
admin user's credentials (`az acr credential show|renew`).

An update is validated whole — every range parsed, every list counted — before the first property is
written, so a refused update changes nothing. Admin passwords appear in a response only when they are
generated, and never again.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from dockyard.access.control_plane import ControlAction
from dockyard.access.roles import PermissionsMode
from dockyard.auth.directory_tokens import DirectoryTokens
from dockyard.management.errors import ErrorCode, ManagementError
from dockyard.management.operations import Call, Operation
from dockyard.management.schema import Constraint
from dockyard.network.addresses import IPNetwork, parse_cidr
from dockyard.network.errors import InvalidAddress, RuleNotFound
from dockyard.network.rules import MAX_IP_RULES, DefaultAction, PublicNetworkAccess
from dockyard.properties.store import NetworkList, PasswordName, PropertiesStore

_TAG = "registry"
_CIDR = Annotated[str, Constraint(min_length=1, max_length=64, description="An IP address or CIDR range.")]


class IpRuleAction(StrEnum):
    """ACR's only IP rule action."""

    ALLOW = "Allow"


class NetworkListName(StrEnum):
    """Which list a network rule goes in."""

    IP_RULES = "ipRules"
    TRUSTED_NETWORKS = "trustedNetworks"
    TRUSTED_PROXIES = "trustedProxies"


_LISTS = {
    NetworkListName.IP_RULES: NetworkList.IP_RULES,
    NetworkListName.TRUSTED_NETWORKS: NetworkList.TRUSTED_NETWORKS,
    NetworkListName.TRUSTED_PROXIES: NetworkList.TRUSTED_PROXIES,
}


# -- models --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class IpRule:
    """An IP rule as the registry holds it."""

    action: IpRuleAction
    value: str


@dataclass(frozen=True)
class NetworkRuleSet:
    """What happens to public clients: the default action, and the ranges admitted when it is Deny."""

    default_action: DefaultAction
    ip_rules: list[IpRule]


@dataclass(frozen=True)
class TokenLifetimes:
    """How long tokens live, in seconds (server settings: read-only here)."""

    directory_token_seconds: int
    refresh_token_seconds: int
    access_token_seconds: int


@dataclass(frozen=True)
class Registry:
    """The registry's properties, named as ACR names them (plus Dockyard's trusted networks and proxies)."""

    name: str
    login_server: str
    admin_user_enabled: bool
    anonymous_pull_enabled: bool
    role_assignment_mode: PermissionsMode
    public_network_access: PublicNetworkAccess
    network_rule_set: NetworkRuleSet
    trusted_networks: list[str]
    trusted_proxies: list[str]
    token_lifetimes: TokenLifetimes


@dataclass(frozen=True)
class AdminPassword:
    """An admin password just generated: shown here once, kept only as a hash."""

    name: PasswordName
    value: str


@dataclass(frozen=True)
class RegistryUpdated:
    """The registry after an update, and the admin passwords if enabling the admin user generated them."""

    registry: Registry
    admin_passwords: list[AdminPassword]


@dataclass(frozen=True)
class IpRuleInput:
    """An IP rule to hold (`action` is always Allow)."""

    value: _CIDR
    action: IpRuleAction = IpRuleAction.ALLOW


@dataclass(frozen=True)
class NetworkRuleSetInput:
    """The parts of the network rule set to change; `ipRules` replaces the whole list."""

    default_action: DefaultAction | None = None
    ip_rules: Annotated[list[IpRuleInput], Constraint(max_items=MAX_IP_RULES)] | None = None


@dataclass(frozen=True)
class RegistryUpdate:
    """The properties to change; an absent (or null) one stays as it is. Lists replace the whole list."""

    admin_user_enabled: bool | None = None
    anonymous_pull_enabled: bool | None = None
    role_assignment_mode: PermissionsMode | None = None
    public_network_access: PublicNetworkAccess | None = None
    network_rule_set: NetworkRuleSetInput | None = None
    trusted_networks: Annotated[list[_CIDR], Constraint(max_items=1000)] | None = None
    trusted_proxies: Annotated[list[_CIDR], Constraint(max_items=1000)] | None = None


@dataclass(frozen=True)
class NetworkRuleChange:
    """One range to add to or remove from a list (`az acr network-rule add|remove --ip-address`)."""

    value: _CIDR
    list: NetworkListName = NetworkListName.IP_RULES


@dataclass(frozen=True)
class AdminCredentials:
    """The admin user as `az acr credential show` names it (its passwords are never shown again)."""

    username: str
    admin_user_enabled: bool


@dataclass(frozen=True)
class RegenerateCredential:
    """Which admin password to replace."""

    name: PasswordName


@dataclass(frozen=True)
class AdminCredentialsIssued:
    """The admin user's name and the password just generated (shown once)."""

    username: str
    passwords: list[AdminPassword]


# -- operations ----------------------------------------------------------------------------------


def show_registry(call: Call) -> Registry:
    """The registry's properties."""
    return _view(call)


def _view(call: Call) -> Registry:
    settings = call.management.settings
    current = call.management.properties.current()
    rules = current.network_rules
    return Registry(
        name=settings.registry_name,
        login_server=settings.resolved_login_server,
        admin_user_enabled=current.admin_user_enabled,
        anonymous_pull_enabled=current.anonymous_pull_enabled,
        role_assignment_mode=current.role_assignment_mode,
        public_network_access=rules.public_network_access,
        network_rule_set=NetworkRuleSet(
            rules.default_action, [IpRule(IpRuleAction.ALLOW, str(network)) for network in rules.ip_rules]
        ),
        trusted_networks=[str(network) for network in rules.trusted_networks],
        trusted_proxies=[str(network) for network in rules.trusted_proxies],
        token_lifetimes=TokenLifetimes(
            DirectoryTokens.lifetime_seconds,
            settings.refresh_token_seconds,
            settings.access_token_seconds,
        ),
    )


def update_registry(call: Call) -> RegistryUpdated:
    """Change properties: everything is checked before anything is written."""
    update: RegistryUpdate = call.body
    lists: dict[NetworkList, tuple[IPNetwork, ...]] = {}
    if update.network_rule_set is not None and update.network_rule_set.ip_rules is not None:
        values = [rule.value for rule in update.network_rule_set.ip_rules]
        lists[NetworkList.IP_RULES] = _ranges(values, "networkRuleSet.ipRules")
    if update.trusted_networks is not None:
        lists[NetworkList.TRUSTED_NETWORKS] = _ranges(update.trusted_networks, "trustedNetworks")
    if update.trusted_proxies is not None:
        lists[NetworkList.TRUSTED_PROXIES] = _ranges(update.trusted_proxies, "trustedProxies")
    properties = call.management.properties
    issued: dict[PasswordName, str] = {}
    if update.admin_user_enabled is not None:
        issued = properties.set_admin_user_enabled(update.admin_user_enabled)
    if update.anonymous_pull_enabled is not None:
        properties.set_anonymous_pull_enabled(update.anonymous_pull_enabled)
    if update.role_assignment_mode is not None:
        properties.set_role_assignment_mode(update.role_assignment_mode)
    if update.public_network_access is not None:
        properties.set_public_network_access(update.public_network_access)
    if update.network_rule_set is not None and update.network_rule_set.default_action is not None:
        properties.set_default_action(update.network_rule_set.default_action)
    for kind, wanted in lists.items():
        _replace(properties, kind, wanted)
    passwords = [AdminPassword(name, value) for name, value in issued.items()]
    return RegistryUpdated(_view(call), passwords)


def _ranges(values: list[str], where: str) -> tuple[IPNetwork, ...]:
    ranges: dict[IPNetwork, None] = {}
    for index, value in enumerate(values):
        try:
            ranges[parse_cidr(value)] = None
        except InvalidAddress as exc:
            raise ManagementError.of(ErrorCode.INVALID_VALUE, str(exc), f"{where}[{index}].value") from None
    return tuple(ranges)


def _replace(properties: PropertiesStore, kind: NetworkList, wanted: tuple[IPNetwork, ...]) -> None:
    """Make a list hold exactly `wanted`: removals first, so a full list can be swapped."""
    rules = properties.current().network_rules
    held = {
        NetworkList.IP_RULES: rules.ip_rules,
        NetworkList.TRUSTED_NETWORKS: rules.trusted_networks,
        NetworkList.TRUSTED_PROXIES: rules.trusted_proxies,
    }[kind]
    for network in held:
        if network not in wanted:
            with contextlib.suppress(RuleNotFound):  # another process removed it meanwhile: the same outcome
                properties.remove_range(kind, str(network))
    for network in wanted:
        properties.add_range(kind, str(network))


def add_network_rule(call: Call) -> Registry:
    """Add a range to the IP rules, trusted networks or trusted proxies."""
    change: NetworkRuleChange = call.body
    call.management.properties.add_range(_LISTS[change.list], change.value)
    return _view(call)


def remove_network_rule(call: Call) -> Registry:
    """Remove a range from the IP rules, trusted networks or trusted proxies."""
    change: NetworkRuleChange = call.body
    call.management.properties.remove_range(_LISTS[change.list], change.value)
    return _view(call)


def show_credentials(call: Call) -> AdminCredentials:
    """The admin user's name and whether it is enabled."""
    current = call.management.properties.current()
    return AdminCredentials(call.management.settings.registry_name, current.admin_user_enabled)


def regenerate_credential(call: Call) -> AdminCredentialsIssued:
    """Replace one admin password; the new one is shown once."""
    request: RegenerateCredential = call.body
    properties = call.management.properties
    if not properties.current().admin_user_enabled:
        message = "The admin user is disabled: enable it first (PATCH /api/v1/registry with adminUserEnabled true)."
        raise ManagementError.of(ErrorCode.CONFLICT, message, "adminUserEnabled")
    password = properties.renew_password(request.name)
    return AdminCredentialsIssued(call.management.settings.registry_name, [AdminPassword(request.name, password)])


A = ControlAction
OPERATIONS = [
    Operation("GET", "/registry", A.REGISTRY_READ, "Show the registry's properties", show_registry, _TAG,
              response=Registry),
    Operation("PATCH", "/registry", A.REGISTRY_WRITE, "Update the registry's properties", update_registry, _TAG,
              body=RegistryUpdate, response=RegistryUpdated),
    Operation("POST", "/registry/networkRules/add", A.REGISTRY_WRITE, "Add a network rule", add_network_rule, _TAG,
              body=NetworkRuleChange, response=Registry),
    Operation("POST", "/registry/networkRules/remove", A.REGISTRY_WRITE, "Remove a network rule",
              remove_network_rule, _TAG, body=NetworkRuleChange, response=Registry),
    Operation("GET", "/registry/credentials", A.LIST_CREDENTIALS, "Show the admin user", show_credentials, _TAG,
              response=AdminCredentials),
    Operation("POST", "/registry/credentials/regenerate", A.REGENERATE_CREDENTIAL, "Regenerate an admin password",
              regenerate_credential, _TAG, body=RegenerateCredential, response=AdminCredentialsIssued),
]  # fmt: skip
