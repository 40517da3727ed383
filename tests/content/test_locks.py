"""Changeable attributes (locks) in the content domain: what each flag refuses, on a repository, a tag
and a manifest, whoever asks. Runs on a registry of the test's own, without HTTP."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import anyio
import pytest

from dockyard.access.model import UNLOCKED, ChangeableAttributes
from dockyard.content.blobs import delete_blob, mount_blob, stat_blob
from dockyard.content.digests import digest_of, parse_digest
from dockyard.content.errors import BlobUnknown, ManifestUnknown, NameUnknown, OperationDisallowed
from dockyard.content.gc import collect_garbage
from dockyard.content.locks import get_attributes, set_attributes, to_json
from dockyard.content.manifests import catalog, delete_manifest, get_manifest, list_tags, put_manifest
from dockyard.content.registry import Registry
from dockyard.content.uploads import start_upload, upload_monolithic
from dockyard.metadata.store import MetadataStore
from dockyard.storage import open_blob_store
from tests.oci import OCI_MANIFEST, canonical, image_manifest, random_blob

NAME = "team/app"


@pytest.fixture
def local(tmp_path: Path) -> Iterator[Registry]:
    """A registry of the test's own (SQLite metadata, filesystem blobs) that takes sparse manifests."""
    metadata = MetadataStore(f"sqlite:///{tmp_path / 'dockyard.db'}")
    metadata.migrate()
    yield Registry(metadata, open_blob_store(f"file://{tmp_path / 'blobs'}"), sparse_manifests=True)
    metadata.close()


def _push(registry: Registry, reference: str, name: str = NAME) -> str:
    """Push a new image manifest (its blobs need not exist) under `reference`; return its digest."""
    body = canonical(image_manifest(random_blob(32), [random_blob(32)]))
    put_manifest(registry, name, reference, body, OCI_MANIFEST)
    return str(digest_of(body))


def _push_blob(registry: Registry, data: bytes, name: str = NAME) -> str:
    """Upload `data` as a blob of `name` in one go; return its digest."""

    async def body() -> AsyncIterator[bytes]:
        yield data

    digest = digest_of(data)
    anyio.run(upload_monolithic, registry, name, digest, body(), len(data))
    return str(digest)


def _tags(registry: Registry, name: str = NAME) -> list[str]:
    return list_tags(registry, name, 1000, None)[0]


# -- write ---------------------------------------------------------------------------------------


def test_a_write_disabled_tag_cannot_be_overwritten(local: Registry) -> None:
    first = _push(local, "v1")
    set_attributes(local, NAME, tag="v1", write_enabled=False)
    with pytest.raises(OperationDisallowed):
        _push(local, "v1")
    assert get_manifest(local, NAME, "v1").digest == first


def test_a_write_disabled_tag_refuses_even_the_content_it_already_has(local: Registry) -> None:
    body = canonical(image_manifest(random_blob(32), [random_blob(32)]))
    put_manifest(local, NAME, "v1", body, OCI_MANIFEST)
    set_attributes(local, NAME, tag="v1", write_enabled=False)
    with pytest.raises(OperationDisallowed):
        put_manifest(local, NAME, "v1", body, OCI_MANIFEST)


def test_a_write_disabled_manifest_cannot_be_retagged_away(local: Registry) -> None:
    locked = _push(local, "stable")
    set_attributes(local, NAME, digest=locked, write_enabled=False)
    with pytest.raises(OperationDisallowed):
        _push(local, "stable")
    assert get_manifest(local, NAME, "stable").digest == locked


def test_a_write_disabled_manifest_can_still_be_given_new_tags(local: Registry) -> None:
    body = canonical(image_manifest(random_blob(32), [random_blob(32)]))
    put_manifest(local, NAME, "v1", body, OCI_MANIFEST)
    digest = str(digest_of(body))
    set_attributes(local, NAME, digest=digest, write_enabled=False)
    put_manifest(local, NAME, digest, body, OCI_MANIFEST, tags=["also"])
    assert get_manifest(local, NAME, "also").digest == digest


def test_a_write_disabled_repository_refuses_manifest_pushes_and_blob_uploads(local: Registry) -> None:
    _push(local, "v1")
    set_attributes(local, NAME, write_enabled=False)
    with pytest.raises(OperationDisallowed):
        _push(local, "new-tag")
    with pytest.raises(OperationDisallowed):
        start_upload(local, NAME)
    with pytest.raises(OperationDisallowed):
        mount_blob(local, NAME, digest_of(b"anything"), None)
    assert _tags(local) == ["v1"]


def test_unlocking_allows_the_overwrite_again(local: Registry) -> None:
    _push(local, "v1")
    set_attributes(local, NAME, tag="v1", write_enabled=False)
    with pytest.raises(OperationDisallowed):
        _push(local, "v1")
    set_attributes(local, NAME, tag="v1", write_enabled=True)
    second = _push(local, "v1")
    assert get_manifest(local, NAME, "v1").digest == second


