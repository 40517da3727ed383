"""Upload endpoints: POST (session, monolithic, mount), PATCH, PUT, GET status, DELETE."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from dockyard.content.blobs import mount_blob
from dockyard.content.digests import Digest, parse_digest
from dockyard.content.errors import DigestInvalid
from dockyard.content.names import validate_name
from dockyard.content.uploads import (
    append_chunk,
    cancel_upload,
    complete_upload,
    start_upload,
    upload_monolithic,
    upload_status,
)
from dockyard.distribution.http import (
    authorize,
    body_stream,
    content_length,
    content_range,
    registry_of,
    repository_name,
    upload_location,
    upload_range,
)


def _created(name: str, digest: Digest) -> Response:
    return Response(
        status_code=201,
        headers={
            "Location": f"/v2/{name}/blobs/{digest}",
            "Docker-Content-Digest": str(digest),
            "Content-Length": "0",
        },
    )


def _session(name: str, upload_id: str, size: int, status: int) -> Response:
    return Response(
        status_code=status,
        headers={
            "Location": upload_location(name, upload_id),
            "Range": upload_range(size),
            "Docker-Upload-UUID": upload_id,
            "Content-Length": "0",
        },
    )


async def start(request: Request) -> Response:
    """POST: mount a blob from another repository, take a whole blob, or open a session."""
    name = repository_name(request)
    registry = registry_of(request)
    params = request.query_params
    await authorize(request, name, "pull", "push")
    if "mount" in params:
        digest = parse_digest(params["mount"])
        source = params.get("from") or None
        if source is not None:
            validate_name(source)
            await authorize(request, source, "pull")
        if mount_blob(registry, name, digest, source) is not None:
            return _created(name, digest)
    elif "digest" in params:
        digest = parse_digest(params["digest"])
        await upload_monolithic(registry, name, digest, body_stream(request), content_length(request))
        return _created(name, digest)
    session = start_upload(registry, name)
    return _session(name, session.id, 0, 202)


async def patch(request: Request) -> Response:
    """PATCH: append a chunk (with Content-Range) or a streamed body to the session."""
    name = repository_name(request)
    await authorize(request, name, "pull", "push")
    upload_id = request.path_params["upload_id"]
    session = await append_chunk(
        registry_of(request), name, upload_id, body_stream(request), content_range(request), content_length(request)
    )
    return _session(name, upload_id, session.size, 202)


async def finish(request: Request) -> Response:
    """PUT ?digest=: the last chunk (optional), verification, and the blob becomes visible."""
    name = repository_name(request)
    await authorize(request, name, "pull", "push")
    raw = request.query_params.get("digest")
    if not raw:
        raise DigestInvalid("the digest query parameter is required to finish an upload")
    digest = parse_digest(raw)
    await complete_upload(
        registry_of(request),
        name,
        request.path_params["upload_id"],
        digest,
        body_stream(request),
        content_range(request),
        content_length(request),
    )
    return _created(name, digest)


async def status(request: Request) -> Response:
    """GET: how much the session holds."""
    name = repository_name(request)
    await authorize(request, name, "pull", "push")
    session = upload_status(registry_of(request), name, request.path_params["upload_id"])
    return _session(name, session.id, session.size, 204)


async def cancel(request: Request) -> Response:
    """DELETE: abandon the session."""
    name = repository_name(request)
    await authorize(request, name, "pull", "push")
    cancel_upload(registry_of(request), name, request.path_params["upload_id"])
    return Response(status_code=204)
