"""`make bench`: Dockyard against the reference registry and nginx, on loopback, in one run.

First times `decide()` in-process (bench/decide.py, issue 4), before anything else of the run is busy.
Then starts all three servers, seeds each with the same image, and runs every figure on every server in
alternation (A B C, then B C A, ...) for a few rounds, so the servers share whatever the machine is doing
at the time. Prints a Markdown table of medians and Dockyard's ratios, writes
bench/results/<date>.json and rewrites docs/performance.md. If Dockyard cannot start or seed yet, its
column says so and the others are still measured. Everything started here is stopped on exit or Ctrl-C.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/run.py`: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import datetime
import hashlib
import os
import signal
import tempfile
import time
from types import FrameType
from typing import cast

from bench import decide as decide_bench
from bench import docs, environment, load, registry, report, servers, targets
from bench.figures import MANIFEST_PATH, Figure, Workload, all_figures
from bench.servers import Server, Unavailable

LISTING_FIGURES = ("catalog", "tags_list")
LISTING_REPOSITORIES = 10_000

REPO_ROOT = Path(__file__).resolve().parent.parent
QUIET_BUDGET = 30.0  # total seconds a run may spend waiting for other load to calm down
# Open Dockyard, open reference, nginx; then Dockyard with token auth and the reference with htpasswd;
# then open Dockyard with auditing off (the audit's cost on the hot path).
SERVER_KEYS = ("dockyard", "reference", "nginx", "dockyard_auth", "reference_auth", "dockyard_noaudit")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="bench/run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of A B C alternation (default 3)")
    parser.add_argument("--duration", type=int, default=3, help="whole seconds per wrk/ab run (default 3)")
    parser.add_argument("--pull-duration", type=float, default=1.5, help="seconds per pull run (default 1.5)")
    parser.add_argument("--blob-mib", type=int, default=256, help="size of the big blob (default 256)")
    parser.add_argument("--only", default="", help="comma-separated figure keys to run (default all)")
    parser.add_argument("--servers", default=",".join(SERVER_KEYS), help="which servers to run")
    parser.add_argument("--dockyard-args", default="", help="extra arguments for `dockyard serve`")
    parser.add_argument(
        "--quiet-wait", type=float, default=3, help="max s to wait before each run for other CPU load to calm"
    )
    parser.add_argument("--no-write", action="store_true", help="print only; keep results/docs as they are")
    return parser.parse_args(argv)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _on_sigterm(_sig: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 on success, 130 if interrupted (nothing is written then)."""
    args = _parse_args(argv)
    signal.signal(signal.SIGTERM, _on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started with SIGINT ignored
    environment.ensure_packages(_log)
    figures = [f for f in all_figures(args.blob_mib) if not args.only or f.key in args.only.split(",")]
    meta: dict[str, object] = {"started": datetime.datetime.now().astimezone().isoformat(timespec="seconds")}
    meta["busy_before"] = environment.busy_processes()
    meta["load_before"] = environment.load_average()
    t0 = time.monotonic()
    try:
        timings = _time_decide(args)
        with tempfile.TemporaryDirectory(prefix="dockyard-bench-") as tmp:
            results, status = _run_in(Path(tmp), args, figures, meta)
    except KeyboardInterrupt:
        _log("interrupted: servers stopped, nothing written")
        return 130
    meta["load_after"] = environment.load_average()
    meta["elapsed_s"] = round(time.monotonic() - t0, 1)
    _finish(args, figures, results, status, meta, timings)
    return 0


def _time_decide(args: argparse.Namespace) -> list[decide_bench.Timing]:
    """Issue 4's `decide()` figures, in-process and before any server starts; skipped if --only omits `decide`."""
    if args.only and "decide" not in args.only.split(","):
        return []
    return decide_bench.run(log=_log, quiet_wait=args.quiet_wait)


def _run_in(
    tmp: Path, args: argparse.Namespace, figures: list[Figure], meta: dict[str, object]
) -> tuple[report.Results, dict[str, str]]:
    os.chmod(tmp, 0o755)  # nginx workers run as another user and must read the static copy
    work, image = _prepare(tmp, args)
    running: dict[str, Server] = {}
    status: dict[str, str] = {}
    try:
        _start_all(tmp, image, args, running, status)
        _warm_up(running)
        time.sleep(1)  # let the warm-up's garbage go before the idle sample
        idle = {key: server.rss_mb() for key, server in running.items()}
        gate = environment.QuietGate(args.quiet_wait, budget=QUIET_BUDGET)
        results = _rounds(args.rounds, figures, running, work, gate)
        meta["footprint"] = {
            key: {"startup_s": server.startup_s, "idle_rss_mb": idle[key], "peak_rss_mb": server.rss_mb(peak=True)}
            for key, server in running.items()
        }
        meta["quiet_wait_s"] = round(gate.waited, 1)
        meta["filesystem"] = environment.filesystem_of(tmp)
        meta["busy_after"] = environment.busy_processes()
        return results, status
    finally:
        for server in running.values():
            server.stop()


def _prepare(tmp: Path, args: argparse.Namespace) -> tuple[Workload, registry.SeedImage]:
    """Write the random big blob once and hash it: whole, and all but its last 32 bytes."""
    size = args.blob_mib << 20
    path = tmp / "blob.bin"
    _log(f"writing a {args.blob_mib} MiB random blob ...")
    prefix = hashlib.sha256()
    with path.open("wb") as f:
        for _ in range(args.blob_mib):
            f.write(os.urandom(1 << 20))
    with path.open("rb") as f:
        prefix.update(f.read(size - 32))
        whole = prefix.copy()
        whole.update(f.read())
    digest = "sha256:" + whole.hexdigest()
    image = registry.SeedImage(
        b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}',
        os.urandom(1 << 20),
        path,
        digest,
        size,
    )
    work = Workload(path, size, digest, prefix, args.duration, args.pull_duration)
    return work, image