# -- delete --------------------------------------------------------------------------------------


def test_a_delete_disabled_manifest_cannot_be_deleted_by_tag_or_digest(local: Registry) -> None:
    digest = _push(local, "v1")
    set_attributes(local, NAME, digest=digest, delete_enabled=False)
    with pytest.raises(OperationDisallowed):
        delete_manifest(local, NAME, "v1")
    with pytest.raises(OperationDisallowed):
        delete_manifest(local, NAME, digest)
    assert get_manifest(local, NAME, "v1").digest == digest


def test_a_delete_disabled_tag_cannot_be_deleted_nor_its_manifest(local: Registry) -> None:
    digest = _push(local, "v1")
    set_attributes(local, NAME, tag="v1", delete_enabled=False)
    with pytest.raises(OperationDisallowed):
        delete_manifest(local, NAME, "v1")
    with pytest.raises(OperationDisallowed):
        delete_manifest(local, NAME, digest)
    assert _tags(local) == ["v1"]


def test_a_delete_disabled_tag_leaves_other_tags_of_its_manifest_deletable(local: Registry) -> None:
    body = canonical(image_manifest(random_blob(32), [random_blob(32)]))
    digest = str(digest_of(body))
    put_manifest(local, NAME, digest, body, OCI_MANIFEST, tags=["keep", "drop"])
    set_attributes(local, NAME, tag="keep", delete_enabled=False)
    delete_manifest(local, NAME, "drop")
    assert _tags(local) == ["keep"]


def test_a_delete_disabled_repository_refuses_every_delete(local: Registry) -> None:
    digest = _push(local, "v1")
    blob = _push_blob(local, random_blob(64))
    set_attributes(local, NAME, delete_enabled=False)
    for reference in ("v1", digest):
        with pytest.raises(OperationDisallowed):
            delete_manifest(local, NAME, reference)
    with pytest.raises(OperationDisallowed):
        delete_blob(local, NAME, parse_digest(blob))


def test_gc_keeps_an_untagged_manifest_whose_deletion_is_disabled(local: Registry) -> None:
    kept = _push(local, "v1")
    gone = _push(local, "v2")
    local.metadata.delete_tag(NAME, "v1")  # untagged before it was locked
    local.metadata.delete_tag(NAME, "v2")
    set_attributes(local, NAME, digest=kept, delete_enabled=False)
    assert collect_garbage(local, grace_seconds=0, untagged=True, dry_run=True).manifests == [(NAME, gone)]
    report = collect_garbage(local, grace_seconds=0, untagged=True, dry_run=False)
    assert report.manifests == [(NAME, gone)]
    assert get_manifest(local, NAME, kept).digest == kept


def test_gc_keeps_a_manifest_locked_after_it_was_listed(local: Registry, monkeypatch: pytest.MonkeyPatch) -> None:
    locked = _push(local, "v1")
    local.metadata.delete_tag(NAME, "v1")
    set_attributes(local, NAME, digest=locked, delete_enabled=False)
    listed = local.metadata.untagged_manifests
    monkeypatch.setattr(local.metadata, "untagged_manifests", lambda: [(NAME, locked), *listed()])  # a stale listing
    report = collect_garbage(local, grace_seconds=0, untagged=True, dry_run=False)
    assert report.manifests == []
    assert get_manifest(local, NAME, locked).digest == locked


# -- read ----------------------------------------------------------------------------------------


def test_a_read_disabled_tag_refuses_pulls_by_that_tag_only(local: Registry) -> None:
    body = canonical(image_manifest(random_blob(32), [random_blob(32)]))
    digest = str(digest_of(body))
    put_manifest(local, NAME, digest, body, OCI_MANIFEST, tags=["hidden", "open"])
    set_attributes(local, NAME, tag="hidden", read_enabled=False)
    with pytest.raises(OperationDisallowed):
        get_manifest(local, NAME, "hidden")
    assert get_manifest(local, NAME, "open").digest == digest
    assert get_manifest(local, NAME, digest).digest == digest


def test_a_read_disabled_manifest_refuses_pulls_by_digest_and_by_any_tag(local: Registry) -> None:
    digest = _push(local, "v1")
    set_attributes(local, NAME, digest=digest, read_enabled=False)
    for reference in ("v1", digest):
        with pytest.raises(OperationDisallowed):
            get_manifest(local, NAME, reference)


def test_a_read_disabled_repository_refuses_manifest_and_blob_pulls(local: Registry) -> None:
    digest = _push(local, "v1")
    blob = _push_blob(local, random_blob(64))
    set_attributes(local, NAME, read_enabled=False)
    for reference in ("v1", digest):
        with pytest.raises(OperationDisallowed):
            get_manifest(local, NAME, reference)
    with pytest.raises(OperationDisallowed):
        stat_blob(local, NAME, parse_digest(blob))


