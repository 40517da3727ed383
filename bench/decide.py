"""`python -m bench.decide`: how long one `decide()` takes when the policy is large (issue 4).

Issue 4: "Assignments are indexed by principal and group, so decide() stays flat as policy grows: add a
benchmark with 10,000 assignments over 1,000 groups and 100 conditions; p99 must be under 20 µs per
decision on this machine."

The policy, one per permissions mode: 10,000 role assignments, nine in ten made to one of 1,000
groups and the rest to users. Most are narrow, as in a registry shared by 100 teams: in rbac, Acr*
roles on one team's repository; in rbac-abac, Repository roles under one of 100 conditions in the shape
people write (DESIGN.md §5: "if the action is one of these, the repository must match"); a tenth are
left over from the other mode and ignored. The callers: 1,000 users, each in 10 to 20 groups, so each
decision has ~140 assignments to consider. The requests: pull, push, delete and the catalog on the
teams' repositories, alternating between the modes; about 60 % are allowed. Each decision is timed alone
(`perf_counter_ns` around the call, its ~0.1 µs included) after a warm-up; garbage collection stays
on, as in a server.

Flatness is shown apart: the same callers holding the same 100 assignments, in a policy of 100
assignments and in one of 10,000 (the other 9,900 made to groups they are not in), timed interleaved
request by request. Pure and in-process: no server, no I/O. `make bench` runs it first, before the
servers start, and reports it with the other figures.
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence

from bench import environment
from bench.report import OTHER_BUSY, TIMES, Cell
from dockyard.access.decide import decide
from dockyard.access.decision import Resource, Subject, SubjectKind
from dockyard.access.model import RoleAssignment
from dockyard.access.policy import Policy, compile_policy
from dockyard.access.roles import PermissionsMode

GOAL_US = 20.0  # issue 4: p99 per decision
HEADLINE = "decide"  # summary key of the headline figure (both modes)
FLAT_SMALL, FLAT_LARGE = "decide_flat_100", "decide_flat_10000"
DECISIONS = 40_000  # timed per scenario, half in each mode
TEAMS = 100  # repositories team-00/app ... team-99/app; condition k admits team-k/
_DATA = "Microsoft.ContainerRegistry/registries/repositories/"
_NAME = "@Request[Microsoft.ContainerRegistry/registries/repositories:name]"
_READER, _WRITER = "Container Registry Repository Reader", "Container Registry Repository Writer"
_CONTRIBUTOR = "Container Registry Repository Contributor"
# What a registry in each mode holds: (weight, role, scope) where scope is the whole registry, one
# team's repository, or the whole registry narrowed by one of the 100 conditions. Most grants are
# narrow, so that a caller with ~140 assignments is still refused some requests; a tenth are left
# over from the other mode and are ignored (the seed's cause 7).
_MIX = {
    PermissionsMode.RBAC: [
        (45, "AcrPull", "repository"),
        (30, "AcrPush", "repository"),
        (14, "AcrDelete", "repository"),
        (0.3, "AcrPull", "registry"),
        (0.2, "AcrPush", "registry"),
        (0.1, "Reader", "registry"),
        (10, _READER, "condition"),
    ],
    PermissionsMode.RBAC_ABAC: [
        (45, _READER, "condition"),
        (30, _WRITER, "condition"),
        (14, _CONTRIBUTOR, "condition"),
        (0.3, _READER, "registry"),
        (0.5, "Container Registry Repository Catalog Lister", "registry"),
        (10, "AcrPush", "registry"),
    ],
}
_ACTIONS = {"pull": 50, "push": 25, "delete": 10, "*": 15}  # "*" = list the catalog
_CATALOG = Resource("registry", "catalog")


def condition(team: int) -> str:
    """Condition `team` as people write it: reading, writing or deleting content needs a repository of the team."""
    not_named = " AND ".join(f"!(ActionMatches{{'{_DATA}content/{verb}'}})" for verb in ("read", "write", "delete"))
    return f"(\n ( {not_named} )\n OR\n ( {_NAME} StringStartsWithIgnoreCase 'team-{team:02d}/' )\n)"


@dataclasses.dataclass(frozen=True)
class Scenario:
    """A stored policy for each mode, and the callers whose requests are timed against them."""

    key: str
    title: str
    assignments: dict[PermissionsMode, list[RoleAssignment]]
    callers: list[Subject]


@dataclasses.dataclass(frozen=True)
class Timing:
    """Per-decision times of one scenario in one mode (or both), in µs."""

    key: str
    title: str
    mode: str
    decisions: int
    allowed_share: float
    looked_at: float  # mean number of assignments made to the caller and its groups
    p50_us: float
    p99_us: float
    max_us: float
    mean_us: float
    other_cores: float  # CPU the rest of the machine used meanwhile, in cores


def _assignments(
    rng: random.Random, mode: PermissionsMode, count: int, groups: Sequence[str], users: Sequence[str], start: int
) -> list[RoleAssignment]:
    """`count` assignments of `mode`'s mix, nine in ten to `groups`, one in ten to `users`."""
    mix = _MIX[mode]
    weights = [weight for weight, _, _ in mix]
    made = []
    for i in range(start, start + count):
        _, role, scope = rng.choices(mix, weights)[0]
        team = rng.randrange(TEAMS)
        principal = rng.choice(users) if rng.random() < 0.1 else rng.choice(groups)
        repository = f"team-{team:02d}/app" if scope == "repository" else None
        text = condition(team) if scope == "condition" else None
        made.append(RoleAssignment(f"ra-{i:06d}", principal, role, repository=repository, condition=text))
    return made


