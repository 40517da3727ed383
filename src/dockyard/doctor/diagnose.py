"""`diagnose(text)`: the causes a pasted error text points at, ranked — pure, no I/O.

A cause's score is the sum of the weights of its patterns that match (each pattern once). Causes rank by score,
highest first, and equal scores share a rank: when docker prints the same words for three causes, all three are
rank 1, and `--probe` tells them apart. Within a rank, the cause whose evidence is more specific (the longest text
one of its patterns matched) comes first, then the order of `causes.toml` — so the output is deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.doctor.knowledge import Cause, Knowledge, load_knowledge, render_fix

#: The most text looked at: a paste of a whole CI log is cut to its last part, where the error is.
MAX_TEXT = 64 * 1024


@dataclass(frozen=True)
class RankedCause:
    """A cause that fits the text: its rank (1 = most likely; shared by equal evidence), score and the texts matched."""

    cause: Cause
    rank: int
    score: int
    specificity: int
    matched: tuple[str, ...]

    def fix(self, context: dict[str, str]) -> tuple[str, ...]:
        """The cause's fix with the login server, repository and IP found in the text filled in."""
        return tuple(render_fix(line, context) for line in self.cause.fix)


def diagnose(text: str, knowledge: Knowledge | None = None) -> list[RankedCause]:
    """The causes whose patterns match `text`, best first."""
    knowledge = knowledge or load_knowledge()
    text = text[-MAX_TEXT:]
    scored = []
    for order, cause in enumerate(knowledge.causes):
        matches = [(pattern, found) for pattern in cause.patterns if (found := pattern.regex.search(text))]
        if not matches:
            continue
        score = sum(pattern.weight for pattern, _ in matches)
        specificity = max(len(found.group(0)) for _, found in matches)
        matched = tuple(dict.fromkeys(_excerpt(found.group(0)) for _, found in matches))
        scored.append((score, specificity, order, cause, matched))
    scored.sort(key=lambda item: (-item[0], -item[1], item[2]))
    ranked: list[RankedCause] = []
    for score, specificity, _, cause, matched in scored:
        previous = ranked[-1] if ranked else None
        rank = 1 if previous is None else previous.rank + (previous.score != score)
        ranked.append(RankedCause(cause, rank, score, specificity, matched))
    return ranked


def context_of(text: str, knowledge: Knowledge | None = None) -> dict[str, str]:
    """What the text names: `login-server`, `repository`, `ip` (each the first match of its context patterns)."""
    knowledge = knowledge or load_knowledge()
    found: dict[str, str] = {}
    for name, regexes in knowledge.context.items():
        for regex in regexes:
            match = regex.search(text[-MAX_TEXT:])
            if match and match.group("value"):
                found[name.replace("_", "-")] = match.group("value").strip("\\\"'")
                break
    return found


def _excerpt(text: str, limit: int = 120) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
