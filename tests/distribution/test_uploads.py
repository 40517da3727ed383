"""Pushing blobs: monolithic, POST-then-PUT, chunked, streamed; status, cancel and refusals."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.oci import (
    assert_oci_error,
    error_codes,
    finish_upload,
    location_path,
    push_blob_in_chunks,
    random_blob,
    send_chunk,
    sha256,
    sha512,
    start_upload,
    unique_name,
)


def _pulled(http: httpx.Client, name: str, digest: str) -> bytes:
    response = http.get(f"/v2/{name}/blobs/{digest}")
    assert response.status_code == 200, response.text
    return response.content


def test_a_single_post_with_digest_creates_the_blob(http: httpx.Client) -> None:
    name, data = unique_name(), random_blob(4000)
    digest = sha256(data)

    response = http.post(f"/v2/{name}/blobs/uploads/", params={"digest": digest}, content=data)

    assert response.status_code == 201
    assert response.headers["Docker-Content-Digest"] == digest
    assert location_path(response) == f"/v2/{name}/blobs/{digest}"
    assert _pulled(http, name, digest) == data


@pytest.mark.parametrize("digest", ["sha256:nothex", "md5:" + "a" * 32, "sha256:" + "A" * 64])
def test_a_single_post_with_a_malformed_or_unsupported_digest_is_400(http: httpx.Client, digest: str) -> None:
    response = http.post(f"/v2/{unique_name()}/blobs/uploads/", params={"digest": digest}, content=b"data")

    assert_oci_error(response, 400, "DIGEST_INVALID")


def test_post_opens_a_session_with_a_location_and_202(http: httpx.Client) -> None:
    name = unique_name()

    response = http.post(f"/v2/{name}/blobs/uploads/", headers={"Content-Length": "0"})

    assert response.status_code == 202
    assert location_path(response).startswith(f"/v2/{name}/blobs/uploads/")


def test_post_then_put_with_the_whole_body_creates_the_blob(http: httpx.Client) -> None:
    name, data = unique_name(), random_blob(4000)
    location = start_upload(http, name)

    response = finish_upload(http, location, sha256(data), data)

    assert response.status_code == 201
    assert location_path(response) == f"/v2/{name}/blobs/{sha256(data)}"
    assert _pulled(http, name, sha256(data)) == data


def test_chunks_with_content_range_then_put_assemble_the_blob(http: httpx.Client) -> None:
    name, data = unique_name(), random_blob(3000)

    digest = push_blob_in_chunks(http, name, [data[:1000], data[1000:2500], data[2500:]])

    assert _pulled(http, name, digest) == data


def test_each_accepted_chunk_is_answered_202_with_location_and_range(http: httpx.Client) -> None:
    name, data = unique_name(), random_blob(300)
    location = start_upload(http, name)
    send_chunk(http, location, data[:100], 0)

    response = send_chunk(http, location, data[100:250], 100)

    assert response.status_code == 202
    assert response.headers["Range"] == "0-249"
    assert location_path(response).startswith(f"/v2/{name}/blobs/uploads/")


def test_an_out_of_order_chunk_is_416_with_the_current_range(http: httpx.Client) -> None:
    name, data = unique_name(), random_blob(300)
    location = start_upload(http, name)
    send_chunk(http, location, data[:100], 0)

    response = send_chunk(http, location, data[200:], 200)

    assert response.status_code == 416
    assert response.headers["Range"] == "0-99"


def test_a_chunk_that_repeats_received_bytes_is_416(http: httpx.Client) -> None:
    name, data = unique_name(), random_blob(300)
    location = start_upload(http, name)
    send_chunk(http, location, data[:100], 0)

    response = send_chunk(http, location, data[50:150], 50)

    assert response.status_code == 416


def test_after_an_out_of_order_chunk_the_upload_continues_from_its_range(http: httpx.Client) -> None:
    name, data = unique_name(), random_blob(300)
    location = start_upload(http, name)
    send_chunk(http, location, data[:100], 0)
    send_chunk(http, location, data[200:], 200)

    send_chunk(http, location, data[100:], 100)
    response = finish_upload(http, location, sha256(data))

    assert response.status_code == 201
    assert _pulled(http, name, sha256(data)) == data


def test_a_streamed_patch_without_content_range_appends_the_body(http: httpx.Client) -> None:
    name, data = unique_name(), random_blob(200_000)
    location = start_upload(http, name)

    def body() -> Iterator[bytes]:  # a generator body goes out with chunked transfer encoding
        for offset in range(0, len(data), 30_000):
            yield data[offset : offset + 30_000]

    streamed = http.patch(location, content=body(), headers={"Content-Type": "application/octet-stream"})
    finished = finish_upload(http, location_path(streamed), sha256(data))

    assert streamed.status_code == 202
    assert streamed.headers["Range"] == f"0-{len(data) - 1}"
    assert finished.status_code == 201
    assert _pulled(http, name, sha256(data)) == data


def test_the_closing_put_may_carry_the_last_chunk(http: httpx.Client) -> None:
    name, data = unique_name(), random_blob(3000)
    location = start_upload(http, name)
    location = location_path(send_chunk(http, location, data[:1000], 0))

    response = finish_upload(http, location, sha256(data), data[1000:])

    assert response.status_code == 201
    assert _pulled(http, name, sha256(data)) == data


def test_a_closing_put_whose_chunk_is_out_of_order_is_416(http: httpx.Client) -> None:
    name, data = unique_name(), random_blob(300)
    location = start_upload(http, name)
    send_chunk(http, location, data[:100], 0)

    response = http.put(
        location,
        params={"digest": sha256(data[:100] + data[200:])},
        content=data[200:],
        headers={"Content-Type": "application/octet-stream", "Content-Range": "200-299"},
    )

    assert response.status_code == 416


def test_a_closing_put_whose_chunk_is_in_order_is_accepted(http: httpx.Client) -> None:
    name, data = unique_name(), random_blob(300)
    location = start_upload(http, name)
    send_chunk(http, location, data[:100], 0)

    response = http.put(
        location,
        params={"digest": sha256(data)},
        content=data[100:],
        headers={"Content-Type": "application/octet-stream", "Content-Range": "100-299"},
    )

    assert response.status_code == 201
    assert _pulled(http, name, sha256(data)) == data


def test_upload_status_is_204_with_range_and_location(http: httpx.Client) -> None:
    name, data = unique_name(), random_blob(1234)
    location = start_upload(http, name)
    send_chunk(http, location, data, 0)

    response = http.get(location)

    assert response.status_code == 204
    assert response.headers["Range"] == "0-1233"
    assert location_path(response).startswith(f"/v2/{name}/blobs/uploads/")


def test_cancelling_an_upload_is_204_and_the_session_is_then_unknown(http: httpx.Client) -> None:
    name = unique_name()
    location = start_upload(http, name)
    send_chunk(http, location, random_blob(100), 0)

    cancelled = http.delete(location)

    assert cancelled.status_code == 204
    assert_oci_error(http.get(location), 404, "BLOB_UPLOAD_UNKNOWN")


def test_a_digest_mismatch_on_put_is_400_and_no_blob_appears(http: httpx.Client) -> None:
    name, data = unique_name(), random_blob(500)
    claimed = sha256(random_blob(500))
    location = start_upload(http, name)

    response = finish_upload(http, location, claimed, data)

    assert_oci_error(response, 400, "DIGEST_INVALID")
    assert http.head(f"/v2/{name}/blobs/{claimed}").status_code == 404
    assert http.head(f"/v2/{name}/blobs/{sha256(data)}").status_code == 404


def test_a_digest_mismatch_on_single_post_is_400_and_no_blob_appears(http: httpx.Client) -> None:
    name, data = unique_name(), random_blob(500)
    claimed = sha256(random_blob(500))

    response = http.post(f"/v2/{name}/blobs/uploads/", params={"digest": claimed}, content=data)

    assert_oci_error(response, 400, "DIGEST_INVALID")
    assert http.head(f"/v2/{name}/blobs/{claimed}").status_code == 404


def test_a_chunk_whose_length_disagrees_with_content_range_is_400(http: httpx.Client) -> None:
    name = unique_name()
    location = start_upload(http, name)

    response = http.patch(location, content=random_blob(50), headers={"Content-Range": "0-99"})

    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] in {"BLOB_UPLOAD_INVALID", "SIZE_INVALID"}


def test_a_streamed_chunk_shorter_than_its_content_range_is_refused_and_the_upload_goes_on(
    http: httpx.Client,
) -> None:
    name, data = unique_name(), random_blob(300)
    location = start_upload(http, name)
    send_chunk(http, location, data[:100], 0)

    refused = http.patch(location, content=iter([data[100:150]]), headers={"Content-Range": "100-299"})
    send_chunk(http, location, data[100:], 100)
    finished = finish_upload(http, location, sha256(data))

    assert refused.status_code == 400
    assert finished.status_code == 201
    assert _pulled(http, name, sha256(data)) == data


@pytest.mark.parametrize("content_range", [b"abc", b"10", b"5-2", b"-3", b"0-x", b"0-\xb2", b"\xb9-\xb2"])
def test_a_malformed_content_range_is_400(http: httpx.Client, content_range: bytes) -> None:
    location = start_upload(http, unique_name())

    response = http.patch(location, content=b"x", headers={b"Content-Range": content_range})

    assert response.status_code == 400
    assert error_codes(response)


def test_put_without_a_digest_is_400(http: httpx.Client) -> None:
    location = start_upload(http, unique_name())

    response = http.put(location, content=random_blob(10))

    assert_oci_error(response, 400, "DIGEST_INVALID")


def test_put_with_a_malformed_digest_is_400(http: httpx.Client) -> None:
    location = start_upload(http, unique_name())

    response = http.put(location, params={"digest": "sha256:nothex"}, content=random_blob(10))

    assert_oci_error(response, 400, "DIGEST_INVALID")


@pytest.mark.parametrize("method", ["GET", "PATCH", "PUT", "DELETE"])
def test_an_unknown_upload_id_is_404_blob_upload_unknown(http: httpx.Client, method: str) -> None:
    name = unique_name()
    start_upload(http, name)
    url = f"/v2/{name}/blobs/uploads/3f1c1a52-4a0e-4b4e-9a62-1c3a5d9e0b7f"

    response = http.request(method, url, params={"digest": sha256(b"x")}, content=b"x")

    assert_oci_error(response, 404, "BLOB_UPLOAD_UNKNOWN")


def test_an_upload_id_that_is_not_a_uuid_is_404_blob_upload_unknown(http: httpx.Client) -> None:
    name = unique_name()
    start_upload(http, name)

    assert_oci_error(http.get(f"/v2/{name}/blobs/uploads/not-a-uuid"), 404, "BLOB_UPLOAD_UNKNOWN")


def test_an_upload_is_unknown_through_another_repository(http: httpx.Client) -> None:
    owner, other = unique_name(), unique_name()
    location = start_upload(http, owner)
    upload_id = location.rsplit("/", 1)[-1]

    assert_oci_error(http.get(f"/v2/{other}/blobs/uploads/{upload_id}"), 404, "BLOB_UPLOAD_UNKNOWN")


def test_a_finished_upload_is_unknown_afterwards(http: httpx.Client) -> None:
    name, data = unique_name(), random_blob(10)
    location = start_upload(http, name)
    finish_upload(http, location, sha256(data), data)

    assert_oci_error(http.get(location), 404, "BLOB_UPLOAD_UNKNOWN")


def test_a_chunked_upload_may_finish_with_a_sha512_digest(http: httpx.Client) -> None:
    name, data = unique_name(), random_blob(3000)

    digest = push_blob_in_chunks(http, name, [data[:1500], data[1500:]], sha512(data))

    assert _pulled(http, name, digest) == data
