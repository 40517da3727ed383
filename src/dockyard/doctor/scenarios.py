"""The seed's causes as scenarios (`scenarios.toml`): how each fault is built, the client command that meets it,
and what `diagnose`, `check-health` and the login log must say. The scenario tests build them on a live
Dockyard; `python -m dockyard.doctor.scenarios` prints them as the Markdown page docs/troubleshooting-scenarios.md.

This module only reads and renders data: it must never run a client or reach a registry.
"""

from __future__ import annotations

import html
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from dockyard.doctor.vocabulary import CauseId, CheckCode

#: The placeholders a command or symptom may hold; the tests fill them in.
PLACEHOLDERS = (
    "login-server",
    "upper-login-server",
    "username",
    "password",
    "token",
    "repository",
    "image",
)


class ScenariosInvalid(ValueError):
    """`scenarios.toml` does not hold what the tests and the docs need; the message says where."""


@dataclass(frozen=True)
class ClientRun:
    """A client command run for real, and a part of what it printed."""

    command: str
    symptom: str


@dataclass(frozen=True)
class CheckHealthExpectation:
    """`dockyard check-health` arguments, and the code it reports — or why it cannot see the cause."""

    arguments: str
    code: CheckCode | None
    why_not: str | None


@dataclass(frozen=True)
class Scenario:
    """One faulty situation and everything the doctor must say about it."""

    id: str
    seed: int
    title: str
    setup: str
    cause: CauseId
    clients: tuple[ClientRun, ...]
    check_health: CheckHealthExpectation
    reason: str | None
    why_no_reason: str | None
    explain: str | None


@dataclass(frozen=True)
class Scenarios:
    """Every scenario in the file's order, and the seed document's cause titles by number."""

    seed_titles: Mapping[int, str]
    scenarios: tuple[Scenario, ...]

    def scenario(self, scenario_id: str) -> Scenario:
        """The scenario with this id."""
        return next(scenario for scenario in self.scenarios if scenario.id == scenario_id)


def fill(template: str, values: Mapping[str, str]) -> str:
    """`template` with the placeholders in `values` filled in (`<login-server>` → `values["login-server"]`)."""
    for name in PLACEHOLDERS:
        if name in values:
            template = template.replace(f"<{name}>", values[name])
    return template


@cache
def load_scenarios() -> Scenarios:
    """The scenarios, read from the packaged `scenarios.toml` once."""
    text = resources.files("dockyard.doctor").joinpath("scenarios.toml").read_text(encoding="utf-8")
    return parse_scenarios(text)


def parse_scenarios(text: str) -> Scenarios:
    """Parse and validate a scenarios document (the text of `scenarios.toml`)."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenariosInvalid(f"scenarios.toml is not TOML: {exc}") from None
    seed_titles = {int(number): str(title) for number, title in document.get("seed", {}).items()}
    if sorted(seed_titles) != list(range(1, 8)):
        raise ScenariosInvalid("[seed] must title the seed document's causes 1 to 7")
    scenarios = tuple(_scenario(entry, index) for index, entry in enumerate(document.get("scenario", [])))
    ids = [scenario.id for scenario in scenarios]
    duplicates = sorted({scenario_id for scenario_id in ids if ids.count(scenario_id) > 1})
    if duplicates:
        raise ScenariosInvalid(f"scenarios defined twice: {', '.join(duplicates)}")
    return Scenarios(seed_titles, scenarios)


def _scenario(entry: Mapping[str, Any], index: int) -> Scenario:
    where = f"scenario #{index + 1} ({entry.get('id', '?')})"
    try:
        scenario = Scenario(
            id=_text(entry, "id", where),
            seed=int(entry["seed"]),
            title=_text(entry, "title", where),
            setup=_text(entry, "setup", where),
            cause=CauseId(entry["cause"]),
            clients=tuple(_client(client, where) for client in entry["client"]),
            check_health=_check_health(entry["check_health"], where),
            reason=_optional(entry, "reason", where),
            why_no_reason=_optional(entry, "why_no_reason", where),
            explain=_optional(entry, "explain", where),
        )
    except KeyError as exc:
        raise ScenariosInvalid(f"{where}: {exc.args[0]} is missing") from None
    except ValueError as exc:  # an unknown cause or code (StrEnum says which value)
        if isinstance(exc, ScenariosInvalid):
            raise
        raise ScenariosInvalid(f"{where}: {exc}") from None
    if not 1 <= scenario.seed <= 7:
        raise ScenariosInvalid(f"{where}: seed must be the seed document's cause number, 1-7")
    if not scenario.clients:
        raise ScenariosInvalid(f"{where}: no client command")
    if (scenario.reason is None) == (scenario.why_no_reason is None):
        raise ScenariosInvalid(f"{where}: give either reason or why_no_reason")
    if scenario.explain is not None and scenario.reason is None:
        raise ScenariosInvalid(f"{where}: explain needs the reason it must name")
    return scenario


def _client(entry: Mapping[str, Any], where: str) -> ClientRun:
    return ClientRun(_text(entry, "command", where), _text(entry, "symptom", where))


def _check_health(entry: Mapping[str, Any], where: str) -> CheckHealthExpectation:
    code = _optional(entry, "code", where)
    why_not = _optional(entry, "why_not", where)
    if (code is None) == (why_not is None):
        raise ScenariosInvalid(f"{where}: check_health needs either a code or why_not")
    return CheckHealthExpectation(_text(entry, "arguments", where), CheckCode(code) if code else None, why_not)


def _text(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry[key]
    if not isinstance(value, str) or not value.strip():
        raise ScenariosInvalid(f"{where}: {key} must be a non-empty string")
    return value


def _optional(entry: Mapping[str, Any], key: str, where: str) -> str | None:
    return _text(entry, key, where) if key in entry else None


# -- the Markdown page ------------------------------------------------------------------------------------

_INTRO = """\
# Troubleshooting scenarios — every cause of the seed, reproduced

