"""The machine and its tools: install what is missing, and describe what the figures were taken on.

Describing the machine matters as much as the figures: a ratio taken while something else was busy is
not the same ratio, so the report records the load average and the busiest other processes.
"""

from __future__ import annotations

import fcntl
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

# Debian package -> the program the harness runs from it.
PACKAGES = {
    "docker-registry": "/usr/bin/docker-registry",
    "nginx-light": "nginx",
    "wrk": "wrk",
    "nghttp2-client": "h2load",
    "apache2-utils": "ab",
}
_DPKG_LOCK = Path("/var/lib/dpkg/lock-frontend")


def ensure_packages(log: Callable[[str], None] = print) -> None:
    """apt-get install the packages whose program is missing (apt-get update once, first)."""
    missing = [pkg for pkg, prog in PACKAGES.items() if shutil.which(prog) is None]
    if not missing:
        return
    _wait_for_dpkg_lock(log)
    missing = [pkg for pkg, prog in PACKAGES.items() if shutil.which(prog) is None]
    if not missing:
        return
    if os.geteuid() != 0:
        raise SystemExit(f"missing Debian packages {missing}; install them (as root): apt-get install")
    log(f"installing {' '.join(missing)} ...")
    apt = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "-y", "-q"]
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run([*apt, "update"], check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run([*apt, "install", "--no-install-recommends", *missing], check=True, env=env)


def _wait_for_dpkg_lock(log: Callable[[str], None], timeout: float = 900) -> None:
    """Wait while another apt/dpkg (e.g. a background install) holds the dpkg frontend lock."""
    if not _DPKG_LOCK.exists() or not os.access(_DPKG_LOCK, os.W_OK):
        return
    deadline = time.monotonic() + timeout
    told = False
    while time.monotonic() < deadline:
        with _DPKG_LOCK.open("w") as f:
            try:
                fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
                fcntl.lockf(f, fcntl.LOCK_UN)
                return
            except OSError:
                pass
        if not told:
            log("waiting for another apt/dpkg to finish ...")
            told = True
        time.sleep(2)


def _first_line(argv: list[str]) -> str:
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    return lines[0].strip() if lines else "unknown"


def _package_version(package: str) -> str:
    return _first_line(["dpkg-query", "-W", "-f=${Version}", package])


def tool_versions(dockyard: Path) -> dict[str, str]:
    """Versions of everything that took part: servers, load generators, Python, kernel."""
    import httpx  # only for its version: it is the project's HTTP client

    return {
        "dockyard": _first_line([str(dockyard), "--version"]).split()[-1] if dockyard.exists() else "not installed",
        "docker-registry": _package_version("docker-registry"),
        "nginx": _first_line(["nginx", "-v"]).rpartition("/")[2],
        "wrk": _package_version("wrk"),
        "ab (apache2-utils)": _package_version("apache2-utils"),
        "python": sys.version.split()[0],
        "httpx": httpx.__version__,
        "kernel": platform.release(),
    }


def machine() -> dict[str, object]:
    """CPU model and count, memory, and the file system the servers store data on."""
    cpuinfo = Path("/proc/cpuinfo").read_text()
    models = [line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith("model name")]
    meminfo = dict(
        (line.split(":")[0], line.split(":")[1].strip()) for line in Path("/proc/meminfo").read_text().splitlines()
    )
    mem_kib = int(meminfo["MemTotal"].split()[0])
    return {
        "cpu_model": models[0] if models else platform.processor(),
        "cores": os.cpu_count() or 0,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
    }


def filesystem_of(path: Path) -> str:
    """Type of the file system holding `path` (from /proc/mounts, longest matching mount point)."""
    best, kind = "", "unknown"
    target = str(path.resolve())
    for line in Path("/proc/mounts").read_text().splitlines():
        fields = line.split()
        mount = fields[1]
        if (target == mount or target.startswith(mount.rstrip("/") + "/")) and len(mount) > len(best):
            best, kind = mount, fields[2]
    return kind


def load_average() -> tuple[float, float, float]:
    """The 1, 5 and 15 minute load averages."""
    one, five, fifteen = Path("/proc/loadavg").read_text().split()[:3]
    return float(one), float(five), float(fifteen)


def busy_processes(sample_s: float = 1.0, threshold: float = 0.05) -> list[str]:
    """Other processes that used more than `threshold` of a core over `sample_s` seconds."""
    own = os.getpid()
    first = _cpu_by_pid()
    time.sleep(sample_s)
    second = _cpu_by_pid()
    tick = os.sysconf("SC_CLK_TCK")
    busy = []
    for pid, (name, ticks) in second.items():
        used = (ticks - first.get(pid, (name, ticks))[1]) / tick / sample_s
        if pid != own and used >= threshold:
            busy.append(f"{name} ({used:.0%} of a core)")
    return sorted(busy)


def _cpu_by_pid() -> dict[int, tuple[str, int]]:
    found = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            raw = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        name = raw[raw.find("(") + 1 : raw.rfind(")")]
        fields = raw[raw.rfind(")") + 2 :].split()
        found[int(entry)] = (name, int(fields[11]) + int(fields[12]))
    return found


def machine_busy_s() -> float:
    """CPU seconds all cores have spent busy since boot (from /proc/stat; idle and iowait excluded)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class QuietGate:
    """Before each run, wait a little for other work on the machine to calm down.

    The machine may be shared (tests, builds); a run started while another process burns a core
    measures that process too. Waits at most `per_run` seconds each time and `budget` in total, so a
    machine that never calms down costs a bounded amount of time (the report then flags the figures).
    """

    def __init__(self, per_run: float, budget: float, threshold_cores: float = 0.3) -> None:
        self.per_run = per_run
        self.budget = budget
        self.threshold = threshold_cores
        self.waited = 0.0

    def wait(self, window: float = 0.25) -> None:
        """Return once a `window`-long sample shows less than the threshold, or the time is up."""
        deadline = time.monotonic() + min(self.per_run, self.budget - self.waited)
        start = time.monotonic()
        while time.monotonic() < deadline:
            before = machine_busy_s()
            time.sleep(window)
            if (machine_busy_s() - before) / window < self.threshold:
                break
        self.waited += time.monotonic() - start
