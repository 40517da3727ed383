"""Run one load generator against one server and turn its output into a `Sample`.

Every load generator is a separate process (wrk, ab, or `python -m bench.client`). Around each run the
harness reads the server's CPU time from /proc and the generator's CPU time from getrusage, so the
report can show server CPU per unit of work and say when the client, not the server, was the limit.
"""

from __future__ import annotations

import dataclasses
import json
import re
import resource
import subprocess
import sys
import time
from pathlib import Path

from bench import environment
from bench.registry import MANIFEST_ACCEPT
from bench.servers import Server

_REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclasses.dataclass
class Sample:
    """One measurement: the figures, the work done, and the CPU both sides spent doing it."""

    values: dict[str, float]
    work: float  # bytes moved or requests answered
    wall_s: float
    server_cpu_s: float
    client_cpu_s: float
    problems: list[str] = dataclasses.field(default_factory=list)
    other_cores: float = 0.0  # CPU used meanwhile by the rest of the machine (kernel included), in cores


@dataclasses.dataclass(frozen=True)
class PushJob:
    """One blob push: which bytes, under which digest, to which repository, in which chunk size."""

    file: Path
    prefix_len: int
    tail: bytes
    digest: str
    repo: str
    chunk: int  # 0 = monolithic


@dataclasses.dataclass(frozen=True)
class _Run:
    stdout: str
    wall_s: float
    server_cpu_s: float
    client_cpu_s: float  # from getrusage: the whole generator process, start-up included
    other_cores: float  # CPU the rest of the machine used meanwhile, in cores


def _run(server: Server, argv: list[str], timeout: float) -> _Run:
    """Run a generator to completion, accounting for the CPU of server, client and everything else."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_before, machine_before = server.cpu_seconds(), environment.machine_busy_s()
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, cwd=_REPO_ROOT, check=False)
    wall = time.perf_counter() - start
    server_cpu, machine = server.cpu_seconds() - server_before, environment.machine_busy_s() - machine_before
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise RuntimeError(f"{argv[0]} exited with {proc.returncode}: {' | '.join(tail)}")
    other = max(0.0, machine - server_cpu - client_cpu) / wall
    return _Run(proc.stdout, wall, server_cpu, client_cpu, other)


def push(server: Server, job: PushJob) -> Sample:
    """Push one blob with the Python client; the figure is MB/s (10^6 bytes) over the whole exchange."""
    argv = [
        sys.executable,
        "-m",
        "bench.client",
        "push",
        "--port",
        str(server.port),
        "--repo",
        job.repo,
        "--file",
        str(job.file),
        "--prefix-len",
        str(job.prefix_len),
        "--tail",
        job.tail.hex(),
        "--digest",
        job.digest,
        "--chunk",
        str(job.chunk),
    ]
    run = _run(server, argv, timeout=600)
    result = json.loads(run.stdout)
    mb_s = result["bytes"] / result["seconds"] / 1e6
    # The client's own CPU count for the timed part leaves out the interpreter's start-up.
    return Sample(
        {"mb_s": mb_s}, result["bytes"], result["seconds"], run.server_cpu_s, result["cpu_s"], [], run.other_cores
    )


def pull(server: Server, path: str, clients: int, duration: float) -> Sample:
    """GET `path` from `clients` connections for `duration` s; the figure is MB/s received."""
    argv = [
        sys.executable,
        "-m",
        "bench.client",
        "pull",
        "--port",
        str(server.port),
        "--path",
        path,
        "--clients",
        str(clients),
        "--duration",
        str(duration),
    ]
    run = _run(server, argv, timeout=duration + 60)
    result = json.loads(run.stdout)
    problems = [f"client error: {e}" for e in result["errors"][:2]]
    mb_s = result["bytes"] / result["seconds"] / 1e6
    return Sample(
        {"mb_s": mb_s}, result["bytes"], result["seconds"], run.server_cpu_s, result["cpu_s"], problems, run.other_cores
    )


def small_blobs(server: Server, repo: str, count: int, size: int) -> Sample:
    """`count` push-then-pull round trips of `size`-byte blobs on one connection: round trips/s."""
    argv = [sys.executable, "-m", "bench.client", "small", "--port", str(server.port), "--repo", repo]
    argv += ["--count", str(count), "--size", str(size)]
    run = _run(server, argv, timeout=600)
    result = json.loads(run.stdout)
    values = {"rps": result["round_trips"] / result["seconds"], "p50_ms": result["p50_ms"], "p99_ms": result["p99_ms"]}
    return Sample(
        values, result["round_trips"], result["seconds"], run.server_cpu_s, result["cpu_s"], [], run.other_cores
    )


def wrk_get(server: Server, path: str, connections: int, duration: float) -> Sample:
    """wrk GETs of `path` with the manifest Accept header and the server's credentials, if any."""
    headers = {"Accept": MANIFEST_ACCEPT, **server.headers()}
    return wrk(server, path, connections, duration, headers)


