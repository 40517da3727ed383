"""Listing endpoints: the base check, tag lists, the catalog and referrers."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from dockyard.auth.access import Access, AccessController
from dockyard.content.digests import parse_digest
from dockyard.content.manifest_format import OCI_INDEX
from dockyard.content.manifests import catalog, list_tags, page_size, referrers
from dockyard.distribution.http import authorize, registry_of, repository_name

API_VERSION_HEADER = {"Docker-Distribution-API-Version": "registry/2.0"}


async def base(request: Request) -> Response:
    """GET /v2/: the API exists and the caller is authenticated."""
    controller: AccessController = request.app.state.access
    await controller.authorize(request, [])
    return JSONResponse({}, headers=API_VERSION_HEADER)


def _next_link(path: str, limit: int, last: str) -> dict[str, str]:
    return {"Link": f'<{path}?{urlencode({"n": limit, "last": last})}>; rel="next"'}


async def tags(request: Request) -> Response:
    """GET /v2/<name>/tags/list with `n` and `last`."""
    name = repository_name(request)
    await authorize(request, name, "pull")
    limit = page_size(request.query_params.get("n"))
    page, more = list_tags(registry_of(request), name, limit, request.query_params.get("last"))
    headers = _next_link(request.url.path, limit, page[-1]) if more and page else {}
    return JSONResponse({"name": name, "tags": page}, headers=headers)


async def repositories(request: Request) -> Response:
    """GET /v2/_catalog with `n` and `last`."""
    controller: AccessController = request.app.state.access
    await controller.authorize(request, [Access("registry", "catalog", "*")])
    limit = page_size(request.query_params.get("n"))
    page, more = catalog(registry_of(request), limit, request.query_params.get("last"))
    headers = _next_link(request.url.path, limit, page[-1]) if more and page else {}
    return JSONResponse({"repositories": page}, headers=headers)


async def referrer_index(request: Request) -> Response:
    """GET /v2/<name>/referrers/<digest>, optionally filtered by `artifactType`."""
    name = repository_name(request)
    subject = parse_digest(request.path_params["digest"])
    await authorize(request, name, "pull")
    artifact_type = request.query_params.get("artifactType") or None
    index = referrers(registry_of(request), name, subject, artifact_type)
    headers = {"OCI-Filters-Applied": "artifactType"} if artifact_type else {}
    return JSONResponse(index, media_type=OCI_INDEX, headers=headers)
