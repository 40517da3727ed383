"""Service principals' client secrets: shown once, kept as hashes, each with its own end date."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.directory.errors import PrincipalNotFound, SecretEndDateInvalid, WrongPrincipalKind
from dockyard.directory.model import PrincipalKind
from dockyard.directory.service import AuthReason, authenticate_client_secret
from tests.directory import DAY, T0, every_stored_value, new_store


def test_a_service_principal_has_an_application_id_and_no_secret_yet(tmp_path: Path) -> None:
    store = new_store(tmp_path)

    principal = store.create_service_principal("ci-pipeline")

    assert principal.kind is PrincipalKind.SERVICE_PRINCIPAL
    assert principal.app_id is not None and principal.app_id != principal.object_id
    assert store.principal_by_app_id(principal.app_id.upper()) == principal
    assert store.list_secrets(principal.app_id) == []


def test_a_new_secret_is_listed_by_id_hint_and_end_date_never_by_value(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    app_id = store.create_service_principal("ci-pipeline").app_id or ""

    issued = store.add_secret(app_id, T0 + DAY)

    [listed] = store.list_secrets(app_id)
    assert (listed.secret_id, listed.hint, listed.end_date) == (issued.secret_id, issued.value[:3], T0 + DAY)
    assert issued.value not in repr(listed) and issued.value not in repr(issued)


def test_a_secret_is_stored_only_as_an_argon2id_hash(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    app_id = store.create_service_principal("ci-pipeline").app_id or ""

    issued = store.add_secret(app_id, T0 + DAY)

    stored = every_stored_value(tmp_path)
    assert not any(issued.value in str(value) for value in stored)
    assert any(str(value).startswith("$argon2id$") for value in stored)


def test_every_secret_of_a_service_principal_signs_it_in(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    principal = store.create_service_principal("ci-pipeline")
    app_id = principal.app_id or ""
    first, second = store.add_secret(app_id, T0 + DAY), store.add_secret(app_id, T0 + 2 * DAY)

    results = [authenticate_client_secret(store, app_id, s.value, T0) for s in (first, second)]

    assert [(r.reason, r.principal, r.credential_id) for r in results] == [
        (AuthReason.OK, principal, first.secret_id),
        (AuthReason.OK, principal, second.secret_id),
    ]


def test_an_unknown_application_id_is_unknown_application(tmp_path: Path) -> None:
    store = new_store(tmp_path)

    result = authenticate_client_secret(store, "3f2504e0-4f89-41d3-9a0c-0305e82c3301", "whatever", T0)

    assert (result.reason, result.principal) == (AuthReason.UNKNOWN_APPLICATION, None)


def test_an_application_id_that_is_not_a_uuid_is_unknown_application(tmp_path: Path) -> None:
    result = authenticate_client_secret(new_store(tmp_path), "not-a-uuid", "whatever", T0)

    assert result.reason is AuthReason.UNKNOWN_APPLICATION


def test_a_wrong_secret_is_wrong_secret(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    app_id = store.create_service_principal("ci-pipeline").app_id or ""
    issued = store.add_secret(app_id, T0 + DAY)

    same_hint = issued.value[:3] + "x" * 40
    results = {authenticate_client_secret(store, app_id, guess, T0).reason for guess in (same_hint, "guess")}

    assert results == {AuthReason.WRONG_SECRET}


def test_a_secret_is_expired_from_its_end_date_on(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    app_id = store.create_service_principal("ci-pipeline").app_id or ""
    issued = store.add_secret(app_id, T0 + DAY)

    before = authenticate_client_secret(store, app_id, issued.value, T0 + DAY - 1)
    at_end = authenticate_client_secret(store, app_id, issued.value, T0 + DAY)

    assert before.reason is AuthReason.OK
    assert (at_end.reason, at_end.principal, at_end.credential_id) == (
        AuthReason.SECRET_EXPIRED,
        None,
        issued.secret_id,
    )


def test_a_disabled_service_principal_with_a_good_secret_is_principal_disabled(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    principal = store.create_service_principal("ci-pipeline")
    issued = store.add_secret(principal.app_id or "", T0 + DAY)
    store.set_enabled(principal.object_id, False)

    result = authenticate_client_secret(store, principal.app_id or "", issued.value, T0)

    assert (result.reason, result.principal) == (AuthReason.PRINCIPAL_DISABLED, None)


def test_a_reset_replaces_every_secret_with_one_new_secret(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    app_id = store.create_service_principal("ci-pipeline").app_id or ""
    old = store.add_secret(app_id, T0 + DAY)

    new = store.reset_secrets(app_id, T0 + 30 * DAY)

    assert [s.secret_id for s in store.list_secrets(app_id)] == [new.secret_id]
    assert authenticate_client_secret(store, app_id, old.value, T0).reason is AuthReason.WRONG_SECRET
    assert authenticate_client_secret(store, app_id, new.value, T0).ok


def test_a_deleted_secret_no_longer_signs_in(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    app_id = store.create_service_principal("ci-pipeline").app_id or ""
    issued = store.add_secret(app_id, T0 + DAY)

    assert store.delete_secret(app_id, issued.secret_id)

    assert store.list_secrets(app_id) == []
    assert authenticate_client_secret(store, app_id, issued.value, T0).reason is AuthReason.WRONG_SECRET


def test_deleting_an_unknown_secret_says_so(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    app_id = store.create_service_principal("ci-pipeline").app_id or ""

    assert not store.delete_secret(app_id, "3f2504e0-4f89-41d3-9a0c-0305e82c3301")


def test_a_secret_must_end_in_the_future(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    app_id = store.create_service_principal("ci-pipeline").app_id or ""

    with pytest.raises(SecretEndDateInvalid):
        store.add_secret(app_id, T0)


def test_a_secret_for_an_unknown_application_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PrincipalNotFound):
        new_store(tmp_path).add_secret("3f2504e0-4f89-41d3-9a0c-0305e82c3301", T0 + DAY)


def test_a_managed_identity_has_a_client_id_but_takes_no_secret(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    identity = store.create_managed_identity("build-agent")

    with pytest.raises(WrongPrincipalKind):
        store.add_secret(identity.app_id or "", T0 + DAY)
    assert authenticate_client_secret(store, identity.app_id or "", "any", T0).reason is AuthReason.WRONG_SECRET


def test_a_deleted_service_principal_is_unknown_and_its_secret_hashes_are_gone(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    principal = store.create_service_principal("ci-pipeline")
    issued = store.add_secret(principal.app_id or "", T0 + DAY)

    store.delete_principal(principal.object_id)

    result = authenticate_client_secret(store, principal.app_id or "", issued.value, T0)
    assert result.reason is AuthReason.UNKNOWN_APPLICATION
    assert not any(str(value).startswith("$argon2id$") for value in every_stored_value(tmp_path))