def _start_all(
    tmp: Path,
    image: registry.SeedImage,
    args: argparse.Namespace,
    running: dict[str, Server],
    status: dict[str, str],
) -> None:
    """Start, seed and check each server; one that fails is reported unavailable, not fatal."""
    for key in args.servers.split(","):
        workdir = tmp / key
        workdir.mkdir()
        try:
            server = _start(key, workdir, image, args.dockyard_args, listing=_wants_listing(args, key))
        except (Unavailable, OSError, RuntimeError) as exc:
            status[key] = f"unavailable: {exc}"[:300]
            _log(f"{key}: {status[key]}")
            continue
        running[key] = server
        status[key] = "ok"
        _log(f"{key}: ready on port {server.port}, seeded and verified")


def _wants_listing(args: argparse.Namespace, key: str) -> bool:
    """Whether `key` must hold the listing figures' repositories (the open registries, if those figures run).

    Open Dockyard with auditing off holds them too: the audit pair must differ in the audit alone (a manifest
    GET on a Dockyard with 10,000 more repositories costs its worker about 5 % more CPU, measured)."""
    wanted = not args.only or any(k in args.only.split(",") for k in LISTING_FIGURES)
    return wanted and key in ("dockyard", "reference", "dockyard_noaudit")


def _start(key: str, workdir: Path, image: registry.SeedImage, dockyard_args: str, listing: bool) -> Server:
    if key == "nginx":
        static = workdir / "root"
        registry.write_static_copy(static, image)
        server = servers.start_nginx(workdir, static)
    elif key in ("reference", "reference_auth"):
        server = servers.start_reference(workdir, htpasswd=key == "reference_auth")
    elif key in ("dockyard", "dockyard_auth", "dockyard_noaudit"):
        token_auth, audit = key == "dockyard_auth", key != "dockyard_noaudit"
        server = servers.start_dockyard(workdir, dockyard_args, token_auth=token_auth, audit=audit)
    else:
        raise Unavailable(f"unknown server {key!r}")
    try:
        with server.connection() as conn:
            if key == "nginx":
                registry.check_manifest(conn, image.manifest())
            else:
                registry.seed(conn, image)
        registry.verify_blob(server.url(""), image.big_layer_digest, image.big_layer_size, server.headers())
        if listing:
            started = time.monotonic()
            registry.seed_many(server.host, server.port, image, LISTING_REPOSITORIES)
            _log(f"{key}: {LISTING_REPOSITORIES:,} more repositories pushed in {time.monotonic() - started:.0f} s")
        if key == "dockyard_auth":
            servers.sign_in_for_pull(server)
    except Exception as exc:
        server.stop()
        raise Unavailable(f"seeding or checking failed: {exc}") from exc
    return server


