"""`dockyard repository update|show`: the changeable attributes (locks) of a repository or image,
as `az acr repository update|show` sets and prints them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dockyard.access.model import ChangeableAttributes
from dockyard.cli.errors import CliError
from dockyard.cli.options import load, store_options
from dockyard.cli.output import emit, output_options
from dockyard.content.errors import ContentError, ManifestUnknown, NameUnknown
from dockyard.content.locks import get_attributes, set_attributes, to_json
from dockyard.content.registry import Registry


@click.group()
def repository() -> None:
    """Lock and unlock repositories and images (as `az acr repository`)."""


def parse_image(image: str) -> tuple[str, str | None, str | None]:
    """`repo:tag` or `repo@sha256:…` as (repository, tag, digest); a bare `repo` means `repo:latest`."""
    if "@" in image:
        name, _, digest = image.partition("@")
        return name, None, digest
    name, colon, tag = image.rpartition(":")
    if not colon or "/" in tag:  # no tag, or the colon was a registry host's port
        return image, "latest", None
    return name, tag, None


def _target_options(command: Callable[..., Any]) -> Callable[..., Any]:
    image_help = "An image: `repo:tag` or `repo@sha256:…` (a bare `repo` means `repo:latest`)."
    command = click.option("--image", help=image_help)(command)
    return click.option("--repository", "repository_name", help="A repository (its own attributes).")(command)


def _target(repository_name: str | None, image: str | None) -> tuple[str, str | None, str | None]:
    if (repository_name is None) == (image is None):
        raise click.UsageError("give exactly one of --repository and --image")
    return (repository_name, None, None) if repository_name is not None else parse_image(image or "")


def _run(config: Path | None, flags: dict[str, Any], use_case: Callable[[Registry], ChangeableAttributes]) -> None:
    from dockyard.app import open_registry  # the whole app: only when a command runs

    settings = load(config, flags)
    registry = open_registry(settings)
    try:
        registry.metadata.migrate()
        attributes = use_case(registry)
    except ContentError as exc:
        raise CliError(exc.message, fix=_fix(exc)) from exc
    finally:
        registry.metadata.close()
    emit(to_json(attributes))


def _fix(exc: ContentError) -> str | None:
    if isinstance(exc, NameUnknown):
        return "check the repository name (lower case, as pushed); `skopeo list-tags` shows what exists"
    if isinstance(exc, ManifestUnknown):
        return "check the tag or digest: `skopeo list-tags docker://<login server>/<repository>` lists the tags"
    return None


_FLAG_HELP = {
    "read": "Allow (true) or refuse (false) pulls.",
    "write": "Allow (true) or refuse (false) pushes that create or overwrite.",
    "delete": "Allow (true) or refuse (false) deletes.",
    "list": "Show (true) or leave out (false) in the catalog and tag lists.",
}


@repository.command()
@_target_options
@click.option("--read-enabled", type=bool, default=None, help=_FLAG_HELP["read"])
@click.option("--write-enabled", type=bool, default=None, help=_FLAG_HELP["write"])
@click.option("--delete-enabled", type=bool, default=None, help=_FLAG_HELP["delete"])
@click.option("--list-enabled", type=bool, default=None, help=_FLAG_HELP["list"])
@store_options
@output_options()
def update(
    config: Path | None,
    repository_name: str | None,
    image: str | None,
    read_enabled: bool | None,
    write_enabled: bool | None,
    delete_enabled: bool | None,
    list_enabled: bool | None,
    **flags: Any,
) -> None:
    """Change the changeable attributes of a repository or an image; takes effect at once."""
    name, tag, digest = _target(repository_name, image)
    if (read_enabled, write_enabled, delete_enabled, list_enabled) == (None, None, None, None):
        raise click.UsageError("give at least one of --read-enabled, --write-enabled, --delete-enabled, --list-enabled")
    _run(
        config,
        flags,
        lambda registry: set_attributes(
            registry,
            name,
            tag=tag,
            digest=digest,
            read_enabled=read_enabled,
            write_enabled=write_enabled,
            delete_enabled=delete_enabled,
            list_enabled=list_enabled,
        ),
    )


@repository.command()
@_target_options
@store_options
@output_options()
def show(config: Path | None, repository_name: str | None, image: str | None, **flags: Any) -> None:
    """Print the changeable attributes of a repository or an image (its own, not combined)."""
    name, tag, digest = _target(repository_name, image)
    _run(config, flags, lambda registry: get_attributes(registry, name, tag=tag, digest=digest))
