"""`dockyard repository update|show`: lock and unlock repositories and images from the command line,
answered as `az acr repository` answers: the repository or manifest with its `changeableAttributes`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from dockyard.cli.main import main
from dockyard.cli.repository import parse_image
from dockyard.content.digests import digest_of
from dockyard.content.locks import get_attributes
from dockyard.content.manifests import put_manifest
from dockyard.content.registry import Registry
from dockyard.metadata.store import MetadataStore
from dockyard.storage import open_blob_store
from tests.oci import OCI_MANIFEST, canonical, image_manifest, random_blob

UNLOCKED_JSON = {"readEnabled": True, "writeEnabled": True, "deleteEnabled": True, "listEnabled": True}


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def local(data_dir: Path) -> Iterator[Registry]:
    """The registry in `data_dir`, holding `team/app:v1`."""
    data_dir.mkdir()
    metadata = MetadataStore(f"sqlite:///{data_dir / 'dockyard.db'}")
    metadata.migrate()
    registry = Registry(metadata, open_blob_store(f"file://{data_dir / 'blobs'}"), sparse_manifests=True)
    put_manifest(registry, "team/app", "v1", canonical(image_manifest(random_blob(32), [])), OCI_MANIFEST)
    yield registry
    metadata.close()


def _dockyard(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["repository", *args, "--data-dir", str(data_dir)])


def test_update_locks_an_image_and_prints_its_attributes_as_az_does(local: Registry, data_dir: Path) -> None:
    result = _dockyard(data_dir, "update", "--image", "team/app:v1", "--write-enabled", "false")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert (shown["repository"], shown["tag"]) == ("team/app", "v1")
    assert shown["changeableAttributes"] == {**UNLOCKED_JSON, "writeEnabled": False}
    assert not get_attributes(local, "team/app", tag="v1").write_enabled


def test_update_locks_a_manifest_by_digest(local: Registry, data_dir: Path) -> None:
    digest = local.metadata.get_manifest("team/app", "v1", by_digest=False)
    assert digest is not None
    result = _dockyard(data_dir, "update", "--image", f"team/app@{digest.digest}", "--delete-enabled", "false")
    assert result.exit_code == 0, result.output
    assert not get_attributes(local, "team/app", digest=digest.digest).delete_enabled


def test_show_prints_a_repository_s_own_attributes(local: Registry, data_dir: Path) -> None:
    _dockyard(data_dir, "update", "--repository", "team/app", "--list-enabled", "false")
    result = _dockyard(data_dir, "show", "--repository", "team/app")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == {
        "name": "team/app",
        "changeableAttributes": {**UNLOCKED_JSON, "listEnabled": False},
    }
    image = json.loads(_dockyard(data_dir, "show", "--image", "team/app:v1").output)
    assert image["changeableAttributes"] == UNLOCKED_JSON


def test_an_unknown_image_is_an_error_in_the_registry_s_words(local: Registry, data_dir: Path) -> None:
    result = _dockyard(data_dir, "update", "--image", "team/app:v9", "--read-enabled", "false")
    assert result.exit_code == 1
    assert 'manifest tagged by "v9" is not found' in result.output
    missing = str(digest_of(b"never pushed"))
    assert _dockyard(data_dir, "show", "--image", f"team/app@{missing}").exit_code == 1
    assert "repository name not known" in _dockyard(data_dir, "show", "--repository", "nobody").output


def test_update_needs_exactly_one_of_repository_and_image(local: Registry, data_dir: Path) -> None:
    both = _dockyard(data_dir, "update", "--repository", "team/app", "--image", "team/app:v1", "--write-enabled", "0")
    assert both.exit_code == 2
    assert _dockyard(data_dir, "show").exit_code == 2


def test_update_needs_at_least_one_attribute(local: Registry, data_dir: Path) -> None:
    result = _dockyard(data_dir, "update", "--repository", "team/app")
    assert result.exit_code == 2
    assert "--write-enabled" in result.output


@pytest.mark.parametrize(
    ("image", "parsed"),
    [
        ("team/app:v1", ("team/app", "v1", None)),
        ("team/app@sha256:abc", ("team/app", None, "sha256:abc")),
        ("team/app", ("team/app", "latest", None)),
        ("localhost:5000/app", ("localhost:5000/app", "latest", None)),
    ],
)
def test_an_image_is_a_repository_with_a_tag_or_a_digest(
    image: str, parsed: tuple[str, str | None, str | None]
) -> None:
    assert parse_image(image) == parsed
