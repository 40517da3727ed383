"""Reading an ABAC condition: a tokenizer and a recursive-descent parser, with exact error positions.

Grammar (keywords and operator names are case-insensitive; `&&` and `||` are Azure's synonyms of
`AND` and `OR`; whitespace, newlines included, separates tokens anywhere):

    condition   := or_expr END
    or_expr     := and_expr (("OR" | "||") and_expr)*
    and_expr    := not_expr (("AND" | "&&") not_expr)*
    not_expr    := ("NOT" | "!") not_expr | primary
    primary     := "(" or_expr ")" | "ActionMatches" "{" STRING "}" | ATTRIBUTE OPERATOR STRING
    ATTRIBUTE   := "@Request[" NAME "]" | "@Resource[" NAME "]"
    STRING      := "'" (any character but "'" and "\\" | "\\" any character)* "'"

NOT binds tighter than AND, AND tighter than OR. The only attribute the registry knows is the
repository name; a condition naming any other is refused, since it could never be evaluated.
Never does I/O; the only exception it raises is `ConditionSyntaxError`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum, auto

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
)

MAX_DEPTH = 64  # far beyond real conditions; keeps hostile input from exhausting the stack

_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?::[A-Za-z_][A-Za-z0-9_]*)?")
_PUNCTUATION = {"(": "(", ")": ")", "{": "{", "}": "}", ",": ",", "!": "!"}
_SYMBOLIC_KEYWORDS = {"&&": "AND", "||": "OR"}
_OPERATORS = {op.value.casefold(): op for op in StringOperator}
_SOURCES = {source.value.casefold(): source for source in AttributeSource}
_KEYWORDS = {"and": "AND", "or": "OR", "not": "!", "actionmatches": "ActionMatches"}


class ConditionSyntaxError(ValueError):
    """A condition that cannot be read, with where: offset from 0, line and column from 1."""

    def __init__(self, message: str, position: int, line: int, column: int) -> None:
        super().__init__(f"{message} (line {line}, column {column})")
        self.message = message
        self.position = position
        self.line = line
        self.column = column


class _Kind(Enum):
    PUNCT = auto()  # text is the canonical punctuation or keyword: ( ) { } , ! AND OR ActionMatches
    WORD = auto()  # any other identifier, e.g. an operator name
    STRING = auto()  # value is the raw text between the quotes
    ATTRIBUTE = auto()  # value is the attribute source
    END = auto()


@dataclass(frozen=True)
class _Token:
    kind: _Kind
    text: str
    position: int
    value: str = ""


def _locate(text: str, position: int) -> tuple[int, int]:
    """Line and column, both from 1, of an offset into the text."""
    return text.count("\n", 0, position) + 1, position - (text.rfind("\n", 0, position) + 1) + 1


def _fail(text: str, position: int, message: str) -> ConditionSyntaxError:
    return ConditionSyntaxError(message, position, *_locate(text, position))


class _Tokenizer:
    """Produces tokens on demand, so errors surface in reading order."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def next(self) -> _Token:
        text = self.text
        while self.pos < len(text) and text[self.pos].isspace():
            self.pos += 1
        start = self.pos
        if start >= len(text):
            return _Token(_Kind.END, "end of condition", start)
        char = text[start]
        pair = text[start : start + 2]
        if pair in _SYMBOLIC_KEYWORDS:
            self.pos += 2
            return _Token(_Kind.PUNCT, _SYMBOLIC_KEYWORDS[pair], start)
        if char in _PUNCTUATION:
            self.pos += 1
            return _Token(_Kind.PUNCT, _PUNCTUATION[char], start)
        if char == "'":
            return self._string(start)
        if char == "@":
            return self._attribute(start)
        word = _WORD.match(text, start)
        if word:
            self.pos = word.end()
            keyword = _KEYWORDS.get(word.group().casefold())
            return _Token(_Kind.PUNCT, keyword, start) if keyword else _Token(_Kind.WORD, word.group(), start)
        hint = "; quote values with single quotes" if char == '"' else ""
        raise _fail(text, start, f"unexpected character {char!r}{hint}")

    def _string(self, start: int) -> _Token:
        text, pos = self.text, start + 1
        while pos < len(text) and text[pos] != "'":
            pos += 2 if text[pos] == "\\" else 1
        if pos >= len(text):
            raise _fail(text, start, "unterminated string: no closing quote for the quote here")
        self.pos = pos + 1
        return _Token(_Kind.STRING, text[start : pos + 1], start, text[start + 1 : pos])

    def _attribute(self, start: int) -> _Token:
        text = self.text
        word = _WORD.match(text, start + 1)
        source = _SOURCES.get(word.group().casefold()) if word else None
        if word is None or source is None:
            found = f"'@{word.group()}'" if word else "'@'"
            raise _fail(text, start, f"unknown attribute source {found}; use @Request[...] or @Resource[...]")
        bracket = word.end()
        if not text.startswith("[", bracket):
            raise _fail(text, bracket, f"expected '[' after '@{word.group()}'")
        close = text.find("]", bracket)
        if close < 0 or "\n" in text[bracket:close]:
            raise _fail(text, bracket, "unterminated attribute: no closing ']' for the '[' here")
        name = text[bracket + 1 : close]
        if name.strip().casefold() != REPOSITORY_NAME.casefold():
            raise _fail(
                text,
                bracket + 1,
                f"unknown attribute {name!r}: the registry knows only the repository name, {REPOSITORY_NAME}",
            )
        self.pos = close + 1
        return _Token(_Kind.ATTRIBUTE, text[start : close + 1], start, source.value)


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _Tokenizer(text)
        self.current = self.tokens.next()
        self.depth = 0

    def advance(self) -> _Token:
        token = self.current
        self.current = self.tokens.next()
        return token

    def at(self, text: str) -> bool:
        return self.current.kind is _Kind.PUNCT and self.current.text == text

    def at_end(self) -> bool:
        return self.current.kind is _Kind.END

    def fail(self, message: str, token: _Token | None = None) -> ConditionSyntaxError:
        return _fail(self.text, (token or self.current).position, message)

    def found(self) -> str:
        token = self.current
        return f"'{token.text}'" if token.kind in (_Kind.PUNCT, _Kind.WORD) else token.text

    def expect(self, text: str, context: str) -> _Token:
        if not self.at(text):
            raise self.fail(f"expected '{text}' {context}, found {self.found()}")
        return self.advance()

    def condition(self) -> Condition:
        if self.at_end():
            raise self.fail("empty condition")
        result = self.or_expr()
        if self.at(")"):
            raise self.fail("unmatched ')'")
        if not self.at_end():
            raise self.fail(f"unexpected {self.found()} after a complete expression; join expressions with AND or OR")
        return result

    def or_expr(self) -> Condition:
        operands = [self.and_expr()]
        while self.at("OR"):
            self.advance()
            operands.append(self.and_expr())
        return operands[0] if len(operands) == 1 else Or(tuple(operands))

    def and_expr(self) -> Condition:
        operands = [self.not_expr()]
        while self.at("AND"):
            self.advance()
            operands.append(self.not_expr())
        return operands[0] if len(operands) == 1 else And(tuple(operands))

    def not_expr(self) -> Condition:
        if not self.at("!"):
            return self.primary()
        self.nest()
        self.advance()
        operand = self.not_expr()
        self.depth -= 1
        return Not(operand)

    def nest(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"condition nested more than {MAX_DEPTH} levels deep")

    def primary(self) -> Condition:
        token = self.current
        if self.at("("):
            self.nest()
            self.advance()
            inner = self.or_expr()
            line, column = _locate(self.text, token.position)
            self.expect(")", f"to close the '(' at line {line}, column {column}")
            self.depth -= 1
            return inner
        if self.at("ActionMatches"):
            return self.action_matches()
        if token.kind is _Kind.ATTRIBUTE:
            return self.comparison()
        if token.kind is _Kind.WORD:
            raise self.fail(f"unknown function '{token.text}'; the registry supports ActionMatches{{...}}")
        raise self.fail(f"expected an expression, found {self.found()}")

    def action_matches(self) -> Condition:
        self.advance()
        self.expect("{", "after ActionMatches")
        pattern = self.string("an action in quotes")
        if self.at(","):
            raise self.fail("ActionMatches takes one action; join several ActionMatches{'...'} with OR")
        self.expect("}", "to close ActionMatches{")
        return ActionMatches(pattern)

    def comparison(self) -> Condition:
        source = AttributeSource(self.advance().value)
        token = self.current
        if token.kind is not _Kind.WORD:
            raise self.fail(f"expected an operator such as StringEquals after the attribute, found {self.found()}")
        operator = _OPERATORS.get(token.text.casefold())
        if operator is None:
            supported = ", ".join(op.value for op in StringOperator)
            raise self.fail(f"unknown operator '{token.text}'; the registry supports {supported}")
        self.advance()
        if self.at("{"):
            raise self.fail(f"{operator} takes one value here; write one expression per value and join them with OR")
        return Comparison(operator, self.string("a quoted value"), source)

    def string(self, what: str) -> str:
        if self.current.kind is not _Kind.STRING:
            raise self.fail(f"expected {what}, found {self.found()}")
        return self.advance().value


def parse_condition(text: str) -> Condition:
    """Parse a condition as written in a role assignment; `ConditionSyntaxError` says where it is wrong."""
    return _Parser(text).condition()
