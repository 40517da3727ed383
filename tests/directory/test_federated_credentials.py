"""Federated credentials: a service principal or managed identity trusts an external issuer's tokens."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.directory.errors import FederatedCredentialInvalid, FederatedCredentialNameTaken, PrincipalNotFound
from dockyard.directory.model import DEFAULT_FEDERATED_AUDIENCE, Principal
from dockyard.directory.service import AuthReason, authenticate_federated
from dockyard.directory.store import DirectoryStore
from tests.directory import T0, new_store

ISSUER = "https://token.actions.githubusercontent.com"
SUBJECT = "repo:octo/app:ref:refs/heads/main"


def _identity_trusting_github(store: DirectoryStore) -> Principal:
    identity = store.create_managed_identity("deployer")
    store.add_federated_credential(identity.app_id or "", "github-main", ISSUER, SUBJECT)
    return identity


def test_a_federated_credential_is_listed_and_shown_by_name(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    principal = store.create_service_principal("ci")
    app_id = principal.app_id or ""

    credential = store.add_federated_credential(app_id, "github-main", ISSUER, SUBJECT, ["api://dockyard"])

    assert store.list_federated_credentials(app_id) == [credential]
    assert store.get_federated_credential(app_id, "github-main") == credential
    assert (credential.principal_id, credential.audiences) == (principal.object_id, ("api://dockyard",))


def test_the_default_audience_is_entras_token_exchange_audience(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    app_id = store.create_managed_identity("deployer").app_id or ""

    credential = store.add_federated_credential(app_id, "github-main", ISSUER, SUBJECT)

    assert credential.audiences == (DEFAULT_FEDERATED_AUDIENCE,)


def test_a_federated_credential_name_is_unique_per_principal(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    app_id = _identity_trusting_github(store).app_id or ""

    with pytest.raises(FederatedCredentialNameTaken):
        store.add_federated_credential(app_id, "github-main", ISSUER, "repo:octo/app:environment:prod")


@pytest.mark.parametrize(
    ("name", "issuer", "subject", "audiences"),
    [
        ("x", ISSUER, SUBJECT, ["a"]),
        ("github-main", "not a url", SUBJECT, ["a"]),
        ("github-main", "ftp://issuer.example", SUBJECT, ["a"]),
        ("github-main", ISSUER, "", ["a"]),
        ("github-main", ISSUER, SUBJECT, []),
    ],
)
def test_a_federated_credential_outside_the_rules_is_refused(
    tmp_path: Path, name: str, issuer: str, subject: str, audiences: list[str]
) -> None:
    store = new_store(tmp_path)
    app_id = store.create_managed_identity("deployer").app_id or ""

    with pytest.raises(FederatedCredentialInvalid):
        store.add_federated_credential(app_id, name, issuer, subject, audiences)


def test_a_federated_credential_for_an_unknown_application_is_refused(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    group = store.create_group("Pushers")

    with pytest.raises(PrincipalNotFound):
        store.add_federated_credential(group.object_id, "github-main", ISSUER, SUBJECT)


def test_a_matching_issuer_subject_and_audience_signs_in(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    identity = _identity_trusting_github(store)
    [credential] = store.list_federated_credentials(identity.app_id or "")

    result = authenticate_federated(store, identity.app_id or "", ISSUER, SUBJECT, [DEFAULT_FEDERATED_AUDIENCE], T0)

    assert (result.reason, result.principal, result.credential_id) == (
        AuthReason.OK,
        identity,
        credential.credential_id,
    )


def test_an_issuer_no_credential_names_is_issuer_not_trusted(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    app_id = _identity_trusting_github(store).app_id or ""

    result = authenticate_federated(store, app_id, "https://evil.example", SUBJECT, [DEFAULT_FEDERATED_AUDIENCE], T0)

    assert (result.reason, result.principal) == (AuthReason.ISSUER_NOT_TRUSTED, None)


def test_a_trusted_issuer_with_another_subject_is_subject_mismatch(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    app_id = _identity_trusting_github(store).app_id or ""

    result = authenticate_federated(
        store, app_id, ISSUER, "repo:octo/app:pull_request", [DEFAULT_FEDERATED_AUDIENCE], T0
    )

    assert result.reason is AuthReason.SUBJECT_MISMATCH


def test_a_trusted_issuer_and_subject_with_another_audience_is_audience_mismatch(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    app_id = _identity_trusting_github(store).app_id or ""

    result = authenticate_federated(store, app_id, ISSUER, SUBJECT, ["api://elsewhere"], T0)

    assert result.reason is AuthReason.AUDIENCE_MISMATCH


def test_a_federated_sign_in_for_an_unknown_application_is_unknown_application(tmp_path: Path) -> None:
    store = new_store(tmp_path)

    result = authenticate_federated(store, "3f2504e0-4f89-41d3-9a0c-0305e82c3301", ISSUER, SUBJECT, ["a"], T0)

    assert result.reason is AuthReason.UNKNOWN_APPLICATION


def test_a_disabled_identity_with_a_matching_token_is_principal_disabled(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    identity = _identity_trusting_github(store)
    store.set_enabled(identity.object_id, False)

    result = authenticate_federated(store, identity.app_id or "", ISSUER, SUBJECT, [DEFAULT_FEDERATED_AUDIENCE], T0)

    assert (result.reason, result.principal) == (AuthReason.PRINCIPAL_DISABLED, None)


def test_a_deleted_federated_credential_no_longer_signs_in(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    app_id = _identity_trusting_github(store).app_id or ""

    assert store.delete_federated_credential(app_id, "github-main")

    assert store.list_federated_credentials(app_id) == []
    result = authenticate_federated(store, app_id, ISSUER, SUBJECT, [DEFAULT_FEDERATED_AUDIENCE], T0)
    assert result.reason is AuthReason.ISSUER_NOT_TRUSTED
    assert not store.delete_federated_credential(app_id, "github-main")


def test_deleting_an_identity_deletes_its_federated_credentials(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    identity = _identity_trusting_github(store)

    store.delete_principal(identity.object_id)

    assert store.list_federated_credentials(identity.app_id or "") == []
