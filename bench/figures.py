"""What is measured: each `Figure` names one number, which servers take part, and how one run is made.

A figure's run gets the server, the round number and the shared `Workload` (the big blob and its
digests); it returns one `load.Sample`. Pushes go to a fresh repository with a blob of their own (same
big file, a different last 32 bytes) so that no push finds its blob already stored.
"""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from bench import load
from bench.auth import ServerAuth, refresh_form, token_query
from bench.registry import SEED_REPO, SEED_TAG
from bench.servers import PULL_SCOPE, Server

REGISTRIES = ("dockyard", "reference")
ALL = ("dockyard", "reference", "nginx")
# The authenticated figures fill the Dockyard and Reference columns from the servers started with auth.
AUTHENTICATED = {"dockyard": "dockyard_auth", "reference": "reference_auth"}
# The audit's cost: open Dockyard as usual (auditing on, the default) against open Dockyard with it off.
AUDITING = ("dockyard", "dockyard_noaudit")
AUDIT_CONNECTIONS = (16, 64)
# A 5 % budget against a run-to-run spread of ±10 % and more on this kind of machine: five alternations a
# round, and the ratio taken run by run (report.PAIRED).
AUDIT_PASSES = 5
AUDIT_NOTE = (
    "the Dockyard column is open Dockyard with auditing on (the default; every GET queues a repository event); "
    "dockyard_noaudit is a second open Dockyard with `audit_enabled = false`, measured alternately with it, "
    f"{AUDIT_PASSES} times a round. The target is the median of their ratios run by run (each pair back to back)."
)
TOKEN_PATH = "/oauth2/token"
TOKEN_CONNECTIONS = 16
NO_REFERENCE = (
    "no reference column: distribution 2.8 issues no tokens itself (token auth there means an external "
    "token server), so there is nothing to compare with."
)
CHUNK = 8 << 20
_TAIL = 32
MANIFEST_PATH = f"/v2/{SEED_REPO}/manifests/{SEED_TAG}"
SMALL_BLOBS = 1000
SMALL_BLOB_SIZE = 4096
# Listing: the open servers hold LISTING_REPOSITORIES repositories besides the seed (see registry.seed_many).
LISTING_CONNECTIONS = 16
CATALOG_PATH = "/v2/_catalog?n=100"
TAGS_PATH = f"/v2/{SEED_REPO}/tags/list"
LISTING_NOTE = (
    "both registries hold 10,000 repositories (each a one-layer image) besides the seed; the catalog request "
    "asks for the first page of 100, the tags list is the seed repository's."
)


@dataclasses.dataclass(frozen=True)
class Workload:
    """The big blob on disk, the hash state of all but its last bytes, and the run lengths."""

    blob_path: Path
    blob_size: int
    blob_digest: str
    prefix_hash: hashlib._Hash  # sha256 state after the first blob_size - 32 bytes
    duration: float
    pull_duration: float

    def push_job(self, key: str, round_no: int, chunk: int) -> load.PushJob:
        """A push of a blob no server has seen: the file's prefix plus a tail unique to this push."""
        label = f"{key}-{round_no}-{'chunked' if chunk else 'mono'}"
        tail = hashlib.sha256(label.encode()).digest()[:_TAIL]
        hasher = self.prefix_hash.copy()
        hasher.update(tail)
        repo = f"bench/push-r{round_no}-{'chunked' if chunk else 'mono'}"
        return load.PushJob(self.blob_path, self.blob_size - _TAIL, tail, "sha256:" + hasher.hexdigest(), repo, chunk)

    @property
    def blob_url_path(self) -> str:
        """Request path of the seed's big blob (the same on every server)."""
        return f"/v2/{SEED_REPO}/blobs/{self.blob_digest}"


Runner = Callable[[Server, int, Workload], load.Sample]


@dataclasses.dataclass(frozen=True)
class Figure:
    """One row group of the report."""

    key: str
    title: str
    kind: str  # "throughput" (MB/s) or "requests" (req/s with p50/p99)
    servers: tuple[str, ...]  # the report columns it fills: dockyard, reference, nginx
    run: Runner
    hosts: Mapping[str, str] = dataclasses.field(default_factory=dict)  # column -> server key, if not the same
    note: str = ""  # said in the report's notes whatever the outcome
    passes: int = 1  # alternations of its servers in each round (more samples where a small ratio matters)

    def server_key(self, column: str) -> str:
        """Key of the running server measured for `column`."""
        return self.hosts.get(column, column)


def _push(chunk: int) -> Runner:
    def run(server: Server, round_no: int, work: Workload) -> load.Sample:
        return load.push(server, work.push_job(server.key, round_no, chunk))

    return run


def _pull(clients: int) -> Runner:
    def run(server: Server, _round: int, work: Workload) -> load.Sample:
        return load.pull(server, work.blob_url_path, clients, work.pull_duration)

    return run


def _get(connections: int) -> Runner:
    def run(server: Server, _round: int, work: Workload) -> load.Sample:
        return load.wrk_get(server, MANIFEST_PATH, connections, work.duration)

    return run


