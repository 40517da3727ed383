"""Service principals with their client secrets, managed identities, and the federated credentials of
both (`az ad sp`, `az ad sp credential reset`, `az identity`, `az identity federated-credential`).

Applications are named in paths by application (client) id or object id. A client secret's value
appears only in the response that creates it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from dockyard.access.control_plane import ControlAction
from dockyard.directory.errors import SecretEndDateInvalid
from dockyard.directory.model import DEFAULT_FEDERATED_AUDIENCE, FederatedCredential, IssuedSecret, PrincipalKind
from dockyard.management.errors import not_found
from dockyard.management.operations import Call, Operation
from dockyard.management.resources.principals import (
    PrincipalList,
    PrincipalUpdate,
    PrincipalView,
    find,
    view,
)
from dockyard.management.schema import Constraint, timestamp

_TAG = "directory"
_SP = PrincipalKind.SERVICE_PRINCIPAL
_MI = PrincipalKind.MANAGED_IDENTITY
_KEYS = {_SP: "servicePrincipal", _MI: "identity"}
_LABELS = {_SP: "service principal", _MI: "managed identity"}
_FIELD = Annotated[str, Constraint(min_length=1, max_length=600)]


@dataclass(frozen=True)
class ApplicationCreate:
    """A service principal or managed identity; a service principal may get a first client secret."""

    display_name: Annotated[str, Constraint(min_length=1, max_length=256)]
    secret_end_date: datetime.datetime | None = None


@dataclass(frozen=True)
class IssuedSecretView:
    """A client secret just created: its value is shown here once."""

    secret_id: str
    hint: str
    end_date: datetime.datetime
    value: str


@dataclass(frozen=True)
class ApplicationCreated:
    """The new application, and its first client secret when one was asked for."""

    principal: PrincipalView
    secret: IssuedSecretView | None


@dataclass(frozen=True)
class ClientSecretView:
    """A client secret as an administrator sees it: never its value."""

    secret_id: str
    hint: str
    end_date: datetime.datetime
    created_at: datetime.datetime
    expired: bool


@dataclass(frozen=True)
class ClientSecretList:
    """A service principal's client secrets, by end date."""

    value: list[ClientSecretView]


@dataclass(frozen=True)
class SecretReset:
    """A new client secret ending at `endDate`; it replaces every other one unless `append`."""

    end_date: datetime.datetime
    append: bool = False


@dataclass(frozen=True)
class FederatedCredentialView:
    """Trust in an external OIDC issuer's tokens for one subject and audience."""

    id: str
    name: str
    issuer: str
    subject: str
    audiences: list[str]
    created_at: datetime.datetime


@dataclass(frozen=True)
class FederatedCredentialList:
    """An application's federated credentials, by name."""

    value: list[FederatedCredentialView]


@dataclass(frozen=True)
class FederatedCredentialCreate:
    """A federated credential: the issuer exactly as its tokens' `iss`, the `sub` it trusts, the audiences."""

    name: Annotated[str, Constraint(min_length=3, max_length=120)]
    issuer: _FIELD
    subject: _FIELD
    audiences: Annotated[list[_FIELD], Constraint(min_items=1, max_items=20)] = field(
        default_factory=lambda: [DEFAULT_FEDERATED_AUDIENCE]
    )


def _issued(secret: IssuedSecret) -> IssuedSecretView:
    return IssuedSecretView(secret.secret_id, secret.hint, timestamp(secret.end_date), secret.value)


def _federated(credential: FederatedCredential) -> FederatedCredentialView:
    return FederatedCredentialView(
        credential.credential_id,
        credential.name,
        credential.issuer,
        credential.subject,
        list(credential.audiences),
        timestamp(credential.created_at),
    )


def _app_id(call: Call, kind: PrincipalKind) -> str:
    principal = find(call.management.directory, {kind}, call.path[_KEYS[kind]], _LABELS[kind])
    assert principal.app_id is not None  # applications always have one
    return principal.app_id


