"""The grant index: for one permissions mode, per Docker action and per principal, what that
principal's role assignments answer — prepared once, so a decision costs a few dictionary lookups.

Each assignment's condition is specialised for the one data action the Docker action needs:
`ActionMatches{…}` is decided there and then, so the common shape "if the action is a read, the
repository must start with 'team-a/'" becomes a bare prefix test, and most conditions collapse to
true, false or one comparison. Whatever does not collapse is kept as a residual tree and evaluated
per request. Decisions and reasons are built here too, so `decide()` allocates nothing on an allow.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from dockyard.access.condition_tree import ActionMatches, And, Comparison, Condition, Not, Or, StringOperator
from dockyard.access.conditions import ConditionSyntaxError, action_matches, parse_condition
from dockyard.access.decision import Because, Decision, Reason
from dockyard.access.model import RoleAssignment
from dockyard.access.roles import PermissionsMode, RoleDefinition, data_actions_for, honoured_data_actions

# Docker action -> the resource type it applies to.
ACTION_RESOURCES = {"pull": "repository", "push": "repository", "delete": "repository", "*": "registry"}
_OTHER_MODE = {PermissionsMode.RBAC: PermissionsMode.RBAC_ABAC, PermissionsMode.RBAC_ABAC: PermissionsMode.RBAC}


@dataclass(frozen=True)
class CompiledAssignment:
    """A role assignment ready to decide with: its role, its parsed condition, what it grants per mode."""

    assignment: RoleAssignment
    role: RoleDefinition | None  # None when the role no longer exists: grants nothing
    condition: Condition | None
    condition_invalid: bool  # a stored condition that does not parse grants nothing (fail closed)
    honoured: Mapping[PermissionsMode, frozenset[str]]

    @property
    def id(self) -> str:
        """The assignment's id."""
        return self.assignment.id


def compile_assignment(assignment: RoleAssignment, roles: Mapping[str, RoleDefinition]) -> CompiledAssignment:
    """One assignment compiled: role resolved (by name, any case), condition parsed, grants per mode."""
    role = roles.get(assignment.role.lower())
    condition = None
    invalid = False
    if assignment.condition:
        try:
            condition = parse_condition(assignment.condition)
        except ConditionSyntaxError:
            invalid = True
    honoured = {mode: honoured_data_actions(role, mode) if role else frozenset() for mode in PermissionsMode}
    return CompiledAssignment(assignment, role, condition, invalid, MappingProxyType(honoured))


@dataclass(frozen=True)
class Residual:
    """A condition that did not collapse: evaluated for each request."""

    repository: str | None  # the assignment's scope (None: the registry)
    condition: Condition
    data_action: str
    allow: Decision


@dataclass
class Bucket:
    """What one principal's assignments answer for one Docker action."""

    everywhere: Decision | None = None  # an unconditional, registry-wide grant
    repositories: dict[str, Decision] = field(default_factory=dict)  # grants for exactly one repository
    prefixes: list[tuple[str, Decision]] = field(default_factory=list)  # repository name starts with
    folded_prefixes: list[tuple[str, Decision]] = field(default_factory=list)  # the same, ignoring case
    residuals: list[Residual] = field(default_factory=list)
    denials: list[Because] = field(default_factory=list)  # why nothing here grants, on any repository
    scoped_denials: dict[str, list[Because]] = field(default_factory=dict)  # ... on one repository

    def note(self, repository: str | None, because: Because) -> None:
        """Record why an assignment grants nothing (on its repository, or anywhere)."""
        if repository is None:
            self.denials.append(because)
        else:
            self.scoped_denials.setdefault(repository, []).append(because)


@dataclass(frozen=True)
class PrefixTable:
    """Prefix grants of every principal, by prefix: a request looks up each prefix length the table
    holds, whatever the number of principals or assignments."""

    grants: dict[str, dict[str, Decision]]  # prefix -> principal -> grant
    lengths: tuple[int, ...]  # the distinct prefix lengths, shortest first

    @staticmethod
    def of(entries: Iterable[tuple[str, str, Decision]]) -> PrefixTable:
        """The table of (principal, prefix, grant) entries; the first grant of a principal for a prefix wins."""
        grants: dict[str, dict[str, Decision]] = {}
        for principal_id, prefix, allow in entries:
            grants.setdefault(prefix, {}).setdefault(principal_id, allow)
        return PrefixTable(grants, tuple(sorted({len(prefix) for prefix in grants})))

    def find(self, name: str, ids: frozenset[str]) -> Decision | None:
        """The grant of the shortest prefix of `name` held by one of `ids` (the smallest id), if any."""
        for length in self.lengths:
            if length > len(name):
                break
            holders = self.grants.get(name[:length])
            if holders is not None and (hit := holders.keys() & ids):
                return holders[min(hit)]
        return None


