"""Turn the rounds' samples into medians, ratios and honest notes; render Markdown and JSON.

Ratios are what the report quotes: single timings on a shared 2-core machine move by tens of percent
from run to run, but servers measured in the same run, alternately, move together. Every figure also
carries the server CPU it cost and how busy the load generator was, so a ceiling set by the client or
the machine is named as such instead of being read as a property of the server.
"""

from __future__ import annotations

import dataclasses
import json
import os
import statistics
from pathlib import Path

from bench.figures import Figure
from bench.load import Sample

Outcome = Sample | str  # a sample, or why that run failed
Results = dict[str, dict[str, list[Outcome]]]  # figure key -> server key -> one outcome per round
CLIENT_BOUND = 0.85  # share of one core above which a single-threaded load generator is the limit
Footprint = dict[str, dict[str, float]]  # server key -> start-up s, idle and peak RSS MB
TIMES = "\u00d7"  # the multiplication sign of ratios
SAME_CEILING = 0.10  # nginx and the reference within this of each other: a shared ceiling
OTHER_BUSY = 0.25  # cores used by the rest of the machine above which a figure is flagged
#: The cell of a figure whose two servers alternate several times a round: their ratio run by run.
PAIRED = "paired"


@dataclasses.dataclass
class Cell:
    """Medians of one figure on one server, or the reason there are none."""

    values: dict[str, float] = dataclasses.field(default_factory=dict)
    server_cpu_per_unit: float | None = None  # CPU s per GB, or CPU µs per request
    client_core_share: float | None = None
    machine_share: float | None = None
    other_cores: float | None = None  # CPU the rest of the machine used meanwhile, in cores
    rounds: int = 0
    spread: float | None = None  # (max - min) / median of the main value
    failure: str = ""


def summarize(figure: Figure, outcomes: dict[str, list[Outcome]], cores: int) -> dict[str, Cell]:
    """Median cell for each server that took part in `figure`, and the `PAIRED` cell of a figure whose
    servers alternate several times a round."""
    cells = {key: _cell(figure, outcomes.get(key, []), cores) for key in figure.servers}
    if figure.passes > 1 and len(figure.servers) == 2:
        cells[PAIRED] = _paired(figure, outcomes)
    return cells


def _paired(figure: Figure, outcomes: dict[str, list[Outcome]]) -> Cell:
    """The first server's main value over the second's, run by run — their i-th runs were back to back —
    as the median ("ratio") and quartiles ("low", "high") of those ratios. Back-to-back runs share the
    machine's drift, which on a shared VM moves single runs by ±10 % and more between rounds."""
    main = _main_metric(figure)
    mine, theirs = (outcomes.get(key, []) for key in figure.servers)
    ratios = sorted(
        a.values[main] / b.values[main]
        for a, b in zip(mine, theirs, strict=False)
        if isinstance(a, Sample) and isinstance(b, Sample) and b.values[main]
    )
    if not ratios:
        return Cell(failure="no pair of runs to compare")
    low, _, high = statistics.quantiles(ratios, n=4) if len(ratios) > 1 else ratios * 3
    values = {"ratio": statistics.median(ratios), "low": low, "high": high}
    return Cell(values=values, rounds=len(ratios), spread=(high - low) / values["ratio"])


def _cell(figure: Figure, outcomes: list[Outcome], cores: int) -> Cell:
    samples = [o for o in outcomes if isinstance(o, Sample)]
    failures = [o for o in outcomes if isinstance(o, str)]
    if not samples:
        return Cell(failure=failures[0] if failures else "")
    main = _main_metric(figure)
    names = samples[0].values.keys()
    values = {name: statistics.median(s.values[name] for s in samples) for name in names}
    scale = 1e9 if figure.kind == "throughput" else 1e6  # CPU s per GB, or CPU µs per request
    mains = [s.values[main] for s in samples]
    return Cell(
        values=values,
        server_cpu_per_unit=statistics.median(s.server_cpu_s / s.work * scale for s in samples if s.work),
        client_core_share=statistics.median(s.client_cpu_s / s.wall_s for s in samples),
        machine_share=statistics.median((s.server_cpu_s + s.client_cpu_s) / s.wall_s / cores for s in samples),
        other_cores=statistics.median(s.other_cores for s in samples),
        rounds=len(samples),
        spread=(max(mains) - min(mains)) / values[main] if values[main] else None,
        failure=f"{len(failures)} of {len(outcomes)} rounds failed: {failures[0]}" if failures else "",
    )


