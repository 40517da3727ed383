"""Every role assignment of an identity and of its groups, as it bears on one action on one repository:
its role, scope, the principal it came through, whether the mode honours it, its condition's trace.

Context for the operator, not the verdict (that is `decide()`'s): each assignment is looked at with
the same helpers the grant index is built with (`data_actions_for`, `ignored_because`, the condition
evaluator), and the one `decide()` named is marked. Pure: the group names come in as a mapping.
"""

from __future__ import annotations

from collections.abc import Mapping

from dockyard.access.conditions import explain as trace_condition
from dockyard.access.conditions import prefix_warnings
from dockyard.access.decision import Decision, Resource, Subject
from dockyard.access.grants import ACTION_RESOURCES, CompiledAssignment, ignored_because
from dockyard.access.model import ScopeMap
from dockyard.access.policy import Policy
from dockyard.access.roles import PermissionsMode, data_actions_for
from dockyard.doctor.explain_model import AssignmentView, ScopeMapView
from dockyard.doctor.explain_texts import of_because

_OTHER_MODE = {PermissionsMode.RBAC: PermissionsMode.RBAC_ABAC, PermissionsMode.RBAC_ABAC: PermissionsMode.RBAC}
_SCOPE_MAP_ACTIONS = {"pull": "content/read", "push": "content/write", "delete": "content/delete", "*": "metadata/read"}


def assignments(
    subject: Subject,
    action: str,
    resource: Resource,
    policy: Policy,
    decision: Decision,
    names: Mapping[str, str],
) -> tuple[AssignmentView, ...]:
    """The assignments made to the subject, then those made to each of its groups (by name), each with
    its outcome for `action` on `resource`. `names` maps principal ids to display names."""
    named = {reason.ref for reason in decision.reasons if reason.ref}
    ids = [subject.id, *sorted(subject.groups, key=lambda gid: (names.get(gid, gid), gid))]
    return tuple(
        _view(compiled, subject, action, resource, policy.mode, named, names)
        for principal_id in ids
        for compiled in policy.assignments.get(principal_id, ())
    )


def _view(
    compiled: CompiledAssignment,
    subject: Subject,
    action: str,
    resource: Resource,
    mode: PermissionsMode,
    named: set[str],
    names: Mapping[str, str],
) -> AssignmentView:
    assignment = compiled.assignment
    resource_type = ACTION_RESOURCES[action]
    needed = data_actions_for(action, resource_type, mode)
    granted = compiled.honoured[mode] & needed
    outcome, text, result, trace = _outcome(compiled, action, resource, mode, granted, needed)
    condition = assignment.condition
    return AssignmentView(
        id=assignment.id,
        role=compiled.role.name if compiled.role else assignment.role,
        scope=assignment.scope,
        principal_id=assignment.principal_id,
        principal_name=names.get(assignment.principal_id, subject.name),
        through_group=assignment.principal_id != subject.id,
        honoured=bool(granted),
        outcome=outcome,
        text=text,
        condition=condition,
        condition_result=result,
        trace=trace,
        warnings=tuple(prefix_warnings(compiled.condition)) if compiled.condition is not None else (),
        named_by_decision=assignment.id in named,
    )


def _outcome(
    compiled: CompiledAssignment,
    action: str,
    resource: Resource,
    mode: PermissionsMode,
    granted: frozenset[str],
    needed: frozenset[str],
) -> tuple[str, str, bool | None, tuple[str, ...]]:
    """(outcome, in words, the condition's result, its trace)."""
    repository = compiled.assignment.repository
    if compiled.role is None:
        return "role_not_found", f"its role {compiled.assignment.role!r} no longer exists: it grants nothing", None, ()
    if resource.type == "registry" and repository is not None:
        return "other_scope", "scoped to one repository: it never covers the catalog", None, ()
    if repository is not None and repository != resource.name:
        return "other_repository", f"scoped to repository {repository!r}, not {resource.name!r}", None, ()
    if not granted:
        ignored = ignored_because(compiled, mode, data_actions_for(action, resource.type, _OTHER_MODE[mode]))
        if ignored is not None:
            return "ignored_in_mode", of_because(ignored).text, None, ()
        wanted = ", ".join(sorted(a.rsplit("/registries/", 1)[-1] for a in needed))
        return "lacks_action", f"its role does not hold {wanted}, which {mode.value} mode needs for this", None, ()
    if compiled.condition_invalid:
        return "condition_invalid", "its condition does not parse, so it grants nothing", None, ()
    if compiled.condition is None:
        return "grants", "grants this action (no condition)", None, ()
    (data_action,) = granted
    trace = trace_condition(compiled.condition, action=data_action, repository=resource.name)
    if trace.result:
        return "grants", "grants this action: its condition is true here", True, tuple(trace.lines())
    return "condition_false", "its condition is false for this action and repository", False, tuple(trace.lines())


def scope_map_view(name: str, action: str, resource: Resource, scope_maps: Mapping[str, ScopeMap]) -> ScopeMapView:
    """A token's scope map, each line marked when it allows `action` on `resource` (the catalog needs
    metadata/read on `*`)."""
    scope_map = scope_maps.get(name)
    if scope_map is None:
        return ScopeMapView(name, exists=False)
    wanted = _SCOPE_MAP_ACTIONS.get(action)
    entries = []
    for entry in scope_map.entries:
        covers = entry.repositories == "*" if resource.type == "registry" else entry.covers(resource.name)
        entries.append((str(entry), entry.action.value == wanted and covers))
    return ScopeMapView(name, exists=True, entries=tuple(entries))
