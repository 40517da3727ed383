"""The tree an ABAC condition is parsed into, and its normalized text form.

Values are immutable and compare by structure, so a condition can be stored, hashed and compared
after it was parsed once. The tree knows nothing of how it was written (spacing, keyword case,
`&&` or `AND`); `render()` prints one normalized form that parses back to the same tree.

String values keep the text exactly as written between the quotes: a backslash escapes the
character after it (`\\'` is a quote, `\\*` a literal asterisk in a `StringLike` pattern).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeAlias

REPOSITORY_NAME = "Microsoft.ContainerRegistry/registries/repositories:name"


class AttributeSource(StrEnum):
    """Where an attribute is read from; for the repository name both mean the same thing."""

    REQUEST = "Request"
    RESOURCE = "Resource"


class StringOperator(StrEnum):
    """The string comparison operators of Azure's condition language that the registry supports."""

    STRING_EQUALS = "StringEquals"
    STRING_EQUALS_IGNORE_CASE = "StringEqualsIgnoreCase"
    STRING_NOT_EQUALS = "StringNotEquals"
    STRING_NOT_EQUALS_IGNORE_CASE = "StringNotEqualsIgnoreCase"
    STRING_STARTS_WITH = "StringStartsWith"
    STRING_STARTS_WITH_IGNORE_CASE = "StringStartsWithIgnoreCase"
    STRING_NOT_STARTS_WITH = "StringNotStartsWith"
    STRING_NOT_STARTS_WITH_IGNORE_CASE = "StringNotStartsWithIgnoreCase"
    STRING_LIKE = "StringLike"
    STRING_LIKE_IGNORE_CASE = "StringLikeIgnoreCase"
    STRING_NOT_LIKE = "StringNotLike"
    STRING_NOT_LIKE_IGNORE_CASE = "StringNotLikeIgnoreCase"

    @property
    def ignore_case(self) -> bool:
        """Whether the comparison ignores case."""
        return self.value.endswith("IgnoreCase")

    @property
    def negated(self) -> bool:
        """Whether this is the negation of a positive operator (`StringNotEquals` of `StringEquals`)."""
        return self.value.startswith("StringNot")

    @property
    def test(self) -> str:
        """The positive test underneath: `Equals`, `StartsWith` or `Like`."""
        return self.value.removesuffix("IgnoreCase").removeprefix("String").removeprefix("Not")


@dataclass(frozen=True)
class ActionMatches:
    """`ActionMatches{'<pattern>'}`: the requested data action matches the pattern (`*` is a wildcard)."""

    pattern: str

    def __post_init__(self) -> None:
        _check_literal(self.pattern)


@dataclass(frozen=True)
class Comparison:
    """`@Request[<repository name>] <operator> '<value>'`."""

    operator: StringOperator
    value: str
    source: AttributeSource = AttributeSource.REQUEST
    # What the quoted value stands for, worked out once when the condition is loaded.
    text: str = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_literal(self.value)
        object.__setattr__(self, "text", unescape(self.value))


@dataclass(frozen=True)
class Not:
    """`!(<operand>)` or `NOT <operand>`."""

    operand: Condition


@dataclass(frozen=True)
class And:
    """Two or more operands joined by `AND`; true when all are."""

    operands: tuple[Condition, ...]

    def __post_init__(self) -> None:
        _check_arity(self.operands)


@dataclass(frozen=True)
class Or:
    """Two or more operands joined by `OR`; true when any is."""

    operands: tuple[Condition, ...]

    def __post_init__(self) -> None:
        _check_arity(self.operands)


Condition: TypeAlias = ActionMatches | Comparison | Not | And | Or


def unescape(raw: str) -> str:
    """The text a quoted value stands for: each backslash escapes the character after it."""
    out: list[str] = []
    escaped = False
    for char in raw:
        if escaped or char != "\\":
            out.append(char)
            escaped = False
        else:
            escaped = True
    if escaped:
        out.append("\\")
    return "".join(out)


def _check_literal(raw: str) -> None:
    escaped = False
    for char in raw:
        if not escaped and char == "'":
            raise ValueError(f"an unescaped quote cannot appear in a quoted value: {raw!r}")
        escaped = not escaped and char == "\\"
    if escaped:
        raise ValueError(f"a quoted value cannot end in a lone backslash: {raw!r}")


def _check_arity(operands: tuple[Condition, ...]) -> None:
    if len(operands) < 2:
        raise ValueError("AND and OR join two or more operands")


def render(condition: Condition) -> str:
    """A normalized one-line text form; `parse_condition(render(c)) == c`.

    Keywords and operators are written in Azure's spelling, negations as `!(...)`, and a group
    inside another group is always parenthesized, so the text is unambiguous to Azure as well.
    """
    match condition:
        case ActionMatches(pattern):
            return f"ActionMatches{{'{pattern}'}}"
        case Comparison(operator, value, source):
            return f"@{source}[{REPOSITORY_NAME}] {operator} '{value}'"
        case Not(operand):
            return f"!({render(operand)})"
        case And(operands):
            return " AND ".join(_operand(op) for op in operands)
        case Or(operands):
            return " OR ".join(_operand(op) for op in operands)


def _operand(condition: Condition) -> str:
    text = render(condition)
    return f"({text})" if isinstance(condition, And | Or) else text
