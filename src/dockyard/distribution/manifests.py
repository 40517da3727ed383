"""Manifest endpoints: GET/HEAD with content negotiation, PUT, DELETE."""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response

from dockyard.audit.model import RepositoryOperation
from dockyard.content.digests import is_digest
from dockyard.content.errors import ManifestTooLarge, ManifestUnknown
from dockyard.content.manifest_format import MAX_MANIFEST_BYTES
from dockyard.content.manifests import StoredManifest, delete_manifest, get_manifest, peek_manifest, put_manifest
from dockyard.distribution.events import NOT_RECORDED, pull_failed, pulled, recording, repository_event
from dockyard.distribution.http import (
    accepted_media_types,
    authorize,
    content_length,
    registry_of,
    repository_name,
)

_ANY = {"*/*", "application/*"}


async def fetch(request: Request) -> Response:
    """GET/HEAD by tag or digest; a client whose Accept excludes the stored type is told so.
    A GET is a pull in the audit trail; a HEAD is not recorded."""
    name = repository_name(request)
    reference = request.path_params["reference"]
    audit = recording(request) if request.method == "GET" else None
    if audit is None:
        manifest = await _find(request, name, reference)
    else:  # the hot path of every pull: see distribution.events
        arrived, started, grant = audit.clock(), time.perf_counter(), None
        try:
            grant = await authorize(request, name, "pull")
            manifest = _negotiated(request, get_manifest(registry_of(request), name, reference), reference)
        except Exception as exc:
            pull_failed(audit, request, grant, name, reference, exc, arrived, started)
            raise
        pulled(audit, request, grant, name, reference, manifest, arrived, started)
    headers = {"Docker-Content-Digest": manifest.digest, "ETag": f'"{manifest.digest}"'}
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(manifest.content))
        return Response(b"", media_type=manifest.media_type, headers=headers)
    return Response(manifest.content, media_type=manifest.media_type, headers=headers)


async def _find(request: Request, name: str, reference: str) -> StoredManifest:
    await authorize(request, name, "pull")
    return _negotiated(request, get_manifest(registry_of(request), name, reference), reference)


def _negotiated(request: Request, manifest: StoredManifest, reference: str) -> StoredManifest:
    """`manifest`, unless the request's Accept header excludes its media type."""
    accepted = accepted_media_types(request)
    if accepted and manifest.media_type not in accepted and not accepted & _ANY:
        raise ManifestUnknown(
            f"the manifest is a {manifest.media_type}, which the request's Accept header does not allow",
            detail={"reference": reference, "mediaType": manifest.media_type},
        )
    return manifest


async def _read_limited(request: Request) -> bytes:
    declared = content_length(request)
    if declared is not None and declared > MAX_MANIFEST_BYTES:
        raise ManifestTooLarge(f"manifest is larger than {MAX_MANIFEST_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_MANIFEST_BYTES:
            raise ManifestTooLarge(f"manifest is larger than {MAX_MANIFEST_BYTES} bytes")
    return bytes(body)


async def store(request: Request) -> Response:
    """PUT a manifest under a tag or its digest: a push in the audit trail."""
    name = repository_name(request)
    reference = request.path_params["reference"]
    with repository_event(request, RepositoryOperation.PUSH, name, reference) as event:
        event.granted(await authorize(request, name, "pull", "push"))
        body = await _read_limited(request)
        result = put_manifest(
            registry_of(request),
            name,
            reference,
            body,
            request.headers.get("content-type", ""),
            request.query_params.getlist("tag"),
        )
        event.manifest(str(result.digest), result.media_type, result.size, result.artifact_type)
        event.tagged(result.tags)
    headers = {
        "Location": f"/v2/{name}/manifests/{result.digest}",
        "Docker-Content-Digest": str(result.digest),
        "Content-Length": "0",
    }
    if result.subject is not None:
        headers["OCI-Subject"] = str(result.subject)
    if result.tags and is_digest(reference):
        headers["OCI-Tag"] = ", ".join(result.tags)
    return Response(status_code=201, headers=headers)


async def remove(request: Request) -> Response:
    """DELETE by digest (manifest and its tags) or by tag (the tag only): a delete in the audit trail."""
    name = repository_name(request)
    reference = request.path_params["reference"]
    with repository_event(request, RepositoryOperation.DELETE, name, reference) as event:
        event.granted(await authorize(request, name, "delete"))
        if event is not NOT_RECORDED:  # what is deleted, said before it is gone
            found = peek_manifest(registry_of(request), name, reference)
            if found is not None:
                event.manifest(found.digest, found.media_type, len(found.content), found.artifact_type)
        delete_manifest(registry_of(request), name, reference)
    return Response(status_code=202)
