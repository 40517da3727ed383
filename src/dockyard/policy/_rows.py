"""Row mapping and lookups shared by the store's operations: policy values to and from table rows.

Private to the store. Reads token password hashes only where verification asks for them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, insert, select, update

from dockyard.access.model import (
    BUILT_IN_SCOPE_MAPS,
    RepositoryToken,
    RoleAssignment,
    ScopeMap,
    TokenPassword,
    TokenPasswordName,
    TokenStatus,
    parse_scope_map_entry,
)
from dockyard.access.roles import RoleDefinition, built_in_role
from dockyard.policy.schema import (
    custom_roles,
    policy_version,
    repository_tokens,
    role_assignments,
    scope_maps,
    token_passwords,
)

_VERSION_ROW = 1
_BUILT_IN_SCOPE_MAPS = {scope_map.name.lower(): scope_map for scope_map in BUILT_IN_SCOPE_MAPS}

ROLE_COLUMNS = (
    custom_roles.c.name,
    custom_roles.c.description,
    custom_roles.c.actions,
    custom_roles.c.data_actions,
    custom_roles.c.conditions_allowed,
)
ASSIGNMENT_COLUMNS = (
    role_assignments.c.id,
    role_assignments.c.principal_id,
    role_assignments.c.role,
    role_assignments.c.repository,
    role_assignments.c.condition,
    role_assignments.c.description,
    role_assignments.c.created_at,
)
SCOPE_MAP_COLUMNS = (scope_maps.c.name, scope_maps.c.actions, scope_maps.c.description, scope_maps.c.created_at)
TOKEN_COLUMNS = (
    repository_tokens.c.name,
    repository_tokens.c.scope_map,
    repository_tokens.c.status,
    repository_tokens.c.created_at,
)
PASSWORD_COLUMNS = (token_passwords.c.name, token_passwords.c.created_at, token_passwords.c.expiry)


# -- the policy version ---------------------------------------------------------------------------


def read_version(connection: Connection) -> int:
    """The policy version: it changes with every write."""
    return connection.execute(select(policy_version.c.version).where(policy_version.c.id == _VERSION_ROW)).scalar() or 0


def bump_version(connection: Connection) -> None:
    """Change the policy version, in the caller's write transaction."""
    bumped = connection.execute(
        update(policy_version).where(policy_version.c.id == _VERSION_ROW).values(version=policy_version.c.version + 1)
    )
    if bumped.rowcount == 0:
        connection.execute(insert(policy_version).values(id=_VERSION_ROW, version=1))


# -- roles ----------------------------------------------------------------------------------------


def role_from(row: Sequence[Any]) -> RoleDefinition:
    """A custom `RoleDefinition` from a row of `ROLE_COLUMNS`."""
    name, description, actions, data_actions, conditions_allowed = row
    return RoleDefinition(
        name,
        description,
        actions=frozenset(json.loads(actions)),
        data_actions=frozenset(json.loads(data_actions)),
        conditions_allowed=bool(conditions_allowed),
    )


def find_role(connection: Connection, name: str) -> RoleDefinition | None:
    """A built-in or custom role by name, any case."""
    found = built_in_role(name)
    if found is not None:
        return found
    row = connection.execute(select(*ROLE_COLUMNS).where(custom_roles.c.key == name.lower())).first()
    return None if row is None else role_from(row)


# -- role assignments -----------------------------------------------------------------------------


def assignment_from(row: Sequence[Any]) -> RoleAssignment:
    """A `RoleAssignment` from a row of `ASSIGNMENT_COLUMNS`."""
    return RoleAssignment(*row)


def assignment_values(assignment: RoleAssignment) -> dict[str, Any]:
    """The `role_assignments` row of an assignment."""
    return {
        "id": assignment.id,
        "principal_id": assignment.principal_id,
        "role": assignment.role,
        "repository": assignment.repository,
        "condition": assignment.condition,
        "description": assignment.description,
        "created_at": assignment.created_at,
    }


# -- scope maps -----------------------------------------------------------------------------------


def scope_map_from(row: Sequence[Any]) -> ScopeMap:
    """A custom `ScopeMap` from a row of `SCOPE_MAP_COLUMNS`."""
    name, actions, description, created_at = row
    entries = tuple(parse_scope_map_entry(action) for action in json.loads(actions))
    return ScopeMap(name, entries, description, built_in=False, created_at=created_at)


def scope_map_actions(scope_map: ScopeMap) -> str:
    """The `actions` column of a scope map."""
    return json.dumps([str(entry) for entry in scope_map.entries])


def built_in_scope_map(name: str) -> ScopeMap | None:
    """A built-in scope map by name, any case."""
    return _BUILT_IN_SCOPE_MAPS.get(name.lower())


def find_scope_map(connection: Connection, name: str) -> ScopeMap | None:
    """A built-in or custom scope map by name, any case."""
    found = built_in_scope_map(name)
    if found is not None:
        return found
    row = connection.execute(select(*SCOPE_MAP_COLUMNS).where(scope_maps.c.key == name.lower())).first()
    return None if row is None else scope_map_from(row)


# -- repository-scoped tokens ---------------------------------------------------------------------


def find_token(connection: Connection, name: str) -> RepositoryToken | None:
    """A token by name (any case), with its passwords (never their hashes)."""
    key = name.lower()
    row = connection.execute(select(*TOKEN_COLUMNS).where(repository_tokens.c.key == key)).first()
    if row is None:
        return None
    passwords = connection.execute(
        select(*PASSWORD_COLUMNS).where(token_passwords.c.token_key == key).order_by(token_passwords.c.name)
    )
    token_name, scope_map, status, created_at = row
    return RepositoryToken(
        token_name,
        scope_map,
        TokenStatus(status),
        tuple(TokenPassword(TokenPasswordName(which), created, expiry) for which, created, expiry in passwords),
        created_at,
    )
