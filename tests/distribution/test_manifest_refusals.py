"""Manifests the registry must refuse, and how it says so; a refused manifest is never stored."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import start_registry
from tests.oci import (
    DOCKER_SCHEMA1_SIGNED,
    OCI_INDEX,
    OCI_MANIFEST,
    Pushed,
    assert_oci_error,
    error_codes,
    image_manifest,
    index_manifest,
    push_blob,
    push_image,
    put_manifest,
    random_blob,
    sha256,
    unique_name,
    unknown_digest,
)

MIB = 1024 * 1024


def _schema1(name: str) -> bytes:
    return json.dumps(
        {
            "schemaVersion": 1,
            "name": name,
            "tag": "old",
            "architecture": "amd64",
            "fsLayers": [{"blobSum": unknown_digest()}],
            "history": [{"v1Compatibility": "{}"}],
            "signatures": [{"header": {"alg": "ES256"}, "signature": "c2ln", "protected": "cHJvdA"}],
        }
    ).encode()


@pytest.mark.parametrize("content_type", [DOCKER_SCHEMA1_SIGNED, "application/json"])
def test_a_docker_schema1_manifest_is_refused(http: httpx.Client, content_type: str) -> None:
    name = unique_name()

    response = put_manifest(http, name, "old", _schema1(name), content_type)

    assert 400 <= response.status_code < 500
    assert {"MANIFEST_INVALID", "UNSUPPORTED"} & set(error_codes(response))


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A registry started with --no-sparse-manifests: every reference must be pushed first."""
    server = start_registry(tmp_path_factory.mktemp("strict") / "data", "--no-sparse-manifests")
    with server.client() as client:
        yield client
    server.stop()


def test_a_sparse_manifest_is_accepted_by_default(http: httpx.Client) -> None:
    name, config = unique_name(), b"{}"
    push_blob(http, name, config)
    body = json.dumps(image_manifest(config, [random_blob()])).encode()

    assert put_manifest(http, name, "v1", body, OCI_MANIFEST).status_code == 201
    assert http.get(f"/v2/{name}/manifests/v1").content == body


def test_a_manifest_whose_layer_is_missing_is_400_manifest_blob_unknown(strict: httpx.Client) -> None:
    http = strict
    name, config = unique_name(), b"{}"
    push_blob(http, name, config)
    body = json.dumps(image_manifest(config, [random_blob()])).encode()

    assert_oci_error(put_manifest(http, name, "v1", body, OCI_MANIFEST), 400, "MANIFEST_BLOB_UNKNOWN")


def test_a_manifest_whose_config_is_missing_is_400_manifest_blob_unknown(strict: httpx.Client) -> None:
    http = strict
    name, layer = unique_name(), random_blob()
    push_blob(http, name, layer)
    body = json.dumps(image_manifest(random_blob(), [layer])).encode()

    assert_oci_error(put_manifest(http, name, "v1", body, OCI_MANIFEST), 400, "MANIFEST_BLOB_UNKNOWN")


def test_a_manifest_refused_for_a_missing_blob_leaves_no_tag(strict: httpx.Client) -> None:
    http = strict
    name, config = unique_name(), b"{}"
    push_image(http, name, "v1")
    push_blob(http, name, config)
    body = json.dumps(image_manifest(config, [random_blob()])).encode()

    put_manifest(http, name, "v2", body, OCI_MANIFEST)

    assert_oci_error(http.get(f"/v2/{name}/manifests/v2"), 404, "MANIFEST_UNKNOWN")
    assert http.get(f"/v2/{name}/manifests/{sha256(body)}").status_code == 404


def test_an_index_whose_child_is_missing_is_400_manifest_blob_unknown(strict: httpx.Client) -> None:
    http = strict
    name = unique_name()
    present = push_image(http, name, None)
    absent = Pushed(OCI_MANIFEST, b"{}", unknown_digest())
    body = json.dumps(index_manifest([present, absent])).encode()

    assert_oci_error(put_manifest(http, name, "multi", body, OCI_INDEX), 400, "MANIFEST_BLOB_UNKNOWN")


