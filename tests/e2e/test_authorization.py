"""Authorization end to end with skopeo: roles, the permissions mode, ABAC conditions, the catalog,
repository-scoped tokens and locks, against a live token-auth Dockyard — the seed's causes 5 and 7.

Two registries: one stays in `rbac` mode; the other is switched to `rbac-abac` by its first test, so the
tests that use it run in file order.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.auth.conftest import TokenRegistry, start_token_registry
from tests.e2e import Cli, LayoutImage, RemoteImage
from tests.oci import unique_name

pytestmark = pytest.mark.e2e

DENIED = "requested access to the resource is denied"
LOCKED = "The operation is disallowed on this registry, repository or image."
WRITER = "Container Registry Repository Writer"
TEAM_A_ONLY = """(
 ( !(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/read'})
   AND !(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/content/write'}) )
 OR
 ( @Request[Microsoft.ContainerRegistry/registries/repositories:name] StringStartsWith 'team-a/' )
)"""


@pytest.fixture(scope="module")
def rbac_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    """A token-auth registry in the default `rbac` mode."""
    registry = start_token_registry(tmp_path_factory.mktemp("rbac") / "data")
    yield registry
    registry.server.stop()


@pytest.fixture(scope="module")
def abac_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    """A token-auth registry that its first test switches to `rbac-abac`."""
    registry = start_token_registry(tmp_path_factory.mktemp("abac") / "data")
    yield registry
    registry.server.stop()


@pytest.fixture
def skopeo_alone(skopeo: Cli, tmp_path: Path) -> Cli:
    """skopeo with an empty auth file of the test's own: only `--creds` authenticate."""
    auth = tmp_path / "auth.json"
    auth.write_text("{}")
    return Cli(skopeo.argv, {**skopeo.env, "REGISTRY_AUTH_FILE": str(auth)})


def _push(skopeo: Cli, image: LayoutImage, remote: RemoteImage, creds: tuple[str, str]) -> None:
    skopeo.run("copy", "--dest-tls-verify=false", "--dest-creds", ":".join(creds), image.reference, remote.docker)


def _push_fails(skopeo: Cli, image: LayoutImage, remote: RemoteImage, creds: tuple[str, str]) -> str:
    args = ("copy", "--dest-tls-verify=false", "--dest-creds", ":".join(creds), image.reference, remote.docker)
    return skopeo.fails(*args).stderr


def _pull(skopeo: Cli, remote: RemoteImage, creds: tuple[str, str], into: Path) -> None:
    skopeo.run("copy", "--src-tls-verify=false", "--src-creds", ":".join(creds), remote.docker, f"oci:{into}:x")


def _pull_fails(skopeo: Cli, remote: RemoteImage, creds: tuple[str, str], into: Path) -> str:
    args = ("copy", "--src-tls-verify=false", "--src-creds", ":".join(creds), remote.docker, f"oci:{into}:x")
    return skopeo.fails(*args).stderr


def _owner_pushes(skopeo: Cli, image: LayoutImage, registry: TokenRegistry, repository: str) -> RemoteImage:
    remote = RemoteImage(registry.host, repository, "v1")
    _push(skopeo, image, remote, registry.owner)
    return remote


# -- rbac: AcrPull, repository-scoped tokens, locks -------------------------------------------------


def test_a_service_principal_with_acrpull_pulls_but_cannot_push(
    skopeo_alone: Cli, small_image: LayoutImage, rbac_registry: TokenRegistry, tmp_path: Path
) -> None:
    remote = _owner_pushes(skopeo_alone, small_image, rbac_registry, unique_name("shared"))
    puller = rbac_registry.service_principal("puller", role="AcrPull")
    creds = (puller.app_id, puller.secret)

    _pull(skopeo_alone, remote, creds, tmp_path / "pulled")
    refused = _push_fails(skopeo_alone, small_image, RemoteImage(remote.host, remote.name, "v2"), creds)

    assert DENIED in refused


def test_a_token_bound_to_repositories_pull_pulls_but_cannot_push(
    skopeo_alone: Cli, small_image: LayoutImage, rbac_registry: TokenRegistry, tmp_path: Path
) -> None:
    remote = _owner_pushes(skopeo_alone, small_image, rbac_registry, unique_name("tokens"))
    creds = ("pull-token", rbac_registry.repository_token("pull-token", "_repositories_pull"))

    _pull(skopeo_alone, remote, creds, tmp_path / "pulled")
    refused = _push_fails(skopeo_alone, small_image, RemoteImage(remote.host, remote.name, "v2"), creds)

    assert DENIED in refused


def test_a_locked_tag_cannot_be_overwritten(
    skopeo_alone: Cli, small_image: LayoutImage, multi_arch_image: LayoutImage, rbac_registry: TokenRegistry
) -> None:
    remote = _owner_pushes(skopeo_alone, small_image, rbac_registry, unique_name("locked"))
    rbac_registry.lock(f"{remote.name}:{remote.tag}", write_enabled=False)

    refused = _push_fails(skopeo_alone, multi_arch_image, remote, rbac_registry.owner)

    assert LOCKED in refused


# -- rbac-abac: the legacy roles are ignored, conditions narrow, the catalog needs its own role -------


def test_after_switching_to_rbac_abac_an_acrpull_principal_is_denied(
    skopeo_alone: Cli, small_image: LayoutImage, abac_registry: TokenRegistry, tmp_path: Path
) -> None:
    remote = _owner_pushes(skopeo_alone, small_image, abac_registry, unique_name("legacy"))
    puller = abac_registry.service_principal("legacy-puller", role="AcrPull")
    _pull(skopeo_alone, remote, (puller.app_id, puller.secret), tmp_path / "before")

    abac_registry.update("--role-assignment-mode", "rbac-abac")
    refused = _pull_fails(skopeo_alone, remote, (puller.app_id, puller.secret), tmp_path / "after")

    assert DENIED in refused, refused[-600:]


def test_a_repository_writer_limited_to_team_a_pushes_there_and_nowhere_else(
    skopeo_alone: Cli, small_image: LayoutImage, abac_registry: TokenRegistry
) -> None:
    writer = abac_registry.service_principal("team-a-ci", role=None)
    abac_registry.assign(writer.object_id, WRITER, condition=TEAM_A_ONLY)
    creds = (writer.app_id, writer.secret)

    _push(skopeo_alone, small_image, RemoteImage(abac_registry.host, "team-a/app", "v1"), creds)
    refused = _push_fails(skopeo_alone, small_image, RemoteImage(abac_registry.host, "team-b/app", "v1"), creds)

    assert DENIED in refused


def test_listing_the_catalog_needs_the_catalog_lister_role(abac_registry: TokenRegistry) -> None:
    reader = abac_registry.service_principal("catalog-reader", role=None)
    abac_registry.assign(reader.object_id, "Container Registry Repository Reader")
    creds = (reader.app_id, reader.secret)

    before = abac_registry.bearer_client(abac_registry.access_token("registry:catalog:*", auth=creds)).get(
        "/v2/_catalog"
    )
    abac_registry.assign(reader.object_id, "Container Registry Repository Catalog Lister")
    after = abac_registry.bearer_client(abac_registry.access_token("registry:catalog:*", auth=creds)).get(
        "/v2/_catalog"
    )

    assert before.status_code == 401
    assert after.status_code == 200
