"""The OCI route table. Upload routes come before blob routes: both live under `blobs/`."""

from __future__ import annotations

from starlette.routing import Route

from dockyard.distribution import blobs, listing, manifests, uploads

_NAME = "/v2/{name:path}"

routes = [
    Route("/v2/", listing.base, methods=["GET", "HEAD"]),
    Route("/v2/_catalog", listing.repositories, methods=["GET"]),
    Route(f"{_NAME}/tags/list", listing.tags, methods=["GET"]),
    Route(f"{_NAME}/referrers/{{digest}}", listing.referrer_index, methods=["GET"]),
    Route(f"{_NAME}/manifests/{{reference}}", manifests.fetch, methods=["GET", "HEAD"]),
    Route(f"{_NAME}/manifests/{{reference}}", manifests.store, methods=["PUT"]),
    Route(f"{_NAME}/manifests/{{reference}}", manifests.remove, methods=["DELETE"]),
    Route(f"{_NAME}/blobs/uploads/", uploads.start, methods=["POST"]),
    Route(f"{_NAME}/blobs/uploads/{{upload_id}}", uploads.patch, methods=["PATCH"]),
    Route(f"{_NAME}/blobs/uploads/{{upload_id}}", uploads.finish, methods=["PUT"]),
    Route(f"{_NAME}/blobs/uploads/{{upload_id}}", uploads.status, methods=["GET"]),
    Route(f"{_NAME}/blobs/uploads/{{upload_id}}", uploads.cancel, methods=["DELETE"]),
    Route(f"{_NAME}/blobs/{{digest}}", blobs.get_blob, methods=["GET", "HEAD"]),
    Route(f"{_NAME}/blobs/{{digest}}", blobs.remove_blob, methods=["DELETE"]),
]
