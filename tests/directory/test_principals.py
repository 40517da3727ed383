"""Principals of every kind: listed, shown, enabled and disabled."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.directory.errors import DisplayNameInvalid, PrincipalNotFound
from dockyard.directory.model import PrincipalKind
from tests.directory import new_store


def test_principals_are_listed_by_display_name_and_filtered_by_kind(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    bob = store.create_user("bob", "correct horse", "Bob")
    agent = store.create_managed_identity("Agent")
    ci = store.create_service_principal("CI")
    admins = store.create_group("Admins")

    assert store.list_principals() == [admins, agent, bob, ci]
    assert store.list_principals(PrincipalKind.MANAGED_IDENTITY) == [agent]


def test_a_managed_identity_has_a_client_id_and_no_user_name(tmp_path: Path) -> None:
    store = new_store(tmp_path)

    identity = store.create_managed_identity("build-agent")

    assert identity.kind is PrincipalKind.MANAGED_IDENTITY
    assert identity.app_id is not None and identity.user_name is None
    assert store.principal_by_app_id(identity.app_id) == identity


def test_a_disabled_principal_shows_as_disabled(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    group = store.create_group("Pushers")

    store.set_enabled(group.object_id, False)

    shown = store.get_principal(group.object_id)
    assert shown is not None and not shown.enabled


def test_disabling_an_unknown_principal_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PrincipalNotFound):
        new_store(tmp_path).set_enabled("3f2504e0-4f89-41d3-9a0c-0305e82c3301", False)


@pytest.mark.parametrize("display_name", ["", "   ", "tab\there", "x" * 257])
def test_a_display_name_must_be_printable_and_not_empty(tmp_path: Path, display_name: str) -> None:
    with pytest.raises(DisplayNameInvalid):
        new_store(tmp_path).create_group(display_name)
