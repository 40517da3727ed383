"""`dockyard repository list|show|show-tags|show-manifests|update|delete|untag`: repositories, tags and
manifests and their changeable attributes (locks), as `az acr repository` lists, prints and changes them,
through the management API."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dockyard.cli.api import Session, admin_options, admin_session, confirm, segment, yes_option
from dockyard.cli.output import emit, output_options

_PAGE = 1000
_MANIFEST_COLUMNS = ("digest", "tags", "mediaType", "size", "createdTime")
_NOT_FOUND = "check the name (lower case, as pushed): `dockyard repository list` and `show-tags` show what exists"


@click.group(short_help="Repositories, tags, manifests and their locks.")
def repository() -> None:
    """Repositories, tags and manifests: list, show, lock, delete (as `az acr repository`)."""


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


def target_path(name: str, tag: str | None, digest: str | None) -> str:
    """The API path of a repository, a tag or a manifest."""
    if digest is not None:
        return f"/repositories/{segment(name)}/_manifests/{segment(digest)}"
    if tag is not None:
        return f"/repositories/{segment(name)}/_tags/{segment(tag)}"
    return f"/repositories/{segment(name)}"


def _names(session: Session, path: str, top: int | None) -> list[str]:
    """Every name of a paged listing (`n`/`last`), or the first `top`."""
    names: list[str] = []
    last: str | None = None
    while top is None or len(names) < top:
        page = session.get(path, {"n": min(_PAGE, top - len(names)) if top else _PAGE, "last": last},
                           not_found=_NOT_FOUND)  # fmt: skip
        names += page["value"]
        last = page["last"]
        if last is None or not page["value"]:
            break
    return names


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
@admin_options
@output_options()
def update(
    name: str | None,
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
    repository_name, tag, digest = _target(repository_name, image)
    flags_given = (read_enabled, write_enabled, delete_enabled, list_enabled)
    if flags_given == (None, None, None, None):
        raise click.UsageError("give at least one of --read-enabled, --write-enabled, --delete-enabled, --list-enabled")
    body = {"readEnabled": read_enabled, "writeEnabled": write_enabled, "deleteEnabled": delete_enabled,
            "listEnabled": list_enabled}  # fmt: skip
    with admin_session(name, config, flags) as session:
        path = target_path(repository_name, tag, digest)
        emit(session.call("PATCH", path, body=body, not_found=_NOT_FOUND))


@repository.command()
@_target_options
@admin_options
@output_options()
def show(name: str | None, config: Path | None, repository_name: str | None, image: str | None, **flags: Any) -> None:
    """Show a repository, or an image (its manifest), with its own changeable attributes (not combined)."""
    repository_name, tag, digest = _target(repository_name, image)
    with admin_session(name, config, flags) as session:
        emit(session.get(target_path(repository_name, tag, digest), not_found=_NOT_FOUND))


_top = click.option("--top", type=click.IntRange(min=1), help="At most this many.")


@repository.command("list")
@_top
@admin_options
@output_options()
def list_repositories(name: str | None, config: Path | None, top: int | None, **flags: Any) -> None:
    """List repositories, in lexical order (list-disabled ones are left out)."""
    with admin_session(name, config, flags) as session:
        emit(_names(session, "/repositories", top))


@repository.command("show-tags")
@click.option("--repository", "repository_name", required=True, help="The repository.")
@_top
@click.option("--detail", is_flag=True, help="Each tag's manifest and attributes, not only its name.")
@admin_options
@output_options()
def show_tags(
    name: str | None, config: Path | None, repository_name: str, top: int | None, detail: bool, **flags: Any
) -> None:
    """List a repository's tags, in lexical order."""
    with admin_session(name, config, flags) as session:
        tags = _names(session, f"/repositories/{segment(repository_name)}/_tags", top)
        if not detail:
            emit(tags)
            return
        shown = [session.get(target_path(repository_name, tag, None), not_found=_NOT_FOUND) for tag in tags]
    emit(shown, columns=("tag", "digest", "mediaType", "size"))


@repository.command("show-manifests")
@click.option("--repository", "repository_name", required=True, help="The repository.")
@_top
@admin_options
@output_options()
def show_manifests(name: str | None, config: Path | None, repository_name: str, top: int | None, **flags: Any) -> None:
    """List a repository's manifests, newest first, with their tags."""
    with admin_session(name, config, flags) as session:
        path = f"/repositories/{segment(repository_name)}/_manifests"
        manifests = session.get(path, not_found=_NOT_FOUND)["value"]
    emit(manifests[:top] if top else manifests, columns=_MANIFEST_COLUMNS)


@repository.command()
@_target_options
@yes_option
@admin_options
def delete(
    name: str | None, config: Path | None, repository_name: str | None, image: str | None, yes: bool, **flags: Any
) -> None:
    """Delete a repository with all its images, or an image: the manifest a tag or digest names and every tag
    on it (as `az acr repository delete`). Blobs go at the next `dockyard gc`."""
    repository_name, tag, digest = _target(repository_name, image)
    what = (
        f"image {image} and every tag on its manifest" if image else f"repository {repository_name} and all its images"
    )
    confirm(yes, f"delete {what}")
    with admin_session(name, config, flags) as session:
        if tag is not None:
            digest = session.get(target_path(repository_name, tag, None), not_found=_NOT_FOUND)["digest"]
        session.call("DELETE", target_path(repository_name, None, digest), not_found=_NOT_FOUND)


@repository.command()
@click.option("--image", required=True, help="`repo:tag`: the tag to remove; its manifest stays.")
@admin_options
def untag(name: str | None, config: Path | None, image: str, **flags: Any) -> None:
    """Remove a tag; the manifest stays (as `az acr repository untag`)."""
    repository_name, tag, _ = parse_image(image)
    if tag is None:
        raise click.UsageError("--image needs a tag: repo:tag")
    with admin_session(name, config, flags) as session:
        session.call("DELETE", target_path(repository_name, tag, None), not_found=_NOT_FOUND)
