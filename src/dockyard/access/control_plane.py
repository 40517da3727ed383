"""Control-plane decisions: may this caller perform this management action now, and why (or why not)?

The management API's counterpart of `decide()`, over the same compiled `Policy`: the same role
assignments, the same custom roles, the same `Decision` with reasons, so `explain` and the API can
never disagree. Pure: no I/O, no clock.

Actions are named as Azure Resource Manager names them (`Microsoft.ContainerRegistry/registries/write`,
`Microsoft.Authorization/roleAssignments/write`, …) and matched against a role's `actions` as Azure
matches them: case-insensitively, `*` standing for any run of characters, and an action excluded by
one of the role's NotActions (written `!pattern` here) is not granted by that role.

- Control-plane rights come only from assignments over the whole registry: one scoped to a repository
  carries data actions only. Conditions speak of repositories, so they narrow no control-plane action.
- The permissions mode does not matter: Owner, Contributor and Reader keep their control-plane rights
  in both modes (`rbac-abac` only takes away their data-plane rights).
- Only directory principals (users, service principals, managed identities, through their groups)
  hold roles; the admin user, repository-scoped tokens and anonymous callers manage nothing.
- The local operator (`SubjectKind.OPERATOR`, built only in-process) may do everything.
"""

from __future__ import annotations

from enum import Enum, StrEnum

from dockyard.access.conditions import action_matches
from dockyard.access.decision import Because, Decision, Reason, Subject, SubjectKind
from dockyard.access.policy import CompiledAssignment, Policy
from dockyard.access.roles import DIRECTORY_PREFIX, PREFIX, RoleDefinition

_AUTHORIZATION = "Microsoft.Authorization/"
_IDENTITIES = "Microsoft.ManagedIdentity/userAssignedIdentities/"
_LOGS = "Microsoft.OperationalInsights/workspaces/query/"


class ControlAction(StrEnum):
    """Every control-plane action the management API checks, as Azure names it (or would)."""

    REGISTRY_READ = PREFIX + "read"
    REGISTRY_WRITE = PREFIX + "write"
    LIST_CREDENTIALS = PREFIX + "listCredentials/action"
    REGENERATE_CREDENTIAL = PREFIX + "regenerateCredential/action"
    SCOPE_MAPS_READ = PREFIX + "scopeMaps/read"
    SCOPE_MAPS_WRITE = PREFIX + "scopeMaps/write"
    SCOPE_MAPS_DELETE = PREFIX + "scopeMaps/delete"
    TOKENS_READ = PREFIX + "tokens/read"
    TOKENS_WRITE = PREFIX + "tokens/write"
    TOKENS_DELETE = PREFIX + "tokens/delete"
    GENERATE_CREDENTIALS = PREFIX + "generateCredentials/action"  # a token's passwords
    # ACR manages repositories on the data plane; the management API offers them as control-plane
    # resources of the registry, named in the same provider.
    REPOSITORIES_READ = PREFIX + "repositories/read"
    REPOSITORIES_WRITE = PREFIX + "repositories/write"
    REPOSITORIES_DELETE = PREFIX + "repositories/delete"
    ROLE_DEFINITIONS_READ = _AUTHORIZATION + "roleDefinitions/read"
    ROLE_DEFINITIONS_WRITE = _AUTHORIZATION + "roleDefinitions/write"
    ROLE_DEFINITIONS_DELETE = _AUTHORIZATION + "roleDefinitions/delete"
    ROLE_ASSIGNMENTS_READ = _AUTHORIZATION + "roleAssignments/read"
    ROLE_ASSIGNMENTS_WRITE = _AUTHORIZATION + "roleAssignments/write"
    ROLE_ASSIGNMENTS_DELETE = _AUTHORIZATION + "roleAssignments/delete"
    USERS_READ = DIRECTORY_PREFIX + "users/read"
    USERS_WRITE = DIRECTORY_PREFIX + "users/write"
    USERS_DELETE = DIRECTORY_PREFIX + "users/delete"
    GROUPS_READ = DIRECTORY_PREFIX + "groups/read"
    GROUPS_WRITE = DIRECTORY_PREFIX + "groups/write"
    GROUPS_DELETE = DIRECTORY_PREFIX + "groups/delete"
    GROUP_MEMBERS_WRITE = DIRECTORY_PREFIX + "groups/members/write"
    SERVICE_PRINCIPALS_READ = DIRECTORY_PREFIX + "servicePrincipals/read"
    SERVICE_PRINCIPALS_WRITE = DIRECTORY_PREFIX + "servicePrincipals/write"
    SERVICE_PRINCIPALS_DELETE = DIRECTORY_PREFIX + "servicePrincipals/delete"
    SERVICE_PRINCIPAL_CREDENTIALS_WRITE = DIRECTORY_PREFIX + "servicePrincipals/credentials/write"
    IDENTITIES_READ = _IDENTITIES.removesuffix("/") + "/read"
    IDENTITIES_WRITE = _IDENTITIES.removesuffix("/") + "/write"
    IDENTITIES_DELETE = _IDENTITIES.removesuffix("/") + "/delete"
    IDENTITY_FEDERATED_CREDENTIALS_READ = _IDENTITIES + "federatedIdentityCredentials/read"
    IDENTITY_FEDERATED_CREDENTIALS_WRITE = _IDENTITIES + "federatedIdentityCredentials/write"
    IDENTITY_FEDERATED_CREDENTIALS_DELETE = _IDENTITIES + "federatedIdentityCredentials/delete"
    # The log tables' own read actions, as Log Analytics names them.
    LOGIN_EVENTS_READ = _LOGS + "ContainerRegistryLoginEvents/read"
    REPOSITORY_EVENTS_READ = _LOGS + "ContainerRegistryRepositoryEvents/read"


