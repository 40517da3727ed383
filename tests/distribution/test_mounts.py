"""Cross-repository blob mounts: POST /v2/<name>/blobs/uploads/?mount=<digest>&from=<other>."""

from __future__ import annotations

import httpx

from tests.oci import (
    assert_oci_error,
    location_path,
    push_blob,
    random_blob,
    sha256,
    unique_name,
    unknown_digest,
)


def _mount(http: httpx.Client, name: str, digest: str, source: str | None) -> httpx.Response:
    params = {"mount": digest} if source is None else {"mount": digest, "from": source}
    return http.post(f"/v2/{name}/blobs/uploads/", params=params, headers={"Content-Length": "0"})


def test_mounting_from_a_repository_that_has_the_blob_is_201(http: httpx.Client) -> None:
    source, target, data = unique_name(), unique_name(), random_blob()
    digest = push_blob(http, source, data)

    response = _mount(http, target, digest, source)

    assert response.status_code == 201
    assert response.headers["Docker-Content-Digest"] == digest
    assert location_path(response) == f"/v2/{target}/blobs/{digest}"


def test_a_mounted_blob_can_be_pulled_from_the_target(http: httpx.Client) -> None:
    source, target, data = unique_name(), unique_name(), random_blob()
    digest = push_blob(http, source, data)

    _mount(http, target, digest, source)

    assert http.get(f"/v2/{target}/blobs/{digest}").content == data


def test_mounting_from_a_repository_without_the_blob_opens_an_upload_session(http: httpx.Client) -> None:
    source, target = unique_name(), unique_name()
    push_blob(http, source, random_blob())
    elsewhere = push_blob(http, unique_name(), random_blob())

    response = _mount(http, target, elsewhere, source)

    assert response.status_code == 202
    assert location_path(response).startswith(f"/v2/{target}/blobs/uploads/")
    assert http.head(f"/v2/{target}/blobs/{elsewhere}").status_code == 404


def test_the_session_opened_by_a_failed_mount_takes_the_upload(http: httpx.Client) -> None:
    target, data = unique_name(), random_blob()
    response = _mount(http, target, sha256(data), unique_name())

    finished = http.put(location_path(response), params={"digest": sha256(data)}, content=data)

    assert finished.status_code == 201
    assert http.get(f"/v2/{target}/blobs/{sha256(data)}").content == data


def test_mounting_a_blob_the_registry_does_not_have_opens_an_upload_session(http: httpx.Client) -> None:
    source, target = unique_name(), unique_name()
    push_blob(http, source, random_blob())

    response = _mount(http, target, unknown_digest(), source)

    assert response.status_code == 202


def test_mounting_without_from_is_201_when_the_blob_exists_anywhere(http: httpx.Client) -> None:
    target, data = unique_name(), random_blob()
    digest = push_blob(http, unique_name(), data)

    response = _mount(http, target, digest, None)

    assert response.status_code == 201
    assert http.get(f"/v2/{target}/blobs/{digest}").content == data


def test_mounting_a_blob_deleted_from_the_source_opens_an_upload_session(http: httpx.Client) -> None:
    source, target = unique_name(), unique_name()
    digest = push_blob(http, source, random_blob())
    push_blob(http, source, random_blob())
    http.delete(f"/v2/{source}/blobs/{digest}")

    response = _mount(http, target, digest, source)

    assert response.status_code == 202


def test_mounting_with_a_malformed_digest_is_400_digest_invalid(http: httpx.Client) -> None:
    source = unique_name()
    push_blob(http, source, random_blob())

    assert_oci_error(_mount(http, unique_name(), "sha256:short", source), 400, "DIGEST_INVALID")


def test_mounting_from_an_invalid_repository_name_is_400_name_invalid(http: httpx.Client) -> None:
    digest = push_blob(http, unique_name(), random_blob())

    assert_oci_error(_mount(http, unique_name(), digest, "Not/Valid"), 400, "NAME_INVALID")
