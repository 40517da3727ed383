"""`policy()`: the compiled policy `decide()` reads, cached, and fresh within a second everywhere."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.access.decide import decide
from dockyard.access.decision import Reason, Resource, Subject, SubjectKind
from dockyard.access.model import BUILT_IN_SCOPE_MAPS
from dockyard.access.roles import DataAction, PermissionsMode, RoleDefinition
from dockyard.policy.errors import RoleNotFound
from dockyard.policy.store import PolicyStore
from tests.policy import CONDITION, FAST_HASHER, PRINCIPAL, READER, Clock, migrated_engine, new_store

RBAC, ABAC = PermissionsMode.RBAC, PermissionsMode.RBAC_ABAC
USER = Subject(SubjectKind.USER, PRINCIPAL, "bob")


def _granted(store: PolicyStore, principal_id: str = PRINCIPAL) -> list[str]:
    return [compiled.id for compiled in store.policy(RBAC, False).assignments.get(principal_id, ())]


def test_the_policy_carries_the_settings_it_was_asked_for(tmp_path: Path) -> None:
    store = new_store(tmp_path)

    policy = store.policy(ABAC, True)

    assert (policy.mode, policy.anonymous_pull_enabled) == (ABAC, True)
    assert (store.policy(RBAC, False).mode, store.policy(RBAC, False).anonymous_pull_enabled) == (RBAC, False)


def test_the_policy_holds_assignments_custom_roles_and_scope_maps(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.create_role(RoleDefinition("Puller", "", data_actions=frozenset({DataAction.PULL})))
    assignment = store.create_assignment(PRINCIPAL, "Puller")
    scope_map = store.create_scope_map("team-a-ci", ["repositories/team-a/*/content/read"])

    policy = store.policy(RBAC, False)

    (compiled,) = policy.assignments[PRINCIPAL]
    assert compiled.assignment == assignment
    assert compiled.role is not None and compiled.role.name == "Puller"
    assert policy.scope_maps == {
        **{built_in.name: built_in for built_in in BUILT_IN_SCOPE_MAPS},
        "team-a-ci": scope_map,
    }


def test_an_assignment_from_the_store_lets_decide_allow_a_pull(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    repository = Resource("repository", "team-a/api")
    assert not decide(USER, "pull", repository, store.policy(RBAC, False), now=0).allowed

    assignment = store.create_assignment(PRINCIPAL, "AcrPull", repository="team-a/api")

    decision = decide(USER, "pull", repository, store.policy(RBAC, False), now=0)
    assert decision.allowed and decision.reasons[0].ref == assignment.id
    assert not decide(USER, "push", repository, store.policy(RBAC, False), now=0).allowed


def test_a_stored_condition_narrows_what_decide_allows(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.create_assignment(PRINCIPAL, READER, condition=CONDITION)
    policy = store.policy(ABAC, False)

    assert decide(USER, "pull", Resource("repository", "team-a/api"), policy, now=0).allowed
    denied = decide(USER, "pull", Resource("repository", "team-b/api"), policy, now=0)
    assert denied.codes == (Reason.CONDITION_FALSE,)


def test_a_token_bound_to_a_custom_scope_map_is_decided_by_it(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.create_scope_map("team-a-ci", ["repositories/team-a/*/content/read"])
    token, _ = store.create_token("ci-token", "team-a-ci")
    subject = Subject(SubjectKind.REPOSITORY_TOKEN, token.name, token.name, scope_map=token.scope_map)
    policy = store.policy(RBAC, False)

    assert decide(subject, "pull", Resource("repository", "team-a/api"), policy, now=0).allowed
    assert not decide(subject, "push", Resource("repository", "team-a/api"), policy, now=0).allowed


def test_the_policy_is_compiled_once_while_nothing_changes(tmp_path: Path) -> None:
    clock = Clock()
    store = new_store(tmp_path, clock)
    first = store.policy(RBAC, False)
    clock.advance(5)

    assert store.policy(RBAC, False) is first


def test_this_process_sees_its_own_writes_at_once(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    assert _granted(store) == []

    assignment = store.create_assignment(PRINCIPAL, "AcrPull")
    assert _granted(store) == [assignment.id]

    store.delete_assignment(assignment.id)
    assert _granted(store) == []


def test_a_second_process_sees_a_new_assignment_within_a_second(tmp_path: Path) -> None:
    engine = migrated_engine(tmp_path)
    clock = Clock()
    server = PolicyStore(engine, clock, FAST_HASHER)
    admin = PolicyStore(engine, clock, FAST_HASHER)
    assert _granted(server) == []

    assignment = admin.create_assignment(PRINCIPAL, "AcrPull")
    clock.advance(0.5)
    assert _granted(server) == []  # still within the second of the cached check
    clock.advance(0.5)

    assert _granted(server) == [assignment.id]


def test_a_failed_write_leaves_the_policy_as_it_was(tmp_path: Path) -> None:
    clock = Clock()
    store = new_store(tmp_path, clock)
    store.create_assignment(PRINCIPAL, "AcrPull")
    before = store.policy(RBAC, False)

    with pytest.raises(RoleNotFound):
        store.create_assignment(PRINCIPAL, "No Such Role")

    assert store.policy(RBAC, False) is before


def test_a_change_of_settings_needs_no_recompiling(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.create_assignment(PRINCIPAL, READER, condition=CONDITION)
    rbac = store.policy(RBAC, False)

    abac = store.policy(ABAC, True)

    assert (abac.mode, abac.anonymous_pull_enabled) == (ABAC, True)
    assert abac.assignments == rbac.assignments
    assert store.policy(ABAC, True) is abac