def _users(rng: random.Random, count: int, groups: Sequence[str]) -> list[Subject]:
    """`count` users, each in 10 to 20 of `groups` (Subject.groups holds them all, as the directory flattens)."""
    made = []
    for i in range(count):
        memberships = frozenset(rng.sample(groups, rng.randint(10, 20)))
        made.append(Subject(SubjectKind.USER, f"user-{i:04d}", f"user{i}", groups=memberships))
    return made


def headline(rng: random.Random) -> Scenario:
    """Issue 4's policy: 10,000 assignments over 1,000 groups and 100 conditions; users in 10-20 groups."""
    groups = [f"group-{i:04d}" for i in range(1_000)]
    callers = _users(rng, 1_000, groups)
    users = [caller.id for caller in callers]
    stored = {mode: _assignments(rng, mode, 10_000, groups, users, 0) for mode in PermissionsMode}
    return Scenario(HEADLINE, "10,000 assignments, 1,000 groups, 100 conditions", stored, callers)


def flat(rng: random.Random, total: int) -> Scenario:
    """The same callers with the same 100 assignments, among `total` in all (the rest to other groups)."""
    groups = [f"group-{i:04d}" for i in range(1_000)]
    theirs, others = groups[:40], groups[40:]
    callers = _users(random.Random(7), 200, theirs)
    users, outsiders = [caller.id for caller in callers], [f"outsider-{i}" for i in range(1_000)]
    stored = {}
    for mode in PermissionsMode:
        own = _assignments(random.Random(8), mode, 100, theirs, users, 0)
        stored[mode] = own + _assignments(rng, mode, total - 100, others, outsiders, 100)
    key = FLAT_SMALL if total == 100 else f"decide_flat_{total}"
    return Scenario(key, f"flat: {total:,} assignments, callers' own 100 the same", stored, callers)


@dataclasses.dataclass(frozen=True)
class Request:
    """One timed call: who asks what of which policy, and for which scenario's row."""

    scenario: Scenario
    subject: Subject
    action: str
    resource: Resource
    policy: Policy


def _requests(rng: random.Random, plan: Sequence[tuple[Scenario, Policy]], count: int) -> list[Request]:
    """Random callers and actions on random teams' repositories, cycling through the plan's policies."""
    actions, weights = list(_ACTIONS), list(_ACTIONS.values())
    made = []
    for i in range(count):
        scenario, policy = plan[i % len(plan)]
        action = rng.choices(actions, weights)[0]
        resource = _CATALOG if action == "*" else Resource("repository", f"team-{rng.randrange(TEAMS):02d}/app")
        made.append(Request(scenario, rng.choice(scenario.callers), action, resource, policy))
    return made


def measure(scenarios: Sequence[Scenario], decisions: int = DECISIONS, seed: int = 1) -> list[Timing]:
    """Time `decisions` decisions per scenario, half in each mode; several scenarios are interleaved
    request by request, so that they share whatever else the machine is doing."""
    rng = random.Random(seed)
    plan = [
        (sc, compile_policy(mode=mode, assignments=stored))
        for sc in scenarios
        for mode, stored in sc.assignments.items()
    ]
    for r in _requests(rng, plan, 2_000):  # warm-up
        decide(r.subject, r.action, r.resource, r.policy, 0.0)
    requests = _requests(rng, plan, decisions * len(scenarios))
    times, allowed = [0] * len(requests), [False] * len(requests)
    clock = time.perf_counter_ns
    busy, own, wall = environment.machine_busy_s(), time.process_time(), time.perf_counter()
    for i, r in enumerate(requests):
        start = clock()
        decision = decide(r.subject, r.action, r.resource, r.policy, 0.0)
        times[i] = clock() - start
        allowed[i] = decision.allowed
    wall = time.perf_counter() - wall
    other = max(0.0, environment.machine_busy_s() - busy - (time.process_time() - own)) / wall
    rows = []
    for scenario in scenarios:
        for mode in (*PermissionsMode, None):
            picked = [i for i, r in enumerate(requests) if r.scenario is scenario and mode in (None, r.policy.mode)]
            looked = [_looked_at(requests[i].policy, requests[i].subject) for i in picked]
            timed, granted = [times[i] for i in picked], [allowed[i] for i in picked]
            rows.append(_timing(scenario, mode, timed, granted, looked, other))
    return rows


