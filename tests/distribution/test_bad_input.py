"""Names, tags and digests outside the grammars are refused in OCI error form, never with a 500.

Requests go out through http.client, which sends the target exactly as written: httpx would
normalize `..` segments away before the server could see them.
"""

from __future__ import annotations

import http.client
import json

import pytest

from tests.conftest import RunningRegistry
from tests.oci import OCI_MANIFEST, sha256

UPLOAD_ID = "3f1c1a52-4a0e-4b4e-9a62-1c3a5d9e0b7f"
DIGEST = sha256(b"anything")

BAD_NAMES = {
    "upper case": "Library/App",
    "dot-dot segment": "a/../b",
    "encoded dot-dot": "%2e%2e/b",
    "trailing slash": "a/",
    "leading slash": "/a",
    "empty": "",
    "256 characters": "a" * 256,
    "leading separator": "-a/b",
    "double dot separator": "a..b",
    "three underscores": "a___b",
    "non-ascii": "caf%C3%A9",
    "space": "a%20b",
    "newline": "a%0A",
    "nul": "a%00b",
}

ENDPOINTS = {
    "tags list": ("GET", "/v2/{}/tags/list"),
    "manifest get": ("GET", "/v2/{}/manifests/latest"),
    "manifest head": ("HEAD", "/v2/{}/manifests/latest"),
    "manifest put": ("PUT", "/v2/{}/manifests/latest"),
    "manifest delete": ("DELETE", "/v2/{}/manifests/latest"),
    "blob get": ("GET", f"/v2/{{}}/blobs/{DIGEST}"),
    "blob head": ("HEAD", f"/v2/{{}}/blobs/{DIGEST}"),
    "blob delete": ("DELETE", f"/v2/{{}}/blobs/{DIGEST}"),
    "upload start": ("POST", "/v2/{}/blobs/uploads/"),
    "monolithic upload": ("POST", f"/v2/{{}}/blobs/uploads/?digest={DIGEST}"),
    "mount": ("POST", f"/v2/{{}}/blobs/uploads/?mount={DIGEST}&from=other/repo"),
    "upload patch": ("PATCH", f"/v2/{{}}/blobs/uploads/{UPLOAD_ID}"),
    "upload put": ("PUT", f"/v2/{{}}/blobs/uploads/{UPLOAD_ID}?digest={DIGEST}"),
    "upload status": ("GET", f"/v2/{{}}/blobs/uploads/{UPLOAD_ID}"),
    "upload cancel": ("DELETE", f"/v2/{{}}/blobs/uploads/{UPLOAD_ID}"),
    "referrers": ("GET", f"/v2/{{}}/referrers/{DIGEST}"),
}

MANIFEST_BODY = json.dumps(
    {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": sha256(b"{}"), "size": 2},
        "layers": [],
    }
).encode()


class Raw:
    """A response as sent: status, headers and body bytes."""

    def __init__(self, response: http.client.HTTPResponse) -> None:
        self.status = response.status
        self.headers = response.headers
        self.body = response.read()

    def error_codes(self) -> list[str]:
        """The codes of the OCI error body; fails when the body is not one."""
        assert self.headers.get_content_type() == "application/json", (self.status, self.body[:200])
        document = json.loads(self.body)
        assert isinstance(document["errors"], list) and document["errors"], document
        assert all(isinstance(e["code"], str) and isinstance(e.get("message", ""), str) for e in document["errors"])
        return [error["code"] for error in document["errors"]]


def raw_request(registry: RunningRegistry, method: str, target: str, body: bytes = b"") -> Raw:
    """Send `target` byte for byte, with no client-side normalization."""
    host, port = registry.host.rsplit(":", 1)
    connection = http.client.HTTPConnection(host, int(port), timeout=30)
    try:
        headers = {"Content-Type": OCI_MANIFEST} if method == "PUT" and "/manifests/" in target else {}
        connection.request(method, target, body=body if method in ("PUT", "POST", "PATCH") else None, headers=headers)
        return Raw(connection.getresponse())
    finally:
        connection.close()


