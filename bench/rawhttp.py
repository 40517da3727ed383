"""A minimal blocking HTTP/1.1 client for the benchmark's pushes, seeding and checks.

httpx copies every body through Python several times; pushing 256 MiB through it measures the client, not
the registry. This client sends request bodies with `socket.sendfile` straight from the page cache and
keeps one keep-alive connection per registry. It understands only what the benchmark needs: Content-Length
and chunked response bodies, and absolute or relative `Location` headers. It must never be used for
anything but talking to servers the harness started itself on loopback.
"""

from __future__ import annotations

import dataclasses
import socket
from typing import BinaryIO
from urllib.parse import urlsplit

_MAX_HEAD = 64 * 1024


class HttpError(RuntimeError):
    """A server answered with a status the caller did not expect, or broke the protocol."""


@dataclasses.dataclass(frozen=True)
class Response:
    """Status, lower-cased headers (last value wins) and the whole (small) body."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclasses.dataclass(frozen=True)
class BlobSource:
    """A blob that is a file's first `prefix_len` bytes followed by `tail` (kept in memory).

    Pushing the same big file with a different few bytes at the end gives every push a new digest
    without writing a new 256 MiB file each time.
    """

    file: BinaryIO
    prefix_len: int
    tail: bytes = b""

    @property
    def size(self) -> int:
        """Total length of the blob in bytes."""
        return self.prefix_len + len(self.tail)


def path_of(location: str) -> str:
    """The path and query of a (possibly absolute) URL, as a request target."""
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def with_query(target: str, key: str, value: str) -> str:
    """`target` with `key=value` appended to its query string."""
    return f"{target}{'&' if '?' in target else '?'}{key}={value}"


class Connection:
    """One keep-alive HTTP/1.1 connection to `host:port`; reconnects when the server closes it."""

    def __init__(self, host: str, port: int, timeout: float = 120.0, headers: dict[str, str] | None = None) -> None:
        self.host = host
        self.port = port
        self.timeout = timeout
        self.headers = dict(headers or {})  # sent with every request (e.g. Authorization)
        self._sock: socket.socket | None = None
        self._buf = b""

    def close(self) -> None:
        """Close the socket if open."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._buf = b""

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        target: str,
        headers: dict[str, str] | None = None,
        body: bytes | BlobSource | None = None,
        body_range: tuple[int, int] | None = None,
    ) -> Response:
        """Send one request and read the whole response; `body_range` selects part of a BlobSource."""
        sock = self._connect()
        length = _body_length(body, body_range)
        head = [f"{method} {target} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        head += [f"{k}: {v}" for k, v in {**self.headers, **(headers or {})}.items()]
        if body is not None or method in ("PUT", "POST", "PATCH"):
            head.append(f"Content-Length: {length}")
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
        if isinstance(body, bytes):
            sock.sendall(body)
        elif isinstance(body, BlobSource):
            start, end = body_range if body_range else (0, body.size)
            _send_blob_range(sock, body, start, end)
        response = self._read_response(method)
        if response.headers.get("connection", "").lower() == "close":
            self.close()
        return response

    def _connect(self) -> socket.socket:
        if self._sock is None:
            sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self._sock = sock
        return self._sock

    def _recv(self) -> bytes:
        assert self._sock is not None
        data = self._sock.recv(1 << 20)
        if not data:
            raise HttpError("connection closed by the server")
        return data

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self._buf:
            if len(self._buf) > _MAX_HEAD:
                raise HttpError("response head too long")
            self._buf += self._recv()
        line, self._buf = self._buf.split(marker, 1)
        return line

    def _read_exact(self, n: int) -> bytes:
        parts, have = [self._buf], len(self._buf)
        while have < n:
            parts.append(self._recv())
            have += len(parts[-1])
        data = b"".join(parts)
        self._buf = data[n:]
        return data[:n]

    def _read_response(self, method: str) -> Response:
        status, headers = parse_head(self._read_until(b"\r\n\r\n"))
        if status == 100:
            return self._read_response(method)
        if method == "HEAD" or status in (204, 304):
            return Response(status, headers, b"")
        if headers.get("transfer-encoding", "").lower() == "chunked":
            return Response(status, headers, self._read_chunked())
        if "content-length" in headers:
            return Response(status, headers, self._read_exact(int(headers["content-length"])))
        parts = [self._buf]
        self._buf = b""
        try:
            while True:
                parts.append(self._recv())
        except HttpError:
            self.close()
        return Response(status, headers, b"".join(parts))

    def _read_chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int(self._read_until(b"\r\n").split(b";")[0], 16)
            if size == 0:
                self._read_until(b"\r\n")
                return b"".join(parts)
            parts.append(self._read_exact(size))
            self._read_until(b"\r\n")


def parse_head(head: bytes) -> tuple[int, dict[str, str]]:
    """Status code and lower-cased headers from a response head (without the blank line)."""
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split(" ", 2)[1])
    except (IndexError, ValueError) as exc:
        raise HttpError(f"bad status line {lines[0]!r}") from exc
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers


def _body_length(body: bytes | BlobSource | None, body_range: tuple[int, int] | None) -> int:
    if body is None:
        return 0
    if isinstance(body, bytes):
        return len(body)
    start, end = body_range if body_range else (0, body.size)
    return end - start


def _send_blob_range(sock: socket.socket, blob: BlobSource, start: int, end: int) -> None:
    """Send bytes [start, end) of the blob: the file part with sendfile, then the tail."""
    file_end = min(end, blob.prefix_len)
    if start < file_end:
        sent = sock.sendfile(blob.file, offset=start, count=file_end - start)
        if sent != file_end - start:
            raise HttpError(f"sendfile sent {sent} of {file_end - start} bytes")
    tail_start = max(start, blob.prefix_len) - blob.prefix_len
    tail_end = end - blob.prefix_len
    if tail_end > tail_start:
        sock.sendall(blob.tail[tail_start:tail_end])


def expect(response: Response, *statuses: int, what: str) -> Response:
    """Return the response if its status is one of `statuses`, else raise with the server's words."""
    if response.status not in statuses:
        detail = response.body[:300].decode("utf-8", "replace")
        raise HttpError(f"{what}: HTTP {response.status} (wanted {statuses}): {detail}")
    return response