def _warm_up(running: dict[str, Server]) -> None:
    """One short, discarded wrk run per server, so round 1 does not pay for cold code paths."""
    for server in running.values():
        try:
            load.wrk_get(server, MANIFEST_PATH, 16, 1)
        except RuntimeError as exc:
            _log(f"{server.key}: warm-up failed: {exc}")


def _rounds(
    rounds: int, figures: list[Figure], running: dict[str, Server], work: Workload, gate: environment.QuietGate
) -> report.Results:
    results: report.Results = {f.key: {} for f in figures}
    for round_no in range(rounds):
        for figure in figures:
            keys = [k for k in figure.servers if figure.server_key(k) in running]
            for turn in range(round_no * figure.passes, (round_no + 1) * figure.passes):
                shift = turn % len(keys) if keys else 0
                for key in keys[shift:] + keys[:shift]:
                    gate.wait()
                    server = running[figure.server_key(key)]
                    outcome = _run_one(figure, server, round_no, work)
                    results[figure.key].setdefault(key, []).append(outcome)
                    _log(f"round {round_no + 1}/{rounds}  {figure.key:<22} {server.key:<14} {_brief(outcome)}")
    return results


def _run_one(figure: Figure, server: Server, round_no: int, work: Workload) -> report.Outcome:
    if server.proc.poll() is not None:
        return f"server exited with {server.proc.returncode}"
    try:
        return figure.run(server, round_no, work)
    except Exception as exc:  # a failing figure must not stop the others
        return f"{type(exc).__name__}: {exc}"[:300]


def _brief(outcome: report.Outcome) -> str:
    if isinstance(outcome, str):
        return f"FAILED {outcome}"
    text = "  ".join(f"{k}={v:,.2f}" for k, v in outcome.values.items())
    return text + (f"  [{'; '.join(outcome.problems)}]" if outcome.problems else "")


def _finish(
    args: argparse.Namespace,
    figures: list[Figure],
    results: report.Results,
    status: dict[str, str],
    meta: dict[str, object],
    timings: list[decide_bench.Timing],
) -> None:
    cores = os.cpu_count() or 1
    summary = {f.key: report.summarize(f, results[f.key], cores) for f in figures}
    summary.update(decide_bench.summary(timings))
    footprint = cast(report.Footprint, meta.get("footprint", {}))
    summary["footprint"] = report.footprint_cells(footprint)
    notes = {f.key: report.notes_for(f, summary[f.key], results[f.key]) for f in figures}
    unavailable = {k: "unavailable" for k, v in status.items() if v != "ok"}
    meta["machine"] = environment.machine()
    meta["versions"] = environment.tool_versions(servers.dockyard_command())
    meta["servers"] = status
    meta["args"] = vars(args)
    table = report.main_table(figures, summary, unavailable)
    cpu = report.cpu_table(figures, summary)
    decisions = "\n\n".join([decide_bench.table(timings), *decide_bench.verdicts(timings)]) if timings else ""
    footprint_text = report.footprint_table(footprint)
    goals = targets.all_targets()
    goals_table = targets.table(goals, summary)
    print(table)
    print()
    print(goals_table)
    print()
    print(cpu)
    print()
    print(footprint_text)
    print()
    print(decisions)
    for key, lines in notes.items():
        for line in lines:
            print(f"- {key}: {line}")
    if args.no_write:
        return
    day = datetime.date.today().isoformat()
    document = {
        **meta,
        "figures": {
            f.key: {
                "title": f.title,
                "cells": {k: report.cell_json(c) for k, c in summary[f.key].items()},
                "rounds": {k: [report.sample_json(o) for o in v] for k, v in results[f.key].items()},
                "notes": notes[f.key],
            }
            for f in figures
        },
        "targets": targets.as_json(goals, summary),
        "decide": decide_bench.as_json(timings),
    }
    report.write_json(REPO_ROOT / "bench" / "results" / f"{day}.json", document)
    text = docs.render(table, goals_table, cpu, notes, meta, decisions, footprint_text)
    (REPO_ROOT / "docs").mkdir(exist_ok=True)
    (REPO_ROOT / "docs" / "performance.md").write_text(text)
    _log(f"wrote bench/results/{day}.json and docs/performance.md ({meta['elapsed_s']} s)")


if __name__ == "__main__":
    sys.exit(main())
