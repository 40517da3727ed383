"""Pulling, checking and deleting blobs: GET, HEAD (with Range), DELETE."""

from __future__ import annotations

import httpx
import pytest

from tests.oci import assert_oci_error, error_codes, push_blob, random_blob, sha256, sha512, unique_name, unknown_digest


def test_get_returns_the_blob_with_its_digest_and_length(http: httpx.Client) -> None:
    name, data = unique_name(), random_blob(3000)
    digest = push_blob(http, name, data)

    response = http.get(f"/v2/{name}/blobs/{digest}")

    assert response.status_code == 200
    assert response.content == data
    assert response.headers["Docker-Content-Digest"] == digest
    assert response.headers["Content-Length"] == str(len(data))


def test_head_returns_digest_and_length_without_a_body(http: httpx.Client) -> None:
    name, data = unique_name(), random_blob(3000)
    digest = push_blob(http, name, data)

    response = http.head(f"/v2/{name}/blobs/{digest}")

    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["Docker-Content-Digest"] == digest
    assert response.headers["Content-Length"] == str(len(data))


def test_an_empty_blob_can_be_pushed_and_pulled(http: httpx.Client) -> None:
    name = unique_name()
    digest = push_blob(http, name, b"")

    response = http.get(f"/v2/{name}/blobs/{digest}")

    assert response.status_code == 200
    assert response.content == b""


@pytest.mark.parametrize(
    ("range_header", "start", "end"),
    [("bytes=10-19", 10, 19), ("bytes=0-0", 0, 0), ("bytes=990-", 990, 999), ("bytes=-5", 995, 999)],
)
def test_a_range_get_returns_206_with_exactly_those_bytes(
    http: httpx.Client, range_header: str, start: int, end: int
) -> None:
    name, data = unique_name(), random_blob(1000)
    digest = push_blob(http, name, data)

    response = http.get(f"/v2/{name}/blobs/{digest}", headers={"Range": range_header})

    assert response.status_code == 206
    assert response.content == data[start : end + 1]
    assert response.headers["Content-Range"] == f"bytes {start}-{end}/1000"


def test_an_unsatisfiable_range_is_answered_416(http: httpx.Client) -> None:
    name, data = unique_name(), random_blob(100)
    digest = push_blob(http, name, data)

    response = http.get(f"/v2/{name}/blobs/{digest}", headers={"Range": "bytes=200-300"})

    assert response.status_code == 416
    assert response.headers["Content-Range"] == "bytes */100"


def test_a_range_in_a_unit_other_than_bytes_is_ignored(http: httpx.Client) -> None:
    name, data = unique_name(), random_blob(100)
    digest = push_blob(http, name, data)

    response = http.get(f"/v2/{name}/blobs/{digest}", headers={"Range": "items=0-5"})

    assert response.status_code == 200  # RFC 9110 section 14.2: MUST ignore a range unit it does not understand
    assert response.content == data


@pytest.mark.parametrize("range_header", ["bytes=abc", "bytes=5-2", "bytes=", "bytes=0-1,3-2"])
def test_a_malformed_range_is_ignored_or_refused_in_oci_form(http: httpx.Client, range_header: str) -> None:
    name, data = unique_name(), random_blob(100)
    digest = push_blob(http, name, data)

    response = http.get(f"/v2/{name}/blobs/{digest}", headers={"Range": range_header})

    assert response.status_code in (200, 400, 416)
    if response.status_code == 200:
        assert response.content == data
    if response.status_code == 400:
        assert error_codes(response)


def test_an_unknown_blob_is_404_blob_unknown(http: httpx.Client) -> None:
    name = unique_name()
    push_blob(http, name, random_blob())

    assert_oci_error(http.get(f"/v2/{name}/blobs/{unknown_digest()}"), 404, "BLOB_UNKNOWN")


def test_head_of_an_unknown_blob_is_404(http: httpx.Client) -> None:
    name = unique_name()
    push_blob(http, name, random_blob())

    response = http.head(f"/v2/{name}/blobs/{unknown_digest()}")

    assert response.status_code == 404


def test_a_blob_of_another_repository_is_unknown_here(http: httpx.Client) -> None:
    owner, other = unique_name(), unique_name()
    digest = push_blob(http, owner, random_blob())
    push_blob(http, other, random_blob())

    assert_oci_error(http.get(f"/v2/{other}/blobs/{digest}"), 404, "BLOB_UNKNOWN")


def test_a_blob_in_an_unknown_repository_is_404(http: httpx.Client) -> None:
    response = http.get(f"/v2/{unique_name()}/blobs/{unknown_digest()}")

    assert response.status_code == 404
    assert {"BLOB_UNKNOWN", "NAME_UNKNOWN"} & set(error_codes(response))


@pytest.mark.parametrize(
    "digest",
    [
        "sha256:abc",
        "sha256:" + "G" * 64,
        "sha256:" + "A" * 64,
        "sha256" + "a" * 64,
        "md5:" + "a" * 32,
        "sha512:" + "a" * 64,
        ":" + "a" * 64,
    ],
)
def test_a_malformed_digest_is_400_digest_invalid(http: httpx.Client, digest: str) -> None:
    name = unique_name()
    push_blob(http, name, random_blob())

    assert_oci_error(http.get(f"/v2/{name}/blobs/{digest}"), 400, "DIGEST_INVALID")


def test_delete_answers_202_and_the_blob_is_then_unknown(http: httpx.Client) -> None:
    name = unique_name()
    digest = push_blob(http, name, random_blob())

    deleted = http.delete(f"/v2/{name}/blobs/{digest}")

    assert deleted.status_code == 202
    assert_oci_error(http.get(f"/v2/{name}/blobs/{digest}"), 404, "BLOB_UNKNOWN")


def test_deleting_a_blob_in_one_repository_leaves_it_in_another(http: httpx.Client) -> None:
    first, second, data = unique_name(), unique_name(), random_blob()
    digest = push_blob(http, first, data)
    push_blob(http, second, data)

    http.delete(f"/v2/{first}/blobs/{digest}")

    assert http.get(f"/v2/{second}/blobs/{digest}").content == data


def test_deleting_an_unknown_blob_is_404_blob_unknown(http: httpx.Client) -> None:
    name = unique_name()
    push_blob(http, name, random_blob())

    assert_oci_error(http.delete(f"/v2/{name}/blobs/{unknown_digest()}"), 404, "BLOB_UNKNOWN")


def test_a_sha512_blob_is_stored_and_served_under_its_sha512_digest(http: httpx.Client) -> None:
    name, data = unique_name(), random_blob(5000)
    digest = push_blob(http, name, data, sha512(data))

    response = http.get(f"/v2/{name}/blobs/{digest}")

    assert response.status_code == 200
    assert response.content == data
    assert response.headers["Docker-Content-Digest"] == digest


def test_a_sha512_blob_is_not_known_under_its_sha256_digest(http: httpx.Client) -> None:
    name, data = unique_name(), random_blob()
    push_blob(http, name, data, sha512(data))

    assert http.head(f"/v2/{name}/blobs/{sha256(data)}").status_code == 404
