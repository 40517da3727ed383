"""`PolicyStore`: what `dockyard.access.decide()` reads — custom roles, role assignments, scope maps
and repository-scoped tokens — shared by every server process through the metadata database.

Every write changes a policy version in the same transaction. `policy()` hands out the compiled
`Policy`, cached: a change made by this process shows at once, one made by another process within
a second. Conditions are parsed when an assignment is saved, so a stored one always compiles.
This package knows nothing of HTTP: the edges map its `PolicyError`s to their protocols.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select

from dockyard.access.model import RoleAssignment
from dockyard.access.policy import Policy, compile_policy
from dockyard.access.roles import BUILT_IN_ROLES, PermissionsMode, RoleDefinition, built_in_role
from dockyard.directory.secrets import SecretHasher
from dockyard.policy._base import Clock
from dockyard.policy._rows import (
    ASSIGNMENT_COLUMNS,
    ROLE_COLUMNS,
    SCOPE_MAP_COLUMNS,
    assignment_from,
    assignment_values,
    find_role,
    read_version,
    role_from,
    scope_map_from,
)
from dockyard.policy.errors import (
    ActionInvalid,
    AssignmentNotFound,
    ConditionNotAllowed,
    PrincipalNotFound,
    RoleBuiltIn,
    RoleExists,
    RoleInUse,
    RoleNotFound,
)
from dockyard.policy.schema import custom_roles, role_assignments
from dockyard.policy.scope_maps import ScopeMaps
from dockyard.policy.tokens import RepositoryTokens
from dockyard.policy.validation import (
    check_actions,
    check_condition,
    check_data_actions,
    check_description,
    check_repository,
    check_role_name,
)

_CACHE_SECONDS = 1.0  # a change made by another process is seen within a second


@dataclass(frozen=True)
class _Snapshot:
    policy: Policy
    version: int  # the policy version it was compiled from
    writes: int  # this process's write count when it was read
    checked_at: float  # when the version was last read


class PolicyStore(ScopeMaps, RepositoryTokens):
    """Custom roles, role assignments, scope maps and repository-scoped tokens, and the compiled
    `Policy` built from them.

    `principal_exists`, when given, is asked whether a role assignment's principal exists in the
    directory before the assignment is made.
    """

    def __init__(
        self,
        engine: Engine,
        clock: Clock,
        hasher: SecretHasher | None = None,
        principal_exists: Callable[[str], bool] | None = None,
    ) -> None:
        super().__init__(engine, clock, hasher, principal_exists)
        self._writes = 0
        self._snapshot: _Snapshot | None = None

    def _changed(self) -> None:
        self._writes += 1

    # -- the compiled policy ------------------------------------------------------------------

    def policy(self, mode: PermissionsMode, anonymous_pull_enabled: bool) -> Policy:
        """The policy `decide()` reads, in this permissions mode and with anonymous pull on or off.

        Compiled once and cached: the database is asked at most once a second whether anything
        changed, and only a change is read in full. This process's own writes show at once.
        """
        now = self._clock()
        writes = self._writes
        cached = self._snapshot
        if cached is not None and cached.writes == writes and 0 <= now - cached.checked_at < _CACHE_SECONDS:
            policy = _with_settings(cached.policy, mode, anonymous_pull_enabled)
            if policy is not cached.policy:  # the settings changed: keep the policy under the new ones
                self._snapshot = dataclasses.replace(cached, policy=policy)
            return policy
        with self._read() as connection:
            version = read_version(connection)
            if cached is not None and cached.version == version:
                policy = _with_settings(cached.policy, mode, anonymous_pull_enabled)
            else:
                policy = _compile(connection, mode, anonymous_pull_enabled)
        self._snapshot = _Snapshot(policy, version, writes, now)
        return policy

    # -- roles --------------------------------------------------------------------------------

    def list_roles(self) -> list[RoleDefinition]:
        """The built-in roles, then the custom ones by name."""
        with self._read() as connection:
            rows = connection.execute(select(*ROLE_COLUMNS).order_by(custom_roles.c.key)).all()
        return [*BUILT_IN_ROLES, *(role_from(row) for row in rows)]

    def get_role(self, name: str) -> RoleDefinition | None:
        """A built-in or custom role by name (any case), or None."""
        with self._read() as connection:
            return find_role(connection, name)

    def create_role(self, role: RoleDefinition) -> RoleDefinition:
        """Define a custom role; return it as stored (data actions spelled as Dockyard spells them).

        A custom role's data actions count in the permissions mode that honours them, as the
        built-in Acr* and Repository roles' do (`data_actions_only_in_rbac` is not kept).
        """
        check_role_name(role.name)
        check_description(role.description)
        stored = RoleDefinition(
            role.name,
            role.description,
            actions=check_actions(role.actions),
            data_actions=check_data_actions(role.data_actions),
            conditions_allowed=role.conditions_allowed,
        )
        if not stored.actions and not stored.data_actions:
            raise ActionInvalid("a role needs at least one action or data action")
        if built_in_role(role.name) is not None:
            raise RoleExists(f"{role.name!r} is a built-in role")
        with self._write() as connection:
            if find_role(connection, role.name) is not None:
                raise RoleExists(f"a role named {role.name!r} exists")
            connection.execute(insert(custom_roles).values(_role_values(stored, self._clock())))
        return stored

    def delete_role(self, name: str) -> None:
        """Delete a custom role that no assignment uses."""
        if built_in_role(name) is not None:
            raise RoleBuiltIn(f"the built-in role {name!r} cannot be deleted")
        with self._write() as connection:
            if find_role(connection, name) is None:
                raise RoleNotFound(f"no role named {name!r}")
            used = connection.execute(
                select(func.count())
                .select_from(role_assignments)
                .where(func.lower(role_assignments.c.role) == name.lower())
            ).scalar()
            if used:
                raise RoleInUse(f"the role {name!r} is still assigned ({used} role assignments)")
            connection.execute(delete(custom_roles).where(custom_roles.c.key == name.lower()))

    # -- role assignments ---------------------------------------------------------------------

    def create_assignment(
        self,
        principal_id: str,
        role: str,
        repository: str | None = None,
        condition: str | None = None,
        description: str = "",
    ) -> RoleAssignment:
        """Assign a role (built-in or custom, any case) to a principal, over one repository or (None)
        the whole registry, optionally narrowed by a condition.

        The condition must parse and the role must take conditions; nothing is saved otherwise.
        Assigning the same role to the same principal over the same scope with the same condition
        again returns the existing assignment, as `az role assignment create` does.
        """
        if condition is not None and not condition.strip():
            condition = None
        if repository is not None:
            check_repository(repository)
        check_description(description)
        if self._principal_exists is not None and not self._principal_exists(principal_id):
            raise PrincipalNotFound(f"no principal with object id {principal_id}")
        with self._write() as connection:
            definition = find_role(connection, role)
            if definition is None:
                raise RoleNotFound(f"no role named {role!r}")
            if condition is not None:
                if not definition.conditions_allowed:
                    raise ConditionNotAllowed(f"the role {definition.name!r} takes no condition")
                check_condition(condition)
            existing = _same_assignment(connection, principal_id, definition.name, repository, condition)
            if existing is not None:
                return existing
            assignment = RoleAssignment(
                str(uuid.uuid4()), principal_id, definition.name, repository, condition, description, self._clock()
            )
            connection.execute(insert(role_assignments).values(assignment_values(assignment)))
        return assignment

    def get_assignment(self, assignment_id: str) -> RoleAssignment | None:
        """A role assignment by id, or None."""
        with self._read() as connection:
            row = connection.execute(select(*ASSIGNMENT_COLUMNS).where(role_assignments.c.id == assignment_id)).first()
        return None if row is None else assignment_from(row)

    def list_assignments(self, principal_id: str | None = None, role: str | None = None) -> list[RoleAssignment]:
        """Every role assignment, or those of one principal (directly: not through its groups)
        and/or of one role (any case), oldest first."""
        query = select(*ASSIGNMENT_COLUMNS).order_by(role_assignments.c.created_at, role_assignments.c.id)
        if principal_id is not None:
            query = query.where(role_assignments.c.principal_id == principal_id)
        if role is not None:
            query = query.where(func.lower(role_assignments.c.role) == role.lower())
        with self._read() as connection:
            return [assignment_from(row) for row in connection.execute(query)]

    def delete_assignment(self, assignment_id: str) -> None:
        """Delete a role assignment."""
        with self._write() as connection:
            deleted = connection.execute(delete(role_assignments).where(role_assignments.c.id == assignment_id))
            if deleted.rowcount == 0:
                raise AssignmentNotFound(f"no role assignment with id {assignment_id}")


def _with_settings(policy: Policy, mode: PermissionsMode, anonymous_pull_enabled: bool) -> Policy:
    """The same compiled policy under other settings (assignments are compiled for both modes)."""
    if policy.mode == mode and policy.anonymous_pull_enabled == anonymous_pull_enabled:
        return policy
    return dataclasses.replace(policy, mode=mode, anonymous_pull_enabled=anonymous_pull_enabled)


def _compile(connection: Connection, mode: PermissionsMode, anonymous_pull_enabled: bool) -> Policy:
    return compile_policy(
        mode=mode,
        anonymous_pull_enabled=anonymous_pull_enabled,
        assignments=[assignment_from(row) for row in connection.execute(select(*ASSIGNMENT_COLUMNS))],
        custom_roles=[role_from(row) for row in connection.execute(select(*ROLE_COLUMNS))],
        scope_maps=[scope_map_from(row) for row in connection.execute(select(*SCOPE_MAP_COLUMNS))],
    )


def _same_assignment(
    connection: Connection, principal_id: str, role: str, repository: str | None, condition: str | None
) -> RoleAssignment | None:
    query = select(*ASSIGNMENT_COLUMNS).where(
        role_assignments.c.principal_id == principal_id,
        role_assignments.c.role == role,
        role_assignments.c.repository.is_(None) if repository is None else role_assignments.c.repository == repository,
        role_assignments.c.condition.is_(None) if condition is None else role_assignments.c.condition == condition,
    )
    row = connection.execute(query).first()
    return None if row is None else assignment_from(row)


def _role_values(role: RoleDefinition, now: float) -> dict[str, Any]:
    return {
        "key": role.name.lower(),
        "name": role.name,
        "description": role.description,
        "actions": _json_list(role.actions),
        "data_actions": _json_list(role.data_actions),
        "conditions_allowed": role.conditions_allowed,
        "created_at": now,
    }


def _json_list(values: frozenset[str]) -> str:
    return json.dumps(sorted(values))
