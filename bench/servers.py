"""Start, watch and stop the servers under test: Dockyard, the reference registry and nginx.

Each server runs in its own session (process group) with its state in a fresh temporary directory, so
stopping it kills exactly what the harness started and nothing else. Server CPU time is read from /proc
for the whole process tree, so multi-process servers (granian workers, nginx workers) are counted whole.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from bench.auth import (
    BENCH_USER,
    Credentials,
    ServerAuth,
    basic_auth,
    owner_credentials,
    sign_in,
    write_htpasswd,
)
from bench.rawhttp import Connection, HttpError
from bench.registry import SEED_REPO

READY_TIMEOUT = 30.0
PUSH_SCOPE = f"repository:{SEED_REPO}:pull,push"
PULL_SCOPE = f"repository:{SEED_REPO}:pull"
_CLK_TCK = os.sysconf("SC_CLK_TCK")


class Unavailable(RuntimeError):
    """A server could not be started; the message says why (shown in the report instead of figures)."""


@dataclasses.dataclass
class Server:
    """A running server: what it is called in the report, where it listens, and its process."""

    key: str
    label: str
    host: str
    port: int
    proc: subprocess.Popen[bytes]
    workdir: Path
    auth: ServerAuth | None = None  # None: an open server
    startup_s: float = 0.0  # from exec to the first answer on /v2/

    def headers(self) -> dict[str, str]:
        """Headers every data-plane request to this server carries (its credentials, if any)."""
        return dict(self.auth.headers) if self.auth else {}

    def connection(self) -> Connection:
        """A fresh keep-alive connection to the server, sending its credentials with every request."""
        return Connection(self.host, self.port, headers=self.headers())

    def url(self, path: str) -> str:
        """Absolute http:// URL of `path` on this server."""
        return f"http://{self.host}:{self.port}{path}"

    def rss_mb(self, peak: bool = False) -> float:
        """Resident memory of the server's live process tree in MB (10^6 bytes), summed over its
        processes: now (VmRSS), or each process's high-water mark (VmHWM) with `peak`."""
        field = "VmHWM:" if peak else "VmRSS:"
        return sum(_status_kb(pid, field) for pid in _tree(self.proc.pid)) * 1024 / 1e6

    def cpu_seconds(self) -> float:
        """User + system CPU time used so far by the server's live process tree."""
        return sum(_proc_cpu(pid) for pid in _tree(self.proc.pid))

    def stop(self) -> None:
        """Terminate the server's process group, killing it if it does not stop within 10 s."""
        if self.proc.poll() is not None:
            return
        _signal_group(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            _signal_group(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def dockyard_command() -> Path:
    """The `dockyard` script next to the running interpreter (the project's venv)."""
    return Path(sys.executable).parent / "dockyard"


def start_dockyard(workdir: Path, extra_args: str = "", token_auth: bool = False, audit: bool = True) -> Server:
    """`dockyard serve` on a free port with a fresh data directory; raises Unavailable if it cannot run.

    Open by default (the open-registry figures); with `token_auth`, Dockyard's default sign-in, and
    the harness signs in as the initial owner with push rights (to seed; see `sign_in_for_pull`).
    Without `audit`, the audit trail is off (`audit_enabled = false`), for the audit's cost on the hot path.
    """
    exe = dockyard_command()
    if not exe.exists():
        raise Unavailable(f"{exe} does not exist (is the package installed in the venv?)")
    port = free_port()
    data = workdir / "data"
    data.mkdir()
    argv = [str(exe), "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", str(data)]
    argv += shlex.split(extra_args)
    # Default settings (no inherited DOCKYARD_* or config file), on the reference's footing: log
    # level error, no access log.
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOCKYARD_")}
    env["DOCKYARD_LOG_LEVEL"] = "error"
    # The open-registry figures compare with the reference registry without auth; the token-auth
    # figures start a second Dockyard with its default, authentication=token.
    env["DOCKYARD_AUTHENTICATION"] = "token" if token_auth else "open"
    if not audit:
        env["DOCKYARD_AUDIT_ENABLED"] = "false"
        return _launch("dockyard_noaudit", "Dockyard (auditing off)", argv, port, workdir, env)
    if not token_auth:
        return _launch("dockyard", "Dockyard", argv, port, workdir, env)
    server = _launch("dockyard_auth", "Dockyard (token auth)", argv, port, workdir, env, ready=(200, 401))
    try:
        server.auth = sign_in(server.host, port, owner_credentials(data), PUSH_SCOPE)
    except (OSError, HttpError, KeyError, ValueError) as exc:
        server.stop()
        raise Unavailable(f"cannot sign in as the owner: {exc}") from exc
    return server


def sign_in_for_pull(server: Server) -> None:
    """Replace the seeding credentials with a pull-only bearer token (and refresh token) for the runs."""
    if server.auth is None:
        raise Unavailable(f"{server.key} is an open server")
    server.auth = sign_in(server.host, server.port, server.auth.credentials, PULL_SCOPE)


def start_reference(workdir: Path, htpasswd: bool = False) -> Server:
    """CNCF distribution 2.8 (`docker-registry`) with filesystem storage in `workdir`.

    With `htpasswd`, Basic auth against a bcrypt (cost 5) htpasswd file with one user.
    """
    port = free_port()
    config = workdir / "config.yml"
    text = _reference_config(workdir / "storage", port)
    if not htpasswd:
        config.write_text(text)
        argv = ["/usr/bin/docker-registry", "serve", str(config)]
        return _launch("reference", "Reference (distribution 2.8)", argv, port, workdir)
    credentials = Credentials(BENCH_USER, os.urandom(12).hex())
    write_htpasswd(workdir / "htpasswd", credentials)
    config.write_text(text + _htpasswd_config(workdir / "htpasswd"))
    argv = ["/usr/bin/docker-registry", "serve", str(config)]
    label = "Reference (distribution 2.8, htpasswd)"
    return _launch("reference_auth", label, argv, port, workdir, server_auth=basic_auth(credentials))


def _htpasswd_config(path: Path) -> str:
    return f"""auth:
  htpasswd:
    realm: basic
    path: {path}
"""


def _reference_config(root: Path, port: int) -> str:
    # blobdescriptor cache and disabled access log: the upstream example config's defaults, i.e. the
    # reference as it is usually deployed; the access log would otherwise be written per request.
    return f"""version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
  cache:
    blobdescriptor: inmemory
http:
  addr: 127.0.0.1:{port}
"""


def start_nginx(workdir: Path, static_root: Path) -> Server:
    """nginx with sendfile serving `static_root` (a static copy of the seed image) on a free port."""
    port = free_port()
    for sub in ("logs", "tmp"):
        (workdir / sub).mkdir()
    config = workdir / "nginx.conf"
    config.write_text(_nginx_config(workdir, static_root, port))
    argv = ["nginx", "-e", str(workdir / "logs" / "error.log"), "-c", str(config), "-p", str(workdir)]
    return _launch("nginx", "nginx (sendfile)", argv, port, workdir)


def _nginx_config(prefix: Path, root: Path, port: int) -> str:
    temps = "\n".join(
        f"    {kind}_temp_path {prefix}/tmp/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    return f"""worker_processes auto;
daemon off;
pid {prefix}/nginx.pid;
error_log {prefix}/logs/error.log error;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 10000000;
{temps}
    types {{ }}
    default_type application/octet-stream;
    server {{
        listen 127.0.0.1:{port};
        root {root};
        location = /v2/ {{ default_type application/json; return 200 "{{}}"; }}
        location /v2/bench/app/manifests/ {{
            default_type application/vnd.oci.image.manifest.v1+json;
        }}
    }}
}}
"""


def _launch(
    key: str,
    label: str,
    argv: list[str],
    port: int,
    workdir: Path,
    env: dict[str, str] | None = None,
    ready: tuple[int, ...] = (200,),
    server_auth: ServerAuth | None = None,
) -> Server:
    log = (workdir / "server.log").open("wb")
    started = time.monotonic()
    try:
        proc = subprocess.Popen(
            argv,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
            cwd=workdir,
        )
    except OSError as exc:
        raise Unavailable(f"cannot run {argv[0]}: {exc}") from exc
    finally:
        log.close()
    server = Server(key, label, "127.0.0.1", port, proc, workdir, server_auth)
    try:
        _wait_ready(server, ready)
    except Unavailable:
        server.stop()
        raise
    server.startup_s = time.monotonic() - started
    return server


def _wait_ready(server: Server, ready: tuple[int, ...]) -> None:
    """Poll GET /v2/ until it answers a status in `ready`; fail early if the process exits."""
    deadline = time.monotonic() + READY_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise Unavailable(f"exited with {server.proc.returncode}: {_log_tail(server)}")
        try:
            with server.connection() as conn:
                status = conn.request("GET", "/v2/").status
            if status in ready:
                return
            last = f"GET /v2/ answered {status}"
        except (OSError, HttpError) as exc:
            last = str(exc)
        time.sleep(0.1)
    raise Unavailable(f"not ready after {READY_TIMEOUT:.0f} s ({last}): {_log_tail(server)}")


def _log_tail(server: Server, lines: int = 5) -> str:
    try:
        text = (server.workdir / "server.log").read_text(errors="replace").strip()
    except OSError:
        return ""
    return " | ".join(text.splitlines()[-lines:])


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def _tree(root: int) -> list[int]:
    """`root` and all its live descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _read_stat(int(entry))
            if stat is not None:
                children.setdefault(int(stat[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def _read_stat(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (index 0 = state, 1 = ppid, ...)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rfind(")") + 2 :].split()


def _status_kb(pid: int, field: str) -> int:
    """A `kB` field of /proc/<pid>/status (0 if the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _proc_cpu(pid: int) -> float:
    stat = _read_stat(pid)
    if stat is None:
        return 0.0
    # utime and stime are fields 14 and 15 of stat(5), i.e. 11 and 12 after the command name.
    return (int(stat[11]) + int(stat[12])) / _CLK_TCK
