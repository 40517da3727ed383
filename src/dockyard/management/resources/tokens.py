"""Scope maps and repository-scoped tokens (`az acr scope-map`, `az acr token`), with their passwords.

A token's passwords appear in the response that generates them and never again.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Annotated

from dockyard.access.control_plane import ControlAction
from dockyard.access.model import RepositoryToken, ScopeMap, TokenPasswordName, TokenStatus
from dockyard.management.errors import not_found
from dockyard.management.operations import Call, Operation
from dockyard.management.schema import Constraint, timestamp

_TAG = "tokens"
_ACTION = Annotated[str, Constraint(min_length=1, max_length=512)]
_ACTIONS = Annotated[list[_ACTION], Constraint(max_items=500)]


@dataclass(frozen=True)
class ScopeMapView:
    """A named list of repository actions (`repositories/<name, prefix/* or *>/<action>`)."""

    name: str
    description: str
    actions: list[str]
    built_in: bool
    created_at: datetime.datetime


@dataclass(frozen=True)
class ScopeMapList:
    """Every scope map, built-in first."""

    value: list[ScopeMapView]


@dataclass(frozen=True)
class ScopeMapCreate:
    """A scope map to create."""

    name: Annotated[str, Constraint(min_length=1, max_length=64)]
    actions: _ACTIONS
    description: Annotated[str, Constraint(max_length=2048)] = ""


@dataclass(frozen=True)
class ScopeMapUpdate:
    """Actions to add and remove, and a new description."""

    add: _ACTIONS = field(default_factory=list)
    remove: _ACTIONS = field(default_factory=list)
    description: Annotated[str, Constraint(max_length=2048)] | None = None


@dataclass(frozen=True)
class TokenPasswordView:
    """One of a token's passwords as an administrator sees it: dates, never the value."""

    name: TokenPasswordName
    created_at: datetime.datetime
    expiry: datetime.datetime | None


@dataclass(frozen=True)
class TokenView:
    """A repository-scoped token."""

    name: str
    scope_map: str
    status: TokenStatus
    passwords: list[TokenPasswordView]
    created_at: datetime.datetime


@dataclass(frozen=True)
class TokenList:
    """Every token, by name."""

    value: list[TokenView]


@dataclass(frozen=True)
class IssuedTokenPassword:
    """A password just generated: shown once."""

    name: TokenPasswordName
    value: str
    expiry: datetime.datetime | None


@dataclass(frozen=True)
class TokenCreate:
    """A token to create, with both passwords expiring at `expiry` (or never)."""

    name: Annotated[str, Constraint(min_length=1, max_length=64)]
    scope_map: Annotated[str, Constraint(min_length=1, max_length=64)]
    status: TokenStatus = TokenStatus.ENABLED
    expiry: datetime.datetime | None = None


@dataclass(frozen=True)
class TokenCreated:
    """The token and its two passwords (shown once)."""

    token: TokenView
    passwords: list[IssuedTokenPassword]


@dataclass(frozen=True)
class TokenUpdate:
    """Enable or disable a token, or bind it to another scope map."""

    status: TokenStatus | None = None
    scope_map: Annotated[str, Constraint(min_length=1, max_length=64)] | None = None


@dataclass(frozen=True)
class PasswordGenerate:
    """Which password to replace, and when the new one expires (never when absent)."""

    name: TokenPasswordName
    expiry: datetime.datetime | None = None


@dataclass(frozen=True)
class PasswordGenerated:
    """The new password (shown once)."""

    passwords: list[IssuedTokenPassword]


def _scope_map(scope_map: ScopeMap) -> ScopeMapView:
    actions = [str(entry) for entry in scope_map.entries]
    return ScopeMapView(
        scope_map.name, scope_map.description, actions, scope_map.built_in, timestamp(scope_map.created_at)
    )


def _token(token: RepositoryToken) -> TokenView:
    passwords = [
        TokenPasswordView(p.name, timestamp(p.created_at), None if p.expiry is None else timestamp(p.expiry))
        for p in token.passwords
    ]
    return TokenView(token.name, token.scope_map, token.status, passwords, timestamp(token.created_at))


def _seconds(when: datetime.datetime | None) -> float | None:
    return None if when is None else when.timestamp()


def list_scope_maps(call: Call) -> ScopeMapList:
    """Every scope map."""
    return ScopeMapList([_scope_map(scope_map) for scope_map in call.management.policy.list_scope_maps()])


def show_scope_map(call: Call) -> ScopeMapView:
    """One scope map by name."""
    found = call.management.policy.get_scope_map(call.path["name"])
    if found is None:
        raise not_found("scope map", call.path["name"])
    return _scope_map(found)


