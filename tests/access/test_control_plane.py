"""`decide_control()`: which control-plane role may perform which management action, and why not.

The table reads as sentences: a principal holding this role over the registry asks for this action and
is allowed, or denied for this first reason.
"""

from __future__ import annotations

import pytest

from dockyard.access.control_plane import ControlAction, RoleVerdict, decide_control, role_verdict
from dockyard.access.decision import ANONYMOUS, Reason, Subject, SubjectKind
from dockyard.access.model import RoleAssignment
from dockyard.access.policy import compile_policy
from dockyard.access.roles import PermissionsMode, RoleDefinition, built_in_role

A = ControlAction
ALICE = Subject(SubjectKind.USER, "alice-oid", "alice")
CRCDACA = "Container Registry Contributor and Data Access Configuration Administrator"
RBAC_ADMIN = "Role Based Access Control Administrator"

# role -> actions it must be allowed, and actions it must be refused
TABLE: dict[str, tuple[set[ControlAction], set[ControlAction]]] = {
    "Owner": (set(ControlAction), set()),
    "Contributor": (
        {A.REGISTRY_WRITE, A.TOKENS_WRITE, A.REGENERATE_CREDENTIAL, A.IDENTITIES_WRITE, A.REPOSITORIES_DELETE},
        {A.ROLE_ASSIGNMENTS_WRITE, A.ROLE_ASSIGNMENTS_DELETE, A.ROLE_DEFINITIONS_WRITE, A.USERS_WRITE,
         A.SERVICE_PRINCIPAL_CREDENTIALS_WRITE, A.GROUP_MEMBERS_WRITE},
    ),
    "Reader": (
        {a for a in ControlAction if a.endswith("/read")},
        {a for a in ControlAction if not a.endswith("/read")},
    ),
    CRCDACA: (
        {A.REGISTRY_READ, A.REGISTRY_WRITE, A.LIST_CREDENTIALS, A.REGENERATE_CREDENTIAL, A.SCOPE_MAPS_WRITE,
         A.SCOPE_MAPS_DELETE, A.TOKENS_WRITE, A.TOKENS_DELETE, A.GENERATE_CREDENTIALS, A.ROLE_ASSIGNMENTS_READ},
        {A.ROLE_ASSIGNMENTS_WRITE, A.USERS_READ, A.USERS_WRITE, A.REPOSITORIES_DELETE, A.LOGIN_EVENTS_READ},
    ),
    RBAC_ADMIN: (
        {A.ROLE_ASSIGNMENTS_WRITE, A.ROLE_ASSIGNMENTS_DELETE, A.ROLE_ASSIGNMENTS_READ, A.REGISTRY_READ},
        {A.REGISTRY_WRITE, A.ROLE_DEFINITIONS_WRITE, A.TOKENS_WRITE, A.LIST_CREDENTIALS},
    ),
}  # fmt: skip
CASES = [
    (role, action, allowed)
    for role, (allowed_actions, refused_actions) in TABLE.items()
    for allowed, actions in ((True, allowed_actions), (False, refused_actions))
    for action in sorted(actions)
]


def holding(role: str, repository: str | None = None, to: str = ALICE.id) -> RoleAssignment:
    return RoleAssignment(f"{role}-assignment", to, role, repository)


@pytest.mark.parametrize(
    ("role", "action", "allowed"),
    CASES,
    ids=[f"{role}: {action} -> {'allowed' if ok else 'denied'}" for role, action, ok in CASES],
)
def test_a_control_plane_role_allows_exactly_its_actions(role: str, action: ControlAction, allowed: bool) -> None:
    decision = decide_control(ALICE, action, compile_policy(assignments=[holding(role)]))
    assert decision.allowed is allowed
    if allowed:
        assert decision.reasons[0].ref == f"{role}-assignment"


@pytest.mark.parametrize("mode", list(PermissionsMode))
def test_owner_keeps_control_plane_rights_in_either_permissions_mode(mode: PermissionsMode) -> None:
    policy = compile_policy(mode=mode, assignments=[holding("Owner")])
    assert decide_control(ALICE, A.ROLE_ASSIGNMENTS_WRITE, policy).allowed


