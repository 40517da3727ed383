"""Small HTTP helpers shared by the OCI handlers: names, access, headers, bodies."""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request

from dockyard.auth.access import Access, AccessController, Grant
from dockyard.content.errors import SizeInvalid, UploadInvalid
from dockyard.content.names import validate_name
from dockyard.content.registry import Registry


def _is_number(text: str) -> bool:
    """Only ASCII digits: `str.isdigit` also accepts characters `int` refuses, such as '²'."""
    return text.isascii() and text.isdigit()


def registry_of(request: Request) -> Registry:
    """The registry the app was assembled with."""
    registry: Registry = request.app.state.registry
    return registry


async def authorize(request: Request, name: str, *actions: str) -> Grant:
    """Ask the access controller for `repository:<name>:<actions>`."""
    controller: AccessController = request.app.state.access
    return await controller.authorize(request, [Access("repository", name, action) for action in actions])


def repository_name(request: Request) -> str:
    """The validated repository name from the path."""
    return validate_name(request.path_params["name"])


def content_length(request: Request) -> int | None:
    """The request's Content-Length, or None when it is not given (chunked transfer)."""
    raw = request.headers.get("content-length")
    if raw is None:
        return None
    if not _is_number(raw):
        raise SizeInvalid("Content-Length is not a non-negative integer")
    return int(raw)


def content_range(request: Request) -> tuple[int, int] | None:
    """A chunk's `Content-Range: <start>-<end>` (also accepting `bytes <start>-<end>/<total>`)."""
    raw = request.headers.get("content-range")
    if raw is None:
        return None
    text = raw.strip().removeprefix("bytes").strip().split("/")[0]
    start, sep, end = text.partition("-")
    if not sep or not _is_number(start) or not _is_number(end) or int(end) < int(start):
        raise UploadInvalid("Content-Range must be <start>-<end>", detail={"Content-Range": raw[:100]})
    return int(start), int(end)


def accepted_media_types(request: Request) -> set[str]:
    """Every media type named in the request's Accept header lines (clients send several)."""
    types: set[str] = set()
    for line in request.headers.getlist("accept"):
        for item in line.split(","):
            media_type = item.split(";")[0].strip().lower()
            if media_type:
                types.add(media_type)
    return types


def body_stream(request: Request) -> AsyncIterator[bytes]:
    """The request body as it arrives, never buffered whole."""
    return request.stream()


def upload_location(name: str, upload_id: str) -> str:
    """Where the client continues an upload."""
    return f"/v2/{name}/blobs/uploads/{upload_id}"


def upload_range(size: int) -> str:
    """The `Range` header of an upload session holding `size` bytes."""
    return f"0-{max(size - 1, 0)}"