def _head(connections: int) -> Runner:
    def run(server: Server, _round: int, work: Workload) -> load.Sample:
        with tempfile.NamedTemporaryFile(suffix=".csv") as csv:
            return load.ab_head(server, MANIFEST_PATH, connections, work.duration, Path(csv.name))

    return run


def _small_blobs(server: Server, round_no: int, _work: Workload) -> load.Sample:
    return load.small_blobs(server, f"bench/small-r{round_no}", SMALL_BLOBS, SMALL_BLOB_SIZE)


def _catalog(server: Server, _round: int, work: Workload) -> load.Sample:
    return load.wrk(server, CATALOG_PATH, LISTING_CONNECTIONS, work.duration, {})


def _tags_list(server: Server, _round: int, work: Workload) -> load.Sample:
    return load.wrk(server, TAGS_PATH, LISTING_CONNECTIONS, work.duration, {})


def _signed_in(server: Server) -> ServerAuth:
    if server.auth is None or not server.auth.refresh_token:
        raise RuntimeError(f"{server.key} has no token service")
    return server.auth


def _token_refresh(connections: int) -> Runner:
    """`POST /oauth2/token` with grant_type=refresh_token (no password hashing)."""

    def run(server: Server, _round: int, work: Workload) -> load.Sample:
        signed_in = _signed_in(server)
        script = server.workdir / "refresh.lua"
        script.write_text(_post_script(refresh_form(signed_in.service, PULL_SCOPE, signed_in.refresh_token)))
        return load.wrk(server, TOKEN_PATH, connections, work.duration, {}, script)

    return run


def _post_script(form: str) -> str:
    """A wrk Lua script that POSTs `form` (urlencoded, so free of quotes and backslashes)."""
    return (
        f'wrk.method = "POST"\nwrk.body = "{form}"\nwrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
    )


def _token_basic(connections: int) -> Runner:
    """`GET /oauth2/token` with the owner's Basic credentials (a password hash check on each)."""

    def run(server: Server, _round: int, work: Workload) -> load.Sample:
        signed_in = _signed_in(server)
        target = f"{TOKEN_PATH}?{token_query(signed_in.service, PULL_SCOPE)}"
        headers = {"Authorization": signed_in.credentials.basic()}
        return load.wrk(server, target, connections, work.duration, headers)

    return run


def all_figures(blob_mib: int) -> list[Figure]:
    """Every figure, in report order."""
    size = f"{blob_mib} MiB"
    figures = [
        Figure("push_monolithic", f"blob push {size}, monolithic", "throughput", REGISTRIES, _push(0)),
        Figure("push_chunked", f"blob push {size}, 8 MiB chunks", "throughput", REGISTRIES, _push(CHUNK)),
        Figure("pull_1", f"blob pull {size}, 1 client", "throughput", ALL, _pull(1)),
        Figure("pull_8", f"blob pull {size}, 8 clients", "throughput", ALL, _pull(8)),
    ]
    figures.append(
        Figure(
            "small_blobs",
            f"small blobs: {SMALL_BLOBS:,} x {SMALL_BLOB_SIZE // 1024} KiB push + pull round trips (1 conn)",
            "requests",
            REGISTRIES,
            _small_blobs,
        )
    )
    for c in (1, 16, 64):
        title = f"manifest GET by tag, {c} conn (wrk)"
        figures.append(Figure(f"manifest_get_c{c}", title, "requests", ALL, _get(c)))
    for c in (1, 16, 64):
        title = f"manifest HEAD by tag, {c} conn (ab)"
        figures.append(Figure(f"manifest_head_c{c}", title, "requests", ALL, _head(c)))
    for c in (1, 16, 64):
        title = f"manifest GET by tag, auth, {c} conn (wrk; bearer / Basic)"
        figures.append(Figure(f"manifest_get_auth_c{c}", title, "requests", REGISTRIES, _get(c), AUTHENTICATED))
    for c in AUDIT_CONNECTIONS:
        title = f"manifest GET by tag, {c} conn (wrk), auditing on"
        runner = _get(c)
        figures.append(
            Figure(
                f"manifest_get_audit_c{c}", title, "requests", AUDITING, runner, note=AUDIT_NOTE, passes=AUDIT_PASSES
            )
        )
    c = LISTING_CONNECTIONS
    for key, title, runner in (("catalog", "catalog, first 100", _catalog), ("tags_list", "tags list", _tags_list)):
        figures.append(Figure(key, f"{title}, {c} conn (wrk)", "requests", REGISTRIES, runner, note=LISTING_NOTE))
    c = TOKEN_CONNECTIONS
    for key, what, runner in (
        ("token_refresh", "refresh token (POST)", _token_refresh(c)),
        ("token_basic", "Basic password (GET)", _token_basic(c)),
    ):
        title = f"token issue, {what}, {c} conn (wrk)"
        figures.append(Figure(key, title, "requests", ("dockyard",), runner, AUTHENTICATED, NO_REFERENCE))
    return figures
