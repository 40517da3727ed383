"""Shared fixtures: a real `dockyard serve` on a free port, and tools that must exist under CI."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

DOCKYARD = str(Path(sys.executable).with_name("dockyard"))


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_tool(name: str) -> str:
    """The path of a system tool; skip the test without it, except under CI, where it fails."""
    path = shutil.which(name)
    if path is None:
        message = f"{name} is not installed (.ci/run installs it)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@dataclass
class RunningRegistry:
    """A Dockyard server started for a test."""

    url: str
    host: str
    data_dir: Path
    process: subprocess.Popen[bytes]

    def client(self) -> httpx.Client:
        """An HTTP client pointed at the server."""
        return httpx.Client(base_url=self.url, timeout=30)

    def stop(self) -> None:
        """Stop the server (its workers too) and wait for it."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self) -> None:
        """SIGKILL the server and its workers at once, as a crash of the machine would."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()


def start_registry(
    data_dir: Path, *extra: str, port: int | None = None, scheme: str = "http", authentication: str = "open"
) -> RunningRegistry:
    """Start `dockyard serve` on a free port with `data_dir`, and wait until `/v2/` answers.

    Data-plane tests run the registry open; sign-in tests ask for `authentication="token"`.
    """
    port = port or free_port()
    log = open(data_dir.parent / f"{data_dir.name}-serve.log", "ab")  # noqa: SIM115 - lives with the process
    process = subprocess.Popen(
        [
            DOCKYARD,
            "serve",
            "--listen",
            f"127.0.0.1:{port}",
            "--data-dir",
            str(data_dir),
            "--authentication",
            authentication,
            *extra,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, so a kill reaches the workers too
    )
    url = f"{scheme}://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"dockyard serve exited with {process.returncode}; see {log.name}")
        try:
            if httpx.get(f"{url}/v2/", timeout=1, verify=False).status_code in (200, 401):
                return RunningRegistry(url, f"127.0.0.1:{port}", data_dir, process)
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("dockyard serve did not answer within 20 s")


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """One open registry shared by the tests of a session (tests use their own repository names)."""
    server = start_registry(tmp_path_factory.mktemp("registry") / "data")
    yield server
    server.stop()


@pytest.fixture
def fresh_registry(tmp_path: Path) -> Iterator[RunningRegistry]:
    """A registry of the test's own, for tests that restart it or look at its files."""
    server = start_registry(tmp_path / "data")
    yield server
    server.stop()


@pytest.fixture
def http(registry: RunningRegistry) -> Iterator[httpx.Client]:
    """An HTTP client for the shared registry."""
    with registry.client() as client:
        yield client
