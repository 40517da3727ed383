"""`docker-credential-dockyard` speaks the Docker credential-helper protocol (`get`, `store`, `erase`, `list`)
and `dockyard login --configure-helper` points the Docker config and the containers auth file at it."""

from __future__ import annotations

import json

from tests.auth.conftest import OWNER, TOKEN_USER_NAME, TokenRegistry
from tests.cli.conftest import Machine


def _login_with_helper(machine: Machine, registry: TokenRegistry) -> None:
    machine.dockyard("login", "-n", registry.host, "-u", OWNER, "-p", registry.owner_password, "--configure-helper")


def test_configure_helper_names_the_helper_in_both_files_instead_of_a_token(
    machine: Machine, cli_registry: TokenRegistry
) -> None:
    _login_with_helper(machine, cli_registry)

    for document in (machine.docker_config, machine.containers_auth):
        assert document["credHelpers"] == {cli_registry.host: "dockyard"}
        assert cli_registry.host not in document.get("auths", {})


def test_get_answers_the_token_user_name_and_a_refresh_token_that_works(
    machine: Machine, cli_registry: TokenRegistry
) -> None:
    _login_with_helper(machine, cli_registry)

    answer = json.loads(machine.helper("get", cli_registry.host).stdout)

    assert answer["ServerURL"] == cli_registry.host and answer["Username"] == TOKEN_USER_NAME
    response = cli_registry.token_response("repository:a/b:pull", auth=(TOKEN_USER_NAME, answer["Secret"]))
    assert response.status_code == 200


def test_get_takes_a_url_for_the_login_server(machine: Machine, cli_registry: TokenRegistry) -> None:
    _login_with_helper(machine, cli_registry)

    answer = json.loads(machine.helper("get", f"https://{cli_registry.host}/v2/").stdout)

    assert answer["Username"] == TOKEN_USER_NAME


def test_get_for_an_unknown_server_is_not_found_as_docker_helpers_say_it(machine: Machine) -> None:
    result = machine.helper("get", "unknown.example.com", ok=False)

    assert result.returncode == 1
    assert result.stdout.strip() == "credentials not found in native keychain"


def test_store_get_list_and_erase(machine: Machine) -> None:
    credentials = {"ServerURL": "registry.example.com", "Username": "ci", "Secret": "s3cret-value"}

    machine.helper("store", json.dumps(credentials))
    got = json.loads(machine.helper("get", "registry.example.com").stdout)
    listed = json.loads(machine.helper("list").stdout)
    machine.helper("erase", "registry.example.com")

    assert got == credentials
    assert listed == {"registry.example.com": "ci"}
    assert machine.helper("get", "registry.example.com", ok=False).stdout.strip() == (
        "credentials not found in native keychain"
    )


def test_list_names_a_signed_in_login_server_with_the_token_user_name(
    machine: Machine, cli_registry: TokenRegistry
) -> None:
    _login_with_helper(machine, cli_registry)

    assert json.loads(machine.helper("list").stdout) == {cli_registry.host: TOKEN_USER_NAME}


def test_erase_forgets_the_sign_in(machine: Machine, cli_registry: TokenRegistry) -> None:
    _login_with_helper(machine, cli_registry)

    machine.helper("erase", cli_registry.host)

    assert machine.helper("get", cli_registry.host, ok=False).returncode == 1


def test_store_without_the_three_fields_is_refused(machine: Machine) -> None:
    result = machine.helper("store", '{"ServerURL": "x"}', ok=False)

    assert "store expects" in result.stdout


def test_logout_removes_the_helper_entries(machine: Machine, cli_registry: TokenRegistry) -> None:
    _login_with_helper(machine, cli_registry)

    machine.dockyard("logout", "-n", cli_registry.host)

    assert machine.docker_config["credHelpers"] == {} and machine.containers_auth["credHelpers"] == {}
    assert machine.helper("get", cli_registry.host, ok=False).returncode == 1
