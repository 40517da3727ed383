"""The Docker token spec's scope grammar: parse what clients ask for, render what a token grants.

A scope names one resource and the actions wanted on it::

    repository:library/alpine:pull,push
    repository(plugin):vendor/thing:pull
    repository:localhost:5000/foo:pull      (the name may carry a host and port)
    registry:catalog:*

This module is pure: it never decides what is allowed (that is `access`'s job) and never touches
HTTP. Asking for more than is allowed is not an error here: `intersect` narrows a request to what was
granted, which is how the token service answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Set
from dataclasses import dataclass
from typing import NotRequired, TypedDict

__all__ = [
    "ALL_ACTIONS",
    "AccessEntry",
    "Scope",
    "ScopeInvalid",
    "access_claim",
    "format_scope",
    "intersect",
    "parse_scope",
    "parse_scopes",
]

#: The action that stands for every action on the resource (`registry:catalog:*`).
ALL_ACTIONS = "*"

#: Bounds on what one request may ask for, so a hostile query string costs little.
MAX_SCOPE_LENGTH = 1024
MAX_SCOPES = 100

_TYPE = re.compile(r"([a-z0-9]+)(?:\(([a-z0-9]+)\))?")
_ACTION = re.compile(r"\*|[a-z][a-z0-9_-]*")
# The spec's resource name: [hostname[:port] '/'] component ['/' component]*.
_HOST_COMPONENT = r"(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])"
_HOST = rf"(?:{_HOST_COMPONENT}(?:\.{_HOST_COMPONENT})*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?"
_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPOSITORY_NAME = re.compile(rf"(?:{_HOST}/)?{_COMPONENT}(?:/{_COMPONENT})*")
# Other resource types (`registry:catalog`, plugins' own types) are only held to a safe alphabet.
_OTHER_NAME = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9._/:-]*")


class ScopeInvalid(ValueError):
    """A scope string does not follow the grammar; the message says which part and why."""

    def __init__(self, scope: str, problem: str) -> None:
        super().__init__(f"invalid scope {scope!r}: {problem}")
        self.scope = scope
        self.problem = problem


@dataclass(frozen=True)
class Scope:
    """One resource and the actions asked for (or granted) on it."""

    type: str
    name: str
    actions: frozenset[str]
    resource_class: str | None = None

    @property
    def resource(self) -> tuple[str, str | None, str]:
        """The resource this scope is about, without its actions: what two scopes must share to merge."""
        return (self.type, self.resource_class, self.name)


# One entry of a token's `access` claim, as CNCF distribution's `ResourceActions` reads it; `class` (its
# `class,omitempty`) is present only for a plugin resource class. `class` is a keyword, hence this form.
AccessEntry = TypedDict(
    "AccessEntry",
    {"type": str, "name": str, "actions": list[str], "class": NotRequired[str]},
)


def parse_scopes(values: Iterable[str], *, max_scopes: int = MAX_SCOPES) -> list[Scope]:
    """Parse every `scope` query value, each of which may hold several space-separated scopes.

    Scopes on the same resource are merged into one (their actions united), in first-seen order, so
    `repository:a:pull repository:a:push` is one scope `repository:a:pull,push`. Empty values are
    ignored (`docker login` asks for no scope at all). Raises `ScopeInvalid` for any malformed scope,
    or when more than `max_scopes` are asked for.
    """
    merged: dict[tuple[str, str | None, str], Scope] = {}
    count = 0
    for value in values:
        for text in value.split():
            count += 1
            if count > max_scopes:
                raise ScopeInvalid(text, f"more than {max_scopes} scopes in one request")
            scope = parse_scope(text)
            previous = merged.get(scope.resource)
            merged[scope.resource] = scope if previous is None else _unite(previous, scope)
    return list(merged.values())


def parse_scope(text: str) -> Scope:
    """Parse one scope, `type[(class)]:name:action[,action...]`.

    The type ends at the first `:` and the actions begin after the last one, so a name holding a
    host and port (`localhost:5000/foo`) parses whole.
    """
    if len(text) > MAX_SCOPE_LENGTH:
        raise ScopeInvalid(text[:64] + "...", f"longer than {MAX_SCOPE_LENGTH} characters")
    type_part, sep, rest = text.partition(":")
    name, sep2, actions_part = rest.rpartition(":")
    if not sep or not sep2:
        raise ScopeInvalid(text, "expected type:name:actions")
    resource_type, resource_class = _parse_type(text, type_part)
    _check_name(text, resource_type, name)
    return Scope(resource_type, name, _parse_actions(text, actions_part), resource_class)


def format_scope(scope: Scope) -> str:
    """Render a scope as the grammar writes it, actions sorted (`repository:foo:pull,push`).

    This is the text of the `scope` parameter in a `WWW-Authenticate` challenge.
    """
    resource_type = scope.type if scope.resource_class is None else f"{scope.type}({scope.resource_class})"
    return f"{resource_type}:{scope.name}:{','.join(sorted(scope.actions))}"


def intersect(requested: Scope, granted_actions: Set[str]) -> Scope:
    """Narrow a requested scope to the actions granted on its resource.

    The token grants the intersection of what was asked and what is allowed, never an error for
    asking too much; the result may have no actions at all. `*` on either side stands for every
    action: asking `*` yields everything granted, and a `*` grant yields everything asked.
    """
    actions = requested.actions & granted_actions
    if ALL_ACTIONS in requested.actions:
        actions |= granted_actions
    if ALL_ACTIONS in granted_actions:
        actions |= requested.actions
    return Scope(requested.type, requested.name, frozenset(actions), requested.resource_class)


def access_claim(scopes: Iterable[Scope]) -> list[AccessEntry]:
    """Render granted scopes as a token's `access` claim: `[{"type","name","actions"}]`.

    Actions are sorted; scopes with no actions are kept (the client sees what it was refused).
    A plugin resource class is rendered as `class`, as CNCF distribution reads it.
    """
    entries: list[AccessEntry] = []
    for scope in scopes:
        entry: AccessEntry = {"type": scope.type, "name": scope.name, "actions": sorted(scope.actions)}
        if scope.resource_class is not None:
            entry["class"] = scope.resource_class
        entries.append(entry)
    return entries


def _parse_type(text: str, type_part: str) -> tuple[str, str | None]:
    match = _TYPE.fullmatch(type_part)
    if match is None:
        raise ScopeInvalid(text, f"resource type {type_part!r} is not [a-z0-9]+ with an optional (class)")
    return match.group(1), match.group(2)


def _check_name(text: str, resource_type: str, name: str) -> None:
    pattern = _REPOSITORY_NAME if resource_type == "repository" else _OTHER_NAME
    if pattern.fullmatch(name) is None:
        raise ScopeInvalid(text, f"resource name {name!r} is not a valid {resource_type} name")


def _parse_actions(text: str, actions_part: str) -> frozenset[str]:
    actions = actions_part.split(",")
    for action in actions:
        if _ACTION.fullmatch(action) is None:
            raise ScopeInvalid(text, f"action {action!r} is not '*' or a lower-case word")
    return frozenset(actions)


def _unite(first: Scope, second: Scope) -> Scope:
    return Scope(first.type, first.name, first.actions | second.actions, first.resource_class)
