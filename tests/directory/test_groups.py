"""Groups: any principal can be a member, nesting is resolved transitively, cycles are tolerated."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.directory.errors import MembershipInvalid, PrincipalNotFound, WrongPrincipalKind
from dockyard.directory.model import PrincipalKind
from tests.directory import new_store


def test_every_kind_of_principal_can_be_a_member(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    group = store.create_group("Pushers")
    members = [
        store.create_user("alice", "correct horse"),
        store.create_group("Inner"),
        store.create_service_principal("ci"),
        store.create_managed_identity("agent"),
    ]

    for member in members:
        store.add_member(group.object_id, member.object_id)

    assert {m.object_id for m in store.members(group.object_id)} == {m.object_id for m in members}
    assert group.kind is PrincipalKind.GROUP


def test_adding_a_member_twice_keeps_one_membership(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    group, user = store.create_group("Pushers"), store.create_user("alice", "correct horse")

    store.add_member(group.object_id, user.object_id)
    store.add_member(group.object_id, user.object_id)

    assert store.members(group.object_id) == [user]


def test_groups_of_includes_groups_reached_through_nesting(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    user = store.create_user("alice", "correct horse")
    team, department, company = (store.create_group(n) for n in ("Team", "Department", "Company"))
    store.add_member(team.object_id, user.object_id)
    store.add_member(department.object_id, team.object_id)
    store.add_member(company.object_id, department.object_id)

    assert store.groups_of(user.object_id) == {team.object_id, department.object_id, company.object_id}
    assert store.groups_of(department.object_id) == {company.object_id}


def test_groups_of_a_principal_in_no_group_is_empty(tmp_path: Path) -> None:
    store = new_store(tmp_path)

    assert store.groups_of(store.create_user("alice", "correct horse").object_id) == frozenset()


def test_cyclic_nesting_is_resolved_without_looping(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    user = store.create_user("alice", "correct horse")
    first, second, third = (store.create_group(n) for n in ("First", "Second", "Third"))
    store.add_member(first.object_id, user.object_id)
    store.add_member(second.object_id, first.object_id)
    store.add_member(third.object_id, second.object_id)
    store.add_member(first.object_id, third.object_id)

    assert store.groups_of(user.object_id) == {first.object_id, second.object_id, third.object_id}
    assert store.groups_of(first.object_id) == {second.object_id, third.object_id}


def test_a_group_cannot_be_its_own_member(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    group = store.create_group("Pushers")

    with pytest.raises(MembershipInvalid):
        store.add_member(group.object_id, group.object_id)


def test_only_a_group_has_members(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    alice, bob = store.create_user("alice", "correct horse"), store.create_user("bob", "correct horse")

    with pytest.raises(WrongPrincipalKind):
        store.add_member(alice.object_id, bob.object_id)


def test_an_unknown_member_is_refused(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    group = store.create_group("Pushers")

    with pytest.raises(PrincipalNotFound):
        store.add_member(group.object_id, "3f2504e0-4f89-41d3-9a0c-0305e82c3301")


def test_a_removed_member_no_longer_belongs(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    group, user = store.create_group("Pushers"), store.create_user("alice", "correct horse")
    store.add_member(group.object_id, user.object_id)

    assert store.remove_member(group.object_id, user.object_id)

    assert store.groups_of(user.object_id) == frozenset()
    assert not store.remove_member(group.object_id, user.object_id)


def test_deleting_a_group_ends_its_memberships_on_both_sides(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    user = store.create_user("alice", "correct horse")
    inner, outer = store.create_group("Inner"), store.create_group("Outer")
    store.add_member(inner.object_id, user.object_id)
    store.add_member(outer.object_id, inner.object_id)

    store.delete_principal(inner.object_id)

    assert store.groups_of(user.object_id) == frozenset()
    assert store.members(outer.object_id) == []


def test_deleting_a_member_removes_it_from_its_groups(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    group, user = store.create_group("Pushers"), store.create_user("alice", "correct horse")
    store.add_member(group.object_id, user.object_id)

    store.delete_principal(user.object_id)

    assert store.members(group.object_id) == []
