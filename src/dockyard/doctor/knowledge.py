"""`causes.toml` loaded and checked: every cause with its patterns (compiled), fix, probes and codes.

Loading validates everything a typo could break — unknown ids, steps or codes, seed numbers outside 1-7, regexes
that do not compile, context patterns without their `value` group — and raises `KnowledgeInvalid` naming the place.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from dockyard.doctor.vocabulary import CauseId, CheckCode, StepName

#: The placeholders a fix may hold, `<login-server>` etc.; `render_fix` fills in those it knows.
PLACEHOLDERS = ("login-server", "repository", "ip", "action")
_FLAGS = re.IGNORECASE


class KnowledgeInvalid(ValueError):
    """`causes.toml` does not hold what the doctor needs; the message says where."""


@dataclass(frozen=True)
class Pattern:
    """A regular expression over an error text, and how strongly a match points at its cause."""

    regex: re.Pattern[str]
    weight: int


@dataclass(frozen=True)
class Cause:
    """One cause: what it is, how to fix it, how to confirm it, and the texts that betray it."""

    id: CauseId
    seed: int
    title: str
    explanation: str
    fix: tuple[str, ...]
    probes: tuple[StepName, ...]
    codes: tuple[CheckCode, ...]
    reasons: tuple[str, ...]
    symptoms: tuple[str, ...]
    patterns: tuple[Pattern, ...]


@dataclass(frozen=True)
class Knowledge:
    """Every cause, in the file's order (which breaks no ties: equal evidence ranks equal), and the context
    patterns that find the login server, repository and IP address in a text."""

    causes: tuple[Cause, ...]
    context: Mapping[str, tuple[re.Pattern[str], ...]]

    def cause(self, cause_id: CauseId) -> Cause:
        """The cause with this id."""
        return next(cause for cause in self.causes if cause.id is cause_id)

    def causes_for(self, code: CheckCode) -> tuple[Cause, ...]:
        """The causes a check-health failure with `code` may stand for."""
        return tuple(cause for cause in self.causes if code in cause.codes)


def render_fix(line: str, values: Mapping[str, str]) -> str:
    """A fix line with its placeholders (`<login-server>`, …) filled in from `values`; unknown ones stay as they are."""
    for name in PLACEHOLDERS:
        value = values.get(name)
        if value:
            line = line.replace(f"<{name}>", value)
    return line


@cache
def load_knowledge() -> Knowledge:
    """The doctor's knowledge, read from the packaged `causes.toml` once."""
    text = resources.files("dockyard.doctor").joinpath("causes.toml").read_text(encoding="utf-8")
    return parse_knowledge(text)


def parse_knowledge(text: str) -> Knowledge:
    """Parse and validate a knowledge document (the text of `causes.toml`)."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise KnowledgeInvalid(f"causes.toml is not TOML: {exc}") from None
    causes = tuple(_cause(entry, index) for index, entry in enumerate(document.get("cause", [])))
    ids = [cause.id for cause in causes]
    duplicates = sorted({cause_id for cause_id in ids if ids.count(cause_id) > 1})
    if duplicates:
        raise KnowledgeInvalid(f"causes defined twice: {', '.join(duplicates)}")
    missing = sorted(set(CauseId) - set(ids))
    if missing:
        raise KnowledgeInvalid(f"causes without an entry in causes.toml: {', '.join(missing)}")
    return Knowledge(causes, _context(document.get("context", {})))


def _cause(entry: Mapping[str, Any], index: int) -> Cause:
    where = f"cause #{index + 1} ({entry.get('id', '?')})"
    try:
        cause_id = CauseId(entry["id"])
        seed = int(entry["seed"])
        cause = Cause(
            id=cause_id,
            seed=seed,
            title=_text(entry, "title"),
            explanation=_text(entry, "explanation"),
            fix=_texts(entry, "fix"),
            probes=tuple(StepName(name) for name in entry.get("probes", [])),
            codes=tuple(CheckCode(code) for code in entry.get("codes", [])),
            reasons=_texts(entry, "reasons", allow_empty=True),
            symptoms=_texts(entry, "symptoms"),
            patterns=tuple(_pattern(pattern, where) for pattern in entry.get("patterns", [])),
        )
    except KeyError as exc:
        raise KnowledgeInvalid(f"{where}: {exc.args[0]} is missing") from None
    except ValueError as exc:  # an unknown cause id, step or code (StrEnum says which value)
        if isinstance(exc, KnowledgeInvalid):
            raise
        raise KnowledgeInvalid(f"{where}: {exc}") from None
    if not 1 <= seed <= 7:
        raise KnowledgeInvalid(f"{where}: seed must be the seed document's cause number, 1-7")
    if not cause.patterns:
        raise KnowledgeInvalid(f"{where}: no patterns")
    return cause


def _text(entry: Mapping[str, Any], key: str) -> str:
    value = entry[key]
    if not isinstance(value, str) or not value.strip():
        raise KnowledgeInvalid(f"cause {entry.get('id', '?')}: {key} must be a non-empty string")
    return value


def _texts(entry: Mapping[str, Any], key: str, allow_empty: bool = False) -> tuple[str, ...]:
    values = entry[key]
    if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
        raise KnowledgeInvalid(f"cause {entry.get('id', '?')}: {key} must be a list of non-empty strings")
    if not values and not allow_empty:
        raise KnowledgeInvalid(f"cause {entry.get('id', '?')}: {key} is empty")
    return tuple(values)


def _pattern(entry: Mapping[str, Any], where: str) -> Pattern:
    try:
        regex = re.compile(entry["regex"], _FLAGS)
    except re.error as exc:
        raise KnowledgeInvalid(f"{where}: pattern {entry['regex']!r} does not compile: {exc}") from None
    weight = entry.get("weight")
    if not isinstance(weight, int) or not 1 <= weight <= 5:
        raise KnowledgeInvalid(f"{where}: pattern {entry['regex']!r} needs a weight from 1 to 5")
    return Pattern(regex, weight)


def _context(entries: Mapping[str, Sequence[str]]) -> dict[str, tuple[re.Pattern[str], ...]]:
    context: dict[str, tuple[re.Pattern[str], ...]] = {}
    for name, regexes in entries.items():
        compiled = []
        for text in regexes:
            try:
                regex = re.compile(text, _FLAGS)
            except re.error as exc:
                raise KnowledgeInvalid(f"context.{name}: {text!r} does not compile: {exc}") from None
            if "value" not in regex.groupindex:
                raise KnowledgeInvalid(f"context.{name}: {text!r} has no (?P<value>…) group")
            compiled.append(regex)
        context[name] = tuple(compiled)
    return context