This page is generated from `src/dockyard/doctor/scenarios.toml` by `python -m dockyard.doctor.scenarios`;
do not edit it by hand. Each row is a test in `tests/scenarios/test_seed_causes.py`: the test builds the faulty
situation on a live Dockyard, runs the real client command shown and checks that it printed the message shown,
that `dockyard diagnose` on that message ranks the cause first or second, that `dockyard check-health` reports
the code shown (where it can see the cause at all; the row says why not otherwise), and that the login log
(`dockyard logs login --reason <code>`) — and, where shown, `dockyard explain` — names the exact reason code.
A test also keeps this page equal to what the data generates. For each cause's explanation and fix, see
[troubleshooting.md](troubleshooting.md) or run `dockyard diagnose "<the message>"`.
"""

_HEADER = (
    "| Seed cause | Scenario (how it is set up) | Client command → message observed | How to confirm | Reason code |",
    "|---|---|---|---|---|",
)


def render_markdown(scenarios: Scenarios) -> str:
    """The page docs/troubleshooting-scenarios.md: the introduction and one table row per scenario."""
    rows = [_row(scenario, scenarios.seed_titles[scenario.seed]) for scenario in scenarios.scenarios]
    return "\n".join([_INTRO, *_HEADER, *rows]) + "\n"


def _row(scenario: Scenario, seed_title: str) -> str:
    seed = f"{scenario.seed}. {seed_title}"
    situation = f"**{html.escape(scenario.title)}** (`{scenario.id}`): {html.escape(scenario.setup)}"
    clients = "<br>".join(f"`{client.command}` → `{client.symptom}`" for client in scenario.clients)
    confirm = [f"`dockyard diagnose` → `{scenario.cause}`"]
    health = scenario.check_health
    if health.code is not None:
        confirm.append(f"`dockyard check-health {health.arguments}` → `{health.code}`")
    else:
        confirm.append(f"check-health: cannot see it — {html.escape(health.why_not or '')}")
    if scenario.reason is not None:
        confirm.append(f"`dockyard logs login --reason {scenario.reason}`")
    if scenario.explain is not None:
        confirm.append(f"`dockyard explain {scenario.explain}`")
    reason = f"`{scenario.reason}`" if scenario.reason else f"none — {html.escape(scenario.why_no_reason or '')}"
    cells = [seed, situation, clients, "<br>".join(confirm), reason]
    return "| " + " | ".join(_cell(cell) for cell in cells) + " |"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def main() -> None:
    """Print the Markdown page."""
    print(render_markdown(load_scenarios()), end="")


if __name__ == "__main__":
    main()
