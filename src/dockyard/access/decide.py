"""`decide()`: may this subject perform this action on this resource now, and why (or why not)?

Pure: no I/O; the clock, the policy and the repository's locks come in as arguments. The token
service grants what this allows, the data plane enforces the token, and `explain` prints the
reasons, so enforcement and explanation can never disagree.

- The admin user may do everything; anonymous callers may pull, and only when anonymous pull is on.
- A repository-scoped token may do what its scope map lists, while it is enabled and its password valid.
- A directory principal may do what a role assignment made to it, or to one of its groups
  (transitively), grants. Which roles count depends on the permissions mode: in `rbac` the Acr* roles
  and Owner/Contributor/Reader; in `rbac-abac` only the Repository roles, narrowed by their
  conditions, and the catalog needs Catalog Lister.
- A lock (`writeEnabled=false`, ...) denies whatever the grant.
"""

from __future__ import annotations

from dockyard.access.conditions import evaluate
from dockyard.access.decision import Action, Because, Decision, Reason, Resource, Subject, SubjectKind
from dockyard.access.grants import ACTION_RESOURCES, ActionGrants
from dockyard.access.model import ChangeableAttributes, ScopeMapAction
from dockyard.access.policy import Policy
from dockyard.access.roles import PermissionsMode

_CATALOG_NEEDS_LISTER = Because(Reason.CATALOG_NEEDS_CATALOG_LISTER)
_NO_MATCHING_ASSIGNMENT = Decision.deny(Reason.NO_MATCHING_ASSIGNMENT)
_SCOPE_MAP_ACTIONS = {
    "pull": ScopeMapAction.CONTENT_READ,
    "push": ScopeMapAction.CONTENT_WRITE,
    "delete": ScopeMapAction.CONTENT_DELETE,
}
_LOCK_REASONS = {
    "pull": (Reason.REPOSITORY_READ_DISABLED, "read_enabled"),
    "push": (Reason.REPOSITORY_WRITE_DISABLED, "write_enabled"),
    "delete": (Reason.REPOSITORY_DELETE_DISABLED, "delete_enabled"),
}


def decide(
    subject: Subject,
    action: str,
    resource: Resource,
    policy: Policy,
    now: float,
    locks: ChangeableAttributes | None = None,
) -> Decision:
    """The decision, with its reasons, for one Docker action (`pull`, `push`, `delete` on a repository,
    or `*` on the catalog) on one resource."""
    if ACTION_RESOURCES.get(action) != resource.type:
        return Decision.deny(Reason.UNKNOWN_ACTION)
    if subject.kind is SubjectKind.ANONYMOUS:
        decision = _decide_anonymous(action, resource, policy)
    elif subject.kind is SubjectKind.ADMIN_USER:
        decision = Decision.allow(Reason.ADMIN_USER)
    elif subject.kind is SubjectKind.REPOSITORY_TOKEN:
        decision = _decide_token(subject, action, resource, policy, now)
    elif not subject.enabled:
        return Decision.deny(Reason.PRINCIPAL_DISABLED)
    else:
        decision = _decide_principal(subject, action, resource, policy)
    if decision.allowed and locks is not None and resource.type == "repository" and action in _LOCK_REASONS:
        reason, flag = _LOCK_REASONS[action]
        if not getattr(locks, flag):
            return Decision.deny(reason)
    return decision


def _decide_anonymous(action: str, resource: Resource, policy: Policy) -> Decision:
    if action != Action.PULL or resource.type != "repository":
        return Decision.deny(Reason.ANONYMOUS_CANNOT_WRITE)
    if policy.anonymous_pull_enabled:
        return Decision.allow(Reason.ANONYMOUS_PULL_ENABLED)
    return Decision.deny(Reason.ANONYMOUS_PULL_DISABLED)


def _decide_token(subject: Subject, action: str, resource: Resource, policy: Policy, now: float) -> Decision:
    if not subject.enabled:
        return Decision.deny(Because(Reason.TOKEN_DISABLED, subject.name))
    if subject.password_expiry is not None and now >= subject.password_expiry:
        return Decision.deny(Because(Reason.TOKEN_PASSWORD_EXPIRED, subject.name))
    name = subject.scope_map or ""
    scope_map = policy.scope_maps.get(name)
    if scope_map is None:
        return Decision.deny(Because(Reason.SCOPE_MAP_MISSING, name))
    if resource.type == "repository":
        wanted, repository = _SCOPE_MAP_ACTIONS[action], resource.name
    else:  # the catalog: metadata/read on every repository
        wanted, repository = ScopeMapAction.METADATA_READ, "*"
    for entry in scope_map.entries:
        if entry.action is wanted and (entry.covers(repository) if repository != "*" else entry.repositories == "*"):
            return Decision.allow(Reason.GRANTED_BY_SCOPE_MAP, name)
    return Decision.deny(Because(Reason.NOT_IN_SCOPE_MAP, name))


def _decide_principal(subject: Subject, action: str, resource: Resource, policy: Policy) -> Decision:
    grants = policy.grants[action]
    ids = subject.principal_ids
    name = resource.name
    # Where several of the caller's assignments grant, the smallest principal id names the grant, so
    # every process names the same one.
    hit = grants.everywhere.keys() & ids
    if hit:
        return grants.everywhere[min(hit)]
    exact = grants.repositories.get(name)
    if exact is not None and (hit := exact.keys() & ids):
        return exact[min(hit)]
    allow = grants.prefixes.find(name, ids) or grants.folded_prefixes.find(name.casefold(), ids)
    if allow is not None:
        return allow
    for principal_id in sorted(grants.residuals.keys() & ids):
        for residual in grants.residuals[principal_id]:
            if (residual.repository is None or residual.repository == name) and evaluate(
                residual.condition, action=residual.data_action, repository=name
            ):
                return residual.allow
    return _denial(grants, ids, resource, policy.mode)


def _denial(grants: ActionGrants, ids: frozenset[str], resource: Resource, mode: PermissionsMode) -> Decision:
    """Every reason the caller's assignments give for not granting, gathered only on a denial."""
    reasons: list[Because] = []
    if resource.type == "registry" and mode is PermissionsMode.RBAC_ABAC:
        reasons.append(_CATALOG_NEEDS_LISTER)
    for principal_id in sorted(grants.denials.keys() & ids):
        reasons.extend(grants.denials[principal_id])
    scoped = grants.scoped_denials.get(resource.name)
    if scoped is not None:
        for principal_id in sorted(scoped.keys() & ids):
            reasons.extend(scoped[principal_id])
    return Decision(False, tuple(reasons)) if reasons else _NO_MATCHING_ASSIGNMENT