@pytest.mark.parametrize("endpoint", sorted(ENDPOINTS))
@pytest.mark.parametrize("bad_name", sorted(BAD_NAMES))
def test_a_name_outside_the_grammar_is_refused_in_oci_form(
    registry: RunningRegistry, bad_name: str, endpoint: str
) -> None:
    method, template = ENDPOINTS[endpoint]
    body = MANIFEST_BODY if endpoint == "manifest put" else b""

    response = raw_request(registry, method, template.format(BAD_NAMES[bad_name]), body)

    assert response.status in (400, 404), (response.status, response.body[:300])
    if method != "HEAD":
        expected = {"NAME_INVALID"} if response.status == 400 else {"NAME_UNKNOWN", "BLOB_UPLOAD_UNKNOWN"}
        assert set(response.error_codes()) <= expected, response.body[:300]


@pytest.mark.parametrize("bad_name", ["Library/App", "a/../b", "a" * 256, "a/"])
def test_a_name_outside_the_grammar_is_400_name_invalid(registry: RunningRegistry, bad_name: str) -> None:
    response = raw_request(registry, "GET", f"/v2/{bad_name}/tags/list")

    assert response.status == 400
    assert response.error_codes() == ["NAME_INVALID"]


def test_a_name_of_255_characters_is_allowed(registry: RunningRegistry) -> None:
    name = "/".join(["a" * 127, "b" * 127])

    response = raw_request(registry, "GET", f"/v2/{name}/tags/list")

    assert response.status == 404
    assert response.error_codes() == ["NAME_UNKNOWN"]


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE"])
@pytest.mark.parametrize("tag", [".hidden", "-dash", "a" * 129, "v1+build", "caf%C3%A9", "v1%0A", "v%201", "a%00"])
def test_a_malformed_tag_is_400_tag_invalid(registry: RunningRegistry, method: str, tag: str) -> None:
    body = MANIFEST_BODY if method == "PUT" else b""

    response = raw_request(registry, method, f"/v2/bad-input/tags/manifests/{tag}", body)

    assert response.status == 400, (response.status, response.body[:300])
    if method != "HEAD":
        assert response.error_codes() == ["TAG_INVALID"]


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE"])
@pytest.mark.parametrize(
    "reference", ["sha256:", "sha256:abc", "a:b", f"SHA256:{'a' * 64}", f"sha256:{'a' * 64}%0A", "sha1:" + "a" * 40]
)
def test_a_malformed_digest_reference_is_400_digest_invalid(
    registry: RunningRegistry, method: str, reference: str
) -> None:
    body = MANIFEST_BODY if method == "PUT" else b""

    response = raw_request(registry, method, f"/v2/bad-input/digests/manifests/{reference}", body)

    assert response.status == 400, (response.status, response.body[:300])
    if method != "HEAD":
        assert response.error_codes() == ["DIGEST_INVALID"]


@pytest.mark.parametrize(
    "target",
    [
        "/v2/bad-input/any/blobs/sha256:%0A",
        "/v2/bad-input/any/blobs/uploads/?digest=",
        "/v2/bad-input/any/blobs/uploads/?mount=",
        "/v2/bad-input/any/blobs/uploads/?mount=sha256:x&from=",
        "/v2/bad-input/any/tags/list?n=&last=",
        "/v2/bad-input/any/tags/list?n=99999999999999999999999",
        "/v2/_catalog?n=%00",
        "/v2/bad-input/any/referrers/sha256:" + "a" * 64 + "?artifactType=%00",
        "/v2/bad-input/any/manifests/" + "a" * 5000,
    ],
)
def test_odd_requests_never_get_a_500(registry: RunningRegistry, target: str) -> None:
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        response = raw_request(registry, method, target)

        assert response.status < 500, (method, target, response.status, response.body[:300])
        if response.status >= 400:
            response.error_codes()
