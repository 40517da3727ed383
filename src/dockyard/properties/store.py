"""`PropertiesStore`: registry properties and the admin user, shared by every server process.

The network properties are kept as ACR shapes them (`networkRuleSet` is one JSON row:
`{"defaultAction": "Deny", "ipRules": [{"action": "Allow", "value": "203.0.113.0/24"}]}`), each
range validated and normalized before it is written.

The admin user (disabled by default, as in ACR) signs in with the registry's name and either of two
passwords. Passwords are generated here, shown once, and kept only as argon2id hashes, so unlike
ACR's `credential show` a lost password is renewed rather than read back.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select

from dockyard.access.roles import PermissionsMode
from dockyard.directory.secrets import SecretHasher, generate_password
from dockyard.network.addresses import IPNetwork, parse_cidr
from dockyard.network.rules import (
    MAX_IP_RULES,
    DefaultAction,
    NetworkRules,
    PublicNetworkAccess,
    with_range,
    without_range,
)
from dockyard.properties.schema import admin_passwords, registry_properties

_CACHE_SECONDS = 1.0  # a change made by another process is seen within a second


class PasswordName(StrEnum):
    """The admin user's two passwords, so one can be rotated while the other is in use."""

    PASSWORD = "password"
    PASSWORD2 = "password2"


@dataclass(frozen=True)
class RegistryProperties:
    """The properties a running server consults."""

    admin_user_enabled: bool = False
    anonymous_pull_enabled: bool = False
    # `rbac`: the Acr* roles and Owner/Contributor/Reader decide; `rbac-abac`: the Repository roles
    # and their conditions do. ACR's default for a new registry is `rbac`.
    role_assignment_mode: PermissionsMode = PermissionsMode.RBAC
    # `publicNetworkAccess`, `networkRuleSet`, and Dockyard's trusted networks and proxies.
    network_rules: NetworkRules = field(default_factory=NetworkRules)


class NetworkList(StrEnum):
    """The address-range lists of the network properties, by the name the CLI and errors use."""

    IP_RULES = "IP rules"
    TRUSTED_NETWORKS = "trusted networks"
    TRUSTED_PROXIES = "trusted proxies"


