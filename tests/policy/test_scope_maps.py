"""Scope maps: the built-in `_repositories_*` maps, and custom ones created, changed and deleted."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.access.model import BUILT_IN_SCOPE_MAPS, ScopeMapAction, ScopeMapEntry
from dockyard.policy.errors import (
    ActionInvalid,
    NameInvalid,
    ScopeMapBuiltIn,
    ScopeMapExists,
    ScopeMapInUse,
    ScopeMapNotFound,
)
from tests.policy import Clock, new_store

READ_TEAM_A = "repositories/team-a/*/content/read"
WRITE_API = "repositories/team-a/api/content/write"


def test_built_in_scope_maps_exist_and_cannot_be_deleted(tmp_path: Path) -> None:
    store = new_store(tmp_path)

    assert store.list_scope_maps() == list(BUILT_IN_SCOPE_MAPS)
    assert store.get_scope_map("_repositories_pull") == BUILT_IN_SCOPE_MAPS[0]
    for scope_map in BUILT_IN_SCOPE_MAPS:
        with pytest.raises(ScopeMapBuiltIn):
            store.delete_scope_map(scope_map.name)


def test_a_built_in_scope_map_cannot_be_changed(tmp_path: Path) -> None:
    with pytest.raises(ScopeMapBuiltIn):
        new_store(tmp_path).update_scope_map("_repositories_admin", remove=["repositories/*/content/delete"])


def test_a_scope_map_is_created_from_its_actions(tmp_path: Path) -> None:
    store = new_store(tmp_path, Clock(99.0))

    created = store.create_scope_map("team-a-ci", [READ_TEAM_A, WRITE_API, READ_TEAM_A], "CI of team A")

    assert created.entries == (
        ScopeMapEntry("team-a/*", ScopeMapAction.CONTENT_READ),
        ScopeMapEntry("team-a/api", ScopeMapAction.CONTENT_WRITE),
    )
    assert (created.description, created.built_in, created.created_at) == ("CI of team A", False, 99.0)
    assert store.get_scope_map("TEAM-A-CI") == created
    assert store.list_scope_maps() == [*BUILT_IN_SCOPE_MAPS, created]


@pytest.mark.parametrize("name", ["abcd", "x" * 51, "_mine", "has space", "dots.not"])
def test_a_scope_map_name_follows_acrs_rules(tmp_path: Path, name: str) -> None:
    with pytest.raises(NameInvalid):
        new_store(tmp_path).create_scope_map(name, [READ_TEAM_A])


@pytest.mark.parametrize(
    "action",
    [
        "repositories/team-a/content/push",
        "team-a/content/read",
        "repositories/Team-A/content/read",
        "repositories/team-a//api/content/read",
        "repositories/team-a/*/*/content/read",
    ],
)
def test_a_scope_map_action_must_parse(tmp_path: Path, action: str) -> None:
    store = new_store(tmp_path)

    with pytest.raises(ActionInvalid):
        store.create_scope_map("team-a-ci", [READ_TEAM_A, action])
    assert store.get_scope_map("team-a-ci") is None


def test_a_scope_map_needs_an_action(tmp_path: Path) -> None:
    with pytest.raises(ActionInvalid):
        new_store(tmp_path).create_scope_map("team-a-ci", [])


def test_a_scope_map_name_is_unique_whatever_its_case(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.create_scope_map("team-a-ci", [READ_TEAM_A])

    with pytest.raises(ScopeMapExists):
        store.create_scope_map("Team-A-CI", [WRITE_API])


def test_actions_are_added_and_removed(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.create_scope_map("team-a-ci", [READ_TEAM_A])

    updated = store.update_scope_map("team-a-ci", add=[WRITE_API], remove=[READ_TEAM_A, "repositories/x/content/read"])

    assert updated.entries == (ScopeMapEntry("team-a/api", ScopeMapAction.CONTENT_WRITE),)
    assert store.get_scope_map("team-a-ci") == updated


def test_a_scope_map_description_is_changed(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.create_scope_map("team-a-ci", [READ_TEAM_A], "old")

    assert store.update_scope_map("team-a-ci", description="new").description == "new"
    assert store.update_scope_map("team-a-ci", add=[WRITE_API]).description == "new"


def test_removing_every_action_is_refused(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.create_scope_map("team-a-ci", [READ_TEAM_A])

    with pytest.raises(ActionInvalid):
        store.update_scope_map("team-a-ci", remove=[READ_TEAM_A])


def test_changing_an_unknown_scope_map_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScopeMapNotFound):
        new_store(tmp_path).update_scope_map("nobody-here", add=[READ_TEAM_A])


def test_a_scope_map_is_deleted(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.create_scope_map("team-a-ci", [READ_TEAM_A])

    store.delete_scope_map("team-a-ci")

    assert store.get_scope_map("team-a-ci") is None


def test_deleting_an_unknown_scope_map_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ScopeMapNotFound):
        new_store(tmp_path).delete_scope_map("nobody-here")


def test_deleting_a_scope_map_in_use_is_refused(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.create_scope_map("team-a-ci", [READ_TEAM_A])
    store.create_token("ci-token", "TEAM-A-CI")

    with pytest.raises(ScopeMapInUse, match="ci-token"):
        store.delete_scope_map("team-a-ci")
    assert store.get_scope_map("team-a-ci") is not None
