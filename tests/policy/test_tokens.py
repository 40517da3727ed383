"""Repository-scoped tokens: created with two passwords shown once, verified, renewed, changed, deleted."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from dockyard.access.model import TokenPassword, TokenPasswordName, TokenStatus
from dockyard.directory.secrets import SecretHasher
from dockyard.policy.errors import ExpiryInvalid, NameInvalid, ScopeMapNotFound, TokenExists, TokenNotFound
from dockyard.policy.store import PolicyStore
from tests.policy import DAY, FAST_HASHER, T0, Clock, every_stored_value, migrated_engine, new_store

ONE, TWO = TokenPasswordName.PASSWORD1, TokenPasswordName.PASSWORD2


def test_a_token_is_created_with_two_passwords_shown_once(tmp_path: Path) -> None:
    store = new_store(tmp_path)

    token, passwords = store.create_token("ci-token", "_repositories_pull", expiry=T0 + DAY)

    assert (token.name, token.scope_map, token.status, token.created_at) == (
        "ci-token",
        "_repositories_pull",
        TokenStatus.ENABLED,
        T0,
    )
    assert token.passwords == (TokenPassword(ONE, T0, T0 + DAY), TokenPassword(TWO, T0, T0 + DAY))
    assert set(passwords) == {ONE, TWO} and passwords[ONE] != passwords[TWO]
    assert store.get_token("ci-token") == token


def test_token_passwords_are_stored_only_as_hashes(tmp_path: Path) -> None:
    store = new_store(tmp_path)

    _, passwords = store.create_token("ci-token", "_repositories_pull")

    stored = [value for value in every_stored_value(tmp_path) if isinstance(value, str)]
    for password in passwords.values():
        assert not any(password in value for value in stored)
    assert sum(value.startswith("$argon2id$") for value in stored) == 2


def test_a_token_is_found_by_its_name_in_any_case(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    token, _ = store.create_token("CI-Token", "_repositories_pull")

    assert store.get_token("ci-token") == token
    assert store.get_token("other-token") is None


def test_a_token_is_bound_to_its_scope_map_as_the_map_is_named(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.create_scope_map("Team-A-CI", ["repositories/team-a/*/content/read"])

    token, _ = store.create_token("ci-token", "team-a-ci")

    assert token.scope_map == "Team-A-CI"


@pytest.mark.parametrize("name", ["abcd", "x" * 51, "under_score", "has space", str(uuid.uuid4())])
def test_a_token_name_follows_acrs_rules_and_is_not_a_uuid(tmp_path: Path, name: str) -> None:
    with pytest.raises(NameInvalid):
        new_store(tmp_path).create_token(name, "_repositories_pull")


def test_a_token_needs_an_existing_scope_map(tmp_path: Path) -> None:
    store = new_store(tmp_path)

    with pytest.raises(ScopeMapNotFound):
        store.create_token("ci-token", "no-such-map")
    assert store.list_tokens() == []


def test_a_token_name_is_unique_whatever_its_case(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.create_token("ci-token", "_repositories_pull")

    with pytest.raises(TokenExists):
        store.create_token("CI-TOKEN", "_repositories_push")


def test_a_password_cannot_expire_in_the_past(tmp_path: Path) -> None:
    with pytest.raises(ExpiryInvalid):
        new_store(tmp_path).create_token("ci-token", "_repositories_pull", expiry=T0)


def test_either_password_verifies_and_says_which_it_is(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    token, passwords = store.create_token("ci-token", "_repositories_pull")

    assert store.verify_token_password("ci-token", passwords[ONE]) == token.passwords[0]
    assert store.verify_token_password("CI-TOKEN", passwords[TWO]) == token.passwords[1]


def test_a_wrong_password_or_an_unknown_token_verifies_nothing(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    _, passwords = store.create_token("ci-token", "_repositories_pull")

    assert store.verify_token_password("ci-token", "not the password") is None
    assert store.verify_token_password("other-token", passwords[ONE]) is None


def test_verification_does_not_judge_expiry_or_status(tmp_path: Path) -> None:
    clock = Clock()
    store = new_store(tmp_path, clock)
    _, passwords = store.create_token("ci-token", "_repositories_pull", status=TokenStatus.DISABLED, expiry=T0 + 1)
    clock.advance(DAY)

    verified = store.verify_token_password("ci-token", passwords[ONE])

    assert verified is not None and verified.expired(clock())


class _CountingHasher(SecretHasher):
    def __init__(self) -> None:
        super().__init__(FAST_HASHER.parameters)
        self.verifications = 0

    def verify(self, hashed: str, secret: str) -> bool:
        self.verifications += 1
        return super().verify(hashed, secret)


def test_verification_costs_two_verifications_whatever_the_token(tmp_path: Path) -> None:
    hasher = _CountingHasher()
    store = PolicyStore(migrated_engine(tmp_path), Clock(), hasher)
    _, passwords = store.create_token("ci-token", "_repositories_pull")
    store.delete_password("ci-token", TWO)
    counts = []

    for name in ("ci-token", "other-token"):
        before = hasher.verifications
        store.verify_token_password(name, passwords[ONE])
        counts.append(hasher.verifications - before)

    assert counts == [2, 2]  # verify_nothing verifies against a decoy


def test_a_generated_password_replaces_only_that_password(tmp_path: Path) -> None:
    clock = Clock()
    store = new_store(tmp_path, clock)
    _, passwords = store.create_token("ci-token", "_repositories_pull")
    clock.advance(60)

    renewed = store.generate_password("ci-token", TWO, expiry=T0 + DAY)

    assert store.verify_token_password("ci-token", passwords[TWO]) is None
    assert store.verify_token_password("ci-token", renewed) == TokenPassword(TWO, T0 + 60, T0 + DAY)
    assert store.verify_token_password("ci-token", passwords[ONE]) == TokenPassword(ONE, T0, None)


def test_a_password_is_generated_again_after_it_was_deleted(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.create_token("ci-token", "_repositories_pull")
    store.delete_password("ci-token", ONE)

    renewed = store.generate_password("ci-token", ONE)

    assert store.verify_token_password("ci-token", renewed) is not None


def test_a_deleted_password_no_longer_verifies(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    _, passwords = store.create_token("ci-token", "_repositories_pull")

    store.delete_password("ci-token", ONE)

    assert store.verify_token_password("ci-token", passwords[ONE]) is None
    token = store.get_token("ci-token")
    assert token is not None and [password.name for password in token.passwords] == [TWO]


def test_passwords_of_an_unknown_token_are_refused(tmp_path: Path) -> None:
    store = new_store(tmp_path)

    with pytest.raises(TokenNotFound):
        store.generate_password("ci-token", ONE)
    with pytest.raises(TokenNotFound):
        store.delete_password("ci-token", ONE)


def test_a_token_is_disabled_and_bound_to_another_scope_map(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.create_token("ci-token", "_repositories_pull")

    updated = store.update_token("ci-token", status=TokenStatus.DISABLED, scope_map="_REPOSITORIES_PUSH")

    assert (updated.status, updated.scope_map) == (TokenStatus.DISABLED, "_repositories_push")
    assert store.get_token("ci-token") == updated


def test_binding_a_token_to_an_unknown_scope_map_is_refused(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    store.create_token("ci-token", "_repositories_pull")

    with pytest.raises(ScopeMapNotFound):
        store.update_token("ci-token", scope_map="no-such-map")


def test_changing_an_unknown_token_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TokenNotFound):
        new_store(tmp_path).update_token("ci-token", status=TokenStatus.DISABLED)


def test_a_deleted_token_and_its_passwords_are_gone(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    _, passwords = store.create_token("ci-token", "_repositories_pull")

    store.delete_token("CI-token")

    assert store.get_token("ci-token") is None
    assert store.verify_token_password("ci-token", passwords[ONE]) is None
    assert not any(isinstance(value, str) and value.startswith("$argon2") for value in every_stored_value(tmp_path))


def test_deleting_an_unknown_token_is_refused(tmp_path: Path) -> None:
    with pytest.raises(TokenNotFound):
        new_store(tmp_path).delete_token("ci-token")


def test_tokens_are_listed_by_name_with_their_passwords(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    second, _ = store.create_token("second", "_repositories_push")
    first, _ = store.create_token("First", "_repositories_pull")
    store.delete_password("second", ONE)

    assert store.list_tokens() == [first, store.get_token("second")]
    assert [len(token.passwords) for token in store.list_tokens()] == [2, 1]
    assert second.passwords != store.list_tokens()[1].passwords