def wrk(
    server: Server, target: str, connections: int, duration: float, headers: dict[str, str], script: Path | None = None
) -> Sample:
    """wrk (one thread, keep-alive) on `target` with `headers` (and a Lua `script`, e.g. for a POST body):
    requests/s and p50/p99 latency in ms."""
    argv = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{duration:g}s", "--latency"]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    if script is not None:
        argv += ["-s", str(script)]
    argv.append(server.url(target))
    return _parse_wrk(_run(server, argv, timeout=duration + 60), duration)


def _parse_wrk(run: _Run, duration: float) -> Sample:
    out = run.stdout
    rps = _number(r"Requests/sec:\s+([\d.]+)", out)
    requests = _number(r"(\d+) requests in", out)
    values = {
        "rps": rps,
        "p50_ms": _duration_ms(_match(r"\s50%\s+([\d.]+\w+)", out)),
        "p99_ms": _duration_ms(_match(r"\s99%\s+([\d.]+\w+)", out)),
    }
    problems = []
    if bad := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        problems.append(f"{bad.group(1)} non-2xx responses")
    if errors := re.search(r"Socket errors: (.*)", out):
        problems.append(f"socket errors: {errors.group(1)}")
    wall = requests / rps if rps else duration
    return Sample(values, requests, wall, run.server_cpu_s, run.client_cpu_s, problems, run.other_cores)


def ab_head(server: Server, path: str, connections: int, duration: float, csv: Path) -> Sample:
    """`ab -i -k` (HEAD, keep-alive) on `path`: requests/s and p50/p99 latency in ms.

    wrk and h2load never finish a HEAD response that carries Content-Length, so HEAD needs ab.
    ab speaks HTTP/1.0 with `Connection: keep-alive`; a server that ignores that reconnects every request,
    which the report flags.
    """
    argv = [
        "ab",
        "-i",
        "-k",
        "-r",
        "-q",
        "-s",
        "30",
        "-c",
        str(connections),
        "-t",
        f"{duration:g}",
        "-n",
        "100000000",
        "-H",
        f"Accept: {MANIFEST_ACCEPT}",
        *(arg for name, value in server.headers().items() for arg in ("-H", f"{name}: {value}")),
        "-e",
        str(csv),
        server.url(path),
    ]
    run = _run(server, argv, timeout=duration + 60)
    out = run.stdout
    percentiles = _ab_percentiles(csv)
    complete = _number(r"Complete requests:\s+(\d+)", out)
    values = {
        "rps": _number(r"Requests per second:\s+([\d.]+)", out),
        "p50_ms": percentiles[50],
        "p99_ms": percentiles[99],
    }
    problems = []
    failed = _number(r"Failed requests:\s+(\d+)", out)
    if failed:
        problems.append(f"{failed:.0f} failed requests")
    if non2xx := re.search(r"Non-2xx responses:\s+(\d+)", out):
        problems.append(f"{non2xx.group(1)} non-2xx responses")
    keepalive = _number(r"Keep-Alive requests:\s+(\d+)", out)
    if complete and keepalive < 0.99 * complete:
        problems.append(f"HTTP/1.0 keep-alive kept for only {keepalive:.0f} of {complete:.0f} requests")
    wall = _number(r"Time taken for tests:\s+([\d.]+)", out)
    return Sample(values, complete, wall, run.server_cpu_s, run.client_cpu_s, problems, run.other_cores)


def _ab_percentiles(csv: Path) -> dict[int, float]:
    rows = csv.read_text().splitlines()[1:]
    return {int(float(p)): float(ms) for p, ms in (row.split(",") for row in rows)}


def _match(pattern: str, text: str) -> str:
    found = re.search(pattern, text)
    if not found:
        raise RuntimeError(f"load generator output lacks {pattern!r}: {text[-400:]}")
    return found.group(1)


def _number(pattern: str, text: str) -> float:
    return float(_match(pattern, text))


def _duration_ms(text: str) -> float:
    """wrk's `725.00us`, `1.14ms`, `2.01s` or `1.5m` in milliseconds."""
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if not found:
        raise RuntimeError(f"cannot read wrk duration {text!r}")
    scale = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}[found.group(2)]
    return float(found.group(1)) * scale