@dataclass(frozen=True)
class ActionGrants:
    """One Docker action's grants over every principal, laid out so that a decision intersects the
    caller's principal ids with each table's keys (in C) rather than walking its groups one by one."""

    everywhere: dict[str, Decision]  # principal -> an unconditional, registry-wide grant
    repositories: dict[str, dict[str, Decision]]  # repository -> principal -> grant
    prefixes: PrefixTable  # repository name starts with
    folded_prefixes: PrefixTable  # the same, ignoring case (prefixes casefolded)
    residuals: dict[str, tuple[Residual, ...]]  # principal -> conditions left to evaluate
    denials: dict[str, tuple[Because, ...]]  # principal -> why nothing grants, on any repository
    scoped_denials: dict[str, dict[str, tuple[Because, ...]]]  # repository -> principal -> ... on it

    @staticmethod
    def of(buckets: Mapping[str, Bucket]) -> ActionGrants:
        """Scatter per-principal buckets into the tables."""
        repositories: dict[str, dict[str, Decision]] = {}
        scoped: dict[str, dict[str, tuple[Because, ...]]] = {}
        for principal_id, bucket in buckets.items():
            for repository, allow in bucket.repositories.items():
                repositories.setdefault(repository, {})[principal_id] = allow
            for repository, reasons in bucket.scoped_denials.items():
                scoped.setdefault(repository, {})[principal_id] = tuple(reasons)
        items = buckets.items()
        return ActionGrants(
            everywhere={p: b.everywhere for p, b in items if b.everywhere is not None},
            repositories=repositories,
            prefixes=PrefixTable.of((p, prefix, allow) for p, b in items for prefix, allow in b.prefixes),
            folded_prefixes=PrefixTable.of((p, prefix, allow) for p, b in items for prefix, allow in b.folded_prefixes),
            residuals={p: tuple(b.residuals) for p, b in items if b.residuals},
            denials={p: tuple(b.denials) for p, b in items if b.denials},
            scoped_denials=scoped,
        )


GrantIndex = Mapping[str, ActionGrants]  # Docker action -> its grants


def build_index(mode: PermissionsMode, assignments: Mapping[str, Iterable[CompiledAssignment]]) -> GrantIndex:
    """The grant index of every principal's assignments, for `mode`."""
    index: dict[str, ActionGrants] = {}
    for action, resource_type in ACTION_RESOURCES.items():
        needed = data_actions_for(action, resource_type, mode)
        needed_elsewhere = data_actions_for(action, resource_type, _OTHER_MODE[mode])
        buckets: dict[str, Bucket] = {}
        for principal_id, compiled in assignments.items():
            bucket = Bucket()
            for assignment in compiled:
                if resource_type == "registry" and assignment.assignment.repository is not None:
                    continue  # a repository-scoped assignment never covers the catalog
                _add(bucket, assignment, mode, needed, needed_elsewhere)
            buckets[principal_id] = bucket
        index[action] = ActionGrants.of(buckets)
    return index


def _add(
    bucket: Bucket,
    compiled: CompiledAssignment,
    mode: PermissionsMode,
    needed: frozenset[str],
    needed_elsewhere: frozenset[str],
) -> None:
    repository = compiled.assignment.repository
    granted = compiled.honoured[mode] & needed
    if not granted:
        ignored = ignored_because(compiled, mode, needed_elsewhere)
        if ignored is not None:
            bucket.note(repository, ignored)
        return
    if compiled.condition_invalid:
        bucket.note(repository, Because(Reason.CONDITION_INVALID, compiled.id))
        return
    allow = Decision.allow(Reason.GRANTED_BY_ASSIGNMENT, compiled.id)
    (data_action,) = granted  # every Docker action needs exactly one data action in a mode
    condition = specialise(compiled.condition, data_action) if compiled.condition is not None else True
    if condition is True:
        _grant(bucket, repository, allow)
        return
    false = Because(Reason.CONDITION_FALSE, compiled.id)
    bucket.note(repository, false)  # kept for the denial: reached only when nothing granted
    if condition is False:
        return
    if repository is None and isinstance(condition, Comparison):
        if condition.operator is StringOperator.STRING_STARTS_WITH_IGNORE_CASE:
            bucket.folded_prefixes.append((condition.text.casefold(), allow))
            return
        if condition.operator is StringOperator.STRING_STARTS_WITH:
            bucket.prefixes.append((condition.text, allow))
            return
        if condition.operator is StringOperator.STRING_EQUALS:
            bucket.repositories.setdefault(condition.text, allow)
            return
    bucket.residuals.append(Residual(repository, condition, data_action, allow))


def _grant(bucket: Bucket, repository: str | None, allow: Decision) -> None:
    if repository is None:
        if bucket.everywhere is None:
            bucket.everywhere = allow
    else:
        bucket.repositories.setdefault(repository, allow)


def specialise(condition: Condition, data_action: str) -> Condition | bool:
    """The condition with every `ActionMatches` decided for `data_action`: True, False, or what is left."""
    if isinstance(condition, ActionMatches):
        return action_matches(condition.pattern, data_action)
    if isinstance(condition, Comparison):
        return condition
    if isinstance(condition, Not):
        inner = specialise(condition.operand, data_action)
        return (not inner) if isinstance(inner, bool) else Not(inner)
    operands = [specialise(operand, data_action) for operand in condition.operands]
    absorbing = isinstance(condition, Or)  # True absorbs an OR, False an AND
    if absorbing in operands:
        return absorbing
    rest = tuple(operand for operand in operands if not isinstance(operand, bool))
    if not rest:
        return not absorbing
    if len(rest) == 1:
        return rest[0]
    return Or(rest) if absorbing else And(rest)


def ignored_because(
    compiled: CompiledAssignment, mode: PermissionsMode, needed_elsewhere: frozenset[str]
) -> Because | None:
    """Why an assignment that would grant this action in the other mode grants nothing in this one."""
    role = compiled.role
    if role is None or not role.data_actions & needed_elsewhere:
        return None
    if mode is PermissionsMode.RBAC:
        return Because(Reason.REPOSITORY_ROLE_IGNORED_IN_RBAC_MODE, compiled.id)
    if role.data_actions_only_in_rbac:
        return Because(Reason.CONTROL_PLANE_ONLY_IN_ABAC_MODE, compiled.id)
    return Because(Reason.LEGACY_ROLE_IGNORED_IN_ABAC_MODE, compiled.id)
