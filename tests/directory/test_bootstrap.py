"""The first start creates the user `owner` and writes its password to a private file, once."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from dockyard.directory.errors import BootstrapFileExists
from dockyard.directory.service import authenticate_user, bootstrap_owner
from tests.directory import T0, new_store


def test_the_first_start_creates_the_owner_with_a_private_password_file(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    data_dir = tmp_path / "data"

    path = bootstrap_owner(store, data_dir)

    assert path == str(data_dir / "initial-owner-password")
    assert stat.S_IMODE(Path(path).stat().st_mode) == 0o600
    owner = store.user_by_name("owner")
    assert owner is not None and owner.bootstrap


def test_the_password_in_the_file_signs_the_owner_in(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    path = bootstrap_owner(store, tmp_path / "data")
    assert path is not None

    result = authenticate_user(store, "owner", Path(path).read_text().strip(), T0)

    assert result.ok and result.principal is not None and result.principal.bootstrap


def test_a_later_start_leaves_the_owner_and_the_file_alone(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    path = bootstrap_owner(store, tmp_path / "data")
    assert path is not None
    password = Path(path).read_text()

    assert bootstrap_owner(store, tmp_path / "data") is None

    assert Path(path).read_text() == password
    assert authenticate_user(store, "owner", password.strip(), T0).ok


def test_an_existing_password_file_is_never_overwritten_and_no_owner_is_created(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "initial-owner-password").write_text("left over\n")

    with pytest.raises(BootstrapFileExists):
        bootstrap_owner(store, data_dir)

    assert (data_dir / "initial-owner-password").read_text() == "left over\n"
    assert store.user_by_name("owner") is None


def test_only_the_bootstrap_owner_is_marked_bootstrap(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    bootstrap_owner(store, tmp_path / "data")

    alice = store.create_user("alice", "correct horse")

    assert not alice.bootstrap