def _looked_at(policy: Policy, subject: Subject) -> int:
    return sum(len(policy.assignments.get(principal, ())) for principal in (subject.id, *subject.groups))


def _timing(
    scenario: Scenario,
    mode: PermissionsMode | None,
    times_ns: list[int],
    allowed: list[bool],
    looked: list[int],
    other: float,
) -> Timing:
    ordered = sorted(times_ns)
    return Timing(
        key=scenario.key if mode is None else f"{scenario.key}_{mode.value.replace('-', '_')}",
        title=scenario.title,
        mode="both" if mode is None else mode.value,
        decisions=len(ordered),
        allowed_share=sum(allowed) / len(allowed),
        looked_at=statistics.mean(looked),
        p50_us=ordered[len(ordered) // 2] / 1000,
        p99_us=ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] / 1000,
        max_us=ordered[-1] / 1000,
        mean_us=statistics.mean(ordered) / 1000,
        other_cores=other,
    )


def timer_overhead_us() -> float:
    """Median cost of the `perf_counter_ns` pair around a call that does nothing, in µs."""

    def nothing(*_: object) -> None:
        return None

    clock, samples = time.perf_counter_ns, []
    for _ in range(20_000):
        start = clock()
        nothing(None, "pull", None, None, 0.0)
        samples.append(clock() - start)
    return statistics.median(samples) / 1000


def run(decisions: int = DECISIONS, log: Callable[[str], None] = print, quiet_wait: float = 3) -> list[Timing]:
    """The headline, then the two flatness scenarios interleaved; waits for the machine to calm before each."""
    gate = environment.QuietGate(quiet_wait, budget=4 * quiet_wait)
    timings: list[Timing] = []
    for scenarios in ([headline(random.Random(2))], [flat(random.Random(2), 100), flat(random.Random(2), 10_000)]):
        gate.wait()
        rows = measure(scenarios, decisions)
        for row in rows:
            if row.mode == "both":
                log(f"decide: {row.title}: p99 {row.p99_us:.1f} µs over {row.decisions:,} decisions")
        timings += rows
    return timings


def summary(timings: list[Timing]) -> dict[str, dict[str, Cell]]:
    """The timings as report cells (figure key -> {"dockyard": cell}), for the targets table."""
    cells = {}
    for t in timings:
        values = {"p50_us": t.p50_us, "p99_us": t.p99_us, "max_us": t.max_us, "mean_us": t.mean_us}
        cells[t.key] = {"dockyard": Cell(values=values, other_cores=t.other_cores, rounds=1)}
    return cells


def table(timings: list[Timing]) -> str:
    """Markdown: one row per scenario and mode."""
    lines = [
        "| policy | mode | decisions | allowed | assignments looked at | p50 µs | p99 µs | max µs | other CPU, cores |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in timings:
        mark = " *" if t.other_cores >= OTHER_BUSY else ""
        lines.append(
            f"| {t.title} | {t.mode} | {t.decisions:,} | {t.allowed_share:.0%} | {t.looked_at:.0f} | "
            f"{t.p50_us:.1f} | {t.p99_us:.1f}{mark} | {t.max_us:,.0f} | {t.other_cores:.2f} |"
        )
    return "\n".join(lines)


def verdicts(timings: list[Timing]) -> list[str]:
    """The issue's target and the flatness, in one sentence each."""
    by_key = {t.key: t for t in timings}
    lines = []
    if HEADLINE in by_key:
        p99 = by_key[HEADLINE].p99_us
        met = "met" if p99 < GOAL_US else f"missed, {p99 / GOAL_US:.1f}{TIMES} the goal"
        lines.append(f"p99 {p99:.1f} µs per decision with 10,000 assignments (goal < {GOAL_US:.0f} µs): {met}.")
    if FLAT_SMALL in by_key and FLAT_LARGE in by_key:
        small, large = by_key[FLAT_SMALL].p99_us, by_key[FLAT_LARGE].p99_us
        lines.append(
            f"flat: p99 {small:.1f} µs with 100 assignments, {large:.1f} µs with 10,000 ({large / small:.2f}{TIMES})."
        )
    return lines


def as_json(timings: list[Timing]) -> list[dict[str, object]]:
    """The timings as plain JSON data."""
    return [dataclasses.asdict(t) for t in timings]


def main(argv: list[str] | None = None) -> int:
    """Run the scenarios and print the table and verdicts."""
    parser = argparse.ArgumentParser(prog="python -m bench.decide", description=__doc__.splitlines()[0])
    parser.add_argument("--decisions", type=int, default=DECISIONS, help=f"timed per scenario (default {DECISIONS:,})")
    parser.add_argument(
        "--quiet-wait", type=float, default=3, help="max s to wait for other CPU load to calm (default 3)"
    )
    args = parser.parse_args(argv)
    timings = run(args.decisions, log=lambda line: print(line, file=sys.stderr), quiet_wait=args.quiet_wait)
    print(f"decide() per decision; timer overhead {timer_overhead_us():.2f} µs included\n")
    print(table(timings))
    print()
    print("\n".join(verdicts(timings)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
