"""Tag lists and the catalog: lexical order, `n`/`last` pagination and the `Link` header."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import RunningRegistry, start_registry
from tests.oci import assert_oci_error, push_blob, push_image, put_manifest, random_blob, unique_name

TAGS = ["b", "a", "C", "10", "9", "a-1", "a.1", "A", "_z", "latest"]
REPOSITORIES = ["zeta", "alpha/one", "alpha/two", "alpha-beta", "alpha.beta", "a0", "m/n/o"]
_LINK = re.compile(r'^<([^>]+)>;\s*rel="next"$')


def _lexical(items: list[str]) -> bool:
    return items in (sorted(items), sorted(items, key=str.lower))


def _next_page(response: httpx.Response) -> str | None:
    link = response.headers.get("Link")
    if link is None:
        return None
    match = _LINK.match(link)
    assert match, link
    return match.group(1)


def _walk(client: httpx.Client, url: str, key: str) -> Iterator[list[str]]:
    """Every page of a paginated list, following `Link` headers."""
    next_url: str | None = url
    while next_url is not None:
        response = client.get(next_url)
        assert response.status_code == 200, response.text
        yield response.json()[key]
        next_url = _next_page(response)


@pytest.fixture(scope="module")
def tagged(registry: RunningRegistry) -> Iterator[tuple[httpx.Client, str]]:
    """A client and a repository holding one manifest under every tag in TAGS."""
    with registry.client() as client:
        name = unique_name()
        pushed = push_image(client, name, None)
        for tag in TAGS:
            assert put_manifest(client, name, tag, pushed.body, pushed.media_type).status_code == 201
        yield client, name


@pytest.fixture(scope="module")
def catalog_client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """A client of a registry of its own holding exactly the repositories in REPOSITORIES."""
    server = start_registry(tmp_path_factory.mktemp("catalog") / "data")
    try:
        with server.client() as client:
            for name in REPOSITORIES:
                push_image(client, name, "v1")
            yield client
    finally:
        server.stop()


def test_tags_are_listed_in_lexical_order_with_the_repository_name(tagged: tuple[httpx.Client, str]) -> None:
    client, name = tagged

    response = client.get(f"/v2/{name}/tags/list")

    assert response.status_code == 200
    assert response.json()["name"] == name
    assert sorted(response.json()["tags"]) == sorted(TAGS)
    assert _lexical(response.json()["tags"])


def test_n_limits_the_tags_and_a_link_points_to_the_next_page(tagged: tuple[httpx.Client, str]) -> None:
    client, name = tagged
    everything = client.get(f"/v2/{name}/tags/list").json()["tags"]

    response = client.get(f"/v2/{name}/tags/list", params={"n": 3})

    assert response.json()["tags"] == everything[:3]
    assert _next_page(response) is not None


def test_following_the_links_yields_every_tag_once_in_order(tagged: tuple[httpx.Client, str]) -> None:
    client, name = tagged
    everything = client.get(f"/v2/{name}/tags/list").json()["tags"]

    pages = list(_walk(client, f"/v2/{name}/tags/list?n=3", "tags"))

    assert [tag for page in pages for tag in page] == everything
    assert all(len(page) <= 3 for page in pages)


def test_the_last_page_has_no_link(tagged: tuple[httpx.Client, str]) -> None:
    client, name = tagged

    response = client.get(f"/v2/{name}/tags/list", params={"n": len(TAGS)})

    assert len(response.json()["tags"]) == len(TAGS)
    assert "Link" not in response.headers


def test_last_starts_the_list_after_that_tag(tagged: tuple[httpx.Client, str]) -> None:
    client, name = tagged
    everything = client.get(f"/v2/{name}/tags/list").json()["tags"]

    response = client.get(f"/v2/{name}/tags/list", params={"n": 2, "last": everything[3]})

    assert response.json()["tags"] == everything[4:6]


def test_last_without_n_returns_every_later_tag(tagged: tuple[httpx.Client, str]) -> None:
    client, name = tagged
    everything = client.get(f"/v2/{name}/tags/list").json()["tags"]

    response = client.get(f"/v2/{name}/tags/list", params={"last": everything[3]})

    assert response.json()["tags"] == everything[4:]


def test_n_zero_returns_an_empty_list_without_a_link(tagged: tuple[httpx.Client, str]) -> None:
    client, name = tagged

    response = client.get(f"/v2/{name}/tags/list", params={"n": 0})

    assert response.status_code == 200
    assert response.json()["tags"] == []
    assert "Link" not in response.headers


@pytest.mark.parametrize("n", ["1001", "-1", "abc", "1.5", "\u00b2", "1e3"])
def test_an_unusable_n_is_400_pagination_number_invalid(tagged: tuple[httpx.Client, str], n: str) -> None:
    client, name = tagged

    assert_oci_error(client.get(f"/v2/{name}/tags/list", params={"n": n}), 400, "PAGINATION_NUMBER_INVALID")


def test_n_of_1000_is_accepted(tagged: tuple[httpx.Client, str]) -> None:
    client, name = tagged

    assert client.get(f"/v2/{name}/tags/list", params={"n": 1000}).status_code == 200


def test_a_repository_without_tags_lists_none(http: httpx.Client) -> None:
    name = unique_name()
    push_blob(http, name, random_blob())

    response = http.get(f"/v2/{name}/tags/list")

    assert response.status_code == 200
    assert response.json()["tags"] == []


def test_tags_of_an_unknown_repository_is_404_name_unknown(http: httpx.Client) -> None:
    assert_oci_error(http.get(f"/v2/{unique_name()}/tags/list"), 404, "NAME_UNKNOWN")


def test_the_catalog_lists_every_repository_in_lexical_order(catalog_client: httpx.Client) -> None:
    response = catalog_client.get("/v2/_catalog")

    assert response.status_code == 200
    assert sorted(response.json()["repositories"]) == sorted(REPOSITORIES)
    assert _lexical(response.json()["repositories"])


def test_following_the_catalog_links_yields_every_repository_once(catalog_client: httpx.Client) -> None:
    everything = catalog_client.get("/v2/_catalog").json()["repositories"]

    pages = list(_walk(catalog_client, "/v2/_catalog?n=2", "repositories"))

    assert [name for page in pages for name in page] == everything
    assert all(len(page) <= 2 for page in pages)


def test_the_catalog_starts_after_last(catalog_client: httpx.Client) -> None:
    everything = catalog_client.get("/v2/_catalog").json()["repositories"]

    response = catalog_client.get("/v2/_catalog", params={"n": 2, "last": everything[1]})

    assert response.json()["repositories"] == everything[2:4]


def test_the_catalog_with_n_zero_is_empty_without_a_link(catalog_client: httpx.Client) -> None:
    response = catalog_client.get("/v2/_catalog", params={"n": 0})

    assert response.json()["repositories"] == []
    assert "Link" not in response.headers


@pytest.mark.parametrize("n", ["1001", "-1", "\u00b2"])
def test_the_catalog_refuses_an_unusable_n(catalog_client: httpx.Client, n: str) -> None:
    assert_oci_error(catalog_client.get("/v2/_catalog", params={"n": n}), 400, "PAGINATION_NUMBER_INVALID")