def test_a_read_disabled_repository_is_not_a_source_to_mount_from(local: Registry) -> None:
    blob = _push_blob(local, random_blob(64), name="team/source")
    set_attributes(local, "team/source", read_enabled=False)
    assert mount_blob(local, NAME, parse_digest(blob), "team/source") is None
    with pytest.raises(BlobUnknown):
        stat_blob(local, NAME, parse_digest(blob))


def test_the_refusal_names_the_lock_that_refused(local: Registry) -> None:
    _push(local, "v1")
    set_attributes(local, NAME, tag="v1", write_enabled=False)
    with pytest.raises(OperationDisallowed) as refused:
        _push(local, "v1")
    assert refused.value.message == "The operation is disallowed on this registry, repository or image."
    assert refused.value.detail == {"repository": NAME, "tag": "v1", "attribute": "writeEnabled"}


# -- list ----------------------------------------------------------------------------------------


def test_a_list_disabled_tag_is_left_out_of_the_tag_list(local: Registry) -> None:
    for tag in ("a", "b", "c"):
        _push(local, tag)
    set_attributes(local, NAME, tag="b", list_enabled=False)
    assert _tags(local) == ["a", "c"]
    assert get_manifest(local, NAME, "b")  # still pulled by those who know it


def test_a_list_disabled_manifest_leaves_its_tags_out_of_the_tag_list(local: Registry) -> None:
    hidden = _push(local, "a")
    _push(local, "b")
    set_attributes(local, NAME, digest=hidden, list_enabled=False)
    assert _tags(local) == ["b"]


def test_tag_list_pages_count_only_listed_tags(local: Registry) -> None:
    for tag in ("a", "b", "c", "d"):
        _push(local, tag)
    set_attributes(local, NAME, tag="b", list_enabled=False)
    assert list_tags(local, NAME, 2, None) == (["a", "c"], True)
    assert list_tags(local, NAME, 2, "c") == (["d"], False)


def test_a_list_disabled_repository_is_left_out_of_the_catalog(local: Registry) -> None:
    for name in ("team/a", "team/b", "team/c"):
        _push(local, "v1", name=name)
    set_attributes(local, "team/b", list_enabled=False)
    assert catalog(local, 10, None)[0] == ["team/a", "team/c"]
    assert _tags(local, "team/b") == ["v1"]


# -- the attributes themselves -------------------------------------------------------------------


def test_everything_starts_unlocked(local: Registry) -> None:
    digest = _push(local, "v1")
    assert get_attributes(local, NAME) == UNLOCKED
    assert get_attributes(local, NAME, tag="v1") == UNLOCKED
    assert get_attributes(local, NAME, digest=digest) == UNLOCKED


def test_setting_one_flag_leaves_the_others_as_they_are(local: Registry) -> None:
    _push(local, "v1")
    set_attributes(local, NAME, tag="v1", write_enabled=False, delete_enabled=False)
    changed = set_attributes(local, NAME, tag="v1", delete_enabled=True)
    assert changed == ChangeableAttributes(write_enabled=False)
    assert get_attributes(local, NAME, tag="v1") == changed
    assert get_attributes(local, NAME) == UNLOCKED


def test_locks_of_a_deleted_tag_go_with_it(local: Registry) -> None:
    _push(local, "v1")
    set_attributes(local, NAME, tag="v1", read_enabled=False, list_enabled=False)
    delete_manifest(local, NAME, "v1")
    _push(local, "v1")
    assert get_attributes(local, NAME, tag="v1") == UNLOCKED
    assert get_manifest(local, NAME, "v1")


def test_locks_of_a_deleted_manifest_go_with_it(local: Registry) -> None:
    body = canonical(image_manifest(random_blob(32), [random_blob(32)]))
    put_manifest(local, NAME, "v1", body, OCI_MANIFEST)
    digest = str(digest_of(body))
    set_attributes(local, NAME, digest=digest, read_enabled=False)
    delete_manifest(local, NAME, digest)
    put_manifest(local, NAME, "v1", body, OCI_MANIFEST)
    assert get_attributes(local, NAME, digest=digest) == UNLOCKED


def test_an_unknown_repository_tag_or_manifest_is_refused_with_the_usual_errors(local: Registry) -> None:
    _push(local, "v1")
    with pytest.raises(NameUnknown):
        set_attributes(local, f"nobody-{uuid.uuid4().hex[:6]}", write_enabled=False)
    with pytest.raises(ManifestUnknown):
        set_attributes(local, NAME, tag="v9", write_enabled=False)
    with pytest.raises(ManifestUnknown):
        get_attributes(local, NAME, digest=str(digest_of(b"never pushed")))


def test_a_tag_and_a_digest_at_once_are_refused(local: Registry) -> None:
    digest = _push(local, "v1")
    with pytest.raises(ValueError):
        get_attributes(local, NAME, tag="v1", digest=digest)


def test_attributes_print_with_acr_field_names() -> None:
    printed = json.dumps(to_json(ChangeableAttributes(write_enabled=False)))
    assert printed == '{"readEnabled": true, "writeEnabled": false, "deleteEnabled": true, "listEnabled": true}'
