"""Users: created with a password kept only as a hash, found by name in any case, listed and deleted."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.directory.errors import PasswordInvalid, UserNameInvalid, UserNameTaken, WrongPrincipalKind
from dockyard.directory.model import PrincipalKind
from dockyard.directory.service import AuthReason, authenticate_user
from tests.directory import T0, every_stored_value, new_store


def test_a_new_user_is_enabled_and_shows_its_name(tmp_path: Path) -> None:
    store = new_store(tmp_path)

    user = store.create_user("Alice@Example.com", "correct horse", "Alice")

    assert store.get_principal(user.object_id) == user
    assert (user.kind, user.user_name, user.display_name, user.enabled) == (
        PrincipalKind.USER,
        "alice@example.com",
        "Alice",
        True,
    )
    assert user.created_at == T0


def test_user_names_are_case_insensitive(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    user = store.create_user("alice", "correct horse")

    assert store.user_by_name("ALICE") == user


def test_a_user_name_cannot_be_taken_twice(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.create_user("alice", "correct horse")

    with pytest.raises(UserNameTaken):
        store.create_user("Alice", "another password")


@pytest.mark.parametrize("name", ["", "has space", "colon:name", "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "x" * 129])
def test_a_user_name_outside_the_grammar_or_shaped_like_an_app_id_is_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(UserNameInvalid):
        new_store(tmp_path).create_user(name, "correct horse")


def test_a_short_password_is_refused_without_repeating_it(tmp_path: Path) -> None:
    with pytest.raises(PasswordInvalid) as refused:
        new_store(tmp_path).create_user("alice", "hunter2")

    assert "hunter2" not in str(refused.value)


def test_a_password_is_stored_only_as_an_argon2id_hash(tmp_path: Path) -> None:
    new_store(tmp_path).create_user("alice", "correct horse")

    stored = every_stored_value(tmp_path)

    assert not any("correct horse" in str(value) for value in stored)
    assert any(str(value).startswith("$argon2id$") for value in stored)


def test_a_new_password_replaces_the_old_one(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    user = store.create_user("alice", "correct horse")

    store.set_password(user.object_id, "battery staple")

    assert authenticate_user(store, "alice", "correct horse", T0).reason is AuthReason.WRONG_PASSWORD
    assert authenticate_user(store, "alice", "battery staple", T0).ok


def test_only_a_user_has_a_password(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    group = store.create_group("Readers")

    with pytest.raises(WrongPrincipalKind):
        store.set_password(group.object_id, "correct horse")


def test_a_deleted_user_is_gone_with_its_password_hash(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    user = store.create_user("alice", "correct horse")

    assert store.delete_principal(user.object_id)

    assert store.get_principal(user.object_id) is None
    assert not any(str(value).startswith("$argon2id$") for value in every_stored_value(tmp_path))


def test_deleting_an_unknown_principal_says_so(tmp_path: Path) -> None:
    assert not new_store(tmp_path).delete_principal("3f2504e0-4f89-41d3-9a0c-0305e82c3301")