def test_a_body_that_does_not_match_the_digest_reference_is_400_digest_invalid(http: httpx.Client) -> None:
    name = unique_name()
    pushed = push_image(http, name, "v1")
    other = pushed.body + b" "

    assert_oci_error(put_manifest(http, name, pushed.digest, other, OCI_MANIFEST), 400, "DIGEST_INVALID")


def test_a_manifest_over_4_mib_is_413(http: httpx.Client) -> None:
    name, config = unique_name(), b"{}"
    push_blob(http, name, config)
    document = image_manifest(config, [], annotations={"padding": "x" * (4 * MIB)})

    response = put_manifest(http, name, "huge", json.dumps(document).encode(), OCI_MANIFEST)

    assert response.status_code == 413
    assert error_codes(response)


def test_a_manifest_of_nearly_4_mib_is_accepted(http: httpx.Client) -> None:
    name, config = unique_name(), b"{}"
    push_blob(http, name, config)
    document = image_manifest(config, [], annotations={"padding": "x" * (4 * MIB - 4096)})
    body = json.dumps(document).encode()

    response = put_manifest(http, name, "big", body, OCI_MANIFEST)

    assert response.status_code == 201
    assert http.get(f"/v2/{name}/manifests/big").content == body


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"",
        b"\xff\xfe",
        b"[1, 2]",
        b'"a string"',
        b"null",
        b'{"a":' * 100_000 + b"1" + b"}" * 100_000,  # nested deeper than the parser's recursion limit
        b'{"schemaVersion": ' + b"1" * 5000 + b"}",  # an integer longer than Python converts by default
    ],
    ids=["broken", "empty", "not utf-8", "array", "string", "null", "deeply nested", "huge integer"],
)
def test_a_body_that_is_not_a_parseable_json_object_is_400_manifest_invalid(http: httpx.Client, body: bytes) -> None:
    assert_oci_error(put_manifest(http, unique_name(), "v1", body, OCI_MANIFEST), 400, "MANIFEST_INVALID")


@pytest.mark.parametrize(
    "change",
    [
        {"schemaVersion": 3},
        {"config": "not a descriptor"},
        {"config": {"mediaType": "x", "digest": "sha256:short", "size": 2}},
        {"config": {"mediaType": "x", "digest": sha256(b"{}"), "size": -1}},
        {"layers": "not a list"},
        {"annotations": {"key": 1}},
        {"mediaType": "application/vnd.example.not-a-manifest"},
    ],
)
def test_a_manifest_breaking_its_schema_is_400_manifest_invalid(http: httpx.Client, change: dict[str, object]) -> None:
    name, config = unique_name(), b"{}"
    push_blob(http, name, config)
    document = {**image_manifest(config, []), **change}
    media_type = str(document["mediaType"])

    response = put_manifest(http, name, "v1", json.dumps(document).encode(), media_type)

    assert_oci_error(response, 400, "MANIFEST_INVALID")


def test_a_media_type_field_contradicting_the_content_type_is_400_manifest_invalid(http: httpx.Client) -> None:
    name = unique_name()
    pushed = push_image(http, name, None)

    assert_oci_error(put_manifest(http, name, "v1", pushed.body, OCI_INDEX), 400, "MANIFEST_INVALID")


@pytest.mark.parametrize("tag", [".hidden", "-dash", "a" * 129, "v1+build", "caf%C3%A9", "v1%0A", "v%201"])
def test_a_manifest_pushed_under_a_malformed_tag_is_refused_and_not_tagged(http: httpx.Client, tag: str) -> None:
    name = unique_name()
    pushed = push_image(http, name, None)

    response = put_manifest(http, name, tag, pushed.body, OCI_MANIFEST)

    assert_oci_error(response, 400, "TAG_INVALID")
    assert http.get(f"/v2/{name}/tags/list").json()["tags"] == []


@pytest.mark.parametrize("tag", ["a" * 128, "_underscore", "V1.0-RC_2", "0"])
def test_a_tag_at_the_edge_of_the_grammar_is_accepted(http: httpx.Client, tag: str) -> None:
    name = unique_name()
    pushed = push_image(http, name, None)

    assert put_manifest(http, name, tag, pushed.body, OCI_MANIFEST).status_code == 201
