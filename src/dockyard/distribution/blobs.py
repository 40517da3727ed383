"""Blob endpoints: GET/HEAD (with Range, sent zero-copy) and DELETE."""

from __future__ import annotations

import os

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from dockyard.content.blobs import delete_blob, stat_blob
from dockyard.content.digests import parse_digest
from dockyard.content.errors import BlobUnknown
from dockyard.distribution.errors import OciCode, oci_error
from dockyard.distribution.http import authorize, registry_of, repository_name


async def get_blob(request: Request) -> Response:
    """Send a blob (or its headers for HEAD); `Range` requests get 206."""
    name = repository_name(request)
    digest = parse_digest(request.path_params["digest"])
    await authorize(request, name, "pull")
    blob = stat_blob(registry_of(request), name, digest)
    headers = {"Docker-Content-Digest": str(digest), "Accept-Ranges": "bytes"}
    if blob.path is None:
        raise BlobUnknown("blob unknown to registry", detail={"digest": str(digest)})
    try:
        stat_result = os.stat(blob.path)
    except FileNotFoundError:
        raise BlobUnknown("blob unknown to registry", detail={"digest": str(digest)}) from None
    starts = _range_starts(request, stat_result.st_size)
    if starts is None:
        # RFC 9110: a Range in a unit other than bytes is ignored.
        request.scope["headers"] = [(k, v) for k, v in request.scope["headers"] if k.lower() != b"range"]
    elif not any(start < stat_result.st_size for start in starts):
        return oci_error(
            OciCode.RANGE_INVALID,
            "the requested range is invalid or not satisfiable",
            416,
            headers={"Content-Range": f"bytes */{stat_result.st_size}"},
        )
    return FileResponse(blob.path, headers=headers, media_type="application/octet-stream", stat_result=stat_result)


def _range_starts(request: Request, size: int) -> list[int] | None:
    """Start offsets of a `Range: bytes=…` header (empty when it is invalid); None when there is
    no byte range to honour."""
    unit, _, spec = request.headers.get("range", "").partition("=")
    if unit.strip().lower() != "bytes":
        return None
    starts = []
    for part in spec.split(","):
        first, dash, last = part.strip().partition("-")
        if not dash or not all(not x or (x.isascii() and x.isdigit()) for x in (first, last)):
            return []
        if first:
            if last and int(last) < int(first):
                return []
            starts.append(int(first))
        elif last and int(last) > 0:
            starts.append(max(size - int(last), 0) if size else size)
        else:
            return []
    return starts


async def remove_blob(request: Request) -> Response:
    """Unlink a blob from the repository."""
    name = repository_name(request)
    digest = parse_digest(request.path_params["digest"])
    await authorize(request, name, "delete")
    delete_blob(registry_of(request), name, digest)
    return Response(status_code=202, headers={"Docker-Content-Digest": str(digest)})