def create_scope_map(call: Call) -> ScopeMapView:
    """Create a scope map."""
    body: ScopeMapCreate = call.body
    return _scope_map(call.management.policy.create_scope_map(body.name, body.actions, body.description))


def update_scope_map(call: Call) -> ScopeMapView:
    """Add and remove actions, or change the description."""
    body: ScopeMapUpdate = call.body
    updated = call.management.policy.update_scope_map(call.path["name"], body.add, body.remove, body.description)
    return _scope_map(updated)


def delete_scope_map(call: Call) -> None:
    """Delete a custom scope map no token is bound to."""
    call.management.policy.delete_scope_map(call.path["name"])


def list_tokens(call: Call) -> TokenList:
    """Every token."""
    return TokenList([_token(token) for token in call.management.policy.list_tokens()])


def show_token(call: Call) -> TokenView:
    """One token by name."""
    found = call.management.policy.get_token(call.path["name"])
    if found is None:
        raise not_found("token", call.path["name"])
    return _token(found)


def create_token(call: Call) -> TokenCreated:
    """Create a token with both passwords."""
    body: TokenCreate = call.body
    token, passwords = call.management.policy.create_token(
        body.name, body.scope_map, body.status, _seconds(body.expiry)
    )
    issued = [IssuedTokenPassword(name, value, body.expiry) for name, value in passwords.items()]
    return TokenCreated(_token(token), issued)


def update_token(call: Call) -> TokenView:
    """Enable, disable or rebind a token."""
    body: TokenUpdate = call.body
    return _token(call.management.policy.update_token(call.path["name"], body.status, body.scope_map))


def delete_token(call: Call) -> None:
    """Delete a token and its passwords."""
    call.management.policy.delete_token(call.path["name"])


def generate_password(call: Call) -> PasswordGenerated:
    """Replace one of a token's passwords (the other keeps working)."""
    body: PasswordGenerate = call.body
    value = call.management.policy.generate_password(call.path["name"], body.name, _seconds(body.expiry))
    return PasswordGenerated([IssuedTokenPassword(body.name, value, body.expiry)])


def delete_password(call: Call) -> None:
    """Delete one of a token's passwords: it no longer signs in."""
    which = call.path["password"]
    if which not in {name.value for name in TokenPasswordName}:
        raise not_found("token password", which)
    call.management.policy.delete_password(call.path["name"], TokenPasswordName(which))


A = ControlAction
OPERATIONS = [
    Operation("GET", "/scopeMaps", A.SCOPE_MAPS_READ, "List scope maps", list_scope_maps, _TAG,
              response=ScopeMapList),
    Operation("POST", "/scopeMaps", A.SCOPE_MAPS_WRITE, "Create a scope map", create_scope_map, _TAG,
              body=ScopeMapCreate, response=ScopeMapView, status=201),
    Operation("GET", "/scopeMaps/{name}", A.SCOPE_MAPS_READ, "Show a scope map", show_scope_map, _TAG,
              response=ScopeMapView),
    Operation("PATCH", "/scopeMaps/{name}", A.SCOPE_MAPS_WRITE, "Update a scope map", update_scope_map, _TAG,
              body=ScopeMapUpdate, response=ScopeMapView),
    Operation("DELETE", "/scopeMaps/{name}", A.SCOPE_MAPS_DELETE, "Delete a scope map", delete_scope_map, _TAG),
    Operation("GET", "/tokens", A.TOKENS_READ, "List tokens", list_tokens, _TAG, response=TokenList),
    Operation("POST", "/tokens", A.TOKENS_WRITE, "Create a token", create_token, _TAG,
              body=TokenCreate, response=TokenCreated, status=201),
    Operation("GET", "/tokens/{name}", A.TOKENS_READ, "Show a token", show_token, _TAG, response=TokenView),
    Operation("PATCH", "/tokens/{name}", A.TOKENS_WRITE, "Update a token", update_token, _TAG,
              body=TokenUpdate, response=TokenView),
    Operation("DELETE", "/tokens/{name}", A.TOKENS_DELETE, "Delete a token", delete_token, _TAG),
    Operation("POST", "/tokens/{name}/passwords/generate", A.GENERATE_CREDENTIALS, "Generate a token password",
              generate_password, _TAG, body=PasswordGenerate, response=PasswordGenerated),
    Operation("DELETE", "/tokens/{name}/passwords/{password}", A.TOKENS_WRITE, "Delete a token password",
              delete_password, _TAG),
]  # fmt: skip
