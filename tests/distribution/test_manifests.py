"""Pushing, pulling and deleting manifests by tag and by digest, in every supported format."""

from __future__ import annotations

import json

import httpx

from tests.oci import (
    DOCKER_LIST,
    DOCKER_MANIFEST,
    OCI_INDEX,
    OCI_MANIFEST,
    assert_oci_error,
    image_manifest,
    index_manifest,
    location_path,
    push_blob,
    push_image,
    push_manifest,
    put_manifest,
    random_blob,
    sha256,
    sha512,
    unique_name,
    unknown_digest,
)


def _image_body(http: httpx.Client, name: str) -> bytes:
    config, layer = b'{"os":"linux"}', random_blob()
    push_blob(http, name, config)
    push_blob(http, name, layer)
    return json.dumps(image_manifest(config, [layer]), indent=3).encode()


def test_put_by_tag_is_201_with_location_and_the_manifest_digest(http: httpx.Client) -> None:
    name = unique_name()
    body = _image_body(http, name)

    response = put_manifest(http, name, "v1", body, OCI_MANIFEST)

    assert response.status_code == 201
    assert response.headers["Docker-Content-Digest"] == sha256(body)
    assert http.get(location_path(response)).content == body


def test_get_by_tag_returns_the_exact_bytes_pushed_with_their_media_type(http: httpx.Client) -> None:
    name = unique_name()
    body = _image_body(http, name)  # indented: a registry that re-serializes would change it
    put_manifest(http, name, "v1", body, OCI_MANIFEST)

    response = http.get(f"/v2/{name}/manifests/v1")

    assert response.status_code == 200
    assert response.content == body
    assert response.headers["Content-Type"] == OCI_MANIFEST
    assert response.headers["Docker-Content-Digest"] == sha256(body)


def test_get_by_digest_returns_the_manifest(http: httpx.Client) -> None:
    name = unique_name()
    pushed = push_image(http, name, "v1")

    response = http.get(f"/v2/{name}/manifests/{pushed.digest}")

    assert response.status_code == 200
    assert response.content == pushed.body
    assert response.headers["Docker-Content-Digest"] == pushed.digest


def test_head_by_tag_gives_digest_length_and_type_without_a_body(http: httpx.Client) -> None:
    name = unique_name()
    pushed = push_image(http, name, "v1")

    response = http.head(f"/v2/{name}/manifests/v1")

    assert response.status_code == 200
    assert response.content == b""
    assert response.headers["Docker-Content-Digest"] == pushed.digest
    assert response.headers["Content-Length"] == str(len(pushed.body))
    assert response.headers["Content-Type"] == OCI_MANIFEST


def test_head_by_digest_is_200(http: httpx.Client) -> None:
    name = unique_name()
    pushed = push_image(http, name, "v1")

    response = http.head(f"/v2/{name}/manifests/{pushed.digest}")

    assert response.status_code == 200
    assert response.headers["Docker-Content-Digest"] == pushed.digest


def test_put_by_digest_stores_the_manifest_without_a_tag(http: httpx.Client) -> None:
    name = unique_name()
    push_image(http, name, "v1")

    pushed = push_image(http, name, None)

    assert http.get(f"/v2/{name}/manifests/{pushed.digest}").content == pushed.body
    assert http.get(f"/v2/{name}/tags/list").json()["tags"] == ["v1"]


def test_put_by_sha512_digest_answers_that_digest(http: httpx.Client) -> None:
    name = unique_name()
    body = _image_body(http, name)

    response = put_manifest(http, name, sha512(body), body, OCI_MANIFEST)

    assert response.status_code == 201
    assert response.headers["Docker-Content-Digest"] == sha512(body)
    assert http.get(f"/v2/{name}/manifests/{sha512(body)}").content == body


def test_the_content_type_parameters_of_a_push_are_ignored(http: httpx.Client) -> None:
    name = unique_name()
    body = _image_body(http, name)

    response = put_manifest(http, name, "v1", body, f"{OCI_MANIFEST}; charset=utf-8")

    assert response.status_code == 201
    assert http.get(f"/v2/{name}/manifests/v1").headers["Content-Type"] == OCI_MANIFEST


