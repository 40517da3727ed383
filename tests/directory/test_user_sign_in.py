"""Signing a user in answers with the precise reason the login event records."""

from __future__ import annotations

from pathlib import Path

from dockyard.directory.secrets import HashParameters
from dockyard.directory.service import AuthReason, authenticate_user
from tests.directory import T0, new_store


def test_the_right_password_signs_the_user_in(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    user = store.create_user("alice", "correct horse")

    result = authenticate_user(store, "Alice", "correct horse", T0)

    assert (result.ok, result.reason, result.principal) == (True, AuthReason.OK, user)


def test_an_unknown_user_name_is_unknown_user(tmp_path: Path) -> None:
    result = authenticate_user(new_store(tmp_path), "nobody", "correct horse", T0)

    assert (result.reason, result.principal, result.object_id) == (AuthReason.UNKNOWN_USER, None, None)


def test_a_wrong_password_is_wrong_password_and_names_the_user(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    user = store.create_user("alice", "correct horse")

    result = authenticate_user(store, "alice", "incorrect horse", T0)

    assert (result.reason, result.principal, result.object_id) == (AuthReason.WRONG_PASSWORD, None, user.object_id)


def test_a_disabled_user_with_the_right_password_is_principal_disabled(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    user = store.create_user("alice", "correct horse")
    store.set_enabled(user.object_id, False)

    result = authenticate_user(store, "alice", "correct horse", T0)

    assert (result.reason, result.principal) == (AuthReason.PRINCIPAL_DISABLED, None)


def test_a_disabled_user_with_a_wrong_password_learns_only_wrong_password(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    user = store.create_user("alice", "correct horse")
    store.set_enabled(user.object_id, False)

    assert authenticate_user(store, "alice", "incorrect horse", T0).reason is AuthReason.WRONG_PASSWORD


def test_a_re_enabled_user_signs_in_again(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    user = store.create_user("alice", "correct horse")
    store.set_enabled(user.object_id, False)
    store.set_enabled(user.object_id, True)

    assert authenticate_user(store, "alice", "correct horse", T0).ok


def test_a_password_hashed_with_old_parameters_is_rehashed_at_sign_in(tmp_path: Path) -> None:
    new_store(tmp_path).create_user("alice", "correct horse")
    stronger = new_store(tmp_path, hashing=HashParameters(time_cost=2, memory_cost=16, parallelism=1))
    record = stronger.password_record("alice")
    assert record is not None and stronger.hasher.needs_rehash(record.password_hash)

    assert authenticate_user(stronger, "alice", "correct horse", T0).ok

    rehashed = stronger.password_record("alice")
    assert rehashed is not None and not stronger.hasher.needs_rehash(rehashed.password_hash)
