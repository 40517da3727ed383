"""Row mapping and lookups shared by the store's operations: directory values to and from table rows.

Private to `store`. Reads the hash columns only where a record for verification asks for them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, select

from dockyard.directory.errors import PrincipalNotFound, WrongPrincipalKind
from dockyard.directory.model import ClientSecret, FederatedCredential, Principal, PrincipalKind, canonical_uuid
from dockyard.directory.schema import client_secrets, federated_credentials, principals

PRINCIPAL_COLUMNS = (
    principals.c.object_id,
    principals.c.kind,
    principals.c.display_name,
    principals.c.enabled,
    principals.c.created_at,
    principals.c.user_name,
    principals.c.app_id,
    principals.c.bootstrap,
)
SECRET_COLUMNS = (
    client_secrets.c.secret_id,
    client_secrets.c.hint,
    client_secrets.c.end_date,
    client_secrets.c.created_at,
)
FEDERATED_COLUMNS = (
    federated_credentials.c.credential_id,
    federated_credentials.c.principal_id,
    federated_credentials.c.name,
    federated_credentials.c.issuer,
    federated_credentials.c.subject,
    federated_credentials.c.audiences,
    federated_credentials.c.created_at,
)


def principal_from(row: Sequence[Any]) -> Principal:
    """A `Principal` from a row of `PRINCIPAL_COLUMNS`."""
    object_id, kind, display_name, enabled, created_at, user_name, app_id, bootstrap = row
    return Principal(
        object_id, PrincipalKind(kind), display_name, bool(enabled), created_at, user_name, app_id, bool(bootstrap)
    )


def principal_values(principal: Principal) -> dict[str, Any]:
    """The `principals` row of a principal."""
    return {
        "object_id": principal.object_id,
        "kind": principal.kind.value,
        "display_name": principal.display_name,
        "enabled": principal.enabled,
        "created_at": principal.created_at,
        "user_name": principal.user_name,
        "app_id": principal.app_id,
        "bootstrap": principal.bootstrap,
    }


def secret_from(row: Sequence[Any]) -> ClientSecret:
    """A `ClientSecret` from a row of `SECRET_COLUMNS`."""
    secret_id, hint, end_date, created_at = row
    return ClientSecret(secret_id, hint, end_date, created_at)


def federated_from(row: Sequence[Any]) -> FederatedCredential:
    """A `FederatedCredential` from a row of `FEDERATED_COLUMNS`."""
    credential_id, principal_id, name, issuer, subject, audiences, created_at = row
    return FederatedCredential(
        credential_id, principal_id, name, issuer, subject, tuple(json.loads(audiences)), created_at
    )


def federated_values(credential: FederatedCredential) -> dict[str, Any]:
    """The `federated_credentials` row of a credential."""
    return {
        "credential_id": credential.credential_id,
        "principal_id": credential.principal_id,
        "name": credential.name,
        "issuer": credential.issuer,
        "subject": credential.subject,
        "audiences": json.dumps(list(credential.audiences)),
        "created_at": credential.created_at,
    }


def require_principal(connection: Connection, object_id: str, kinds: Iterable[PrincipalKind]) -> Principal:
    """The principal with this object id, which must be of one of `kinds`."""
    row = connection.execute(select(*PRINCIPAL_COLUMNS).where(principals.c.object_id == object_id)).first()
    if row is None:
        raise PrincipalNotFound(f"no principal with object id {object_id}")
    return _of_kind(principal_from(row), kinds)


def require_application(connection: Connection, app_id: str, kinds: Iterable[PrincipalKind]) -> Principal:
    """The principal with this application (client) id, which must be of one of `kinds`."""
    canonical = canonical_uuid(app_id)
    row = connection.execute(select(*PRINCIPAL_COLUMNS).where(principals.c.app_id == canonical)).first()
    if canonical is None or row is None:
        raise PrincipalNotFound(f"no application with id {app_id}")
    return _of_kind(principal_from(row), kinds)


def _of_kind(principal: Principal, kinds: Iterable[PrincipalKind]) -> Principal:
    allowed = set(kinds)
    if principal.kind not in allowed:
        wanted = " or ".join(sorted(kind.value for kind in allowed))
        raise WrongPrincipalKind(f"{principal.object_id} is a {principal.kind.value}, not a {wanted}")
    return principal