def test_a_manifest_without_a_media_type_field_takes_the_content_type(http: httpx.Client) -> None:
    name = unique_name()
    config, layer = b"{}", random_blob()
    push_blob(http, name, config)
    push_blob(http, name, layer)
    document = image_manifest(config, [layer])
    del document["mediaType"]
    body = json.dumps(document).encode()

    put_manifest(http, name, "v1", body, OCI_MANIFEST)

    assert http.get(f"/v2/{name}/manifests/v1").headers["Content-Type"] == OCI_MANIFEST


def test_an_oci_index_of_pushed_manifests_is_stored_and_served_as_an_index(http: httpx.Client) -> None:
    name = unique_name()
    children = [push_image(http, name, None), push_image(http, name, None)]

    index = push_manifest(http, name, "multi", index_manifest(children))

    response = http.get(f"/v2/{name}/manifests/multi")
    assert response.content == index.body
    assert response.headers["Content-Type"] == OCI_INDEX


def test_a_docker_schema2_manifest_is_served_with_its_docker_media_type(http: httpx.Client) -> None:
    name = unique_name()
    pushed = push_image(http, name, "v1", media_type=DOCKER_MANIFEST)

    response = http.get(f"/v2/{name}/manifests/v1", headers={"Accept": DOCKER_MANIFEST})

    assert response.content == pushed.body
    assert response.headers["Content-Type"] == DOCKER_MANIFEST


def test_a_docker_manifest_list_is_served_with_its_docker_media_type(http: httpx.Client) -> None:
    name = unique_name()
    children = [push_image(http, name, None, media_type=DOCKER_MANIFEST) for _ in range(2)]
    pushed = push_manifest(http, name, "multi", index_manifest(children, media_type=DOCKER_LIST))

    response = http.get(f"/v2/{name}/manifests/multi", headers={"Accept": DOCKER_LIST})

    assert response.content == pushed.body
    assert response.headers["Content-Type"] == DOCKER_LIST


def test_the_same_manifest_may_carry_several_tags(http: httpx.Client) -> None:
    name = unique_name()
    pushed = push_image(http, name, "v1")

    put_manifest(http, name, "stable", pushed.body, pushed.media_type)

    assert http.get(f"/v2/{name}/manifests/stable").headers["Docker-Content-Digest"] == pushed.digest
    assert http.get(f"/v2/{name}/manifests/v1").headers["Docker-Content-Digest"] == pushed.digest


def test_pushing_to_an_existing_tag_moves_it(http: httpx.Client) -> None:
    name = unique_name()
    push_image(http, name, "v1")

    newer = push_image(http, name, "v1")

    assert http.get(f"/v2/{name}/manifests/v1").content == newer.body


def test_an_image_manifest_may_have_no_layers(http: httpx.Client) -> None:
    name, config = unique_name(), b"{}"
    push_blob(http, name, config)
    document = image_manifest(config, [])

    response = put_manifest(http, name, "empty", json.dumps(document).encode(), OCI_MANIFEST)

    assert response.status_code == 201


def test_a_subject_field_is_acknowledged_with_the_oci_subject_header(http: httpx.Client) -> None:
    name = unique_name()
    subject = push_image(http, name, "v1")
    config = b"{}"
    push_blob(http, name, config)
    document = image_manifest(config, [], subject=subject.descriptor(), artifact_type="application/vnd.example.sig")
    body = json.dumps(document).encode()

    response = put_manifest(http, name, sha256(body), body, OCI_MANIFEST)

    assert response.status_code == 201
    assert response.headers["OCI-Subject"] == subject.digest


def test_a_manifest_whose_subject_does_not_exist_yet_is_accepted(http: httpx.Client) -> None:
    name, config = unique_name(), b"{}"
    push_blob(http, name, config)
    absent = {"mediaType": OCI_MANIFEST, "digest": unknown_digest(), "size": 123}
    body = json.dumps(image_manifest(config, [], subject=absent)).encode()

    response = put_manifest(http, name, sha256(body), body, OCI_MANIFEST)

    assert response.status_code == 201
    assert response.headers["OCI-Subject"] == absent["digest"]


def test_an_unknown_tag_is_404_manifest_unknown_naming_the_tag(http: httpx.Client) -> None:
    name = unique_name()
    push_image(http, name, "v1")

    response = http.get(f"/v2/{name}/manifests/nosuchtag")

    assert_oci_error(response, 404, "MANIFEST_UNKNOWN")
    assert "nosuchtag" in response.json()["errors"][0]["message"]


