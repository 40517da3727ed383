"""The API version check at /v2/, and answers to paths and methods the API does not have."""

from __future__ import annotations

import httpx

from tests.oci import assert_oci_error, error_codes


def test_base_answers_200_with_the_api_version_header(http: httpx.Client) -> None:
    response = http.get("/v2/")

    assert response.status_code == 200
    assert response.headers["Docker-Distribution-API-Version"] == "registry/2.0"


def test_base_answers_head_too(http: httpx.Client) -> None:
    response = http.head("/v2/")

    assert response.status_code == 200
    assert response.headers["Docker-Distribution-API-Version"] == "registry/2.0"


def test_an_unknown_path_under_v2_is_a_404_in_oci_form(http: httpx.Client) -> None:
    response = http.get("/v2/some/repo/nonsense")

    assert response.status_code == 404
    assert error_codes(response)


def test_an_unsupported_method_is_refused_in_oci_form(http: httpx.Client) -> None:
    response = http.patch("/v2/some/repo/manifests/latest", content=b"{}")

    assert_oci_error(response, 405, "UNSUPPORTED")
