"""`PropertiesStore`: registry properties and the admin user, shared by every server process.

The admin user (disabled by default, as in ACR) signs in with the registry's name and either of two
passwords. Passwords are generated here, shown once, and kept only as argon2id hashes, so unlike
ACR's `credential show` a lost password is renewed rather than read back.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection, Engine, delete, insert, select

from dockyard.access.roles import PermissionsMode
from dockyard.directory.secrets import SecretHasher, generate_password
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
        )
        self._cached = (now, properties)
        return properties

    def set_anonymous_pull_enabled(self, enabled: bool) -> None:
        """Let callers without credentials pull every repository, or stop them."""
        with self._engine.execution_options(dockyard_write=True).begin() as connection:
            self._set(connection, "anonymous_pull_enabled", enabled)
        self._cached = None

    def set_role_assignment_mode(self, mode: PermissionsMode) -> None:
        """Choose which role assignments decide (`roleAssignmentMode`: `rbac` or `rbac-abac`)."""
        with self._engine.execution_options(dockyard_write=True).begin() as connection:
            self._set(connection, "role_assignment_mode", PermissionsMode(mode).value)
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