def test_an_unknown_digest_is_404_manifest_unknown(http: httpx.Client) -> None:
    name = unique_name()
    push_image(http, name, "v1")

    assert_oci_error(http.get(f"/v2/{name}/manifests/{unknown_digest()}"), 404, "MANIFEST_UNKNOWN")


def test_head_of_an_unknown_tag_is_404(http: httpx.Client) -> None:
    name = unique_name()
    push_image(http, name, "v1")

    assert http.head(f"/v2/{name}/manifests/nosuchtag").status_code == 404


def test_a_manifest_of_an_unknown_repository_is_404_name_unknown(http: httpx.Client) -> None:
    assert_oci_error(http.get(f"/v2/{unique_name()}/manifests/latest"), 404, "NAME_UNKNOWN")


def test_deleting_a_tag_removes_only_the_tag(http: httpx.Client) -> None:
    name = unique_name()
    pushed = push_image(http, name, "v1")
    put_manifest(http, name, "stable", pushed.body, pushed.media_type)

    response = http.delete(f"/v2/{name}/manifests/v1")

    assert response.status_code == 202
    assert_oci_error(http.get(f"/v2/{name}/manifests/v1"), 404, "MANIFEST_UNKNOWN")
    assert http.get(f"/v2/{name}/manifests/{pushed.digest}").status_code == 200
    assert http.get(f"/v2/{name}/manifests/stable").status_code == 200


def test_deleting_by_digest_removes_the_manifest_and_every_tag_on_it(http: httpx.Client) -> None:
    name = unique_name()
    pushed = push_image(http, name, "v1")
    put_manifest(http, name, "stable", pushed.body, pushed.media_type)
    push_image(http, name, "other")

    response = http.delete(f"/v2/{name}/manifests/{pushed.digest}")

    assert response.status_code == 202
    assert_oci_error(http.get(f"/v2/{name}/manifests/{pushed.digest}"), 404, "MANIFEST_UNKNOWN")
    assert http.get(f"/v2/{name}/manifests/v1").status_code == 404
    assert http.get(f"/v2/{name}/manifests/stable").status_code == 404
    assert http.get(f"/v2/{name}/tags/list").json()["tags"] == ["other"]


def test_deleting_an_unknown_tag_is_404_manifest_unknown(http: httpx.Client) -> None:
    name = unique_name()
    push_image(http, name, "v1")

    assert_oci_error(http.delete(f"/v2/{name}/manifests/nosuchtag"), 404, "MANIFEST_UNKNOWN")


def test_deleting_an_unknown_digest_is_404_manifest_unknown(http: httpx.Client) -> None:
    name = unique_name()
    push_image(http, name, "v1")

    assert_oci_error(http.delete(f"/v2/{name}/manifests/{unknown_digest()}"), 404, "MANIFEST_UNKNOWN")


def test_deleting_a_manifest_in_an_unknown_repository_is_404(http: httpx.Client) -> None:
    response = http.delete(f"/v2/{unique_name()}/manifests/{unknown_digest()}")

    assert response.status_code == 404
    assert response.json()["errors"]


def test_a_push_by_digest_with_tag_parameters_applies_each_tag_and_says_so(http: httpx.Client) -> None:
    name = unique_name()
    body = _image_body(http, name)

    response = http.put(
        f"/v2/{name}/manifests/{sha512(body)}",
        params=[("tag", "1.2.3"), ("tag", "latest")],
        content=body,
        headers={"Content-Type": OCI_MANIFEST},
    )

    assert response.status_code == 201
    assert response.headers["OCI-Tag"] == "1.2.3, latest"
    assert http.get(f"/v2/{name}/tags/list").json()["tags"] == ["1.2.3", "latest"]
    assert http.get(f"/v2/{name}/manifests/latest").headers["Docker-Content-Digest"] == sha512(body)


def test_a_push_by_digest_with_a_malformed_tag_parameter_is_refused_and_stores_nothing(http: httpx.Client) -> None:
    name = unique_name()
    body = _image_body(http, name)

    response = http.put(
        f"/v2/{name}/manifests/{sha256(body)}",
        params={"tag": ".bad"},
        content=body,
        headers={"Content-Type": OCI_MANIFEST},
    )

    assert_oci_error(response, 400, "TAG_INVALID")
    assert http.get(f"/v2/{name}/manifests/{sha256(body)}").status_code == 404
