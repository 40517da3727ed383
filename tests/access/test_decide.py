"""`decide()` as tables that read like the rules they check (DESIGN.md §1 cause 7, §2.3, §5 "Roles").

Each row is one sentence: in this permissions mode, a principal holding this role over this scope, under
this condition, asks to do this to that repository, and is allowed or denied for this first reason. The
test ids spell the sentence out, e.g.
`rbac-abac: AcrPush on the registry; push team-a/app -> legacy_role_ignored_in_abac_mode`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from dockyard.access.decide import decide
from dockyard.access.decision import ANONYMOUS, Because, Decision, Reason, Resource, Subject, SubjectKind
from dockyard.access.model import ChangeableAttributes, RoleAssignment, ScopeMap, ScopeMapAction, ScopeMapEntry
from dockyard.access.policy import Policy, compile_policy
from dockyard.access.roles import PermissionsMode

RBAC, ABAC = PermissionsMode.RBAC, PermissionsMode.RBAC_ABAC
NOW = 1_800_000_000.0

ACR_PULL, ACR_PUSH, ACR_DELETE = "AcrPull", "AcrPush", "AcrDelete"
OWNER, CONTRIBUTOR, READER = "Owner", "Contributor", "Reader"
REPO_READER = "Container Registry Repository Reader"
REPO_WRITER = "Container Registry Repository Writer"
REPO_CONTRIBUTOR = "Container Registry Repository Contributor"
CATALOG_LISTER = "Container Registry Repository Catalog Lister"
SHORT_NAMES = {
    REPO_READER: "Repository Reader",
    REPO_WRITER: "Repository Writer",
    REPO_CONTRIBUTOR: "Repository Contributor",
    CATALOG_LISTER: "Catalog Lister",
}

IN = "team-a/app"  # under team-a/
OUT = "team-b/app"  # another team's
LOOKALIKE = "team-a-infra/app"  # starts with 'team-a' but is not under 'team-a/'
CATALOG = "the catalog"  # with action "*": the registry's catalog, not a repository

REGISTRY = None  # an assignment's scope: the whole registry (or a repository's name)
NONE = None  # no condition

_DATA = "Microsoft.ContainerRegistry/registries/repositories/"
_NAME = "@Request[Microsoft.ContainerRegistry/registries/repositories:name]"


def only_under(prefix: str, verbs: tuple[str, ...] = ("content/read", "content/write", "content/delete")) -> str:
    """A condition as people write them (DESIGN.md §5): if the action is one of these, the repository
    name must start with `prefix`."""
    not_named = " AND ".join(f"!(ActionMatches{{'{_DATA}{verb}'}})" for verb in verbs)
    return f"(\n ( {not_named} )\n OR\n ( {_NAME} StringStartsWith '{prefix}' )\n)"


UNDER_TEAM_A = only_under("team-a/")
BARE_TEAM_A = only_under("team-a")  # the classic mistake: no trailing slash
READS_UNDER_TEAM_A = only_under("team-a/", ("content/read", "metadata/read"))  # the example of DESIGN.md §5
CONDITION_LABELS = {UNDER_TEAM_A: " if under 'team-a/'", BARE_TEAM_A: " if under bare 'team-a'"}

ALICE = Subject(SubjectKind.USER, "alice-oid", "alice@contoso.example")
BOB = Subject(SubjectKind.USER, "bob-oid", "bob@contoso.example")
ADMIN = Subject(SubjectKind.ADMIN_USER, "admin", "contosoregistry")

Expected = tuple[bool, Reason]  # allowed or not, and the first reason


def denied(code: Reason) -> Expected:
    return (False, code)


# The outcomes, by their first reason code (the test ids spell the codes out in full).
ALLOWED: Expected = (True, Reason.GRANTED_BY_ASSIGNMENT)
NO_MATCH = denied(Reason.NO_MATCHING_ASSIGNMENT)
IGNORED_IN_RBAC = denied(Reason.REPOSITORY_ROLE_IGNORED_IN_RBAC_MODE)
LEGACY_IGNORED = denied(Reason.LEGACY_ROLE_IGNORED_IN_ABAC_MODE)
CONTROL_PLANE_ONLY = denied(Reason.CONTROL_PLANE_ONLY_IN_ABAC_MODE)
NEEDS_LISTER = denied(Reason.CATALOG_NEEDS_CATALOG_LISTER)
CONDITION_FALSE = denied(Reason.CONDITION_FALSE)


def assign(
    role: str, *, to: str = ALICE.id, repository: str | None = None, condition: str | None = None, id: str = "a1"
) -> RoleAssignment:
    return RoleAssignment(id=id, principal_id=to, role=role, repository=repository, condition=condition)


def ask(
    subject: Subject,
    action: str,
    repository: str,
    policy: Policy,
    *,
    now: float = NOW,
    locks: ChangeableAttributes | None = None,
) -> Decision:
    resource = Resource("registry", "catalog") if repository == CATALOG else Resource("repository", repository)
    return decide(subject, action, resource, policy, now, locks)


def verdict(decision: Decision) -> Expected:
    """Allowed or not, and the first reason."""
    return decision.allowed, decision.codes[0]


def _request(action: str, repository: str) -> str:
    return "list the catalog" if repository == CATALOG else f"{action} {repository}"


EVERY_REQUEST = [
    pytest.param(action, repository, id=_request(action, repository))
    for action, repository in [("pull", IN), ("push", IN), ("delete", IN), ("*", CATALOG)]
]


def _outcome(expected: Expected) -> str:
    allowed, code = expected
    return "allowed" if allowed else code.value


# Roles by mode, scope and condition (DESIGN.md §5 "Roles").
# The roles are assigned to alice directly; groups, tokens and the other callers have tables of their own below.
ROLE_MATRIX: list[tuple[PermissionsMode, str, str | None, str | None, str, str, Expected]] = [
    # mode role              scope     condition     action    repository expected
    # -- rbac: AcrPull, AcrPush, AcrDelete and Owner/Contributor/Reader carry the data-plane rights --
    (RBAC, ACR_PULL,         REGISTRY, NONE,         "pull",   IN,        ALLOWED),
    (RBAC, ACR_PULL,         REGISTRY, NONE,         "push",   IN,        NO_MATCH),
    (RBAC, ACR_PULL,         REGISTRY, NONE,         "delete", IN,        NO_MATCH),
    (RBAC, ACR_PULL,         REGISTRY, NONE,         "*",      CATALOG,   ALLOWED),
    (RBAC, ACR_PUSH,         REGISTRY, NONE,         "pull",   IN,        ALLOWED),
    (RBAC, ACR_PUSH,         REGISTRY, NONE,         "push",   IN,        ALLOWED),
    (RBAC, ACR_PUSH,         REGISTRY, NONE,         "delete", IN,        NO_MATCH),
    (RBAC, ACR_PUSH,         REGISTRY, NONE,         "*",      CATALOG,   ALLOWED),
    (RBAC, ACR_DELETE,       REGISTRY, NONE,         "delete", IN,        ALLOWED),
    (RBAC, ACR_DELETE,       REGISTRY, NONE,         "pull",   IN,        NO_MATCH),
    (RBAC, ACR_DELETE,       REGISTRY, NONE,         "push",   IN,        NO_MATCH),
    (RBAC, ACR_DELETE,       REGISTRY, NONE,         "*",      CATALOG,   NO_MATCH),
    (RBAC, OWNER,            REGISTRY, NONE,         "pull",   IN,        ALLOWED),
    (RBAC, OWNER,            REGISTRY, NONE,         "push",   IN,        ALLOWED),
    (RBAC, OWNER,            REGISTRY, NONE,         "delete", IN,        ALLOWED),
    (RBAC, OWNER,            REGISTRY, NONE,         "*",      CATALOG,   ALLOWED),
    (RBAC, CONTRIBUTOR,      REGISTRY, NONE,         "pull",   IN,        ALLOWED),
    (RBAC, CONTRIBUTOR,      REGISTRY, NONE,         "push",   IN,        ALLOWED),
    (RBAC, CONTRIBUTOR,      REGISTRY, NONE,         "delete", IN,        ALLOWED),
    (RBAC, READER,           REGISTRY, NONE,         "pull",   IN,        ALLOWED),
    (RBAC, READER,           REGISTRY, NONE,         "push",   IN,        NO_MATCH),
    (RBAC, READER,           REGISTRY, NONE,         "*",      CATALOG,   ALLOWED),
    # -- rbac: the Repository roles are ignored, conditions or not --
    (RBAC, REPO_READER,      REGISTRY, NONE,         "pull",   IN,        IGNORED_IN_RBAC),
    (RBAC, REPO_WRITER,      REGISTRY, NONE,         "push",   IN,        IGNORED_IN_RBAC),
    (RBAC, REPO_WRITER,      REGISTRY, UNDER_TEAM_A, "push",   IN,        IGNORED_IN_RBAC),
    (RBAC, REPO_CONTRIBUTOR, REGISTRY, NONE,         "delete", IN,        IGNORED_IN_RBAC),
    (RBAC, REPO_READER,      REGISTRY, NONE,         "*",      CATALOG,   NO_MATCH),
    (RBAC, CATALOG_LISTER,   REGISTRY, NONE,         "*",      CATALOG,   IGNORED_IN_RBAC),
    # -- rbac-abac: AcrPull/AcrPush/AcrDelete are ignored (the seed's cause 7) --
    (ABAC, ACR_PULL,         REGISTRY, NONE,         "pull",   IN,        LEGACY_IGNORED),
    (ABAC, ACR_PUSH,         REGISTRY, NONE,         "pull",   IN,        LEGACY_IGNORED),
    (ABAC, ACR_PUSH,         REGISTRY, NONE,         "push",   IN,        LEGACY_IGNORED),
    (ABAC, ACR_DELETE,       REGISTRY, NONE,         "delete", IN,        LEGACY_IGNORED),
    (ABAC, ACR_PULL,         REGISTRY, NONE,         "*",      CATALOG,   NEEDS_LISTER),
    # -- rbac-abac: Owner/Contributor/Reader are control plane only --
    (ABAC, OWNER,            REGISTRY, NONE,         "pull",   IN,        CONTROL_PLANE_ONLY),
    (ABAC, OWNER,            REGISTRY, NONE,         "push",   IN,        CONTROL_PLANE_ONLY),
    (ABAC, OWNER,            REGISTRY, NONE,         "delete", IN,        CONTROL_PLANE_ONLY),
    (ABAC, CONTRIBUTOR,      REGISTRY, NONE,         "push",   IN,        CONTROL_PLANE_ONLY),
    (ABAC, READER,           REGISTRY, NONE,         "pull",   IN,        CONTROL_PLANE_ONLY),
    (ABAC, OWNER,            REGISTRY, NONE,         "*",      CATALOG,   NEEDS_LISTER),
    # -- rbac-abac: the Repository roles are honoured; the catalog needs Catalog Lister --
    (ABAC, REPO_READER,      REGISTRY, NONE,         "pull",   IN,        ALLOWED),
    (ABAC, REPO_READER,      REGISTRY, NONE,         "push",   IN,        NO_MATCH),
    (ABAC, REPO_READER,      REGISTRY, NONE,         "delete", IN,        NO_MATCH),
    (ABAC, REPO_READER,      REGISTRY, NONE,         "*",      CATALOG,   NEEDS_LISTER),
    (ABAC, REPO_WRITER,      REGISTRY, NONE,         "pull",   IN,        ALLOWED),
    (ABAC, REPO_WRITER,      REGISTRY, NONE,         "push",   IN,        ALLOWED),
    (ABAC, REPO_WRITER,      REGISTRY, NONE,         "delete", IN,        NO_MATCH),
    (ABAC, REPO_CONTRIBUTOR, REGISTRY, NONE,         "pull",   IN,        ALLOWED),
    (ABAC, REPO_CONTRIBUTOR, REGISTRY, NONE,         "push",   IN,        ALLOWED),
    (ABAC, REPO_CONTRIBUTOR, REGISTRY, NONE,         "delete", IN,        ALLOWED),
    (ABAC, CATALOG_LISTER,   REGISTRY, NONE,         "*",      CATALOG,   ALLOWED),
    (ABAC, CATALOG_LISTER,   REGISTRY, NONE,         "pull",   IN,        NO_MATCH),
    # -- rbac-abac: a condition narrows the Repository roles to the repositories it names --
    (ABAC, REPO_READER,      REGISTRY, UNDER_TEAM_A, "pull",   IN,        ALLOWED),
    (ABAC, REPO_READER,      REGISTRY, UNDER_TEAM_A, "pull",   OUT,       CONDITION_FALSE),
    (ABAC, REPO_READER,      REGISTRY, UNDER_TEAM_A, "pull",   LOOKALIKE, CONDITION_FALSE),
    (ABAC, REPO_READER,      REGISTRY, UNDER_TEAM_A, "*",      CATALOG,   NEEDS_LISTER),
    (ABAC, REPO_WRITER,      REGISTRY, UNDER_TEAM_A, "push",   IN,        ALLOWED),
    (ABAC, REPO_WRITER,      REGISTRY, UNDER_TEAM_A, "push",   OUT,       CONDITION_FALSE),
    (ABAC, REPO_CONTRIBUTOR, REGISTRY, UNDER_TEAM_A, "delete", IN,        ALLOWED),
    (ABAC, REPO_CONTRIBUTOR, REGISTRY, UNDER_TEAM_A, "delete", OUT,       CONDITION_FALSE),
    # -- rbac-abac: a prefix without its trailing '/' also lets in team-a-infra/... (DESIGN.md §5) --
    (ABAC, REPO_READER,      REGISTRY, BARE_TEAM_A,  "pull",   IN,        ALLOWED),
    (ABAC, REPO_READER,      REGISTRY, BARE_TEAM_A,  "pull",   LOOKALIKE, ALLOWED),
    (ABAC, REPO_READER,      REGISTRY, BARE_TEAM_A,  "pull",   OUT,       CONDITION_FALSE),
    (ABAC, REPO_WRITER,      REGISTRY, BARE_TEAM_A,  "push",   LOOKALIKE, ALLOWED),
    # -- an assignment scoped to one repository covers that repository only, never the catalog --
    (RBAC, ACR_PUSH,         IN,       NONE,         "pull",   IN,        ALLOWED),
    (RBAC, ACR_PUSH,         IN,       NONE,         "push",   IN,        ALLOWED),
    (RBAC, ACR_PUSH,         IN,       NONE,         "push",   OUT,       NO_MATCH),
    (RBAC, ACR_PUSH,         IN,       NONE,         "*",      CATALOG,   NO_MATCH),
    (RBAC, ACR_PULL,         IN,       NONE,         "pull",   IN + "/cache", NO_MATCH),
    (RBAC, OWNER,            IN,       NONE,         "delete", IN,        ALLOWED),
    (RBAC, OWNER,            IN,       NONE,         "delete", OUT,       NO_MATCH),
    (RBAC, REPO_READER,      IN,       NONE,         "pull",   IN,        IGNORED_IN_RBAC),
    (ABAC, REPO_WRITER,      IN,       NONE,         "push",   IN,        ALLOWED),
    (ABAC, REPO_WRITER,      IN,       NONE,         "push",   OUT,       NO_MATCH),
    (ABAC, REPO_WRITER,      IN,       NONE,         "*",      CATALOG,   NEEDS_LISTER),
    (ABAC, REPO_CONTRIBUTOR, IN,       UNDER_TEAM_A, "delete", IN,        ALLOWED),
    (ABAC, ACR_PUSH,         IN,       NONE,         "push",   IN,        LEGACY_IGNORED),
]  # fmt: skip


def _role_row_id(
    mode: PermissionsMode,
    role: str,
    scope: str | None,
    condition: str | None,
    action: str,
    repository: str,
    expected: Expected,
) -> str:
    held = f"{SHORT_NAMES.get(role, role)} on {scope or 'the registry'}{CONDITION_LABELS.get(condition or '', '')}"
    return f"{mode}: {held}; {_request(action, repository)} -> {_outcome(expected)}"


@pytest.mark.parametrize(
    ("mode", "role", "scope", "condition", "action", "repository", "expected"),
    [pytest.param(*row, id=_role_row_id(*row)) for row in ROLE_MATRIX],
)
def test_what_a_role_assignment_lets_its_principal_do(
    mode: PermissionsMode,
    role: str,
    scope: str | None,
    condition: str | None,
    action: str,
    repository: str,
    expected: Expected,
) -> None:
    policy = compile_policy(mode=mode, assignments=[assign(role, repository=scope, condition=condition)])
    assert verdict(ask(ALICE, action, repository, policy)) == expected


def test_a_condition_narrows_only_the_actions_it_names() -> None:
    # DESIGN.md §5's example names the reads only: a Writer under it may still push anywhere.
    policy = compile_policy(mode=ABAC, assignments=[assign(REPO_WRITER, condition=READS_UNDER_TEAM_A)])
    assert verdict(ask(ALICE, "pull", OUT, policy)) == denied(Reason.CONDITION_FALSE)
    assert verdict(ask(ALICE, "push", OUT, policy)) == ALLOWED


# Groups: Subject.groups holds every group the principal is in, transitively.

PLATFORM, ENGINEERING, SALES = "platform", "engineering", "sales"  # platform is a group inside engineering
ALICE_IN_GROUPS = Subject(SubjectKind.USER, ALICE.id, ALICE.name, groups=frozenset({PLATFORM, ENGINEERING}))
GROUP_LABELS = {
    PLATFORM: "her group platform",
    ENGINEERING: "engineering (platform's parent group)",
    SALES: "sales (she is not in it)",
}


@pytest.mark.parametrize(
    ("mode", "role", "group", "condition", "action", "repository", "expected"),
    [
        pytest.param(
            *row,
            id=f"{row[0]}: {SHORT_NAMES.get(row[1], row[1])} to {GROUP_LABELS[row[2]]}"
            f"{CONDITION_LABELS.get(row[3] or '', '')}; {_request(row[4], row[5])} -> {_outcome(row[6])}",
        )
        for row in [
            # mode role         group        condition     action  repository expected
            (RBAC, ACR_PUSH,    PLATFORM,    NONE,         "push", IN,        ALLOWED),
            (RBAC, ACR_PULL,    ENGINEERING, NONE,         "pull", IN,        ALLOWED),
            (RBAC, ACR_PUSH,    SALES,       NONE,         "push", IN,        NO_MATCH),
            (ABAC, REPO_WRITER, PLATFORM,    UNDER_TEAM_A, "push", IN,        ALLOWED),
            (ABAC, REPO_WRITER, PLATFORM,    UNDER_TEAM_A, "push", OUT,       CONDITION_FALSE),
            (ABAC, REPO_READER, ENGINEERING, NONE,         "pull", OUT,       ALLOWED),
            (ABAC, ACR_PUSH,    PLATFORM,    NONE,         "push", IN,        LEGACY_IGNORED),
        ]
    ],
)  # fmt: skip
def test_a_role_assigned_to_a_group_is_held_by_its_members(
    mode: PermissionsMode,
    role: str,
    group: str,
    condition: str | None,
    action: str,
    repository: str,
    expected: Expected,
) -> None:
    policy = compile_policy(mode=mode, assignments=[assign(role, to=group, condition=condition)])
    assert verdict(ask(ALICE_IN_GROUPS, action, repository, policy)) == expected


def test_a_group_grant_names_the_group_s_assignment() -> None:
    policy = compile_policy(assignments=[assign(ACR_PUSH, to=PLATFORM, id="platform-pushes")])
    assert ask(ALICE_IN_GROUPS, "push", IN, policy).reasons == (
        Because(Reason.GRANTED_BY_ASSIGNMENT, "platform-pushes"),
    )


def test_a_group_s_role_is_not_held_by_those_outside_it() -> None:
    policy = compile_policy(assignments=[assign(ACR_PUSH, to=PLATFORM)])
    assert verdict(ask(BOB, "push", IN, policy)) == NO_MATCH


# Directory principals of every kind, enabled or not.


@pytest.mark.parametrize("kind", [SubjectKind.USER, SubjectKind.SERVICE_PRINCIPAL, SubjectKind.MANAGED_IDENTITY])
def test_every_kind_of_directory_principal_holds_its_assignments(kind: SubjectKind) -> None:
    principal = Subject(kind, "object-id", "ci")
    policy = compile_policy(assignments=[assign(ACR_PUSH, to="object-id")])
    assert verdict(ask(principal, "push", IN, policy)) == ALLOWED


@pytest.mark.parametrize("kind", [SubjectKind.USER, SubjectKind.SERVICE_PRINCIPAL, SubjectKind.MANAGED_IDENTITY])
@pytest.mark.parametrize(("action", "repository"), EVERY_REQUEST)
def test_a_disabled_principal_may_do_nothing_whatever_it_holds(kind: SubjectKind, action: str, repository: str) -> None:
    disabled = Subject(kind, "object-id", "gone", enabled=False, groups=frozenset({PLATFORM}))
    policy = compile_policy(assignments=[assign(OWNER, to="object-id"), assign(OWNER, to=PLATFORM, id="a2")])
    assert verdict(ask(disabled, action, repository, policy)) == denied(Reason.PRINCIPAL_DISABLED)


def test_anonymous_pull_does_not_extend_to_a_signed_in_principal_without_a_role() -> None:
    # The seed's cause 3: stale saved credentials defeat anonymous pull.
    policy = compile_policy(anonymous_pull_enabled=True)
    assert verdict(ask(ALICE, "pull", IN, policy)) == denied(Reason.NO_MATCHING_ASSIGNMENT)


# Anonymous callers and the admin user.


@pytest.mark.parametrize("mode", [RBAC, ABAC])
@pytest.mark.parametrize(
    ("anonymous_pull", "action", "repository", "expected"),
    [
        pytest.param(True, "pull", IN, (True, Reason.ANONYMOUS_PULL_ENABLED), id="on: pull -> allowed"),
        pytest.param(
            False, "pull", IN, denied(Reason.ANONYMOUS_PULL_DISABLED), id="off: pull -> anonymous_pull_disabled"
        ),
        pytest.param(True, "push", IN, denied(Reason.ANONYMOUS_CANNOT_WRITE), id="on: push -> anonymous_cannot_write"),
        pytest.param(
            True, "delete", IN, denied(Reason.ANONYMOUS_CANNOT_WRITE), id="on: delete -> anonymous_cannot_write"
        ),
        pytest.param(
            True,
            "*",
            CATALOG,
            denied(Reason.ANONYMOUS_CANNOT_WRITE),
            id="on: list the catalog -> anonymous_cannot_write",
        ),
    ],
)
def test_what_an_anonymous_caller_may_do(
    mode: PermissionsMode, anonymous_pull: bool, action: str, repository: str, expected: Expected
) -> None:
    policy = compile_policy(mode=mode, anonymous_pull_enabled=anonymous_pull)
    assert verdict(ask(ANONYMOUS, action, repository, policy)) == expected


@pytest.mark.parametrize("mode", [RBAC, ABAC])
@pytest.mark.parametrize(("action", "repository"), EVERY_REQUEST)
def test_the_admin_user_may_do_everything_in_either_mode(mode: PermissionsMode, action: str, repository: str) -> None:
    assert verdict(ask(ADMIN, action, repository, compile_policy(mode=mode))) == (True, Reason.ADMIN_USER)


# Repository-scoped tokens and their scope maps.

TEAM_A_CI = ScopeMap(
    "team-a-ci",
    (
        ScopeMapEntry("team-a/*", ScopeMapAction.CONTENT_READ),
        ScopeMapEntry("team-a/*", ScopeMapAction.CONTENT_WRITE),
        ScopeMapEntry("team-a/*", ScopeMapAction.METADATA_READ),
    ),
)
BY_SCOPE_MAP: Expected = (True, Reason.GRANTED_BY_SCOPE_MAP)
NOT_IN_SCOPE_MAP = denied(Reason.NOT_IN_SCOPE_MAP)


def token(scope_map: str | None, *, enabled: bool = True, password_expiry: float | None = None) -> Subject:
    return Subject(
        SubjectKind.REPOSITORY_TOKEN,
        "ci-token",
        "ci-token",
        enabled=enabled,
        scope_map=scope_map,
        password_expiry=password_expiry,
    )


@pytest.mark.parametrize(
    ("scope_map", "action", "repository", "expected"),
    [
        pytest.param(*row, id=f"{row[0]}: {_request(row[1], row[2])} -> {_outcome(row[3])}")
        for row in [
            ("_repositories_pull",  "pull",   IN,        BY_SCOPE_MAP),
            ("_repositories_pull",  "pull",   OUT,       BY_SCOPE_MAP),
            ("_repositories_pull",  "push",   IN,        NOT_IN_SCOPE_MAP),
            ("_repositories_pull",  "delete", IN,        NOT_IN_SCOPE_MAP),
            ("_repositories_pull",  "*",      CATALOG,   NOT_IN_SCOPE_MAP),
            ("_repositories_push",  "pull",   IN,        BY_SCOPE_MAP),
            ("_repositories_push",  "push",   OUT,       BY_SCOPE_MAP),
            ("_repositories_push",  "delete", IN,        NOT_IN_SCOPE_MAP),
            ("_repositories_admin", "pull",   IN,        BY_SCOPE_MAP),
            ("_repositories_admin", "push",   IN,        BY_SCOPE_MAP),
            ("_repositories_admin", "delete", OUT,       BY_SCOPE_MAP),
            ("_repositories_admin", "*",      CATALOG,   BY_SCOPE_MAP),
            ("team-a-ci",           "pull",   IN,        BY_SCOPE_MAP),
            ("team-a-ci",           "push",   IN,        BY_SCOPE_MAP),
            ("team-a-ci",           "push",   "team-a/deep/app", BY_SCOPE_MAP),
            ("team-a-ci",           "delete", IN,        NOT_IN_SCOPE_MAP),
            ("team-a-ci",           "pull",   OUT,       NOT_IN_SCOPE_MAP),
            ("team-a-ci",           "pull",   LOOKALIKE, NOT_IN_SCOPE_MAP),
            ("team-a-ci",           "*",      CATALOG,   NOT_IN_SCOPE_MAP),
        ]
    ],
)  # fmt: skip
def test_what_a_repository_scoped_token_may_do(
    scope_map: str, action: str, repository: str, expected: Expected
) -> None:
    policy = compile_policy(scope_maps=[TEAM_A_CI])
    assert verdict(ask(token(scope_map), action, repository, policy)) == expected


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        pytest.param(token("_repositories_admin", enabled=False), denied(Reason.TOKEN_DISABLED), id="disabled"),
        pytest.param(
            token("_repositories_admin", password_expiry=NOW), denied(Reason.TOKEN_PASSWORD_EXPIRED), id="expires now"
        ),
        pytest.param(
            token("_repositories_admin", password_expiry=NOW - 1),
            denied(Reason.TOKEN_PASSWORD_EXPIRED),
            id="expired a second ago",
        ),
        pytest.param(token("_repositories_admin", password_expiry=NOW + 1), BY_SCOPE_MAP, id="expires in a second"),
        pytest.param(token("_repositories_admin", password_expiry=None), BY_SCOPE_MAP, id="password never expires"),
        pytest.param(
            token("_repositories_admin", enabled=False, password_expiry=NOW - 1),
            denied(Reason.TOKEN_DISABLED),
            id="disabled and expired -> token_disabled first",
        ),
        pytest.param(token("deleted-scope-map"), denied(Reason.SCOPE_MAP_MISSING), id="its scope map was deleted"),
        pytest.param(token(None), denied(Reason.SCOPE_MAP_MISSING), id="bound to no scope map"),
    ],
)
def test_a_token_s_state_decides_before_its_scope_map(subject: Subject, expected: Expected) -> None:
    assert verdict(ask(subject, "pull", IN, compile_policy())) == expected


def test_a_token_s_refusal_names_the_token_or_the_scope_map() -> None:
    policy = compile_policy()
    assert ask(token("x", enabled=False), "pull", IN, policy).reasons == (Because(Reason.TOKEN_DISABLED, "ci-token"),)
    assert ask(token("x"), "pull", IN, policy).reasons == (Because(Reason.SCOPE_MAP_MISSING, "x"),)
    assert ask(token("_repositories_pull"), "push", IN, policy).reasons == (
        Because(Reason.NOT_IN_SCOPE_MAP, "_repositories_pull"),
    )


# Locks (ACR's changeable attributes) hold whatever the grant.

LOCKS = {
    "read locked": ChangeableAttributes(read_enabled=False),
    "write locked": ChangeableAttributes(write_enabled=False),
    "delete locked": ChangeableAttributes(delete_enabled=False),
    "all locked": ChangeableAttributes(
        read_enabled=False, write_enabled=False, delete_enabled=False, list_enabled=False
    ),
}
LOCK_CALLERS = {
    "the admin user": ADMIN,
    "alice (AcrPush)": ALICE,
    "bob (AcrPull)": BOB,
    "an admin token": token("_repositories_admin"),
    "an anonymous caller": ANONYMOUS,
}
BY_ADMIN: Expected = (True, Reason.ADMIN_USER)
READ_DISABLED = denied(Reason.REPOSITORY_READ_DISABLED)
WRITE_DISABLED = denied(Reason.REPOSITORY_WRITE_DISABLED)
DELETE_DISABLED = denied(Reason.REPOSITORY_DELETE_DISABLED)


@pytest.mark.parametrize(
    ("caller", "action", "repository", "lock", "expected"),
    [
        pytest.param(*row, id=f"{row[0]}: {_request(row[1], row[2])}, {row[3]} -> {_outcome(row[4])}")
        for row in [
            # caller                action    repository lock             expected
            ("the admin user",      "push",   IN,        "write locked",  WRITE_DISABLED),
            ("the admin user",      "delete", IN,        "delete locked", DELETE_DISABLED),
            ("the admin user",      "pull",   IN,        "read locked",   READ_DISABLED),
            ("the admin user",      "pull",   IN,        "write locked",  BY_ADMIN),
            ("the admin user",      "*",      CATALOG,   "all locked",    BY_ADMIN),
            ("alice (AcrPush)",     "push",   IN,        "write locked",  WRITE_DISABLED),
            ("alice (AcrPush)",     "pull",   IN,        "write locked",  ALLOWED),
            ("bob (AcrPull)",       "push",   IN,        "write locked",  NO_MATCH),
            ("an admin token",      "push",   IN,        "write locked",  WRITE_DISABLED),
            ("an admin token",      "delete", IN,        "delete locked", DELETE_DISABLED),
            ("an anonymous caller", "pull",   IN,        "read locked",   READ_DISABLED),
        ]
    ],
)  # fmt: skip
def test_a_lock_holds_whatever_the_grant(
    caller: str, action: str, repository: str, lock: str, expected: Expected
) -> None:
    policy = compile_policy(
        anonymous_pull_enabled=True,
        assignments=[assign(ACR_PUSH, to=ALICE.id), assign(ACR_PULL, to=BOB.id, id="a2")],
    )
    assert verdict(ask(LOCK_CALLERS[caller], action, repository, policy, locks=LOCKS[lock])) == expected


def test_a_lock_refusal_is_the_only_reason_given() -> None:
    assert ask(ADMIN, "push", IN, compile_policy(), locks=LOCKS["write locked"]).codes == (
        Reason.REPOSITORY_WRITE_DISABLED,
    )


# A stored condition that does not parse grants nothing (fail closed).

UNPARSEABLE = "(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/read'}"


def test_an_unparseable_condition_grants_nothing() -> None:
    policy = compile_policy(mode=ABAC, assignments=[assign(REPO_READER, condition=UNPARSEABLE)])
    assert ask(ALICE, "pull", IN, policy).reasons == (Because(Reason.CONDITION_INVALID, "a1"),)


def test_an_unparseable_condition_does_not_spoil_another_assignment() -> None:
    policy = compile_policy(
        mode=ABAC, assignments=[assign(REPO_READER, condition=UNPARSEABLE), assign(REPO_READER, id="a2")]
    )
    assert ask(ALICE, "pull", IN, policy).reasons == (Because(Reason.GRANTED_BY_ASSIGNMENT, "a2"),)


def test_an_unparseable_condition_on_a_role_ignored_in_the_mode_is_reported_as_ignored() -> None:
    policy = compile_policy(mode=RBAC, assignments=[assign(REPO_READER, condition=UNPARSEABLE)])
    assert verdict(ask(ALICE, "pull", IN, policy)) == denied(Reason.REPOSITORY_ROLE_IGNORED_IN_RBAC_MODE)


# Reasons: what `explain` and the login log show.


def test_an_allowing_decision_names_the_assignment_that_granted_it() -> None:
    policy = compile_policy(assignments=[assign(ACR_PULL, id="pullers")])
    assert ask(ALICE, "pull", IN, policy) == Decision.allow(Reason.GRANTED_BY_ASSIGNMENT, "pullers")


def test_a_denial_lists_every_assignment_that_came_close_in_order() -> None:
    policy = compile_policy(
        mode=ABAC,
        assignments=[assign(ACR_PULL, id="legacy"), assign(REPO_READER, condition=UNDER_TEAM_A, id="team-a-readers")],
    )
    assert ask(ALICE, "pull", OUT, policy).reasons == (
        Because(Reason.LEGACY_ROLE_IGNORED_IN_ABAC_MODE, "legacy"),
        Because(Reason.CONDITION_FALSE, "team-a-readers"),
    )


def test_a_catalog_denial_in_rbac_abac_says_first_that_it_needs_catalog_lister() -> None:
    policy = compile_policy(mode=ABAC, assignments=[assign(ACR_PULL, id="legacy")])
    assert ask(ALICE, "*", CATALOG, policy).reasons == (
        Because(Reason.CATALOG_NEEDS_CATALOG_LISTER),
        Because(Reason.LEGACY_ROLE_IGNORED_IN_ABAC_MODE, "legacy"),
    )


# Another process (the token service's, or `dockyard explain`'s) must give the same reasons: here alice's
# groups each hold an assignment that decides, and Python iterates a frozenset in an order that changes
# with PYTHONHASHSEED from one process to the next.
_SAME_REASONS_ELSEWHERE = """
from tests.access.test_decide import *
alice = Subject(SubjectKind.USER, ALICE.id, ALICE.name, groups=frozenset({PLATFORM, ENGINEERING, SALES}))
two_grants = compile_policy(mode=ABAC, assignments=[
    assign(REPO_WRITER, to=PLATFORM, id="platform-writers"), assign(REPO_WRITER, to=SALES, id="sales-writers")
])
two_refusals = compile_policy(mode=ABAC, assignments=[
    assign(ACR_PULL, to=PLATFORM, id="legacy"),
    assign(REPO_READER, to=ENGINEERING, condition=UNDER_TEAM_A, id="readers"),
])
print(ask(alice, "push", OUT, two_grants), ask(alice, "pull", OUT, two_refusals), sep="; ")
"""


def test_another_process_gives_the_same_reasons() -> None:
    root = Path(__file__).resolve().parents[2]
    outputs = {
        subprocess.run(
            [sys.executable, "-c", _SAME_REASONS_ELSEWHERE],
            env={**os.environ, "PYTHONHASHSEED": str(seed)},
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in range(4)
    }
    assert len(outputs) == 1, outputs


@pytest.mark.parametrize("subject", [ALICE, ADMIN, ANONYMOUS, token("_repositories_admin")], ids=lambda s: s.kind)
def test_an_action_docker_does_not_have_is_refused(subject: Subject) -> None:
    assert verdict(ask(subject, "metadata_write", IN, compile_policy())) == denied(Reason.UNKNOWN_ACTION)


@pytest.mark.parametrize("subject", [ADMIN, token("_repositories_admin")], ids=lambda s: s.kind.value)
def test_star_on_a_repository_is_refused_as_an_unknown_action(subject: Subject) -> None:
    assert verdict(ask(subject, "*", IN, compile_policy(), locks=LOCKS["all locked"])) == denied(Reason.UNKNOWN_ACTION)


@pytest.mark.parametrize("subject", [ALICE, ANONYMOUS], ids=lambda s: s.kind.value)
def test_star_on_a_repository_grants_a_principal_or_anonymous_caller_nothing(subject: Subject) -> None:
    policy = compile_policy(anonymous_pull_enabled=True, assignments=[assign(OWNER)])
    assert not ask(subject, "*", IN, policy).allowed


@pytest.mark.parametrize("code", list(Reason), ids=str)
def test_every_reason_code_has_a_text_for_people(code: Reason) -> None:
    text = Because(code, "ref-1").text
    assert text and "{" not in text and "}" not in text
    assert Because(code).text


def test_a_reason_text_names_what_it_refers_to() -> None:
    assert "team-a-readers" in Because(Reason.CONDITION_FALSE, "team-a-readers").text
    assert "ci-token" in Because(Reason.TOKEN_PASSWORD_EXPIRED, "ci-token").text
