"""`DirectoryStore`: the tenant, principals, credentials and memberships of the directory, over SQLAlchemy Core.

Secrets cross this boundary only inward (a password to hash) or once outward (a client secret just
generated, as an `IssuedSecret`); the tables hold argon2id hashes. This module must never log a secret,
return one from a read, or put one in an exception.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from dockyard.directory._rows import (
    FEDERATED_COLUMNS,
    PRINCIPAL_COLUMNS,
    SECRET_COLUMNS,
    federated_from,
    federated_values,
    principal_from,
    principal_values,
    require_application,
    require_principal,
    secret_from,
)
from dockyard.directory.errors import (
    FederatedCredentialNameTaken,
    MembershipInvalid,
    PrincipalNotFound,
    SecretEndDateInvalid,
    UserNameTaken,
)
from dockyard.directory.model import (
    APPLICATION_KINDS,
    DEFAULT_FEDERATED_AUDIENCE,
    ClientSecret,
    FederatedCredential,
    IssuedSecret,
    Principal,
    PrincipalKind,
    canonical_uuid,
    check_display_name,
    check_federated_credential,
    check_password,
    new_object_id,
    normalize_user_name,
)
from dockyard.directory.schema import (
    client_secrets,
    federated_credentials,
    group_members,
    password_hashes,
    principals,
    tenant,
)
from dockyard.directory.secrets import SecretHasher, generate_secret, hint_of

Clock = Callable[[], float]

_TENANT_ROW = 1


@dataclass(frozen=True)
class PasswordRecord:
    """A user and its password hash, for verification only."""

    principal: Principal
    password_hash: str = field(repr=False)


@dataclass(frozen=True)
class SecretRecord:
    """A client secret and its hash, for verification only."""

    secret: ClientSecret
    secret_hash: str = field(repr=False)


class DirectoryStore:
    """Principals (users, groups, service principals, managed identities), their credentials and memberships."""

    def __init__(self, engine: Engine, hasher: SecretHasher | None = None, clock: Clock = time.time) -> None:
        self._engine = engine
        # On the metadata store's SQLite engine this makes writes `BEGIN IMMEDIATE` (no lock-upgrade deadlocks).
        self._writer = engine.execution_options(dockyard_write=True)
        self.hasher = hasher or SecretHasher()
        self._clock = clock
        self._tenant_id: str | None = None

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._writer.begin() as connection:
            yield connection

    # -- tenant -------------------------------------------------------------------------------

    def tenant_id(self) -> str:
        """The tenant's id: generated and stored on first use, the same ever after (and in every process)."""
        if self._tenant_id is None:
            self._tenant_id = self._stored_tenant_id() or self._create_tenant_id()
        return self._tenant_id

    def _stored_tenant_id(self) -> str | None:
        with self._engine.connect() as connection:
            return connection.execute(select(tenant.c.tenant_id).where(tenant.c.id == _TENANT_ROW)).scalar()

    def _create_tenant_id(self) -> str:
        try:
            with self._write() as connection:
                connection.execute(
                    insert(tenant).values(id=_TENANT_ROW, tenant_id=new_object_id(), created_at=self._clock())
                )
        except IntegrityError:
            pass  # another process created it first: theirs is the tenant
        stored = self._stored_tenant_id()
        assert stored is not None
        return stored

    # -- principals ---------------------------------------------------------------------------

    def get_principal(self, object_id: str) -> Principal | None:
        """A principal by object id."""
        return self._one_principal(principals.c.object_id == object_id)

    def principal_by_app_id(self, app_id: str) -> Principal | None:
        """The service principal or managed identity with this application (client) id (any case)."""
        canonical = canonical_uuid(app_id)
        return None if canonical is None else self._one_principal(principals.c.app_id == canonical)

    def user_by_name(self, user_name: str) -> Principal | None:
        """A user by user name (any case)."""
        return self._one_principal(principals.c.user_name == user_name.lower())

    def _one_principal(self, condition: Any) -> Principal | None:
        with self._engine.connect() as connection:
            row = connection.execute(select(*PRINCIPAL_COLUMNS).where(condition)).first()
        return None if row is None else principal_from(row)

    def list_principals(self, kind: PrincipalKind | None = None) -> list[Principal]:
        """Every principal, or every one of a kind, by display name."""
        query = select(*PRINCIPAL_COLUMNS).order_by(principals.c.display_name, principals.c.object_id)
        if kind is not None:
            query = query.where(principals.c.kind == kind.value)
        with self._engine.connect() as connection:
            return [principal_from(row) for row in connection.execute(query)]

    def set_enabled(self, object_id: str, enabled: bool) -> None:
        """Enable or disable a principal; a disabled one cannot sign in."""
        with self._write() as connection:
            result = connection.execute(
                update(principals).where(principals.c.object_id == object_id).values(enabled=enabled)
            )
            if result.rowcount == 0:
                raise PrincipalNotFound(f"no principal with object id {object_id}")

    def delete_principal(self, object_id: str) -> bool:
        """Delete a principal with its credentials and memberships (either side); False when unknown."""
        with self._write() as connection:
            connection.execute(
                delete(group_members).where(
                    or_(group_members.c.group_id == object_id, group_members.c.member_id == object_id)
                )
            )
            for table in (password_hashes, client_secrets, federated_credentials):
                connection.execute(delete(table).where(table.c.principal_id == object_id))
            return connection.execute(delete(principals).where(principals.c.object_id == object_id)).rowcount > 0

    def _new_principal(self, kind: PrincipalKind, display_name: str, **fields: Any) -> Principal:
        return Principal(new_object_id(), kind, check_display_name(display_name), True, self._clock(), **fields)

    # -- users --------------------------------------------------------------------------------

    def create_user(
        self, user_name: str, password: str, display_name: str | None = None, bootstrap: bool = False
    ) -> Principal:
        """Create a user signing in with `user_name` (case-insensitive) and `password` (kept only as a hash)."""
        with self.creating_user(user_name, password, display_name, bootstrap) as user:
            return user

    @contextmanager
    def creating_user(
        self, user_name: str, password: str, display_name: str | None = None, bootstrap: bool = False
    ) -> Iterator[Principal]:
        """Create a user in a transaction that commits only if the caller's block succeeds.

        The bootstrap writes the owner's password file inside the block, so a user whose password
        nobody could have read is never left behind.
        """
        name = normalize_user_name(user_name)
        check_password(password)
        user = self._new_principal(PrincipalKind.USER, display_name or name, user_name=name, bootstrap=bootstrap)
        password_hash = self.hasher.hash(password)  # before the write lock: hashing is the slow part
        with self._write() as connection:
            try:
                connection.execute(insert(principals).values(principal_values(user)))
            except IntegrityError:
                raise UserNameTaken(f"the user name {name!r} is taken") from None
            connection.execute(
                insert(password_hashes).values(
                    principal_id=user.object_id, password_hash=password_hash, changed_at=user.created_at
                )
            )
            yield user

    def set_password(self, object_id: str, password: str) -> None:
        """Replace a user's password."""
        check_password(password)
        password_hash = self.hasher.hash(password)
        with self._write() as connection:
            require_principal(connection, object_id, {PrincipalKind.USER})
            connection.execute(
                update(password_hashes)
                .where(password_hashes.c.principal_id == object_id)
                .values(password_hash=password_hash, changed_at=self._clock())
            )

    def password_record(self, user_name: str) -> PasswordRecord | None:
        """A user and its password hash, for the sign-in use case; None for an unknown user name."""
        query = (
            select(*PRINCIPAL_COLUMNS, password_hashes.c.password_hash)
            .join(password_hashes, password_hashes.c.principal_id == principals.c.object_id)
            .where(principals.c.user_name == user_name.lower())
        )
        with self._engine.connect() as connection:
            row = connection.execute(query).first()
        return None if row is None else PasswordRecord(principal_from(row[:-1]), row[-1])

    # -- groups -------------------------------------------------------------------------------

    def create_group(self, display_name: str) -> Principal:
        """Create an empty group."""
        group = self._new_principal(PrincipalKind.GROUP, display_name)
        with self._write() as connection:
            connection.execute(insert(principals).values(principal_values(group)))
        return group

    def add_member(self, group_id: str, member_id: str) -> None:
        """Make a principal (any kind, groups included) a direct member of a group; idempotent."""
        if group_id == member_id:
            raise MembershipInvalid("a group cannot be a member of itself")
        with self._write() as connection:
            require_principal(connection, group_id, {PrincipalKind.GROUP})
            require_principal(connection, member_id, set(PrincipalKind))
            present = connection.execute(
                select(group_members.c.member_id).where(
                    group_members.c.group_id == group_id, group_members.c.member_id == member_id
                )
            ).first()
            if present is None:
                connection.execute(insert(group_members).values(group_id=group_id, member_id=member_id))

    def remove_member(self, group_id: str, member_id: str) -> bool:
        """Remove a direct member; False when it was not one."""
        with self._write() as connection:
            result = connection.execute(
                delete(group_members).where(
                    group_members.c.group_id == group_id, group_members.c.member_id == member_id
                )
            )
            return result.rowcount > 0

    def members(self, group_id: str) -> list[Principal]:
        """A group's direct members, by display name."""
        query = (
            select(*PRINCIPAL_COLUMNS)
            .join(group_members, group_members.c.member_id == principals.c.object_id)
            .where(group_members.c.group_id == group_id)
            .order_by(principals.c.display_name, principals.c.object_id)
        )
        with self._engine.connect() as connection:
            return [principal_from(row) for row in connection.execute(query)]

    def groups_of(self, principal_id: str) -> frozenset[str]:
        """Object ids of every group the principal belongs to, directly or through nested groups.

        Cycles are tolerated (each group is visited once); a group is never reported as its own member.
        """
        found: set[str] = set()
        frontier = {principal_id}
        with self._engine.connect() as connection:
            while frontier:
                parents = set(
                    connection.execute(
                        select(group_members.c.group_id).where(group_members.c.member_id.in_(frontier))
                    ).scalars()
                )
                frontier = parents - found
                found |= parents
        return frozenset(found - {principal_id})

    # -- service principals and managed identities --------------------------------------------

    def create_service_principal(self, display_name: str) -> Principal:
        """Register an application: a service principal with a new application (client) id and no secret yet."""
        return self._create_application(PrincipalKind.SERVICE_PRINCIPAL, display_name)

    def create_managed_identity(self, display_name: str) -> Principal:
        """Create a managed identity: a client id, no secret (it signs in with federated credentials)."""
        return self._create_application(PrincipalKind.MANAGED_IDENTITY, display_name)

    def _create_application(self, kind: PrincipalKind, display_name: str) -> Principal:
        principal = self._new_principal(kind, display_name, app_id=new_object_id())
        with self._write() as connection:
            connection.execute(insert(principals).values(principal_values(principal)))
        return principal

    # -- client secrets -----------------------------------------------------------------------

    def add_secret(self, app_id: str, end_date: float) -> IssuedSecret:
        """Add a client secret valid until `end_date` to a service principal; its value is shown only here."""
        return self._issue_secret(app_id, end_date, replace=False)

    def reset_secrets(self, app_id: str, end_date: float) -> IssuedSecret:
        """Replace every client secret of a service principal with one new secret (`credential reset`)."""
        return self._issue_secret(app_id, end_date, replace=True)

    def _issue_secret(self, app_id: str, end_date: float, replace: bool) -> IssuedSecret:
        now = self._clock()
        if end_date <= now:
            raise SecretEndDateInvalid("a client secret's end date must be in the future")
        value = generate_secret()
        issued = IssuedSecret(new_object_id(), hint_of(value), end_date, value)
        secret_hash = self.hasher.hash(value)
        with self._write() as connection:
            principal = require_application(connection, app_id, {PrincipalKind.SERVICE_PRINCIPAL})
            if replace:
                connection.execute(delete(client_secrets).where(client_secrets.c.principal_id == principal.object_id))
            connection.execute(
                insert(client_secrets).values(
                    secret_id=issued.secret_id,
                    principal_id=principal.object_id,
                    hint=issued.hint,
                    secret_hash=secret_hash,
                    end_date=end_date,
                    created_at=now,
                )
            )
        return issued

    def list_secrets(self, app_id: str) -> list[ClientSecret]:
        """A service principal's client secrets (never their values), by end date."""
        return [record.secret for record in self.secret_records(app_id)]

    def secret_records(self, app_id: str) -> list[SecretRecord]:
        """A service principal's client secrets with their hashes, for the sign-in use case."""
        query = (
            select(*SECRET_COLUMNS, client_secrets.c.secret_hash)
            .join(principals, principals.c.object_id == client_secrets.c.principal_id)
            .where(principals.c.app_id == canonical_uuid(app_id))
            .order_by(client_secrets.c.end_date, client_secrets.c.secret_id)
        )
        with self._engine.connect() as connection:
            return [SecretRecord(secret_from(row[:-1]), row[-1]) for row in connection.execute(query)]

    def delete_secret(self, app_id: str, secret_id: str) -> bool:
        """Delete one client secret; False when the service principal has no such secret."""
        with self._write() as connection:
            principal = require_application(connection, app_id, {PrincipalKind.SERVICE_PRINCIPAL})
            result = connection.execute(
                delete(client_secrets).where(
                    client_secrets.c.principal_id == principal.object_id, client_secrets.c.secret_id == secret_id
                )
            )
            return result.rowcount > 0

    # -- federated credentials ----------------------------------------------------------------

    def add_federated_credential(
        self,
        app_id: str,
        name: str,
        issuer: str,
        subject: str,
        audiences: Sequence[str] = (DEFAULT_FEDERATED_AUDIENCE,),
    ) -> FederatedCredential:
        """Trust `issuer`'s tokens for `subject` and one of `audiences`, on a service principal or managed identity."""
        unique_audiences = tuple(dict.fromkeys(audiences))
        check_federated_credential(name, issuer, subject, unique_audiences)
        with self._write() as connection:
            principal = require_application(connection, app_id, APPLICATION_KINDS)
            credential = FederatedCredential(
                new_object_id(), principal.object_id, name, issuer, subject, unique_audiences, self._clock()
            )
            try:
                connection.execute(insert(federated_credentials).values(federated_values(credential)))
            except IntegrityError:
                raise FederatedCredentialNameTaken(f"{app_id} already has a federated credential {name!r}") from None
        return credential

    def list_federated_credentials(self, app_id: str) -> list[FederatedCredential]:
        """The federated credentials of a service principal or managed identity, by name."""
        query = (
            select(*FEDERATED_COLUMNS)
            .join(principals, principals.c.object_id == federated_credentials.c.principal_id)
            .where(principals.c.app_id == canonical_uuid(app_id))
            .order_by(federated_credentials.c.name)
        )
        with self._engine.connect() as connection:
            return [federated_from(row) for row in connection.execute(query)]

    def get_federated_credential(self, app_id: str, name: str) -> FederatedCredential | None:
        """One federated credential by name."""
        return next((c for c in self.list_federated_credentials(app_id) if c.name == name), None)

    def delete_federated_credential(self, app_id: str, name: str) -> bool:
        """Delete a federated credential by name; False when there is none of that name."""
        with self._write() as connection:
            principal = require_application(connection, app_id, APPLICATION_KINDS)
            result = connection.execute(
                delete(federated_credentials).where(
                    federated_credentials.c.principal_id == principal.object_id,
                    federated_credentials.c.name == name,
                )
            )
            return result.rowcount > 0
