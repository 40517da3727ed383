"""`dockyard login` and `dockyard logout` against a live registry, as a user runs them: the Docker config and
the containers auth file get the `00000000-…` user name and a registry refresh token that works at
`/oauth2/token`; the CLI profile keeps what renews the sign-in."""

from __future__ import annotations

import base64
import json
import stat
import time
from pathlib import Path

from dockyard.cli.profile import current_directory_token
from tests.auth.conftest import OWNER, TOKEN_USER_NAME, TokenRegistry, jwt_part
from tests.cli.conftest import Machine


def _saved_credentials(document: dict[str, object], host: str) -> tuple[str, str]:
    auths = document["auths"]
    assert isinstance(auths, dict)
    user, _, secret = base64.b64decode(auths[host]["auth"]).decode().partition(":")
    return user, secret


def _works_at_the_token_endpoint(registry: TokenRegistry, refresh_token: str) -> bool:
    response = registry.token_response("repository:any/repo:pull", auth=(TOKEN_USER_NAME, refresh_token))
    return response.status_code == 200


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_user_logs_in_and_both_auth_files_hold_a_working_refresh_token(
    machine: Machine, cli_registry: TokenRegistry
) -> None:
    result = machine.dockyard("login", "-n", cli_registry.host, "-u", OWNER, "--password-stdin",
                              stdin=cli_registry.owner_password + "\n")  # fmt: skip

    assert result.stdout.strip() == "Login Succeeded"
    docker = _saved_credentials(machine.docker_config, cli_registry.host)
    containers = _saved_credentials(machine.containers_auth, cli_registry.host)
    assert docker == containers
    assert docker[0] == TOKEN_USER_NAME
    assert _works_at_the_token_endpoint(cli_registry, docker[1])
    assert _mode(machine.paths.docker_config) == _mode(machine.paths.profile) == 0o600


def test_the_profile_keeps_the_tenant_and_a_renewable_directory_sign_in(
    machine: Machine, cli_registry: TokenRegistry
) -> None:
    machine.dockyard("login", "-n", cli_registry.host, "-u", OWNER, "-p", cli_registry.owner_password)

    profile = machine.profile
    sign_in = profile["registries"][cli_registry.host]
    with cli_registry.directory() as directory:
        assert sign_in["tenant"] == directory.tenant_id()
    assert profile["current"] == cli_registry.host
    assert sign_in["directory_refresh_token"]
    assert sign_in["directory_token_expires_on"] > time.time() + 2 * 3600


def test_the_directory_token_is_renewed_with_the_directory_refresh_token_when_it_is_about_to_expire(
    machine: Machine, cli_registry: TokenRegistry
) -> None:
    machine.dockyard("login", "-n", cli_registry.host, "-u", OWNER, "-p", cli_registry.owner_password)
    first = machine.profile["registries"][cli_registry.host]["directory_token"]

    unchanged = current_directory_token(cli_registry.host, machine.paths)
    # Three hours on (the client's clock only: the server still takes the refresh token it issued).
    renewed = current_directory_token(cli_registry.host, machine.paths, now=time.time() + 3 * 3600)

    assert unchanged == first
    assert renewed != first and jwt_part(renewed, 1)["oid"] == jwt_part(first, 1)["oid"]
    assert machine.profile["registries"][cli_registry.host]["directory_token"] == renewed


def test_a_service_principal_logs_in_with_its_secret_and_renews_with_it(
    machine: Machine, cli_registry: TokenRegistry
) -> None:
    principal = cli_registry.service_principal("cli-sp", role="AcrPull")

    machine.dockyard("login", "-n", cli_registry.host, "--service-principal", "-u", principal.app_id,
                     "--password-stdin", stdin=principal.secret)  # fmt: skip

    user, refresh_token = _saved_credentials(machine.containers_auth, cli_registry.host)
    assert user == TOKEN_USER_NAME and _works_at_the_token_endpoint(cli_registry, refresh_token)
    assert jwt_part(refresh_token, 1)["sub"] == principal.object_id
    assert machine.profile["registries"][cli_registry.host]["client_secret"] == principal.secret
    renewed = current_directory_token(cli_registry.host, machine.paths, now=time.time() + 3 * 3600)
    assert jwt_part(renewed, 1)["appid"] == principal.app_id


def test_expose_token_prints_the_token_and_the_user_name_and_writes_no_auth_file(
    machine: Machine, cli_registry: TokenRegistry
) -> None:
    result = machine.dockyard("login", "-n", cli_registry.host, "-u", OWNER, "-p", cli_registry.owner_password,
                              "--expose-token")  # fmt: skip

    shown = json.loads(result.stdout)
    assert shown["loginServer"] == cli_registry.host and shown["username"] == TOKEN_USER_NAME
    assert _works_at_the_token_endpoint(cli_registry, shown["accessToken"])
    assert "docker login loginServer -u 00000000-0000-0000-0000-000000000000 -p accessToken" in result.stderr
    assert not machine.paths.docker_config.exists()
    assert machine.containers_auth == {}


def test_logout_removes_the_entries_and_keeps_the_others(machine: Machine, cli_registry: TokenRegistry) -> None:
    machine.paths.docker_config.parent.mkdir(parents=True)
    machine.paths.docker_config.write_text(json.dumps({"auths": {"other.example": {"auth": "eDp5"}}}))
    machine.dockyard("login", "-n", cli_registry.host, "-u", OWNER, "-p", cli_registry.owner_password)

    result = machine.dockyard("logout")

    assert result.stdout.strip() == f"Removing login credentials for {cli_registry.host}"
    assert machine.docker_config["auths"] == {"other.example": {"auth": "eDp5"}}
    assert machine.containers_auth["auths"] == {}
    assert cli_registry.host not in machine.profile.get("registries", {})


def test_a_wrong_password_is_one_line_and_a_fix_and_never_shows_the_password(
    machine: Machine, cli_registry: TokenRegistry
) -> None:
    result = machine.dockyard("login", "-n", cli_registry.host, "-u", OWNER, "-p", "wrong-password-123", ok=False)

    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines == [
        "error: sign-in refused: invalid user name or password",
        "fix: check the user name and password (a service principal signs in with --service-principal "
        "-u <application id> -p <client secret>)",
    ]
    assert "wrong-password-123" not in result.stdout + result.stderr


def test_an_unreachable_login_server_is_named_and_debug_shows_the_traceback(machine: Machine) -> None:
    args = ("login", "-n", "127.0.0.1:9", "-u", OWNER, "-p", "x")

    plain = machine.dockyard(*args, ok=False)
    debug = machine.dockyard("--debug", *args, ok=False)

    assert plain.stderr.startswith("error: could not connect to the registry login server '127.0.0.1:9'")
    assert "Traceback" not in plain.stderr and len(plain.stderr.splitlines()) == 2
    assert "Traceback (most recent call last)" in debug.stderr
    assert "ConnectionRefusedError" in debug.stderr