def _main_metric(figure: Figure) -> str:
    return "mb_s" if figure.kind == "throughput" else "rps"


def notes_for(figure: Figure, cells: dict[str, Cell], outcomes: dict[str, list[Outcome]]) -> list[str]:
    """Plain-language warnings: client-bound, shared ceilings, disturbed runs, errors."""
    notes = [figure.note] if figure.note else []
    bound = [f"{k} {c.client_core_share:.0%}" for k, c in cells.items() if _client_bound(c)]
    if bound:
        notes.append(f"load generator near a full core ({', '.join(bound)}): partly client-bound.")
    busy = [f"{k} {c.machine_share:.0%}" for k, c in cells.items() if (c.machine_share or 0) >= 0.9]
    if busy and figure.kind == "throughput":
        notes.append(f"server + client kept all cores busy ({', '.join(busy)}): machine-bound.")
    disturbed = [f"{k} {c.other_cores:.2f}" for k, c in cells.items() if _disturbed(c)]
    if disturbed:
        notes.append(
            f"the rest of the machine used cores meanwhile ({', '.join(disturbed)}; median of the rounds): "
            "these figures may be disturbed."
        )
    for key, cell in cells.items():
        if cell.failure:
            notes.append(f"{key}: {cell.failure}")
        problems = {p for o in outcomes.get(key, []) if isinstance(o, Sample) for p in o.problems}
        notes += [f"{key}: {p}" for p in sorted(problems)[:3]]
    main = _main_metric(figure)
    extra = [key for key, cell in cells.items() if key not in (*COLUMNS, PAIRED) and cell.values]
    notes += [_extra_column(key, cells[key], main) for key in extra]
    paired = cells.get(PAIRED)
    if paired and paired.values:
        mine, theirs = figure.servers
        v = paired.values
        notes.append(
            f"{mine} / {theirs} run by run ({paired.rounds} back-to-back pairs): median {v['ratio']:.2f}{TIMES}, "
            f"middle half {v['low']:.2f} to {v['high']:.2f}{TIMES}."
        )
    ref, nginx = cells.get("reference"), cells.get("nginx")
    if figure.kind == "throughput" and ref and nginx and ref.values and nginx.values:
        a, b = ref.values[main], nginx.values[main]
        if abs(a - b) <= SAME_CEILING * max(a, b):
            notes.append(
                f"nginx ({b:,.0f}) and the reference ({a:,.0f}) reach the same ceiling: it is the "
                "client/machine, not the servers — this figure cannot rank fast servers; "
                "compare server CPU per GB instead."
            )
    return notes


def _extra_column(key: str, cell: Cell, main: str) -> str:
    """The medians of a server outside the table's columns (e.g. Dockyard with auditing off)."""
    if main != "rps":
        return f"{key}: {_num(cell.values[main])} MB/s."
    latency = f"p50 / p99 {_num(cell.values['p50_ms'])} / {_num(cell.values['p99_ms'])} ms"
    return f"{key}: {_num(cell.values[main])} req/s, {latency}."


def _client_bound(cell: Cell) -> bool:
    return (cell.client_core_share or 0) >= CLIENT_BOUND


def _disturbed(cell: Cell) -> bool:
    return (cell.other_cores or 0) >= OTHER_BUSY


def ratio(cells: dict[str, Cell], other: str, metric: str) -> float | None:
    """Dockyard's value over `other`'s for `metric`, if both exist."""
    mine, theirs = cells.get("dockyard"), cells.get(other)
    if not mine or not theirs or metric not in mine.values or metric not in theirs.values:
        return None
    return mine.values[metric] / theirs.values[metric] if theirs.values[metric] else None


def cpu_ratio(cells: dict[str, Cell], other: str) -> float | None:
    """Dockyard's server CPU per unit over `other`'s (lower is better)."""
    mine, theirs = cells.get("dockyard"), cells.get(other)
    if not mine or not theirs or mine.server_cpu_per_unit is None or not theirs.server_cpu_per_unit:
        return None
    return mine.server_cpu_per_unit / theirs.server_cpu_per_unit