class PropertiesStore:
    """Reads (with a one-second cache) and writes registry properties and admin passwords."""

    def __init__(self, engine: Engine, clock: Callable[[], float], hasher: SecretHasher | None = None) -> None:
        self._engine = engine
        self._clock = clock
        self._hasher = hasher or SecretHasher()
        self._cached: tuple[float, RegistryProperties] | None = None

    def current(self) -> RegistryProperties:
        """The properties as of at most a second ago."""
        now = self._clock()
        if self._cached is not None and now - self._cached[0] < _CACHE_SECONDS:
            return self._cached[1]
        with self._engine.connect() as connection:
            rows = dict(connection.execute(select(registry_properties.c.name, registry_properties.c.value)).all())
        properties = RegistryProperties(
            admin_user_enabled=bool(json.loads(rows.get("admin_user_enabled", "false"))),
            anonymous_pull_enabled=bool(json.loads(rows.get("anonymous_pull_enabled", "false"))),
            role_assignment_mode=PermissionsMode(json.loads(rows.get("role_assignment_mode", '"rbac"'))),
            network_rules=_network_rules(rows),
        )
        self._cached = (now, properties)
        return properties

    def set_anonymous_pull_enabled(self, enabled: bool) -> None:
        """Let callers without credentials pull every repository, or stop them."""
        self._write("anonymous_pull_enabled", enabled)

    def set_role_assignment_mode(self, mode: PermissionsMode) -> None:
        """Choose which role assignments decide (`roleAssignmentMode`: `rbac` or `rbac-abac`)."""
        self._write("role_assignment_mode", PermissionsMode(mode).value)

    def set_public_network_access(self, access: PublicNetworkAccess) -> None:
        """Admit clients from outside the trusted networks (`Enabled`) or none of them (`Disabled`)."""
        self._write("public_network_access", PublicNetworkAccess(access).value)

    def set_default_action(self, action: DefaultAction) -> None:
        """What happens to a public client that no IP rule holds: `Allow` or `Deny`."""
        self._change_rule_set(lambda rule_set: rule_set | {"defaultAction": DefaultAction(action).value})

    def add_range(self, kind: NetworkList, value: str) -> IPNetwork:
        """Add a CIDR range (a bare address means one host) to one of the lists; return it normalized.

        Raises `dockyard.network.errors.NetworkRuleError` (with a message for people) for a value that
        is not a range, or for a 201st IP rule."""
        network = parse_cidr(value)
        limit = MAX_IP_RULES if kind is NetworkList.IP_RULES else None
        self._change_ranges(kind, lambda ranges: with_range(ranges, network, limit))
        return network

    def remove_range(self, kind: NetworkList, value: str) -> IPNetwork:
        """Remove a CIDR range from one of the lists; `RuleNotFound` when it is not there."""
        network = parse_cidr(value)
        self._change_ranges(kind, lambda ranges: without_range(ranges, network, kind.value))
        return network

    def _change_ranges(
        self, kind: NetworkList, change: Callable[[tuple[IPNetwork, ...]], tuple[IPNetwork, ...]]
    ) -> None:
        if kind is not NetworkList.IP_RULES:
            self._change(_LIST_ROWS[kind], [], lambda stored: [str(each) for each in change(_ranges(stored))])
            return

        def change_rule_set(rule_set: dict[str, Any]) -> dict[str, Any]:
            ranges = change(_ranges(rule["value"] for rule in rule_set.get("ipRules", [])))
            return rule_set | {"ipRules": [{"action": "Allow", "value": str(network)} for network in ranges]}

        self._change_rule_set(change_rule_set)

    def _change_rule_set(self, change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        self._change("network_rule_set", {}, change)

    def _change(self, name: str, default: Any, change: Callable[[Any], Any]) -> None:
        """Read, change and write one property in one write transaction, so concurrent changes never
        lose each other."""
        with self._engine.execution_options(dockyard_write=True).begin() as connection:
            stored = connection.execute(
                select(registry_properties.c.value).where(registry_properties.c.name == name)
            ).scalar()
            self._set(connection, name, change(json.loads(stored) if stored is not None else default))
        self._cached = None

    def _write(self, name: str, value: object) -> None:
        with self._engine.execution_options(dockyard_write=True).begin() as connection:
            self._set(connection, name, value)
        self._cached = None

    def _set(self, connection: Connection, name: str, value: object) -> None:
        connection.execute(delete(registry_properties).where(registry_properties.c.name == name))
        connection.execute(
            insert(registry_properties).values(name=name, value=json.dumps(value), updated_at=self._clock())
        )

    def set_admin_user_enabled(self, enabled: bool) -> dict[PasswordName, str]:
        """Enable or disable the admin user; on first enabling, generate both passwords and return them."""
        issued: dict[PasswordName, str] = {}
        with self._engine.execution_options(dockyard_write=True).begin() as connection:
            self._set(connection, "admin_user_enabled", enabled)
            if enabled and not connection.execute(select(admin_passwords.c.name)).first():
                for name in PasswordName:
                    issued[name] = self._store_password(connection, name)
        self._cached = None
        return issued

    def renew_password(self, name: PasswordName) -> str:
        """Replace one admin password with a new one, returned once."""
        with self._engine.execution_options(dockyard_write=True).begin() as connection:
            return self._store_password(connection, name)

    def _store_password(self, connection: Connection, name: PasswordName) -> str:
        password = generate_password()
        connection.execute(delete(admin_passwords).where(admin_passwords.c.name == name.value))
        connection.execute(
            insert(admin_passwords).values(name=name.value, hash=self._hasher.hash(password), created_at=self._clock())
        )
        return password

    def admin_password_matches(self, password: str) -> bool:
        """Whether `password` is either admin password (both are checked, in constant time each)."""
        with self._engine.connect() as connection:
            hashes = list(connection.execute(select(admin_passwords.c.hash)).scalars())
        if not hashes:
            self._hasher.verify_nothing(password)
            return False
        return any([self._hasher.verify(stored, password) for stored in hashes])


# Rows of `registry_properties` that hold a list of CIDR ranges (IP rules live in `network_rule_set`).
_LIST_ROWS = {NetworkList.TRUSTED_NETWORKS: "trusted_networks", NetworkList.TRUSTED_PROXIES: "trusted_proxies"}


def _ranges(values: Iterable[str]) -> tuple[IPNetwork, ...]:
    return tuple(parse_cidr(value) for value in values)


def _network_rules(rows: dict[str, str]) -> NetworkRules:
    """The network properties stored as rows (`network_rule_set` in ACR's JSON shape)."""
    rule_set = json.loads(rows.get("network_rule_set", "{}"))
    return NetworkRules(
        public_network_access=PublicNetworkAccess(json.loads(rows.get("public_network_access", '"Enabled"'))),
        default_action=DefaultAction(rule_set.get("defaultAction", "Allow")),
        ip_rules=_ranges(rule["value"] for rule in rule_set.get("ipRules", [])),
        trusted_networks=_ranges(json.loads(rows.get("trusted_networks", "[]"))),
        trusted_proxies=_ranges(json.loads(rows.get("trusted_proxies", "[]"))),
    )