def test_data_plane_roles_grant_no_control_plane_action() -> None:
    policy = compile_policy(assignments=[holding("AcrPush"), holding("Container Registry Repository Contributor")])
    decision = decide_control(ALICE, A.REGISTRY_READ, policy)
    assert (decision.allowed, decision.codes) == (False, (Reason.NO_CONTROL_PLANE_ASSIGNMENT,))


def test_contributor_is_denied_role_assignments_because_its_role_excludes_them() -> None:
    decision = decide_control(ALICE, A.ROLE_ASSIGNMENTS_WRITE, compile_policy(assignments=[holding("Contributor")]))
    assert decision.codes == (Reason.ACTION_EXCLUDED_BY_ROLE,)
    assert decision.reasons[0].ref == "Contributor-assignment"


def test_a_repository_scoped_owner_manages_nothing() -> None:
    policy = compile_policy(assignments=[holding("Owner", repository="team-a/app")])
    assert decide_control(ALICE, A.REGISTRY_READ, policy).codes == (Reason.REPOSITORY_SCOPED_ASSIGNMENT,)


def test_a_role_held_by_a_group_counts_for_its_members() -> None:
    member = Subject(SubjectKind.SERVICE_PRINCIPAL, "ci-oid", "ci", groups=frozenset({"platform-oid"}))
    policy = compile_policy(assignments=[holding(CRCDACA, to="platform-oid")])
    assert decide_control(member, A.TOKENS_WRITE, policy).allowed


def test_a_disabled_principal_manages_nothing() -> None:
    disabled = Subject(SubjectKind.USER, ALICE.id, "alice", enabled=False)
    policy = compile_policy(assignments=[holding("Owner")])
    assert decide_control(disabled, A.REGISTRY_READ, policy).codes == (Reason.PRINCIPAL_DISABLED,)


@pytest.mark.parametrize(
    "subject",
    [ANONYMOUS, Subject(SubjectKind.ADMIN_USER, "admin", "dockyard"), Subject(SubjectKind.REPOSITORY_TOKEN, "t", "t")],
    ids=lambda s: s.kind.value,
)
def test_callers_outside_the_directory_manage_nothing(subject: Subject) -> None:
    policy = compile_policy(assignments=[holding("Owner", to=subject.id)])
    assert decide_control(subject, A.REGISTRY_READ, policy).codes == (Reason.NOT_A_DIRECTORY_PRINCIPAL,)


def test_the_local_operator_may_do_everything_without_any_assignment() -> None:
    operator = Subject(SubjectKind.OPERATOR, "operator", "operator")
    assert decide_control(operator, A.ROLE_ASSIGNMENTS_WRITE, compile_policy()).codes == (Reason.LOCAL_OPERATOR,)


def test_an_assignment_of_a_deleted_custom_role_grants_nothing_and_says_so() -> None:
    policy = compile_policy(assignments=[holding("Gone Role")])
    assert decide_control(ALICE, A.REGISTRY_READ, policy).codes == (Reason.ROLE_NOT_FOUND,)


def test_a_custom_role_grants_its_patterns_in_any_case() -> None:
    custom = RoleDefinition("Token Keeper", "", actions=frozenset({"microsoft.containerregistry/registries/tokens/*"}))
    policy = compile_policy(assignments=[holding("Token Keeper")], custom_roles=[custom])
    assert decide_control(ALICE, A.TOKENS_DELETE, policy).allowed
    assert not decide_control(ALICE, A.SCOPE_MAPS_WRITE, policy).allowed


def test_the_oldest_granting_assignment_names_the_grant() -> None:
    newer = RoleAssignment("b-newer", ALICE.id, "Owner", created_at=2.0)
    older = RoleAssignment("z-older", ALICE.id, "Reader", created_at=1.0)
    decision = decide_control(ALICE, A.REGISTRY_READ, compile_policy(assignments=[newer, older]))
    assert decision.reasons[0].ref == "z-older"


def test_not_actions_take_precedence_over_a_wildcard() -> None:
    contributor = built_in_role("Contributor")
    assert contributor is not None
    assert role_verdict(contributor, "Microsoft.Authorization/roleAssignments/write") is RoleVerdict.EXCLUDES
    assert role_verdict(contributor, "Microsoft.ContainerRegistry/registries/write") is RoleVerdict.GRANTS
