"""End-to-end tests: real clients (skopeo, podman, docker, oras-py) against a running `dockyard serve`.

Nothing here is mocked. The helpers only run client binaries and keep what they printed, so a failing
test shows the client's own account of the exchange (skopeo runs with `--debug`: every request and status).
"""

from __future__ import annotations

import io
import json
import os
import shlex
import subprocess
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

REF_NAME = "org.opencontainers.image.ref.name"  # the annotation that tags a manifest in an OCI layout

# A client that hangs on the server fails its own test instead of stalling the run.
CLIENT_TIMEOUT = 120


@dataclass(frozen=True)
class Cli:
    """A client binary with the global flags and the environment every call of a test needs."""

    argv: tuple[str, ...]
    env: Mapping[str, str]

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a command that must succeed; when it does not, the assertion shows what the client printed."""
        result = self._call(args)
        assert result.returncode == 0, describe(result)
        return result

    def fails(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a command that must fail, and return its output for the test to examine."""
        result = self._call(args)
        assert result.returncode != 0, describe(result)
        return result

    def _call(self, args: tuple[str, ...]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.argv, *args],
            env=dict(self.env),
            capture_output=True,
            text=True,
            timeout=CLIENT_TIMEOUT,
            check=False,
        )


def describe(result: subprocess.CompletedProcess[str], tail: int = 80) -> str:
    """The command, its exit status, its output and the tail of its error stream, for an assertion message."""
    stderr = "\n".join(result.stderr.splitlines()[-tail:])
    command = shlex.join(result.args)
    return f"$ {command}\nexit {result.returncode}\n--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{stderr}"


@dataclass(frozen=True)
class LayoutImage:
    """An image (or image index) in an OCI layout directory, tagged there with `tag`."""

    layout: Path
    tag: str
    digest: str
    children: tuple[str, ...] = ()  # the manifests an index lists, in order

    @property
    def reference(self) -> str:
        """The image as skopeo names it: `oci:<dir>:<tag>`."""
        return f"oci:{self.layout}:{self.tag}"


def blob_path(layout: Path, digest: str) -> Path:
    """Where an OCI layout keeps the blob `digest`."""
    algorithm, _, encoded = digest.partition(":")
    return layout / "blobs" / algorithm / encoded


def layout_digest(layout: Path, tag: str) -> str:
    """The digest of what an OCI layout names `tag` in its index.json."""
    index = json.loads((layout / "index.json").read_text())
    (digest,) = (entry["digest"] for entry in index["manifests"] if entry["annotations"][REF_NAME] == tag)
    return str(digest)


@dataclass(frozen=True)
class RemoteImage:
    """An image in the registry under test."""

    host: str
    name: str
    tag: str

    @property
    def reference(self) -> str:
        """`host/name:tag`, as podman and docker name it."""
        return f"{self.host}/{self.name}:{self.tag}"

    @property
    def docker(self) -> str:
        """`docker://host/name:tag`, as skopeo names it."""
        return f"docker://{self.reference}"


def random_rootfs(path: Path) -> Path:
    """A tarball with one file of random bytes, so its layer is new to the registry and must be uploaded."""
    content = os.urandom(64 * 1024)
    with tarfile.open(path, "w") as archive:
        member = tarfile.TarInfo("random.bin")
        member.size = len(content)
        archive.addfile(member, io.BytesIO(content))
    return path
