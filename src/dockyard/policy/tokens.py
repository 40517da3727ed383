"""Repository-scoped tokens: a name, a scope map, a status and two passwords, for `docker login`.

Passwords are generated here, returned once, and kept only as argon2id hashes. Verifying one costs
the same whether the token exists, has one password or two; judging a password's expiry or the
token's status is the caller's part, so its log can say which refused the sign-in. This module must
never log a password, return one from a read, or put one in an exception.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, update

from dockyard.access.model import RepositoryToken, TokenPassword, TokenPasswordName, TokenStatus
from dockyard.directory.secrets import generate_password
from dockyard.policy._base import StoreBase
from dockyard.policy._rows import PASSWORD_COLUMNS, TOKEN_COLUMNS, find_scope_map, find_token
from dockyard.policy.errors import ExpiryInvalid, ScopeMapNotFound, TokenExists, TokenNotFound
from dockyard.policy.schema import repository_tokens, token_passwords
from dockyard.policy.validation import check_token_name


class RepositoryTokens(StoreBase):
    """The repository-scoped token half of `PolicyStore`."""

    def create_token(
        self,
        name: str,
        scope_map: str,
        status: TokenStatus = TokenStatus.ENABLED,
        expiry: float | None = None,
    ) -> tuple[RepositoryToken, dict[TokenPasswordName, str]]:
        """Create a token bound to a scope map, with both passwords (each expiring at `expiry`, or
        never); the passwords are returned here and never again."""
        check_token_name(name)
        self._check_expiry(expiry)
        passwords = {which: generate_password() for which in TokenPasswordName}
        hashes = {which: self._hasher.hash(password) for which, password in passwords.items()}  # before the lock
        now = self._clock()
        with self._write() as connection:
            bound = find_scope_map(connection, scope_map)
            if bound is None:
                raise ScopeMapNotFound(f"no scope map named {scope_map!r}")
            if find_token(connection, name) is not None:
                raise TokenExists(f"a token named {name!r} exists")
            connection.execute(
                insert(repository_tokens).values(
                    key=name.lower(), name=name, scope_map=bound.name, status=TokenStatus(status).value, created_at=now
                )
            )
            for which, hashed in hashes.items():
                self._store_password(connection, name, which, hashed, now, expiry)
            token = find_token(connection, name)
        assert token is not None
        return token, passwords

    def generate_password(self, name: str, which: TokenPasswordName, expiry: float | None = None) -> str:
        """Replace one of a token's passwords (the other keeps working) and return the new one, once.

        Its `created_at` changes, so refresh tokens bought with the old password stop working.
        """
        which = TokenPasswordName(which)
        self._check_expiry(expiry)
        password = generate_password()
        hashed = self._hasher.hash(password)
        with self._write() as connection:
            self._require_token(connection, name)
            self._store_password(connection, name, which, hashed, self._clock(), expiry)
        return password

    def delete_password(self, name: str, which: TokenPasswordName) -> None:
        """Delete one of a token's passwords: it no longer signs in (nothing happens if it had none)."""
        which = TokenPasswordName(which)
        with self._write() as connection:
            self._require_token(connection, name)
            connection.execute(
                delete(token_passwords).where(
                    token_passwords.c.token_key == name.lower(), token_passwords.c.name == which.value
                )
            )

    def update_token(
        self, name: str, status: TokenStatus | None = None, scope_map: str | None = None
    ) -> RepositoryToken:
        """Enable or disable a token, or bind it to another scope map; return it as it is now."""
        changes: dict[str, str] = {}
        if status is not None:
            changes["status"] = TokenStatus(status).value
        with self._write() as connection:
            self._require_token(connection, name)
            if scope_map is not None:
                bound = find_scope_map(connection, scope_map)
                if bound is None:
                    raise ScopeMapNotFound(f"no scope map named {scope_map!r}")
                changes["scope_map"] = bound.name
            if changes:
                connection.execute(
                    update(repository_tokens).where(repository_tokens.c.key == name.lower()).values(**changes)
                )
            token = find_token(connection, name)
        assert token is not None
        return token

    def delete_token(self, name: str) -> None:
        """Delete a token and its passwords."""
        with self._write() as connection:
            self._require_token(connection, name)
            connection.execute(delete(token_passwords).where(token_passwords.c.token_key == name.lower()))
            connection.execute(delete(repository_tokens).where(repository_tokens.c.key == name.lower()))

    def get_token(self, name: str) -> RepositoryToken | None:
        """A token by name (any case), with its passwords' dates but never their values; None if unknown."""
        with self._read() as connection:
            return find_token(connection, name)

    def list_tokens(self) -> list[RepositoryToken]:
        """Every token, by name."""
        with self._read() as connection:
            rows = connection.execute(select(repository_tokens.c.key, *TOKEN_COLUMNS).order_by(repository_tokens.c.key))
            tokens = {row[0]: row[1:] for row in rows}
            passwords: dict[str, list[TokenPassword]] = {}
            for key, which, created_at, expiry in connection.execute(
                select(token_passwords.c.token_key, *PASSWORD_COLUMNS).order_by(token_passwords.c.name)
            ):
                passwords.setdefault(key, []).append(TokenPassword(TokenPasswordName(which), created_at, expiry))
        return [
            RepositoryToken(name, scope_map, TokenStatus(status), tuple(passwords.get(key, ())), created_at)
            for key, (name, scope_map, status, created_at) in tokens.items()
        ]

    def verify_token_password(self, name: str, password: str) -> TokenPassword | None:
        """The token's password record that `password` matches, or None.

        Always two argon2id verifications, whether the token exists and however many passwords it
        has. Does not judge expiry or status: the caller does, and says why it refuses.
        """
        key = name.lower()
        with self._read() as connection:
            rows = connection.execute(
                select(*PASSWORD_COLUMNS, token_passwords.c.hash).where(token_passwords.c.token_key == key)
            ).all()
        stored = {TokenPasswordName(row[0]): row for row in rows}
        matched: TokenPassword | None = None
        for which in TokenPasswordName:
            row = stored.get(which)
            if row is None:
                self._hasher.verify_nothing(password)
            elif self._hasher.verify(row[3], password) and matched is None:
                matched = TokenPassword(which, row[1], row[2])
        return matched

    def _check_expiry(self, expiry: float | None) -> None:
        if expiry is not None and expiry <= self._clock():
            raise ExpiryInvalid("a token password's expiry must be in the future")

    @staticmethod
    def _require_token(connection: Connection, name: str) -> None:
        found = connection.execute(select(repository_tokens.c.key).where(repository_tokens.c.key == name.lower()))
        if found.first() is None:
            raise TokenNotFound(f"no token named {name!r}")

    @staticmethod
    def _store_password(
        connection: Connection,
        name: str,
        which: TokenPasswordName,
        hashed: str,
        now: float,
        expiry: float | None,
    ) -> None:
        key = name.lower()
        connection.execute(
            delete(token_passwords).where(token_passwords.c.token_key == key, token_passwords.c.name == which.value)
        )
        connection.execute(
            insert(token_passwords).values(token_key=key, name=which.value, hash=hashed, created_at=now, expiry=expiry)
        )
