"""`dockyard import`: copy an image — its manifest, an index's child manifests, and every blob — from any
OCI registry into this one (as `az acr import`), blob by blob with a progress bar.

The destination is the registry named by `-n` (pushing over `/v2/` with the CLI's sign-in) or, locally,
the data directory (writing through the content domain, as the registry's own upload sessions do).
Resumable: a blob the destination already holds (HEAD, or a mount from another repository) is skipped,
so running the import again after an interruption copies only what is missing; a blob whose transfer
breaks is sent again in a new upload session (three tries).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

import anyio
import click
import httpx

from dockyard.cli.api import admin_options, resolve_target
from dockyard.cli.client_files import TOKEN_USER_NAME, ClientPaths
from dockyard.cli.directory_client import login_server_and_url
from dockyard.cli.errors import CliError
from dockyard.cli.options import load
from dockyard.cli.profile import current_refresh_token
from dockyard.cli.registry_client import Manifest, RegistryClient
from dockyard.cli.repository import parse_image

_CHUNK = 1 << 20
_TRIES = 3
_FOREIGN_LAYERS = ("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",)
_DOCKER_HUB = "registry-1.docker.io"


class Destination(Protocol):
    """Where an import writes: a registry over HTTP, or the local data directory."""

    def has_blob(self, digest: str) -> bool:
        """True when the repository holds the blob already (or it was linked in from another)."""

    def push_blob(self, digest: str, size: int, chunks: Iterator[bytes]) -> None:
        """Store a blob, verified against its digest."""

    def has_manifest(self, reference: str) -> bool:
        """True when a manifest exists under the tag or digest."""

    def put_manifest(self, reference: str, manifest: Manifest) -> None:
        """Store a manifest under a tag or its digest."""

    def close(self) -> None:
        """Release what the destination holds open."""


def parse_source(source: str) -> tuple[str, str, str]:
    """(base URL, repository, tag or digest) of `--source [scheme://]registry/repo[:tag|@digest]`; a source
    without a registry host is on Docker Hub (`library/` for one-part names), as docker reads it."""
    text = source.strip()
    scheme = ""
    if "://" in text:
        scheme, text = text.split("://", 1)
    first, slash, rest = text.partition("/")
    if not slash or not ("." in first or ":" in first or first == "localhost"):
        first, rest = "docker.io", text
    name, tag, digest = parse_image(rest)
    if first in ("docker.io", "index.docker.io"):
        first, name = _DOCKER_HUB, name if "/" in name else f"library/{name}"
    url = f"{scheme}://{first.lower()}" if scheme else login_server_and_url(first)[1]
    return url, name, digest or tag or "latest"


def copy_image(source: RegistryClient, destination: Destination, reference: str, target: str, force: bool) -> Stats:
    """Copy the manifest `reference` with everything it references, and store it under `target`."""
    if not force and ":" not in target and destination.has_manifest(target):
        raise CliError(f"the tag {target} exists in the destination", fix="add --force to overwrite it")
    stats = Stats()
    manifest = source.get_manifest(reference)
    _copy_references(source, destination, manifest, stats)
    destination.put_manifest(target, manifest)
    stats.digest = manifest.digest
    return stats


class Stats:
    """What an import did."""

    def __init__(self) -> None:
        self.copied = 0
        self.skipped = 0
        self.bytes = 0
        self.digest = ""


def _copy_references(source: RegistryClient, destination: Destination, manifest: Manifest, stats: Stats) -> None:
    document: dict[str, Any] = json.loads(manifest.body)
    for child in document.get("manifests") or []:  # an index: its children first, by digest
        child_manifest = source.get_manifest(child["digest"])
        _copy_references(source, destination, child_manifest, stats)
        destination.put_manifest(child_manifest.digest, child_manifest)
    descriptors = [document.get("config"), *(document.get("layers") or [])]
    for descriptor in descriptors:
        if descriptor and descriptor.get("mediaType") not in _FOREIGN_LAYERS:
            _copy_blob(source, destination, descriptor["digest"], int(descriptor.get("size", 0)), stats)


def _copy_blob(source: RegistryClient, destination: Destination, digest: str, size: int, stats: Stats) -> None:
    short = digest.split(":")[-1][:12]
    if destination.has_blob(digest):
        stats.skipped += 1
        click.echo(f"{short}: already present", err=True)
        return
    for attempt in range(1, _TRIES + 1):
        started = time.monotonic()
        try:
            with source.blob(digest) as response, _Progress(short, size) as advance:
                destination.push_blob(digest, size, _counted(response.iter_bytes(_CHUNK), advance))
        except (httpx.TransportError, httpx.StreamError) as exc:
            if attempt == _TRIES:
                raise CliError(
                    f"copying blob {digest} failed {_TRIES} times: {type(exc).__name__}",
                    fix="run the same import again: what is already copied is skipped",
                ) from None
            click.echo(f"{short}: {type(exc).__name__}, starting its upload again", err=True)
            continue
        seconds = max(time.monotonic() - started, 1e-6)
        click.echo(f"{short}: copied {_human(size)} in {seconds:.1f} s ({_human(size / seconds)}/s)", err=True)
        stats.copied += 1
        stats.bytes += size
        return


def _counted(chunks: Iterator[bytes], advance: Callable[[int], None]) -> Iterator[bytes]:
    for chunk in chunks:
        advance(len(chunk))
        yield chunk


class _Progress:
    """A progress bar on a terminal (bytes done, total, rate); nothing otherwise."""

    def __init__(self, label: str, size: int) -> None:
        self._label, self._size = label, size
        self._done, self._started = 0, time.monotonic()
        self._bar: Any = None

    def __enter__(self) -> Callable[[int], None]:
        if sys.stderr.isatty():
            self._bar = click.progressbar(length=max(self._size, 1), label=self._label, file=sys.stderr,
                                          item_show_func=self._status, show_eta=False)  # fmt: skip
            self._bar.__enter__()
        return self._advance

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)

    def _advance(self, count: int) -> None:
        self._done += count
        if self._bar is not None:
            self._bar.update(count, current_item=self._done)

    def _status(self, done: int | None) -> str:
        rate = (done or 0) / max(time.monotonic() - self._started, 1e-6)
        return f"{_human(done or 0)}/{_human(self._size)} {_human(rate)}/s"


def _human(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if count < 1024 or unit == "GiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    return f"{count:.1f} GiB"


# -- the destinations ----------------------------------------------------------------------------------


class LocalDestination:
    """A repository of the data directory, written through the content domain."""

    def __init__(self, settings: Any, repository: str) -> None:
        from dockyard.app import open_registry  # the whole app: only for a local import

        self._registry = open_registry(settings)
        self._registry.metadata.migrate()
        self._repository = repository

    def has_blob(self, digest: str) -> bool:
        """Linked already, or linked now from another repository of this registry."""
        from dockyard.content.blobs import mount_blob
        from dockyard.content.digests import parse_digest

        with _content_errors():
            return mount_blob(self._registry, self._repository, parse_digest(digest), None) is not None

    def push_blob(self, digest: str, size: int, chunks: Iterator[bytes]) -> None:
        """An upload session, streamed, verified and committed."""
        from dockyard.content.digests import parse_digest
        from dockyard.content.uploads import upload_monolithic

        async def streamed() -> AsyncIterator[bytes]:
            for chunk in chunks:
                yield chunk

        async def upload() -> None:
            await upload_monolithic(self._registry, self._repository, parse_digest(digest), streamed(), size)

        with _content_errors():
            anyio.run(upload)

    def has_manifest(self, reference: str) -> bool:
        """A manifest under the tag or digest, whatever its locks say."""
        from dockyard.content.manifests import peek_manifest

        with _content_errors():
            return peek_manifest(self._registry, self._repository, reference) is not None

    def put_manifest(self, reference: str, manifest: Manifest) -> None:
        """Validate and store the manifest."""
        from dockyard.content.manifests import put_manifest

        with _content_errors():
            put_manifest(self._registry, self._repository, reference, manifest.body, manifest.media_type)

    def close(self) -> None:
        """Close the stores."""
        self._registry.metadata.close()


@contextmanager
def _content_errors() -> Iterator[None]:
    """Content refusals (a lock, a bad digest) as one-line errors."""
    from dockyard.content.errors import ContentError

    try:
        yield
    except ContentError as exc:
        raise CliError(exc.message, fix="check the destination's locks: dockyard repository show") from exc


def _destination(name: str | None, config: Path | None, flags: dict[str, Any], repository: str) -> Destination:
    target = resolve_target(name, config, flags)
    if target.login_server is None:
        return LocalDestination(load(config, flags), repository)
    paths = ClientPaths.from_environment(os.environ)
    refresh_token = current_refresh_token(target.login_server, paths)
    if refresh_token is None:
        raise CliError(f"not signed in to {target.login_server}", fix=f"dockyard login -n {target.login_server}")
    credentials = (TOKEN_USER_NAME, refresh_token)
    return RegistryClient(target.url or "", repository, credentials, actions="pull,push")


@click.command("import", short_help="Copy an image from another registry (az acr import).")
@click.option("--source", required=True, help="The image to copy: registry/repo:tag or registry/repo@sha256:….")
@click.option("--image", "-t", help="Where it goes here: repo:tag (default: the source's repository and tag).")
@click.option("--username", "-u", help="A user name for the source registry.")
@click.option("--password", "-p", help="The password or token for the source registry.")
@click.option("--force", is_flag=True, help="Overwrite the tag if it exists here.")
@admin_options
def import_image(
    name: str | None,
    config: Path | None,
    source: str,
    image: str | None,
    username: str | None,
    password: str | None,
    force: bool,
    **flags: Any,
) -> None:
    """Copy an image from any OCI registry into this one (as `az acr import`): the manifest, an index's
    child manifests and every blob, with progress. Run it again after an interruption: blobs already
    here are skipped."""
    if (username is None) != (password is None):
        raise click.UsageError("give --username and --password together")
    url, source_repository, reference = parse_source(source)
    repository, tag, digest = parse_image(image) if image else (source_repository, None, None)
    target = digest or tag or (reference if image is None else "latest")
    credentials = (username, password) if username is not None and password is not None else None
    with RegistryClient(url, source_repository, credentials) as reader:
        destination = _destination(name, config, flags, repository)
        try:
            stats = copy_image(reader, destination, reference, target, force)
        finally:
            destination.close()
    click.echo(
        f"imported {source} as {repository}{'@' if ':' in target else ':'}{target} ({stats.digest}): "
        f"{stats.copied} blobs copied ({_human(stats.bytes)}), {stats.skipped} already present"
    )