def _handlers(kind: PrincipalKind) -> dict[str, Callable[[Call], Any]]:
    """The handlers every application kind shares, bound to the kind."""

    def list_all(call: Call) -> PrincipalList:
        return PrincipalList([view(p) for p in call.management.directory.list_principals(kind)])

    def show(call: Call) -> PrincipalView:
        return view(find(call.management.directory, {kind}, call.path[_KEYS[kind]], _LABELS[kind]))

    def update(call: Call) -> PrincipalView:
        body: PrincipalUpdate = call.body
        principal = find(call.management.directory, {kind}, call.path[_KEYS[kind]], _LABELS[kind])
        if body.enabled is not None:
            call.management.directory.set_enabled(principal.object_id, body.enabled)
        return show(call)

    def delete(call: Call) -> None:
        principal = find(call.management.directory, {kind}, call.path[_KEYS[kind]], _LABELS[kind])
        call.management.directory.delete_principal(principal.object_id)

    def list_federated(call: Call) -> FederatedCredentialList:
        found = call.management.directory.list_federated_credentials(_app_id(call, kind))
        return FederatedCredentialList([_federated(credential) for credential in found])

    def add_federated(call: Call) -> FederatedCredentialView:
        body: FederatedCredentialCreate = call.body
        credential = call.management.directory.add_federated_credential(
            _app_id(call, kind), body.name, body.issuer, body.subject, body.audiences
        )
        return _federated(credential)

    def show_federated(call: Call) -> FederatedCredentialView:
        found = call.management.directory.get_federated_credential(_app_id(call, kind), call.path["name"])
        if found is None:
            raise not_found("federated credential", call.path["name"])
        return _federated(found)

    def delete_federated(call: Call) -> None:
        if not call.management.directory.delete_federated_credential(_app_id(call, kind), call.path["name"]):
            raise not_found("federated credential", call.path["name"])

    one = "service_principal" if kind is _SP else "managed_identity"
    handlers: dict[str, Callable[[Call], Any]] = {
        "list": list_all,
        "show": show,
        "update": update,
        "delete": delete,
        "list_federated": list_federated,
        "add_federated": add_federated,
        "show_federated": show_federated,
        "delete_federated": delete_federated,
    }
    names = {  # the operation ids of the OpenAPI document come from these
        "list": f"list_{one}s",
        "show": f"show_{one}",
        "update": f"update_{one}",
        "delete": f"delete_{one}",
        "list_federated": f"list_{one}_federated_credentials",
        "add_federated": f"add_{one}_federated_credential",
        "show_federated": f"show_{one}_federated_credential",
        "delete_federated": f"delete_{one}_federated_credential",
    }
    for verb, handler in handlers.items():
        handler.__name__ = names[verb]
    return handlers


def create_service_principal(call: Call) -> ApplicationCreated:
    """Register an application, with a first client secret when `secretEndDate` is given (checked first)."""
    body: ApplicationCreate = call.body
    directory = call.management.directory
    if body.secret_end_date is None:
        return ApplicationCreated(view(directory.create_service_principal(body.display_name)), None)
    end_date = body.secret_end_date.timestamp()
    if end_date <= call.management.now():
        raise SecretEndDateInvalid("a client secret's end date must be in the future")
    principal = directory.create_service_principal(body.display_name)
    assert principal.app_id is not None
    return ApplicationCreated(view(principal), _issued(directory.add_secret(principal.app_id, end_date)))


def create_managed_identity(call: Call) -> ApplicationCreated:
    """Create a managed identity (it signs in with federated credentials; never a secret)."""
    body: ApplicationCreate = call.body
    return ApplicationCreated(view(call.management.directory.create_managed_identity(body.display_name)), None)


def list_secrets(call: Call) -> ClientSecretList:
    """A service principal's client secrets (never their values)."""
    now = call.management.now()
    found = call.management.directory.list_secrets(_app_id(call, _SP))
    return ClientSecretList(
        [
            ClientSecretView(s.secret_id, s.hint, timestamp(s.end_date), timestamp(s.created_at), s.expired(now))
            for s in found
        ]
    )


