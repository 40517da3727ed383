"""The rules a policy value must follow before it is stored: names, actions, repositories, conditions.

Pure: every check takes the value and returns it (normalized) or raises a `PolicyInvalid`. A
condition is parsed here, when its assignment is saved, so a stored condition always compiles.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence

from dockyard.access.conditions import ConditionSyntaxError, parse_condition, prefix_warnings
from dockyard.access.model import ScopeMapActionInvalid, ScopeMapEntry, parse_scope_map_entry
from dockyard.access.roles import DataAction
from dockyard.policy.errors import (
    ActionInvalid,
    ConditionInvalid,
    DescriptionInvalid,
    NameInvalid,
    RepositoryInvalid,
)

MAX_ROLE_NAME = 128
MAX_DESCRIPTION = 2048
MAX_CONDITION = 8192
MAX_REPOSITORY = 255

_COMPONENT = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_REPOSITORY = re.compile(rf"{_COMPONENT}(?:/{_COMPONENT})*")
_TOKEN_NAME = re.compile(r"[A-Za-z0-9-]{5,50}")
_SCOPE_MAP_NAME = re.compile(r"[A-Za-z0-9_-]{5,50}")
# Control-plane actions: `*`, `*/read`, or under a provider Dockyard plays; `!` excludes (as the
# built-in Contributor's do).
_ACTION = re.compile(
    r"!?(?:\*|Microsoft\.(?:ContainerRegistry|Authorization|Directory|ManagedIdentity|OperationalInsights))"
    r"(?:/[A-Za-z0-9._*-]+)*",
    re.IGNORECASE,
)
_DATA_ACTIONS = {action.value.lower(): action.value for action in DataAction}


def check_repository(repository: str) -> str:
    """A role assignment's repository: an OCI repository name (lower case, `/`-separated components)."""
    if len(repository) > MAX_REPOSITORY or not _REPOSITORY.fullmatch(repository):
        raise RepositoryInvalid(f"{repository!r} is not a valid repository name")
    return repository


def check_description(description: str) -> str:
    """A description: at most 2048 characters, no control characters but newlines and tabs."""
    if len(description) > MAX_DESCRIPTION:
        raise DescriptionInvalid(f"a description is at most {MAX_DESCRIPTION} characters")
    if any(not character.isprintable() and character not in "\n\t" for character in description):
        raise DescriptionInvalid("a description cannot hold control characters")
    return description


def check_role_name(name: str) -> str:
    """A custom role's name: 1 to 128 printable characters, no spaces at either end."""
    if not name or len(name) > MAX_ROLE_NAME or name != name.strip() or not name.isprintable():
        raise NameInvalid(
            f"a role name is 1 to {MAX_ROLE_NAME} printable characters without leading or trailing spaces"
        )
    return name


def check_scope_map_name(name: str) -> str:
    """A scope map's name, as ACR's: 5 to 50 letters, digits, `-` and `_`, not starting with `_`
    (which marks the built-in `_repositories_*` maps)."""
    if not _SCOPE_MAP_NAME.fullmatch(name) or name.startswith("_"):
        raise NameInvalid(
            "a scope map name is 5 to 50 letters, digits, '-' and '_', and does not start with '_' "
            "(reserved for the built-in scope maps)"
        )
    return name


def check_token_name(name: str) -> str:
    """A repository-scoped token's name, as ACR's: 5 to 50 letters, digits and `-`.

    Not shaped like a UUID either: at sign-in, a UUID user name is a service principal's application id.
    """
    if not _TOKEN_NAME.fullmatch(name):
        raise NameInvalid("a token name is 5 to 50 letters, digits and '-'")
    if _is_uuid(name):
        raise NameInvalid("a token name cannot be a UUID: at sign-in it would read as an application id")
    return name


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def check_actions(actions: Iterable[str]) -> frozenset[str]:
    """A custom role's control-plane actions: `*`-style patterns or actions under
    `Microsoft.ContainerRegistry/` (or `Microsoft.Authorization/`), optionally excluded with `!`."""
    checked = frozenset(actions)
    for action in checked:
        if not isinstance(action, str) or not _ACTION.fullmatch(action):
            raise ActionInvalid(
                f"invalid action {action!r}: expected '*', '*/read' or an action under Microsoft.ContainerRegistry/"
            )
    return checked


def check_data_actions(data_actions: Iterable[str]) -> frozenset[str]:
    """A custom role's data actions, each one of the registry's (`DataAction`), in any case.

    Patterns are refused rather than stored: a data action is granted by name, so a pattern would
    silently grant nothing.
    """
    checked: set[str] = set()
    for action in data_actions:
        canonical = _DATA_ACTIONS.get(action.lower()) if isinstance(action, str) else None
        if canonical is None:
            raise ActionInvalid(
                f"unknown data action {action!r}: expected one of {', '.join(sorted(_DATA_ACTIONS.values()))}"
            )
        checked.add(canonical)
    return frozenset(checked)


def check_condition(condition: str) -> list[str]:
    """Parse a condition as it will be stored; return warnings about likely mistakes (a prefix
    without a trailing `/`). Raise `ConditionInvalid`, with the error's line and column, when it
    does not parse."""
    if len(condition) > MAX_CONDITION:
        line_start = condition.rfind("\n", 0, MAX_CONDITION) + 1
        raise ConditionInvalid(
            f"a condition is at most {MAX_CONDITION} characters",
            line=condition.count("\n", 0, MAX_CONDITION) + 1,
            column=MAX_CONDITION - line_start + 1,
            position=MAX_CONDITION,
        )
    try:
        parsed = parse_condition(condition)
    except ConditionSyntaxError as error:
        raise ConditionInvalid.from_syntax_error(error) from None
    return prefix_warnings(parsed)


def check_scope_map_actions(actions: Sequence[str]) -> tuple[ScopeMapEntry, ...]:
    """A scope map's actions parsed (`repositories/<name, prefix/* or *>/<action>`), duplicates dropped."""
    entries: dict[ScopeMapEntry, None] = {}
    for text in actions:
        entry = _scope_map_entry(text)
        entries[entry] = None
    return tuple(entries)


def _scope_map_entry(text: str) -> ScopeMapEntry:
    try:
        entry = parse_scope_map_entry(text)
    except ScopeMapActionInvalid as error:
        raise ActionInvalid(str(error)) from None
    pattern = entry.repositories.removesuffix("/*")
    if pattern != "*" and (len(pattern) > MAX_REPOSITORY or not _REPOSITORY.fullmatch(pattern)):
        raise ActionInvalid(f"invalid scope map action {text!r}: {pattern!r} is not a valid repository name")
    return entry
