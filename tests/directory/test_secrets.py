"""Generated secrets are long and random; hashes verify only their own secret; nothing shows a secret."""

from __future__ import annotations

from dockyard.directory.model import IssuedSecret
from dockyard.directory.secrets import SecretHasher, generate_password, generate_secret, hint_of
from tests.directory import FAST_HASHING


def test_generated_secrets_are_long_and_never_repeat() -> None:
    secrets = {generate_secret() for _ in range(100)}

    assert len(secrets) == 100
    assert min(len(s) for s in secrets) >= 43


def test_generated_passwords_are_long_and_never_repeat() -> None:
    passwords = {generate_password() for _ in range(100)}

    assert len(passwords) == 100
    assert min(len(p) for p in passwords) >= 32


def test_a_hash_verifies_its_secret_and_nothing_else() -> None:
    hasher = SecretHasher(FAST_HASHING)
    hashed = hasher.hash("s3cret-value")

    assert hashed.startswith("$argon2id$")
    assert hasher.verify(hashed, "s3cret-value")
    assert not hasher.verify(hashed, "s3cret-valuE")


def test_a_malformed_hash_verifies_nothing() -> None:
    assert not SecretHasher(FAST_HASHING).verify("not a hash", "anything")


def test_the_hint_is_the_first_three_characters() -> None:
    assert hint_of("abcdefgh") == "abc"


def test_an_issued_secret_keeps_its_value_out_of_its_repr() -> None:
    issued = IssuedSecret("id", "abc", 0.0, "abcdefghijklmnop")

    assert "abcdefghijklmnop" not in repr(issued)
    assert "abcdefghijklmnop" not in str(issued)
