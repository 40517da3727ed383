"""Roles: the built-in ones, and custom roles defined, listed and deleted."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.access.roles import BUILT_IN_ROLES, PREFIX, DataAction, RoleDefinition
from dockyard.policy.errors import (
    ActionInvalid,
    NameInvalid,
    RoleBuiltIn,
    RoleExists,
    RoleInUse,
    RoleNotFound,
)
from tests.policy import PRINCIPAL, new_store

PULLER = RoleDefinition(
    "Team Puller", "Pull, narrowed by a condition.", data_actions=frozenset({DataAction.CONTENT_READ})
)


def test_the_built_in_roles_are_listed_before_custom_ones(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.create_role(PULLER)

    assert store.list_roles() == [*BUILT_IN_ROLES, PULLER]


def test_a_role_is_found_by_its_name_in_any_case(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.create_role(PULLER)

    assert store.get_role("acrpull") == BUILT_IN_ROLES[0]
    assert store.get_role("TEAM PULLER") == PULLER
    assert store.get_role("Nobody") is None


def test_a_custom_role_keeps_its_actions_and_whether_it_takes_conditions(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    role = RoleDefinition(
        "Scope Map Keeper",
        "Manage scope maps and read what is in the repositories.",
        actions=frozenset({PREFIX + "scopeMaps/*", "*/read"}),
        data_actions=frozenset({DataAction.CONTENT_READ, DataAction.METADATA_READ}),
        conditions_allowed=True,
    )

    store.create_role(role)

    assert store.get_role(role.name) == role


def test_data_actions_are_stored_as_dockyard_spells_them(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    shouting = RoleDefinition("Shouter", "", data_actions=frozenset({DataAction.PULL.upper()}))

    stored = store.create_role(shouting)

    assert stored.data_actions == {DataAction.PULL}
    assert store.get_role("Shouter") == stored


@pytest.mark.parametrize("name", ["AcrPush", "owner"])
def test_a_role_cannot_take_the_name_of_a_built_in_role(tmp_path: Path, name: str) -> None:
    with pytest.raises(RoleExists):
        new_store(tmp_path).create_role(RoleDefinition(name, "", data_actions=frozenset({DataAction.PULL})))


def test_a_role_cannot_take_the_name_of_another_custom_role(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.create_role(PULLER)

    with pytest.raises(RoleExists):
        store.create_role(RoleDefinition("team puller", "", data_actions=frozenset({DataAction.PULL})))


@pytest.mark.parametrize("name", ["", " padded", "x" * 129, "tab\there"])
def test_a_role_name_must_be_printable_and_not_too_long(tmp_path: Path, name: str) -> None:
    with pytest.raises(NameInvalid):
        new_store(tmp_path).create_role(RoleDefinition(name, "", data_actions=frozenset({DataAction.PULL})))


@pytest.mark.parametrize(
    "role",
    [
        RoleDefinition("Nothing", "grants nothing"),
        RoleDefinition("Typo", "", data_actions=frozenset({PREFIX + "pul/read"})),
        RoleDefinition("Pattern", "", data_actions=frozenset({PREFIX + "repositories/*"})),
        RoleDefinition("Elsewhere", "", actions=frozenset({"Microsoft.Storage/storageAccounts/read"})),
        RoleDefinition("Empty", "", actions=frozenset({""})),
    ],
    ids=lambda role: role.name,
)
def test_a_role_needs_actions_dockyard_understands(tmp_path: Path, role: RoleDefinition) -> None:
    with pytest.raises(ActionInvalid):
        new_store(tmp_path).create_role(role)


def test_a_custom_role_is_deleted(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.create_role(PULLER)

    store.delete_role("team puller")

    assert store.get_role(PULLER.name) is None


def test_a_built_in_role_cannot_be_deleted(tmp_path: Path) -> None:
    with pytest.raises(RoleBuiltIn):
        new_store(tmp_path).delete_role("AcrPull")


def test_deleting_an_unknown_role_is_refused(tmp_path: Path) -> None:
    with pytest.raises(RoleNotFound):
        new_store(tmp_path).delete_role("Nobody")


def test_deleting_an_assigned_role_is_refused(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.create_role(PULLER)
    store.create_assignment(PRINCIPAL, PULLER.name)

    with pytest.raises(RoleInUse):
        store.delete_role(PULLER.name)
    assert store.get_role(PULLER.name) == PULLER