def _num(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def _ratio_text(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}{TIMES}"


def _value_text(cell: Cell | None, metric: str, unavailable: str) -> str:
    if cell is None:
        return "—"
    if not cell.values:
        return unavailable or ("failed" if cell.failure else "not run")
    text = _num(cell.values[metric])
    if _client_bound(cell) or _disturbed(cell):
        text += " *"
    return text + (" ⚠" if cell.failure else "")


COLUMNS = ("dockyard", "reference", "nginx")


def main_table(figures: list[Figure], summary: dict[str, dict[str, Cell]], status: dict[str, str]) -> str:
    """The headline table: medians per server and Dockyard's ratios to the reference and nginx."""
    lines = [
        "| Figure | Dockyard | Reference | nginx | Dockyard / reference | Dockyard / nginx |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for figure in figures:
        cells = summary[figure.key]
        states = {k: status.get(figure.server_key(k), "") for k in COLUMNS}
        if figure.kind == "throughput":
            lines.append(_row(f"{figure.title}, MB/s", cells, "mb_s", states))
        else:
            lines.append(_row(f"{figure.title}, req/s", cells, "rps", states))
            lines.append(_latency_row(cells, states))
    return "\n".join(lines)


def _row(title: str, cells: dict[str, Cell], metric: str, status: dict[str, str]) -> str:
    values = [_value_text(cells.get(k), metric, status.get(k, "")) for k in COLUMNS]
    ratios = [_ratio_text(ratio(cells, other, metric)) for other in ("reference", "nginx")]
    return f"| {title} | " + " | ".join(values + ratios) + " |"


def _latency_row(cells: dict[str, Cell], status: dict[str, str]) -> str:
    values = []
    for key in COLUMNS:
        cell = cells.get(key)
        if cell is None or not cell.values:
            values.append(_value_text(cell, "p50_ms", status.get(key, "")))
        else:
            values.append(f"{_num(cell.values['p50_ms'])} / {_num(cell.values['p99_ms'])}")
    ratios = []
    for other in ("reference", "nginx"):
        p50, p99 = ratio(cells, other, "p50_ms"), ratio(cells, other, "p99_ms")
        ratios.append("—" if p50 is None or p99 is None else f"{p50:.2f}{TIMES} / {p99:.2f}{TIMES}")
    return "| &nbsp;&nbsp;latency p50 / p99, ms | " + " | ".join(values + ratios) + " |"


def cpu_table(figures: list[Figure], summary: dict[str, dict[str, Cell]]) -> str:
    """Server CPU per unit of work (lower is better) and the load generator's share of a core."""
    lines = [
        "| Figure | unit | Dockyard | Reference | nginx | Dockyard / reference | client core use (D / R / n) "
        "| other CPU, cores (D / R / n) |",
        "|---|---|---:|---:|---:|---:|---|---|",
    ]
    for figure in figures:
        cells = summary[figure.key]
        unit = "CPU s per GB" if figure.kind == "throughput" else "CPU µs per request"
        values = []
        shares, others = [], []
        for key in COLUMNS:
            cell = cells.get(key)
            per_unit = cell.server_cpu_per_unit if cell else None
            values.append("—" if per_unit is None else _num(per_unit))
            share = cell.client_core_share if cell else None
            shares.append("—" if share is None else f"{share:.0%}")
            other = cell.other_cores if cell else None
            others.append("—" if other is None else f"{other:.2f}")
        lines.append(
            f"| {figure.title} | {unit} | "
            + " | ".join(values)
            + f" | {_ratio_text(cpu_ratio(cells, 'reference'))} | {' / '.join(shares)} | {' / '.join(others)} |"
        )
    return "\n".join(lines)


def cell_json(cell: Cell) -> dict[str, object]:
    """A cell as plain JSON data."""
    return dataclasses.asdict(cell)


def sample_json(outcome: Outcome) -> dict[str, object]:
    """One round's outcome as plain JSON data."""
    if isinstance(outcome, str):
        return {"error": outcome}
    return dataclasses.asdict(outcome)


def write_json(path: Path, document: dict[str, object]) -> None:
    """Write `document` to `path` atomically (via a .tmp file and a rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    os.replace(tmp, path)


def footprint_cells(footprint: Footprint) -> dict[str, Cell]:
    """Start-up time and resident memory of each server, as cells the targets can read."""
    return {key: Cell(values=dict(values), rounds=1) for key, values in footprint.items()}


def footprint_table(footprint: Footprint) -> str:
    """Markdown: start-up time, idle RSS and peak RSS of each server's whole process tree."""
    lines = ["| Server | start-up, s | idle RSS, MB | peak RSS, MB |", "|---|---:|---:|---:|"]
    for key, values in footprint.items():
        lines.append(
            f"| {key} | {values['startup_s']:.2f} | {values['idle_rss_mb']:,.0f} | {values['peak_rss_mb']:,.0f} |"
        )
    return "\n".join(lines)
