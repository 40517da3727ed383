"""The speed targets of issues 8, 4 and 5, checked against one run's medians: met, or missed by how much.

A target compares one median with another taken in the same run (a ratio, possibly across figures:
Dockyard with a bearer token over Dockyard open), or with an absolute goal (token issue requests/s,
`decide()`'s p99 in µs).
"""

from __future__ import annotations

import dataclasses

from bench.decide import FLAT_LARGE, FLAT_SMALL, GOAL_US, HEADLINE
from bench.figures import AUDIT_CONNECTIONS
from bench.report import PAIRED, TIMES, Cell

Summary = dict[str, dict[str, Cell]]  # figure key -> column -> median cell


@dataclasses.dataclass(frozen=True)
class Operand:
    """One median: of `metric` in `figure`'s `column`."""

    figure: str
    column: str
    metric: str

    def value(self, summary: Summary) -> float | None:
        """The median, if that figure ran and has it."""
        cell = summary.get(self.figure, {}).get(self.column)
        return cell.values.get(self.metric) if cell else None


@dataclasses.dataclass(frozen=True)
class Target:
    """`measured` (over `versus`, if given) must be at least `goal` (at most, if not `higher_is_better`)."""

    title: str
    measured: Operand
    versus: Operand | None
    goal: float
    higher_is_better: bool = True
    unit: str = ""  # of an absolute goal

    def value(self, summary: Summary) -> float | None:
        """The measured ratio or absolute value; None if a side is missing."""
        mine = self.measured.value(summary)
        if self.versus is None or mine is None:
            return mine
        theirs = self.versus.value(summary)
        return mine / theirs if theirs else None


def _get(figure: str, column: str, metric: str = "rps") -> Operand:
    return Operand(figure, column, metric)


def all_targets() -> list[Target]:
    """Issue 8's targets, then issue 4's and issue 5's, in report order."""
    targets = []
    for c in (1, 16, 64):
        bearer, open_get = f"manifest_get_auth_c{c}", f"manifest_get_c{c}"
        targets += [
            Target(
                f"manifest GET {c} conn: Dockyard bearer / Dockyard open, req/s (token check ≤ 1.10{TIMES} slower)",
                _get(bearer, "dockyard"),
                _get(open_get, "dockyard"),
                round(1 / 1.10, 2),
            ),
            Target(
                f"manifest GET {c} conn: Dockyard bearer / reference open, req/s",
                _get(bearer, "dockyard"),
                _get(open_get, "reference"),
                3.0,
            ),
            Target(
                f"manifest GET {c} conn: Dockyard bearer p99 / reference open p99",
                _get(bearer, "dockyard", "p99_ms"),
                _get(open_get, "reference", "p99_ms"),
                1.0,
                higher_is_better=False,
            ),
        ]
    targets.append(Target("token issue with a refresh token, req/s", _get("token_refresh", "dockyard"), None, 3000))
    for key in ("push_monolithic", "push_chunked"):
        targets.append(Target(f"{key}: Dockyard / reference, MB/s", *_pair(key, "reference"), 4.0))
    for key in ("pull_1", "pull_8"):
        targets.append(Target(f"{key}: Dockyard / nginx, MB/s", *_pair(key, "nginx"), 0.9))
    targets += [
        Target(
            "idle RSS of Dockyard's processes (server, worker, audit sink), MB",
            _get("footprint", "dockyard", "idle_rss_mb"),
            None,
            150,
            higher_is_better=False,
            unit=" MB",
        ),
        Target(
            "Dockyard start-up on a fresh data directory, to the first answer, s",
            _get("footprint", "dockyard", "startup_s"),
            None,
            2,
            higher_is_better=False,
            unit=" s",
        ),
    ]
    return targets + _decide_targets() + _audit_targets()


def _decide_targets() -> list[Target]:
    """Issue 4: p99 of one decision with 10,000 assignments, and flat as the policy grows (1.5x leaves room
    for the noise of a µs-scale p99 on a shared machine; scanning every assignment would be ~100x)."""
    return [
        Target(
            "decide() p99 per decision, 10,000 assignments over 1,000 groups, 100 conditions",
            _get(HEADLINE, "dockyard", "p99_us"),
            None,
            GOAL_US,
            higher_is_better=False,
            unit=" µs",
        ),
        Target(
            "decide() p99, 10,000 / 100 assignments with the callers' own the same (flat)",
            _get(FLAT_LARGE, "dockyard", "p99_us"),
            _get(FLAT_SMALL, "dockyard", "p99_us"),
            1.5,
            higher_is_better=False,
        ),
    ]


def _audit_targets() -> list[Target]:
    """Issue 5: the audit trail costs the hot path at most 5 %: auditing on over off, run by run (the
    median of back-to-back pairs, see `report.PAIRED`)."""
    return [
        Target(
            f"manifest GET {c} conn: Dockyard auditing on / off, req/s (the audit costs ≤ 5 %)",
            _get(f"manifest_get_audit_c{c}", PAIRED, "ratio"),
            None,
            0.95,
            unit=TIMES,
        )
        for c in AUDIT_CONNECTIONS
    ]


def _pair(figure: str, other: str) -> tuple[Operand, Operand]:
    return _get(figure, "dockyard", "mb_s"), _get(figure, other, "mb_s")


def verdict(target: Target, value: float | None) -> str:
    """`met, 36% above the goal`, `missed by 15% (needs 1.18 times more)`, ... or `not measured`."""
    if value is None or value <= 0:
        return "not measured"
    if target.higher_is_better:
        if value >= target.goal:
            return f"**met**, {value / target.goal - 1:.0%} above the goal"
        return f"**missed** by {1 - value / target.goal:.0%} (needs {target.goal / value:.2f}{TIMES} more)"
    if value <= target.goal:
        return f"**met**, {1 - value / target.goal:.0%} below the limit"
    return f"**missed**: {value / target.goal - 1:.0%} above the limit (needs {value / target.goal:.2f}{TIMES} lower)"


def table(targets: list[Target], summary: Summary) -> str:
    """Markdown: each target, its goal, what this run measured and the verdict."""
    lines = ["| Target | goal | measured | verdict |", "|---|---:|---:|---|"]
    for target in targets:
        value = target.value(summary)
        lines.append(f"| {target.title} | {_goal(target)} | {_measured(target, value)} | {verdict(target, value)} |")
    return "\n".join(lines)


def as_json(targets: list[Target], summary: Summary) -> list[dict[str, object]]:
    """Each target with its measured value and verdict, as plain JSON data."""
    rows: list[dict[str, object]] = []
    for target in targets:
        value = target.value(summary)
        rows.append({**dataclasses.asdict(target), "value": value, "verdict": verdict(target, value)})
    return rows


def _goal(target: Target) -> str:
    sign = "≥" if target.higher_is_better else "≤"
    if target.versus is None and target.unit != TIMES:
        return f"{sign} {target.goal:,.0f}{target.unit}"
    return f"{sign} {target.goal:.2f}{TIMES}"


def _measured(target: Target, value: float | None) -> str:
    if value is None:
        return "—"
    if target.versus is not None or target.unit == TIMES:
        return f"{value:.2f}{TIMES}"
    return f"{value:,.1f}{target.unit}" if value < 100 else f"{value:,.0f}{target.unit}"
