"""Bearer tokens on `/v2/`: the challenge that sends clients to the token service, and what a token opens."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import httpx
import pytest

from tests.auth.conftest import (
    ACR_AUTHENTICATION_REQUIRED,
    TokenRegistry,
    challenge_params,
    oci_messages,
)
from tests.oci import OCI_MANIFEST, push_image, sha256, unique_name


@pytest.fixture
def http(token_registry: TokenRegistry) -> Iterator[httpx.Client]:
    with token_registry.client() as client:
        yield client


def _assert_unauthorized(response: httpx.Response) -> None:
    assert response.status_code == 401, response.text
    assert [error["code"] for error in response.json()["errors"]] == ["UNAUTHORIZED"], response.text
    assert oci_messages(response)[0].startswith(ACR_AUTHENTICATION_REQUIRED), response.text


@pytest.fixture
def pushed(token_registry: TokenRegistry) -> tuple[str, str]:
    """A repository of the test's own holding an image tagged `v1`, and the image manifest's digest."""
    name = unique_name("signed")
    with token_registry.bearer_client(token_registry.access_token(f"repository:{name}:pull,push")) as client:
        return name, push_image(client, name, "v1").digest


# -- the challenge ---------------------------------------------------------------------------------


def test_v2_base_without_credentials_is_challenged_to_the_token_endpoint(
    token_registry: TokenRegistry, http: httpx.Client
) -> None:
    response = http.get("/v2/")

    _assert_unauthorized(response)
    assert response.headers["WWW-Authenticate"] == (
        f'Bearer realm="{token_registry.realm}",service="{token_registry.host}"'
    )


def test_v2_base_answers_the_acr_message_with_a_docs_pointer(http: httpx.Client) -> None:
    response = http.get("/v2/")

    assert oci_messages(response) == [
        "authentication required, visit https://aka.ms/acr/authorization for more information."
    ]


def test_manifest_get_without_a_token_is_challenged_for_the_pull_scope(
    token_registry: TokenRegistry, http: httpx.Client
) -> None:
    name = unique_name("app")

    response = http.get(f"/v2/{name}/manifests/latest")

    _assert_unauthorized(response)
    assert challenge_params(response.headers["WWW-Authenticate"]) == {
        "realm": token_registry.realm,
        "service": token_registry.host,
        "scope": f"repository:{name}:pull",
    }
    assert response.json()["errors"][0]["detail"] == [{"Type": "repository", "Name": name, "Action": "pull"}]


def test_catalog_without_a_token_is_challenged_for_registry_catalog(http: httpx.Client) -> None:
    response = http.get("/v2/_catalog")

    _assert_unauthorized(response)
    assert challenge_params(response.headers["WWW-Authenticate"])["scope"] == "registry:catalog:*"
    assert response.json()["errors"][0]["detail"] == [{"Type": "registry", "Name": "catalog", "Action": "*"}]


def test_blob_upload_without_a_token_is_challenged_for_pull_and_push(http: httpx.Client) -> None:
    name = unique_name("app")

    response = http.post(f"/v2/{name}/blobs/uploads/")

    _assert_unauthorized(response)
    assert challenge_params(response.headers["WWW-Authenticate"])["scope"] == f"repository:{name}:pull,push"


def test_basic_credentials_on_v2_get_the_bearer_challenge(token_registry: TokenRegistry, http: httpx.Client) -> None:
    # docker sends its Basic credentials to /v2/ first; the data plane takes only tokens.
    response = http.get("/v2/", auth=token_registry.owner)

    _assert_unauthorized(response)
    assert response.headers["WWW-Authenticate"].startswith("Bearer realm=")


# -- what a token opens ----------------------------------------------------------------------------


def test_a_token_with_no_access_opens_the_v2_base(token_registry: TokenRegistry) -> None:
    with token_registry.bearer_client(token_registry.access_token()) as client:
        response = client.get("/v2/")

    assert response.status_code == 200, response.text


def test_owner_token_pushes_and_pulls_an_image(token_registry: TokenRegistry) -> None:
    name = unique_name("owner")
    token = token_registry.access_token(f"repository:{name}:pull,push")

    with token_registry.bearer_client(token) as client:
        pushed = push_image(client, name, "v1")
        response = client.get(f"/v2/{name}/manifests/v1", headers={"Accept": OCI_MANIFEST})

    assert response.status_code == 200, response.text
    assert sha256(response.content) == pushed.digest


def test_pull_token_reads_the_manifest(token_registry: TokenRegistry, pushed: tuple[str, str]) -> None:
    name, digest = pushed

    with token_registry.bearer_client(token_registry.access_token(f"repository:{name}:pull")) as client:
        response = client.get(f"/v2/{name}/manifests/v1", headers={"Accept": OCI_MANIFEST})

    assert response.status_code == 200, response.text
    assert response.headers["Docker-Content-Digest"] == digest


def test_pull_only_token_on_push_gets_insufficient_scope(token_registry: TokenRegistry) -> None:
    name = unique_name("app")

    with token_registry.bearer_client(token_registry.access_token(f"repository:{name}:pull")) as client:
        response = client.post(f"/v2/{name}/blobs/uploads/")

    _assert_unauthorized(response)
    params = challenge_params(response.headers["WWW-Authenticate"])
    assert params["error"] == "insufficient_scope"
    assert params["scope"] == f"repository:{name}:push"
    assert response.json()["errors"][0]["detail"] == [{"Type": "repository", "Name": name, "Action": "push"}]


def test_pull_only_token_cannot_put_a_manifest(token_registry: TokenRegistry, pushed: tuple[str, str]) -> None:
    name, _ = pushed
    with token_registry.bearer_client(token_registry.access_token(f"repository:{name}:pull")) as client:
        manifest = client.get(f"/v2/{name}/manifests/v1", headers={"Accept": OCI_MANIFEST})
        response = client.put(
            f"/v2/{name}/manifests/v2", content=manifest.content, headers={"Content-Type": OCI_MANIFEST}
        )

    _assert_unauthorized(response)
    assert challenge_params(response.headers["WWW-Authenticate"])["error"] == "insufficient_scope"


def test_token_for_one_repository_does_not_open_another(token_registry: TokenRegistry, pushed: tuple[str, str]) -> None:
    name, _ = pushed
    other = unique_name("other")

    with token_registry.bearer_client(token_registry.access_token(f"repository:{other}:pull,push")) as client:
        response = client.get(f"/v2/{name}/manifests/v1")

    _assert_unauthorized(response)
    assert challenge_params(response.headers["WWW-Authenticate"])["scope"] == f"repository:{name}:pull"


def test_token_without_catalog_access_cannot_list_the_catalog(token_registry: TokenRegistry) -> None:
    with token_registry.bearer_client(token_registry.access_token("repository:app:pull")) as client:
        response = client.get("/v2/_catalog")

    _assert_unauthorized(response)


def test_catalog_token_lists_the_catalog(token_registry: TokenRegistry, pushed: tuple[str, str]) -> None:
    name, _ = pushed

    with token_registry.bearer_client(token_registry.access_token("registry:catalog:*")) as client:
        response = client.get("/v2/_catalog", params={"n": 1000})

    assert response.status_code == 200, response.text
    assert name in response.json()["repositories"]


def test_refresh_token_is_refused_as_a_bearer_token(token_registry: TokenRegistry) -> None:
    refresh = token_registry.token(auth=token_registry.owner, offline=True)["refresh_token"]

    with token_registry.bearer_client(refresh) as client:
        response = client.get("/v2/")

    _assert_unauthorized(response)


def test_service_principal_token_pushes(token_registry: TokenRegistry) -> None:
    principal = token_registry.service_principal()
    name = unique_name("ci")
    token = token_registry.access_token(f"repository:{name}:pull,push", auth=(principal.app_id, principal.secret))

    with token_registry.bearer_client(token) as client:
        pushed = push_image(client, name, "v1")

    assert pushed.digest.startswith("sha256:")


# -- anonymous -------------------------------------------------------------------------------------


def test_anonymous_token_without_anonymous_pull_cannot_pull(
    token_registry: TokenRegistry, pushed: tuple[str, str]
) -> None:
    name, _ = pushed
    token = token_registry.token(f"repository:{name}:pull")["access_token"]

    with token_registry.bearer_client(token) as client:
        response = client.get(f"/v2/{name}/manifests/v1")

    _assert_unauthorized(response)


def test_anonymous_pull_enabled_lets_a_client_without_credentials_pull(
    anonymous_pull_registry: TokenRegistry,
) -> None:
    name = unique_name("public")
    with anonymous_pull_registry.bearer_client(
        anonymous_pull_registry.access_token(f"repository:{name}:pull,push")
    ) as owner:
        pushed = push_image(owner, name, "v1")

    anonymous = anonymous_pull_registry.token(f"repository:{name}:pull")["access_token"]
    with anonymous_pull_registry.bearer_client(anonymous) as client:
        response = client.get(f"/v2/{name}/manifests/v1", headers={"Accept": OCI_MANIFEST})

    assert response.status_code == 200, response.text
    assert sha256(response.content) == pushed.digest


def test_anonymous_pull_enabled_still_refuses_an_anonymous_push(anonymous_pull_registry: TokenRegistry) -> None:
    name = unique_name("public")
    anonymous = anonymous_pull_registry.token(f"repository:{name}:pull,push")["access_token"]

    with anonymous_pull_registry.bearer_client(anonymous) as client:
        response = client.post(f"/v2/{name}/blobs/uploads/")

    _assert_unauthorized(response)
    assert challenge_params(response.headers["WWW-Authenticate"])["error"] == "insufficient_scope"


def test_anonymous_pull_enabled_still_challenges_a_request_without_a_token(
    anonymous_pull_registry: TokenRegistry,
) -> None:
    with anonymous_pull_registry.client() as client:
        response = client.get(f"/v2/{unique_name('public')}/manifests/v1")

    _assert_unauthorized(response)


# -- malformed credentials: 401, never 500 ---------------------------------------------------------


def _b64(text: bytes) -> str:
    return base64.b64encode(text).decode()


def _fake_jwt(header: object, payload: object, signature: str = "c2ln") -> str:
    def part(value: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    return f"{part(header)}.{part(payload)}.{signature}"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer not-a-jwt",
        "Bearer a.b.c",
        "Bearer a.b",
        "Bearer ....",
        "Bearer " + "A" * 20_000,
        "Bearer " + _fake_jwt([1, 2], {}),
        "Bearer " + _fake_jwt({"alg": "ES256", "kid": 7}, []),
        "Bearer " + _fake_jwt({"alg": "ES256", "kid": "X"}, "string payload"),
        "Bearer " + _fake_jwt({"alg": "RS256"}, {"access": "all"}),
        "Basic !!!",
        "Basic " + _b64(b"no-colon"),
        "Digest username=owner",
        "bearer-without-space",
    ],
)
def test_malformed_authorization_on_v2_is_challenged_never_500(http: httpx.Client, header: str) -> None:
    response = http.get(f"/v2/{unique_name('x')}/manifests/latest", headers={"Authorization": header})

    _assert_unauthorized(response)
    assert response.headers["WWW-Authenticate"].startswith("Bearer realm=")
