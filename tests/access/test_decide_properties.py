"""Properties of `decide()` that hold for every policy, checked on policies hypothesis makes up.

- A directory principal is never allowed what none of its roles (honoured in the mode) grants.
- Negating a stored condition (`!(...)` around its text) flips the decision it gives.
- Adding an assignment never turns an allow into a deny.

That `parse_condition(render(c)) == c`, and that `Not(c)` flips `evaluate`, is already a property in
test_conditions.py; it is not repeated here.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from dockyard.access.conditions import (
    ActionMatches,
    And,
    Comparison,
    Condition,
    Not,
    Or,
    StringOperator,
    evaluate,
    parse_condition,
    render,
)
from dockyard.access.decision import Reason, Subject, SubjectKind
from dockyard.access.model import ChangeableAttributes, RoleAssignment
from dockyard.access.policy import compile_policy
from dockyard.access.roles import PermissionsMode, data_actions_for
from tests.access.test_decide import (
    ACR_DELETE,
    ACR_PULL,
    ACR_PUSH,
    BARE_TEAM_A,
    CATALOG,
    CATALOG_LISTER,
    CONTRIBUTOR,
    IN,
    LOOKALIKE,
    OUT,
    OWNER,
    READER,
    READS_UNDER_TEAM_A,
    REPO_CONTRIBUTOR,
    REPO_READER,
    REPO_WRITER,
    UNDER_TEAM_A,
    UNPARSEABLE,
    ask,
)

RBAC, ABAC = PermissionsMode.RBAC, PermissionsMode.RBAC_ABAC

# What each built-in role lets a directory principal do, per mode (DESIGN.md §5 "Roles"), written out
# here rather than derived from roles.py; "*" is listing the catalog. Roles not listed grant nothing.
GRANTS: dict[PermissionsMode, dict[str, frozenset[str]]] = {
    RBAC: {
        ACR_PULL: frozenset({"pull", "*"}),
        ACR_PUSH: frozenset({"pull", "push", "*"}),
        ACR_DELETE: frozenset({"delete"}),
        OWNER: frozenset({"pull", "push", "delete", "*"}),
        CONTRIBUTOR: frozenset({"pull", "push", "delete", "*"}),
        READER: frozenset({"pull", "*"}),
    },
    ABAC: {
        REPO_READER: frozenset({"pull"}),
        REPO_WRITER: frozenset({"pull", "push"}),
        REPO_CONTRIBUTOR: frozenset({"pull", "push", "delete"}),
        CATALOG_LISTER: frozenset({"*"}),
    },
}
CONDITIONAL_ROLES = (REPO_READER, REPO_WRITER, REPO_CONTRIBUTOR)  # the only roles that take a condition
OTHER_ROLES = (
    ACR_PULL,
    ACR_PUSH,
    ACR_DELETE,
    OWNER,
    CONTRIBUTOR,
    READER,
    CATALOG_LISTER,
    "AcrImageSigner",
    "Role Based Access Control Administrator",
    "Container Registry Contributor and Data Access Configuration Administrator",
    "A custom role since deleted",
)
ALICE, GROUPS = "alice-oid", ("platform", "engineering", "sales")
PRINCIPALS = (ALICE, *GROUPS, "bob-oid")
REPOSITORIES = (IN, OUT, LOOKALIKE)

# Conditions over the actions and names registries use, so that they are sometimes true and sometimes not.
_DATA = "Microsoft.ContainerRegistry/registries/repositories/"
_patterns = st.sampled_from(
    [_DATA + verb for verb in ("content/read", "content/write", "content/delete", "metadata/read", "*")]
    + ["Microsoft.ContainerRegistry/*/write"]
)
_values = st.sampled_from(["team-a/", "team-a", "team-a/app", "TEAM-A/", "team-*", "team-?/app", "team-b/"])
conditions: st.SearchStrategy[Condition] = st.recursive(
    st.one_of(st.builds(ActionMatches, _patterns), st.builds(Comparison, st.sampled_from(StringOperator), _values)),
    lambda inner: st.one_of(
        st.builds(Not, inner),
        st.builds(And, st.lists(inner, min_size=2, max_size=3).map(tuple)),
        st.builds(Or, st.lists(inner, min_size=2, max_size=3).map(tuple)),
    ),
    max_leaves=6,
)
condition_texts = st.one_of(
    st.sampled_from([UNDER_TEAM_A, BARE_TEAM_A, READS_UNDER_TEAM_A, UNPARSEABLE]), conditions.map(render)
)
_scopes = st.sampled_from((None, *REPOSITORIES))


@st.composite
def assignments(draw: st.DrawFn, id: str) -> RoleAssignment:
    """One role assignment; conditions only on the roles that take one, as saving an assignment enforces."""
    principal = draw(st.sampled_from(PRINCIPALS))
    if draw(st.booleans()):
        role, condition = draw(st.sampled_from(CONDITIONAL_ROLES)), draw(st.none() | condition_texts)
    else:
        role, condition = draw(st.sampled_from(OTHER_ROLES)), None
    return RoleAssignment(id, principal, role, repository=draw(_scopes), condition=condition)


@st.composite
def policies_of(draw: st.DrawFn, max_size: int = 8) -> list[RoleAssignment]:
    return [draw(assignments(f"a{i}")) for i in range(draw(st.integers(0, max_size)))]


modes = st.sampled_from(PermissionsMode)
subjects = st.builds(
    lambda groups: Subject(SubjectKind.USER, ALICE, "alice", groups=frozenset(groups)),
    st.sets(st.sampled_from(GROUPS)),
)
requests = st.sampled_from(
    [(action, repository) for action in ("pull", "push", "delete") for repository in REPOSITORIES] + [("*", CATALOG)]
)
locks = st.none() | st.builds(ChangeableAttributes, st.booleans(), st.booleans(), st.booleans(), st.booleans())


@given(modes, policies_of(), subjects, requests)
def test_a_directory_principal_is_never_allowed_what_none_of_its_roles_grants(
    mode: PermissionsMode, stored: list[RoleAssignment], subject: Subject, request: tuple[str, str]
) -> None:
    action, repository = request
    decision = ask(subject, action, repository, compile_policy(mode=mode, assignments=stored))
    if not decision.allowed:
        return
    # The assignment the decision names is the caller's own (or a group's it is in), covers the
    # repository, holds a role that grants the action in this mode, and its condition, if any, holds.
    (reason,) = decision.reasons
    assert reason.code is Reason.GRANTED_BY_ASSIGNMENT
    granting = next(a for a in stored if a.id == reason.ref)
    assert granting.principal_id in {subject.id, *subject.groups}
    assert granting.repository in (None, repository)
    assert action in GRANTS[mode].get(granting.role, frozenset())
    if granting.condition is not None:
        (data_action,) = data_actions_for(action, "registry" if repository == CATALOG else "repository", mode)
        assert evaluate(parse_condition(granting.condition), action=data_action, repository=repository)


@given(conditions, st.sampled_from(["pull", "push", "delete"]), st.sampled_from(REPOSITORIES), subjects)
def test_negating_a_stored_condition_flips_the_decision(
    condition: Condition, action: str, repository: str, subject: Subject
) -> None:
    def allowed(text: str) -> bool:
        stored = RoleAssignment("a1", ALICE, REPO_CONTRIBUTOR, condition=text)
        return ask(subject, action, repository, compile_policy(mode=ABAC, assignments=[stored])).allowed

    text = render(condition)
    assert allowed(f"!({text})") is not allowed(text)


@given(
    modes,
    st.booleans(),
    policies_of(),
    assignments("added"),
    st.integers(0, 8),
    subjects,
    requests,
    locks,
)
def test_adding_an_assignment_never_turns_an_allow_into_a_deny(
    mode: PermissionsMode,
    anonymous_pull: bool,
    stored: list[RoleAssignment],
    added: RoleAssignment,
    at: int,
    subject: Subject,
    request: tuple[str, str],
    lock: ChangeableAttributes | None,
) -> None:
    # The same locks before and after: a lock takes a right away, an assignment never does.
    action, repository = request
    before = compile_policy(mode=mode, anonymous_pull_enabled=anonymous_pull, assignments=stored)
    after = compile_policy(
        mode=mode, anonymous_pull_enabled=anonymous_pull, assignments=[*stored[:at], added, *stored[at:]]
    )
    if ask(subject, action, repository, before, locks=lock).allowed:
        assert ask(subject, action, repository, after, locks=lock).allowed