def reset_secret(call: Call) -> IssuedSecretView:
    """A new client secret (replacing the others unless `append`): the seed's fix for an expired secret."""
    body: SecretReset = call.body
    directory = call.management.directory
    app_id = _app_id(call, _SP)
    end_date = body.end_date.timestamp()
    issued = directory.add_secret(app_id, end_date) if body.append else directory.reset_secrets(app_id, end_date)
    return _issued(issued)


def delete_secret(call: Call) -> None:
    """Delete one client secret."""
    if not call.management.directory.delete_secret(_app_id(call, _SP), call.path["secretId"]):
        raise not_found("client secret", call.path["secretId"])


def _operations(kind: PrincipalKind) -> list[Operation]:
    A = ControlAction
    h = _handlers(kind)
    if kind is _SP:
        base, key = "/directory/servicePrincipals", "{servicePrincipal}"
        read, write, delete = A.SERVICE_PRINCIPALS_READ, A.SERVICE_PRINCIPALS_WRITE, A.SERVICE_PRINCIPALS_DELETE
        fed_read, fed_write = A.SERVICE_PRINCIPALS_READ, A.SERVICE_PRINCIPAL_CREDENTIALS_WRITE
        fed_delete, create, label = A.SERVICE_PRINCIPAL_CREDENTIALS_WRITE, create_service_principal, "service principal"
    else:
        base, key = "/directory/managedIdentities", "{identity}"
        read, write, delete = A.IDENTITIES_READ, A.IDENTITIES_WRITE, A.IDENTITIES_DELETE
        fed_read, fed_write = A.IDENTITY_FEDERATED_CREDENTIALS_READ, A.IDENTITY_FEDERATED_CREDENTIALS_WRITE
        fed_delete, create, label = A.IDENTITY_FEDERATED_CREDENTIALS_DELETE, create_managed_identity, "managed identity"
    one, federated = f"{base}/{key}", f"{base}/{key}/federatedCredentials"
    plural = "service principals" if kind is _SP else "managed identities"
    return [
        Operation("GET", base, read, f"List {plural}", h["list"], _TAG, response=PrincipalList),
        Operation("POST", base, write, f"Create a {label}", create, _TAG,
                  body=ApplicationCreate, response=ApplicationCreated, status=201),
        Operation("GET", one, read, f"Show a {label}", h["show"], _TAG, response=PrincipalView),
        Operation("PATCH", one, write, f"Enable or disable a {label}", h["update"], _TAG,
                  body=PrincipalUpdate, response=PrincipalView),
        Operation("DELETE", one, delete, f"Delete a {label}", h["delete"], _TAG),
        Operation("GET", federated, fed_read, f"List a {label}'s federated credentials", h["list_federated"],
                  _TAG, response=FederatedCredentialList),
        Operation("POST", federated, fed_write, f"Add a federated credential to a {label}", h["add_federated"],
                  _TAG, body=FederatedCredentialCreate, response=FederatedCredentialView, status=201),
        Operation("GET", federated + "/{name}", fed_read, "Show a federated credential", h["show_federated"],
                  _TAG, response=FederatedCredentialView),
        Operation("DELETE", federated + "/{name}", fed_delete, "Delete a federated credential",
                  h["delete_federated"], _TAG),
    ]  # fmt: skip


_SECRETS = "/directory/servicePrincipals/{servicePrincipal}/secrets"
OPERATIONS = [
    *_operations(_SP),
    Operation("GET", _SECRETS, ControlAction.SERVICE_PRINCIPALS_READ, "List a service principal's client secrets",
              list_secrets, _TAG, response=ClientSecretList),
    Operation("POST", _SECRETS + "/reset", ControlAction.SERVICE_PRINCIPAL_CREDENTIALS_WRITE,
              "Reset a service principal's client secret", reset_secret, _TAG, body=SecretReset,
              response=IssuedSecretView),
    Operation("DELETE", _SECRETS + "/{secretId}", ControlAction.SERVICE_PRINCIPAL_CREDENTIALS_WRITE,
              "Delete a client secret", delete_secret, _TAG),
    *_operations(_MI),
]  # fmt: skip