class RoleVerdict(Enum):
    """What one role says of one action."""

    GRANTS = "grants"
    EXCLUDES = "excludes"  # an action pattern covers it, but a NotAction takes it out
    SILENT = "silent"


_DIRECTORY_KINDS = frozenset({SubjectKind.USER, SubjectKind.SERVICE_PRINCIPAL, SubjectKind.MANAGED_IDENTITY})


def role_verdict(role: RoleDefinition, action: str) -> RoleVerdict:
    """Whether `role`'s actions grant `action`, exclude it, or do not mention it."""
    granted = excluded = False
    for pattern in role.actions:
        if pattern.startswith("!"):
            excluded = excluded or action_matches(pattern[1:], action)
        else:
            granted = granted or action_matches(pattern, action)
    if not granted:
        return RoleVerdict.SILENT
    return RoleVerdict.EXCLUDES if excluded else RoleVerdict.GRANTS


def _oldest_first(compiled: CompiledAssignment) -> tuple[float, str]:
    return compiled.assignment.created_at, compiled.id


def decide_control(subject: Subject, action: str, policy: Policy) -> Decision:
    """The decision, with its reasons, for one control-plane action on the registry.

    Where several of the caller's assignments grant, the smallest principal id (then the oldest
    assignment) names the grant, so every process names the same one.
    """
    if subject.kind is SubjectKind.OPERATOR:
        return Decision.allow(Reason.LOCAL_OPERATOR)
    if subject.kind not in _DIRECTORY_KINDS:
        return Decision.deny(Reason.NOT_A_DIRECTORY_PRINCIPAL)
    if not subject.enabled:
        return Decision.deny(Reason.PRINCIPAL_DISABLED)
    reasons: list[Because] = []
    for principal_id in sorted(subject.principal_ids & policy.assignments.keys()):
        for compiled in sorted(policy.assignments[principal_id], key=_oldest_first):
            if compiled.role is None:
                reasons.append(Because(Reason.ROLE_NOT_FOUND, compiled.id))
                continue
            verdict = role_verdict(compiled.role, action)
            if verdict is RoleVerdict.EXCLUDES:
                reasons.append(Because(Reason.ACTION_EXCLUDED_BY_ROLE, compiled.id))
            elif verdict is RoleVerdict.GRANTS and compiled.assignment.repository is not None:
                reasons.append(Because(Reason.REPOSITORY_SCOPED_ASSIGNMENT, compiled.id))
            elif verdict is RoleVerdict.GRANTS:
                return Decision.allow(Reason.GRANTED_BY_ASSIGNMENT, compiled.id)
    return Decision(False, tuple(reasons)) if reasons else Decision.deny(Reason.NO_CONTROL_PLANE_ASSIGNMENT)
