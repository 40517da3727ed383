"""GET /v2/<name>/referrers/<digest>: an OCI index of the manifests whose subject is the digest."""

from __future__ import annotations

from typing import Any

import httpx

from tests.oci import (
    OCI_EMPTY,
    OCI_INDEX,
    OCI_MANIFEST,
    Pushed,
    assert_oci_error,
    image_manifest,
    index_manifest,
    push_blob,
    push_image,
    push_manifest,
    unique_name,
    unknown_digest,
)

SBOM = "application/vnd.example.sbom.v1"
SIGNATURE = "application/vnd.example.signature.v1"
EMPTY_CONFIG = b"{}"


def _attach(http: httpx.Client, name: str, subject: dict[str, Any], **fields: Any) -> Pushed:
    """Push an artifact manifest (empty config, no layers) whose subject is `subject`."""
    push_blob(http, name, EMPTY_CONFIG)
    config_media_type = fields.pop("config_media_type", OCI_EMPTY)
    document = image_manifest(EMPTY_CONFIG, [], subject=subject, config_media_type=config_media_type, **fields)
    return push_manifest(http, name, None, document)


def _referrers(http: httpx.Client, name: str, digest: str, **params: str) -> httpx.Response:
    return http.get(f"/v2/{name}/referrers/{digest}", params=params)


def _by_digest(response: httpx.Response) -> dict[str, dict[str, Any]]:
    return {descriptor["digest"]: descriptor for descriptor in response.json()["manifests"]}


def test_referrers_is_an_oci_index_with_the_index_content_type(http: httpx.Client) -> None:
    name = unique_name()
    subject = push_image(http, name, "v1")
    _attach(http, name, subject.descriptor(), artifact_type=SBOM)

    response = _referrers(http, name, subject.digest)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == OCI_INDEX
    assert response.json()["schemaVersion"] == 2
    assert response.json()["mediaType"] == OCI_INDEX


def test_referrers_lists_each_manifest_whose_subject_is_the_digest(http: httpx.Client) -> None:
    name = unique_name()
    subject = push_image(http, name, "v1")
    sbom = _attach(http, name, subject.descriptor(), artifact_type=SBOM)
    signature = _attach(http, name, subject.descriptor(), artifact_type=SIGNATURE)
    _attach(http, name, push_image(http, name, "v2").descriptor(), artifact_type=SBOM)

    listed = _by_digest(_referrers(http, name, subject.digest))

    assert set(listed) == {sbom.digest, signature.digest}
    assert listed[sbom.digest]["mediaType"] == OCI_MANIFEST
    assert listed[sbom.digest]["size"] == len(sbom.body)


def test_a_referrer_descriptor_carries_the_manifest_artifact_type(http: httpx.Client) -> None:
    name = unique_name()
    subject = push_image(http, name, "v1")
    sbom = _attach(http, name, subject.descriptor(), artifact_type=SBOM)

    assert _by_digest(_referrers(http, name, subject.digest))[sbom.digest]["artifactType"] == SBOM


def test_without_an_artifact_type_the_config_media_type_stands_in(http: httpx.Client) -> None:
    name = unique_name()
    subject = push_image(http, name, "v1")
    signature = _attach(http, name, subject.descriptor(), config_media_type=SIGNATURE)

    assert _by_digest(_referrers(http, name, subject.digest))[signature.digest]["artifactType"] == SIGNATURE


def test_a_referrer_descriptor_carries_the_manifest_annotations(http: httpx.Client) -> None:
    name = unique_name()
    subject = push_image(http, name, "v1")
    annotations = {"org.opencontainers.image.created": "2024-01-01T00:00:00Z", "org.example.format": "json"}
    sbom = _attach(http, name, subject.descriptor(), artifact_type=SBOM, annotations=annotations)

    assert _by_digest(_referrers(http, name, subject.digest))[sbom.digest]["annotations"] == annotations


def test_an_index_referrer_without_artifact_type_is_listed_without_one(http: httpx.Client) -> None:
    name = unique_name()
    subject = push_image(http, name, "v1")
    index = push_manifest(
        http, name, None, index_manifest([push_image(http, name, None)], subject=subject.descriptor())
    )

    descriptor = _by_digest(_referrers(http, name, subject.digest))[index.digest]

    assert descriptor["mediaType"] == OCI_INDEX
    assert "artifactType" not in descriptor


def test_an_artifact_type_filter_keeps_only_that_type_and_says_it_was_applied(http: httpx.Client) -> None:
    name = unique_name()
    subject = push_image(http, name, "v1")
    sbom = _attach(http, name, subject.descriptor(), artifact_type=SBOM)
    _attach(http, name, subject.descriptor(), artifact_type=SIGNATURE)

    response = _referrers(http, name, subject.digest, artifactType=SBOM)

    assert set(_by_digest(response)) == {sbom.digest}
    assert response.headers["OCI-Filters-Applied"] == "artifactType"


def test_an_unfiltered_answer_claims_no_filter(http: httpx.Client) -> None:
    name = unique_name()
    subject = push_image(http, name, "v1")
    _attach(http, name, subject.descriptor(), artifact_type=SBOM)

    assert "OCI-Filters-Applied" not in _referrers(http, name, subject.digest).headers


def test_a_subject_without_referrers_gets_an_empty_index(http: httpx.Client) -> None:
    name = unique_name()
    push_image(http, name, "v1")

    response = _referrers(http, name, unknown_digest())

    assert response.status_code == 200
    assert response.headers["Content-Type"] == OCI_INDEX
    assert response.json()["manifests"] == []


def test_referrers_in_an_unknown_repository_is_never_404(http: httpx.Client) -> None:
    response = _referrers(http, unique_name(), unknown_digest())

    assert response.status_code == 200
    assert response.json()["manifests"] == []


def test_referrers_pushed_before_their_subject_are_listed(http: httpx.Client) -> None:
    name, absent = unique_name(), unknown_digest()
    sbom = _attach(http, name, {"mediaType": OCI_MANIFEST, "digest": absent, "size": 100}, artifact_type=SBOM)

    assert set(_by_digest(_referrers(http, name, absent))) == {sbom.digest}


def test_a_referrer_in_another_repository_is_not_listed(http: httpx.Client) -> None:
    name, other = unique_name(), unique_name()
    subject = push_image(http, name, "v1")
    _attach(http, other, subject.descriptor(), artifact_type=SBOM)

    assert _referrers(http, name, subject.digest).json()["manifests"] == []


def test_a_deleted_referrer_is_no_longer_listed(http: httpx.Client) -> None:
    name = unique_name()
    subject = push_image(http, name, "v1")
    sbom = _attach(http, name, subject.descriptor(), artifact_type=SBOM)

    http.delete(f"/v2/{name}/manifests/{sbom.digest}")

    assert _referrers(http, name, subject.digest).json()["manifests"] == []


def test_referrers_of_a_malformed_digest_is_400(http: httpx.Client) -> None:
    name = unique_name()
    push_image(http, name, "v1")

    assert_oci_error(_referrers(http, name, "sha256:nothex"), 400, "DIGEST_INVALID")
