"""The Accept header on manifest GET/HEAD: the stored type is served when accepted, else 404."""

from __future__ import annotations

import httpx

from tests.oci import DOCKER_LIST, DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST, assert_oci_error, push_image, unique_name


def test_an_accept_naming_the_stored_type_gets_the_manifest(http: httpx.Client) -> None:
    name = unique_name()
    pushed = push_image(http, name, "v1")

    response = http.get(f"/v2/{name}/manifests/v1", headers={"Accept": OCI_MANIFEST})

    assert response.status_code == 200
    assert response.content == pushed.body


def test_a_comma_separated_accept_list_is_searched_for_the_stored_type(http: httpx.Client) -> None:
    name = unique_name()
    push_image(http, name, "v1")

    response = http.get(f"/v2/{name}/manifests/v1", headers={"Accept": f"{DOCKER_MANIFEST}, {OCI_MANIFEST}"})

    assert response.status_code == 200
    assert response.headers["Content-Type"] == OCI_MANIFEST


def test_several_accept_header_lines_are_merged(http: httpx.Client) -> None:
    name = unique_name()
    push_image(http, name, "v1")
    headers = [("Accept", DOCKER_MANIFEST), ("Accept", DOCKER_LIST), ("Accept", OCI_MANIFEST)]

    response = http.get(f"/v2/{name}/manifests/v1", headers=headers)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == OCI_MANIFEST


def test_accept_parameters_such_as_quality_are_ignored(http: httpx.Client) -> None:
    name = unique_name()
    push_image(http, name, "v1")

    response = http.get(f"/v2/{name}/manifests/v1", headers={"Accept": f"{OCI_MANIFEST};q=0.5"})

    assert response.status_code == 200


def test_a_wildcard_accept_gets_the_stored_type(http: httpx.Client) -> None:
    name = unique_name()
    push_image(http, name, "v1", media_type=DOCKER_MANIFEST)

    response = http.get(f"/v2/{name}/manifests/v1", headers={"Accept": "*/*"})

    assert response.status_code == 200
    assert response.headers["Content-Type"] == DOCKER_MANIFEST


def test_an_accept_that_excludes_the_stored_type_is_404_manifest_unknown(http: httpx.Client) -> None:
    name = unique_name()
    push_image(http, name, "v1")

    response = http.get(f"/v2/{name}/manifests/v1", headers={"Accept": f"{DOCKER_MANIFEST}, {OCI_INDEX}"})

    assert_oci_error(response, 404, "MANIFEST_UNKNOWN")


def test_head_with_an_accept_that_excludes_the_stored_type_is_404(http: httpx.Client) -> None:
    name = unique_name()
    push_image(http, name, "v1")

    response = http.head(f"/v2/{name}/manifests/v1", headers={"Accept": DOCKER_MANIFEST})

    assert response.status_code == 404
