"""`Policy`: everything `decide()` reads, compiled once and indexed by principal.

Role assignments are grouped by the principal (user, group, service principal, managed identity)
they are made to, and turned into a grant index per permissions mode (`grants.py`), so a decision
looks only at the caller's and its groups' entries, however many assignments the registry holds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from dockyard.access.grants import CompiledAssignment, GrantIndex, build_index, compile_assignment
from dockyard.access.model import BUILT_IN_SCOPE_MAPS, RoleAssignment, ScopeMap
from dockyard.access.roles import BUILT_IN_ROLES, PermissionsMode, RoleDefinition

__all__ = ["CompiledAssignment", "Policy", "compile_policy"]


@dataclass(frozen=True)
class Policy:
    """The registry's authorization state at one moment: permissions mode, anonymous pull,
    role assignments by principal and scope maps by name."""

    mode: PermissionsMode = PermissionsMode.RBAC
    anonymous_pull_enabled: bool = False
    assignments: Mapping[str, tuple[CompiledAssignment, ...]] = field(default_factory=dict)
    scope_maps: Mapping[str, ScopeMap] = field(default_factory=dict)
    # Grant indexes by mode, built on first use; shared by the copies `dataclasses.replace` makes
    # when only the settings change, so switching modes back and forth builds each index once.
    _indexes: dict[PermissionsMode, GrantIndex] = field(default_factory=dict, repr=False, compare=False)

    @property
    def grants(self) -> GrantIndex:
        """The grant index for this policy's mode."""
        index = self._indexes.get(self.mode)
        if index is None:
            index = self._indexes[self.mode] = build_index(self.mode, self.assignments)
        return index


def compile_policy(
    *,
    mode: PermissionsMode = PermissionsMode.RBAC,
    anonymous_pull_enabled: bool = False,
    assignments: Iterable[RoleAssignment] = (),
    custom_roles: Iterable[RoleDefinition] = (),
    scope_maps: Iterable[ScopeMap] = (),
) -> Policy:
    """Compile the stored policy into the indexed form `decide()` reads (built-in roles and scope
    maps are always there). The grant index of `mode` is built here, so no request pays for it."""
    roles = {role.name.lower(): role for role in (*BUILT_IN_ROLES, *custom_roles)}
    by_principal: dict[str, list[CompiledAssignment]] = {}
    for assignment in assignments:
        by_principal.setdefault(assignment.principal_id, []).append(compile_assignment(assignment, roles))
    policy = Policy(
        mode=mode,
        anonymous_pull_enabled=anonymous_pull_enabled,
        assignments=MappingProxyType({key: tuple(value) for key, value in by_principal.items()}),
        scope_maps=MappingProxyType({scope_map.name: scope_map for scope_map in (*BUILT_IN_SCOPE_MAPS, *scope_maps)}),
    )
    policy.grants  # noqa: B018 - build the index now, not on the first request
    return policy
