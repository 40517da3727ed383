"""ABAC conditions on role assignments: parse once, evaluate purely, explain, and warn of classic mistakes.

The subset of Azure's condition language (version 2.0) that container registry repositories use:
`ActionMatches{'<data action>'}`, the repository name attribute with the `String*` operators, and
`AND`/`OR`/`NOT` with parentheses. A condition is parsed when its role assignment is saved; one that
does not parse is refused then, with the line and column of the error, so a stored condition always
evaluates. Everything here is pure: no I/O, no clock, no state beyond a cache of compiled patterns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from dockyard.access.condition_syntax import MAX_DEPTH, ConditionSyntaxError, parse_condition
from dockyard.access.condition_tree import (
    REPOSITORY_NAME,
    ActionMatches,
    And,
    AttributeSource,
    Comparison,
    Condition,
    Not,
    Or,
    StringOperator,
    render,
)

__all__ = [
    "MAX_DEPTH",
    "REPOSITORY_NAME",
    "ActionMatches",
    "And",
    "AttributeSource",
    "Comparison",
    "Condition",
    "ConditionSyntaxError",
    "Not",
    "Or",
    "StringOperator",
    "Trace",
    "action_matches",
    "evaluate",
    "explain",
    "parse_condition",
    "prefix_warnings",
    "render",
]


def evaluate(condition: Condition, *, action: str, repository: str) -> bool:
    """Whether the condition holds for this data action on this repository."""
    return _holds(condition, action, repository)


def _holds(condition: Condition, action: str, repository: str) -> bool:
    # isinstance and plain loops rather than `match` and all()/any(): this runs for every action of
    # every token request, and is about three times as fast (~1 us for the DESIGN.md example).
    if isinstance(condition, Comparison):
        return _compare(condition, repository)
    if isinstance(condition, ActionMatches):
        return action_matches(condition.pattern, action)
    if isinstance(condition, Not):
        return not _holds(condition.operand, action, repository)
    if isinstance(condition, And):
        for operand in condition.operands:  # noqa: SIM110
            if not _holds(operand, action, repository):
                return False
        return True
    for operand in condition.operands:  # noqa: SIM110
        if _holds(operand, action, repository):
            return True
    return False


def action_matches(pattern: str, action: str) -> bool:
    """Azure's action matching: case-insensitive, `*` stands for any run of characters, `/` included."""
    if "*" not in pattern and "\\" not in pattern:
        return pattern.casefold() == action.casefold()
    return _wildcard(pattern.casefold(), single=False).fullmatch(action.casefold()) is not None


def _compare(comparison: Comparison, repository: str) -> bool:
    """One string comparison of the repository name against the comparison's value."""
    test, ignore_case, negated = _TRAITS[comparison.operator]
    text = comparison.text
    if ignore_case:
        text, repository = text.casefold(), repository.casefold()
    if test == "Like":
        pattern = _wildcard(comparison.value.casefold() if ignore_case else comparison.value, single=True)
        return (pattern.fullmatch(repository) is None) is negated
    if test == "StartsWith":
        return repository.startswith(text) is not negated
    return (repository == text) is not negated


_TRAITS = {op: (op.test, op.ignore_case, op.negated) for op in StringOperator}


@lru_cache(maxsize=4096)
def _wildcard(pattern: str, *, single: bool) -> re.Pattern[str]:
    """`*` (and, for StringLike, `?`) as wildcards; a backslash makes the next character literal."""
    parts: list[str] = []
    escaped = False
    for char in pattern:
        if escaped:
            parts.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "*":
            parts.append(".*")
        elif char == "?" and single:
            parts.append(".")
        else:
            parts.append(re.escape(char))
    if escaped:
        parts.append(re.escape("\\"))
    return re.compile("".join(parts), re.DOTALL)


@dataclass(frozen=True)
class Trace:
    """How each sub-expression of a condition evaluated, for `dockyard explain`."""

    condition: Condition
    result: bool
    children: tuple[Trace, ...] = ()

    def lines(self, indent: int = 0) -> list[str]:
        """One line per sub-expression, indented by depth: `true  ActionMatches{'...'}`."""
        text = render(self.condition) if not self.children else _label(self.condition)
        own = f"{'  ' * indent}{'true ' if self.result else 'false'} {text}"
        return [own] + [line for child in self.children for line in child.lines(indent + 1)]


def _label(condition: Condition) -> str:
    match condition:
        case Not():
            return "NOT"
        case And(operands):
            return f"AND of {len(operands)}"
        case Or(operands):
            return f"OR of {len(operands)}"
        case _:
            return render(condition)


def explain(condition: Condition, *, action: str, repository: str) -> Trace:
    """Evaluate every sub-expression (no short-circuit) and say which were true; `.result` is `evaluate()`."""
    match condition:
        case Not(operand):
            child = explain(operand, action=action, repository=repository)
            return Trace(condition, not child.result, (child,))
        case And(operands) | Or(operands):
            children = tuple(explain(op, action=action, repository=repository) for op in operands)
            results = [child.result for child in children]
            return Trace(condition, all(results) if isinstance(condition, And) else any(results), children)
        case _:
            return Trace(condition, evaluate(condition, action=action, repository=repository))


_STARTS_WITH = {StringOperator.STRING_STARTS_WITH, StringOperator.STRING_STARTS_WITH_IGNORE_CASE}


def prefix_warnings(condition: Condition) -> list[str]:
    """Warn of `StringStartsWith` prefixes without a trailing '/': 'backend' also matches 'backend-infra/...'."""
    match condition:
        case Comparison(operator, value) if operator in _STARTS_WITH and not condition.text.endswith("/"):
            prefix = condition.text
            if not prefix:
                return [f"{operator} '' matches every repository; name a namespace such as 'team-a/'"]
            return [
                f"{operator} '{value}' also matches repositories such as '{prefix}-infra/app' and '{prefix}2', "
                f"not only those under '{prefix}/'; end the prefix with '/' ('{value}/') to mean the namespace"
            ]
        case Not(operand):
            return prefix_warnings(operand)
        case And(operands) | Or(operands):
            return [warning for op in operands for warning in prefix_warnings(op)]
        case _:
            return []
