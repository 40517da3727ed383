"""The admin user: disabled by default, enabled with `dockyard update --admin-enabled true`, signs
in with the registry's name and either password; a renewed password replaces the old one."""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import DOCKYARD, RunningRegistry, start_registry


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """A registry named `contoso`, with sign-in on."""
    running = start_registry(
        tmp_path_factory.mktemp("admin") / "data", "--registry-name", "contoso", authentication="token"
    )
    yield running
    running.stop()


def _cli(server: RunningRegistry, *args: str) -> str:
    return subprocess.run(
        [DOCKYARD, *args, "--data-dir", str(server.data_dir)], capture_output=True, text=True, check=True
    ).stdout


def _token(server: RunningRegistry, username: str, password: str) -> httpx.Response:
    with server.client() as client:
        return client.get(
            "/oauth2/token",
            params={"service": server.host, "scope": "repository:app:pull,push"},
            auth=(username, password),
        )


def _let_the_server_notice() -> None:
    time.sleep(1.1)  # the server re-reads registry properties at most a second later


def _passwords(output: str) -> dict[str, str]:
    return dict(re.findall(r"^(password2?): (\S+)$", output, re.MULTILINE))


def test_the_admin_user_is_refused_until_enabled_then_signs_in_with_either_password(server: RunningRegistry) -> None:
    assert _token(server, "contoso", "anything").status_code == 401

    passwords = _passwords(_cli(server, "update", "--admin-enabled", "true"))
    _let_the_server_notice()

    assert set(passwords) == {"password", "password2"}
    for password in passwords.values():
        response = _token(server, "contoso", password)
        assert response.status_code == 200
        assert response.json()["access_token"]


def test_a_renewed_admin_password_replaces_the_old_one(server: RunningRegistry) -> None:
    _cli(server, "update", "--admin-enabled", "true")
    new = _passwords(_cli(server, "credential", "renew", "--password-name", "password2"))["password2"]
    assert _token(server, "contoso", new).status_code == 200


def test_a_disabled_admin_user_is_refused_even_with_the_right_password(server: RunningRegistry) -> None:
    _cli(server, "update", "--admin-enabled", "true")
    password = _passwords(_cli(server, "credential", "renew"))["password"]
    _cli(server, "update", "--admin-enabled", "false")
    _let_the_server_notice()
    response = _token(server, "contoso", password)
    assert response.status_code == 401
    assert password not in response.text
