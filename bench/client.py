"""The Python load generator, run as its own process: `python -m bench.client push|pull ...`.

It prints one JSON object on stdout and nothing else. Pulls use raw asyncio sockets with
`loop.sock_recv_into` into a preallocated buffer (read and discard, no copy into Python objects), so the
client spends as little CPU per byte as Python can; pushes send the body with sendfile. It never checks
content — the harness verifies each server's blob once, outside the timed runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import sys
import time
from pathlib import Path

from bench.rawhttp import BlobSource, Connection, expect, parse_head
from bench.registry import push_chunked, push_monolithic, sha256_digest

_BUF = 1 << 20


def main(argv: list[str] | None = None) -> None:
    """Parse the command line, run one push or one timed pull, print the result as JSON."""
    args = _parser().parse_args(argv)
    run = {"push": _push, "pull": _pull, "small": _small}[args.command]
    result = run(args)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.client")
    sub = parser.add_subparsers(dest="command", required=True)
    push = sub.add_parser("push", help="push one blob, monolithic or chunked")
    push.add_argument("--port", type=int, required=True)
    push.add_argument("--repo", required=True)
    push.add_argument("--file", type=Path, required=True)
    push.add_argument("--prefix-len", type=int, required=True)
    push.add_argument("--tail", default="", help="hex bytes appended after the file prefix")
    push.add_argument("--digest", required=True)
    push.add_argument("--chunk", type=int, default=0, help="PATCH chunk size; 0 = monolithic PUT")
    pull = sub.add_parser("pull", help="GET one blob over and over from N clients for D seconds")
    pull.add_argument("--port", type=int, required=True)
    pull.add_argument("--path", required=True)
    pull.add_argument("--clients", type=int, default=1)
    pull.add_argument("--duration", type=float, default=3.0)
    small = sub.add_parser("small", help="push and pull COUNT small blobs, one after another, on one connection")
    small.add_argument("--port", type=int, required=True)
    small.add_argument("--repo", required=True)
    small.add_argument("--count", type=int, default=1000)
    small.add_argument("--size", type=int, default=4096)
    return parser


def _push(args: argparse.Namespace) -> dict[str, object]:
    with args.file.open("rb") as f, Connection("127.0.0.1", args.port) as conn:
        blob = BlobSource(f, args.prefix_len, bytes.fromhex(args.tail))
        start, cpu = time.perf_counter(), time.process_time()
        if args.chunk:
            push_chunked(conn, args.repo, blob, args.digest, args.chunk)
        else:
            push_monolithic(conn, args.repo, blob, args.digest)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    return {"bytes": blob.size, "seconds": seconds, "cpu_s": cpu}


def _small(args: argparse.Namespace) -> dict[str, object]:
    """The many-layers case: each round trip pushes a fresh random blob (POST, PUT ?digest=) and pulls
    it back (GET), so nothing is ever found already stored; latencies are per round trip."""
    blobs = [os.urandom(args.size) for _ in range(args.count)]
    digests = [sha256_digest(blob) for blob in blobs]
    latencies = []
    with Connection("127.0.0.1", args.port) as conn:
        start, cpu = time.perf_counter(), time.process_time()
        for blob, digest in zip(blobs, digests, strict=True):
            began = time.perf_counter()
            push_monolithic(conn, args.repo, blob, digest)
            got = expect(conn.request("GET", f"/v2/{args.repo}/blobs/{digest}"), 200, what=f"GET blob {digest}")
            if len(got.body) != args.size:
                raise RuntimeError(f"GET blob {digest} returned {len(got.body)} bytes, not {args.size}")
            latencies.append(time.perf_counter() - began)
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    latencies.sort()
    return {
        "round_trips": args.count,
        "seconds": seconds,
        "cpu_s": cpu,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, len(latencies) * 99 // 100)] * 1000,
    }


def _pull(args: argparse.Namespace) -> dict[str, object]:
    return asyncio.run(_pull_async(args.port, args.path, args.clients, args.duration))


async def _pull_async(port: int, path: str, clients: int, duration: float) -> dict[str, object]:
    """Run `clients` pull loops, snapshot the byte counters after `duration` seconds, then stop."""
    counters = [0] * clients
    completed = [0] * clients
    request = f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    tasks = [asyncio.create_task(_pull_loop(port, request, counters, completed, i)) for i in range(clients)]
    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.sleep(duration)
    total, seconds = sum(counters), time.perf_counter() - start
    cpu = time.process_time() - cpu
    for task in tasks:
        task.cancel()
    outcomes = await asyncio.gather(*tasks, return_exceptions=True)
    errors = [repr(o) for o in outcomes if isinstance(o, BaseException)]
    errors = [e for e in errors if "CancelledError" not in e]
    return {
        "bytes": total,
        "seconds": seconds,
        "cpu_s": cpu,
        "completed": sum(completed),
        "errors": errors,
    }


async def _pull_loop(port: int, request: bytes, counters: list[int], completed: list[int], i: int) -> None:
    loop = asyncio.get_running_loop()
    sock = socket.socket()
    sock.setblocking(False)
    buf = bytearray(_BUF)
    view = memoryview(buf)
    try:
        await loop.sock_connect(sock, ("127.0.0.1", port))
        while True:
            await loop.sock_sendall(sock, request)
            remaining, early = await _read_head(loop, sock, buf, view)
            counters[i] += early
            while remaining > 0:
                n = await loop.sock_recv_into(sock, view[: min(_BUF, remaining)])
                if n == 0:
                    raise ConnectionError("server closed the connection mid-body")
                remaining -= n
                counters[i] += n
            completed[i] += 1
    finally:
        sock.close()


async def _read_head(
    loop: asyncio.AbstractEventLoop, sock: socket.socket, buf: bytearray, view: memoryview
) -> tuple[int, int]:
    """Read a response head; return (body bytes still to read, body bytes already read)."""
    have = 0
    while True:
        n = await loop.sock_recv_into(sock, view[have:])
        if n == 0:
            raise ConnectionError("server closed the connection before the response head")
        have += n
        end = buf.find(b"\r\n\r\n", 0, have)
        if end >= 0:
            break
        if have >= len(buf):
            raise ConnectionError("response head too long")
    status, headers = parse_head(bytes(buf[:end]))
    if status != 200 or "content-length" not in headers:
        raise ConnectionError(f"HTTP {status}, headers {headers}: need 200 with Content-Length")
    early = have - (end + 4)
    return int(headers["content-length"]) - early, early


if __name__ == "__main__":
    main()
