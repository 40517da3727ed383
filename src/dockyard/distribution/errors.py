"""The OCI error vocabulary: codes with their HTTP statuses, and the one table that maps domain
exceptions to them. Every error response on `/v2` is produced here."""

from __future__ import annotations

import json
import logging
from enum import StrEnum

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from dockyard.auth.access import AccessDenied, Challenge
from dockyard.content import errors as content

log = logging.getLogger("dockyard.distribution")


class OciCode(StrEnum):
    """Error codes of the OCI distribution spec (plus distribution's pagination code)."""

    BLOB_UNKNOWN = "BLOB_UNKNOWN"
    BLOB_UPLOAD_INVALID = "BLOB_UPLOAD_INVALID"
    BLOB_UPLOAD_UNKNOWN = "BLOB_UPLOAD_UNKNOWN"
    DIGEST_INVALID = "DIGEST_INVALID"
    MANIFEST_BLOB_UNKNOWN = "MANIFEST_BLOB_UNKNOWN"
    MANIFEST_INVALID = "MANIFEST_INVALID"
    MANIFEST_UNKNOWN = "MANIFEST_UNKNOWN"
    NAME_INVALID = "NAME_INVALID"
    NAME_UNKNOWN = "NAME_UNKNOWN"
    SIZE_INVALID = "SIZE_INVALID"
    UNAUTHORIZED = "UNAUTHORIZED"
    DENIED = "DENIED"
    UNSUPPORTED = "UNSUPPORTED"
    TOOMANYREQUESTS = "TOOMANYREQUESTS"
    TAG_INVALID = "TAG_INVALID"
    PAGINATION_NUMBER_INVALID = "PAGINATION_NUMBER_INVALID"
    RANGE_INVALID = "RANGE_INVALID"
    UNKNOWN = "UNKNOWN"


# Domain exception -> (code, HTTP status). Subclasses are looked up along their MRO.
_EXCEPTIONS: dict[type[content.ContentError], tuple[OciCode, int]] = {
    content.NameInvalid: (OciCode.NAME_INVALID, 400),
    content.NameUnknown: (OciCode.NAME_UNKNOWN, 404),
    content.TagInvalid: (OciCode.TAG_INVALID, 400),
    content.DigestInvalid: (OciCode.DIGEST_INVALID, 400),
    content.BlobUnknown: (OciCode.BLOB_UNKNOWN, 404),
    content.UploadUnknown: (OciCode.BLOB_UPLOAD_UNKNOWN, 404),
    content.UploadInvalid: (OciCode.BLOB_UPLOAD_INVALID, 400),
    content.RangeInvalid: (OciCode.BLOB_UPLOAD_INVALID, 416),
    content.SizeInvalid: (OciCode.SIZE_INVALID, 400),
    content.ManifestInvalid: (OciCode.MANIFEST_INVALID, 400),
    content.ManifestUnknown: (OciCode.MANIFEST_UNKNOWN, 404),
    content.ManifestBlobUnknown: (OciCode.MANIFEST_BLOB_UNKNOWN, 400),
    content.ManifestTooLarge: (OciCode.SIZE_INVALID, 413),
    content.Unsupported: (OciCode.UNSUPPORTED, 415),
    content.PaginationInvalid: (OciCode.PAGINATION_NUMBER_INVALID, 400),
    content.TooManyTags: (OciCode.TAG_INVALID, 414),
    content.OperationDisallowed: (OciCode.DENIED, 403),
}


def oci_error(
    code: OciCode, message: str, status: int, detail: object = None, headers: dict[str, str] | None = None
) -> Response:
    """An OCI error response: `{"errors":[{"code","message","detail"}]}`."""
    error: dict[str, object] = {"code": code.value, "message": message}
    if detail is not None:
        error["detail"] = detail
    return Response(
        json.dumps({"errors": [error]}),
        status_code=status,
        media_type="application/json",
        headers={"Docker-Distribution-API-Version": "registry/2.0", **(headers or {})},
    )


def _lookup(exc: content.ContentError) -> tuple[OciCode, int]:
    for kind in type(exc).__mro__:
        if kind in _EXCEPTIONS:
            return _EXCEPTIONS[kind]
    return OciCode.UNKNOWN, 500


def error_code(exc: Exception) -> OciCode:
    """The OCI code an exception is answered with (for the audit trail; the handlers below answer)."""
    if isinstance(exc, content.ContentError):
        return _lookup(exc)[0]
    if isinstance(exc, Challenge):
        return OciCode.UNAUTHORIZED
    if isinstance(exc, AccessDenied):
        return OciCode.DENIED
    return OciCode.UNKNOWN


async def content_error_handler(request: Request, exc: Exception) -> Response:
    """Map a content-layer exception to its OCI error."""
    assert isinstance(exc, content.ContentError)
    code, status = _lookup(exc)
    headers: dict[str, str] = {}
    if isinstance(exc, content.RangeInvalid):
        headers["Range"] = f"0-{max(exc.current_size - 1, 0)}"
        headers["Location"] = request.url.path
    return oci_error(code, exc.message, status, exc.detail, headers)


async def http_error_handler(request: Request, exc: Exception) -> Response:
    """Unknown routes and methods, answered in OCI form rather than plain text."""
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return oci_error(OciCode.UNSUPPORTED, "the operation is unsupported", 405)
    if exc.status_code == 404:
        return oci_error(OciCode.NAME_UNKNOWN, "no such endpoint or repository", 404)
    return oci_error(OciCode.UNKNOWN, exc.detail or "error", exc.status_code)


async def unexpected_error_handler(request: Request, exc: Exception) -> Response:
    """The last resort: log the bug, tell the client nothing internal."""
    log.exception("unexpected error on %s %s", request.method, request.url.path)
    return oci_error(OciCode.UNKNOWN, "internal error", 500)


async def challenge_handler(request: Request, exc: Exception) -> Response:
    """401 with the challenge that tells the client where to authenticate."""
    assert isinstance(exc, Challenge)
    return oci_error(OciCode.UNAUTHORIZED, exc.message, 401, exc.detail, {"WWW-Authenticate": exc.www_authenticate})


async def denied_handler(request: Request, exc: Exception) -> Response:
    """403: the request is refused whoever makes it."""
    assert isinstance(exc, AccessDenied)
    return oci_error(OciCode.DENIED, exc.message, 403, exc.detail)
