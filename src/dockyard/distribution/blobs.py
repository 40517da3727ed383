"""Blob endpoints: GET/HEAD (with Range, sent zero-copy) and DELETE."""

from __future__ import annotations

import os

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from dockyard.content.blobs import delete_blob, stat_blob
from dockyard.content.digests import parse_digest
from dockyard.content.errors import BlobUnknown
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
    return FileResponse(blob.path, headers=headers, media_type="application/octet-stream", stat_result=stat_result)


async def remove_blob(request: Request) -> Response:
    """Unlink a blob from the repository."""
    name = repository_name(request)
    digest = parse_digest(request.path_params["digest"])
    await authorize(request, name, "delete")
    delete_blob(registry_of(request), name, digest)
    return Response(status_code=202, headers={"Docker-Content-Digest": str(digest)})
