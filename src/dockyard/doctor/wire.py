"""The doctor's HTTP, on the standard library (so the CLI needs no HTTP dependency), with every transport
failure sorted into the kind a user can act on: DNS, TCP, TLS trust / host name / expiry, TLS spoken to plain HTTP,
timeout. Nothing here retries, follows redirects or sends credentials it was not given.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

TIMEOUT_SECONDS = 10.0
_MAX_BODY = 1024 * 1024
#: Where docker and podman look for a registry's own CA certificates (`<dir>/<login server>/*.crt`).
CERT_DIRS = (Path("/etc/docker/certs.d"), Path("/etc/containers/certs.d"))
# OpenSSL's verify codes for the failures people can fix differently.
_EXPIRED = {9, 10}  # not yet valid, expired
_HOST_MISMATCH = {62, 64}  # host name mismatch, IP address mismatch


class Failure(StrEnum):
    """Why a request got no HTTP answer."""

    DNS = "dns"
    TCP = "tcp"
    TIMEOUT = "timeout"
    TLS_UNTRUSTED = "tls_untrusted"
    TLS_EXPIRED = "tls_expired"
    TLS_HOST = "tls_host"
    TLS_PROTOCOL = "tls_protocol"  # e.g. TLS spoken to a plain-HTTP port
    PROTOCOL = "protocol"  # not HTTP, or the connection dropped (e.g. plain HTTP to a TLS port)


class WireError(Exception):
    """A request that got no HTTP answer: its kind and the system's words for it."""

    def __init__(self, failure: Failure, detail: str) -> None:
        super().__init__(detail)
        self.failure = failure
        self.detail = detail


@dataclass(frozen=True)
class Answer:
    """An HTTP answer: status, headers (lower-case names, repeated ones joined by ', ') and body."""

    status: int
    headers: Mapping[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        """The body as a JSON object ({} when it is not one)."""
        try:
            document = json.loads(self.body)
        except ValueError:
            return {}
        return document if isinstance(document, dict) else {}

    def oci_messages(self) -> list[str]:
        """`code: message` of each OCI error in the body."""
        errors = self.json().get("errors")
        if not isinstance(errors, list):
            return []
        return [f"{e.get('code', '')}: {e.get('message', '')}" for e in errors if isinstance(e, dict)]


def tls_context(host: str, cert_dirs: tuple[Path, ...] = CERT_DIRS) -> ssl.SSLContext:
    """The system's trust, plus the CA certificates docker and podman would add for this login server."""
    context = ssl.create_default_context()
    for directory in cert_dirs:
        for certificate in sorted((directory / host).glob("*.crt")) if (directory / host).is_dir() else ():
            try:
                context.load_verify_locations(cafile=str(certificate))
            except (OSError, ssl.SSLError):
                continue
    return context


def request(
    url: str,
    method: str = "GET",
    headers: Mapping[str, str] | None = None,
    body: bytes | None = None,
    context: ssl.SSLContext | None = None,
    timeout: float = TIMEOUT_SECONDS,
) -> Answer:
    """One request; `WireError` when no HTTP answer came back."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(
            host, parts.port, timeout=timeout, context=context or tls_context(parts.netloc)
        )
    else:
        connection = http.client.HTTPConnection(host, parts.port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers={"User-Agent": "dockyard-doctor", **(headers or {})})
        response = connection.getresponse()
        joined: dict[str, str] = {}
        for name, value in response.getheaders():
            key = name.lower()
            joined[key] = f"{joined[key]}, {value}" if key in joined else value
        return Answer(response.status, joined, response.read(_MAX_BODY))
    except Exception as exc:
        raise classify(exc) from exc
    finally:
        connection.close()


def classify(exc: BaseException) -> WireError:
    """The kind of a transport failure."""
    if isinstance(exc, WireError):
        return exc
    if isinstance(exc, socket.gaierror):
        return WireError(Failure.DNS, exc.strerror or str(exc))
    if isinstance(exc, ssl.SSLCertVerificationError):
        code = exc.verify_code
        message = exc.verify_message or str(exc)
        if code in _EXPIRED:
            return WireError(Failure.TLS_EXPIRED, message)
        if code in _HOST_MISMATCH or "mismatch" in message.lower():
            return WireError(Failure.TLS_HOST, message)
        return WireError(Failure.TLS_UNTRUSTED, message)
    if isinstance(exc, ssl.SSLError):
        return WireError(Failure.TLS_PROTOCOL, exc.reason or str(exc))
    if isinstance(exc, TimeoutError | socket.timeout):
        return WireError(Failure.TIMEOUT, "timed out")
    if isinstance(exc, ConnectionRefusedError):
        return WireError(Failure.TCP, "connection refused")
    if isinstance(exc, http.client.HTTPException | ConnectionResetError | ConnectionAbortedError):
        return WireError(Failure.PROTOCOL, f"{type(exc).__name__}: {exc}".rstrip(": "))
    if isinstance(exc, OSError):
        return WireError(Failure.TCP, exc.strerror or str(exc))
    return WireError(Failure.PROTOCOL, str(exc))


def speaks_plain_http(host: str, port: int, timeout: float = TIMEOUT_SECONDS) -> bool:
    """Whether the port answers a plain-HTTP request with an HTTP status line."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(f"GET /v2/ HTTP/1.0\r\nHost: {host}\r\n\r\n".encode())
            return sock.recv(5) == b"HTTP/"
    except OSError:
        return False


def speaks_tls(host: str, port: int, timeout: float = TIMEOUT_SECONDS) -> bool:
    """Whether the port completes a TLS handshake (whatever its certificate)."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock, context.wrap_socket(sock):
            return True
    except (OSError, ssl.SSLError):
        return False
