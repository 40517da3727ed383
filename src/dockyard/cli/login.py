"""`dockyard login` and `dockyard logout`: `az login` and `az acr login` in one step.

Login signs in to the registry's directory (a user's password; a service principal's client secret; a
federated token, as `az login --federated-token`), exchanges the directory token at `/oauth2/exchange` for
a registry refresh token, and writes it — with the user name `00000000-0000-0000-0000-000000000000` —
into the Docker config and the containers auth file, or prints it (`--expose-token`), or points both files
at the `docker-credential-dockyard` helper (`--configure-helper`), which renews it for ever after.
The sign-in is kept in the CLI profile for later commands.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import click

from dockyard.cli import client_files
from dockyard.cli.client_files import TOKEN_USER_NAME, ClientPaths
from dockyard.cli.directory_client import (
    DEFAULT_TENANT,
    DirectoryToken,
    exchange,
    login_server_and_url,
    sign_in_federated,
    sign_in_service_principal,
    sign_in_user,
)
from dockyard.cli.errors import CliError
from dockyard.cli.profile import (
    SERVICE_PRINCIPAL,
    USER,
    SignIn,
    current_login_server,
    forget,
    get_sign_in,
    save_sign_in,
)

HELPER_NAME = "dockyard"  # docker runs `docker-credential-<name>`
_EXPOSE_HINT = (
    "You can perform manual login using the provided access token below, for example: "
    "'docker login loginServer -u 00000000-0000-0000-0000-000000000000 -p accessToken'"
)


def _paths() -> ClientPaths:
    return ClientPaths.from_environment(os.environ)


def _login_server(name: str | None, paths: ClientPaths) -> tuple[str, str]:
    if name:
        return login_server_and_url(name)
    current = current_login_server(paths)
    if current is None:
        raise CliError("no login server given", fix="name it: dockyard login -n <host[:port]>")
    sign_in = get_sign_in(paths, current)
    return current, sign_in.url if sign_in else login_server_and_url(current)[1]


@click.command(short_help="Sign in and save a registry token (az acr login).")
@click.option("--name", "-n", help="The login server (host[:port]); default: the one signed in to last.")
@click.option("--username", "-u", help="A user name; with --service-principal or --federated-token, the app id.")
@click.option("--password", "-p", help="The password or client secret (prefer --password-stdin or the prompt).")
@click.option("--password-stdin", is_flag=True, help="Read the password or client secret from stdin.")
@click.option("--service-principal", is_flag=True, help="Sign in as a service principal: -u <app id> -p <secret>.")
@click.option(
    "--federated-token",
    help="Sign in as a service principal or managed identity (-u <app id>) with a token from a trusted issuer; "
    "@FILE reads it from a file, and renewal re-reads the file (as a workload's projected token rotates).",
)
@click.option("--tenant", "-t", help="The directory's tenant id (default: the registry's own).")
@click.option("--expose-token", is_flag=True, help="Print the refresh token as JSON instead of saving it.")
@click.option(
    "--configure-helper",
    is_flag=True,
    help="Point docker, podman and skopeo at docker-credential-dockyard, which renews the token itself.",
)
def login(
    name: str | None,
    username: str | None,
    password: str | None,
    password_stdin: bool,
    service_principal: bool,
    federated_token: str | None,
    tenant: str | None,
    expose_token: bool,
    configure_helper: bool,
) -> None:
    """Sign in to a registry's directory and save a registry refresh token for docker, podman and skopeo."""
    if expose_token and configure_helper:
        raise click.UsageError("--expose-token and --configure-helper exclude each other")
    paths = _paths()
    login_server, url = _login_server(name, paths)
    sign_in = _sign_in(login_server, url, tenant or DEFAULT_TENANT, username, password, password_stdin,
                       service_principal, federated_token)  # fmt: skip
    refresh_token = exchange(url, login_server, sign_in.tenant, sign_in.directory_token)
    sign_in = sign_in.with_refresh_token(refresh_token)
    save_sign_in(paths, sign_in)
    if expose_token:
        click.echo(_EXPOSE_HINT, err=True)
        document = {"loginServer": login_server, "accessToken": refresh_token, "username": TOKEN_USER_NAME}
        click.echo(json.dumps(document, indent=2))
        return
    if configure_helper:
        _configure_helper(paths, login_server)
    else:
        _save_token(paths, login_server, refresh_token)
    click.echo("Login Succeeded")


def _sign_in(
    login_server: str,
    url: str,
    tenant: str,
    username: str | None,
    password: str | None,
    password_stdin: bool,
    service_principal: bool,
    federated_token: str | None,
) -> SignIn:
    if federated_token is not None:
        if not username:
            raise click.UsageError("--federated-token needs -u <application (client) id>")
        token_file, assertion = _assertion(federated_token)
        token = sign_in_federated(url, tenant, username, assertion)
        return _new_sign_in(login_server, url, token, SERVICE_PRINCIPAL, client_id=username,
                            federated_token_file=token_file)  # fmt: skip
    username = username or _prompt("Application (client) id" if service_principal else "Username")
    secret = _secret(password, password_stdin, "Client secret" if service_principal else "Password")
    if service_principal:
        token = sign_in_service_principal(url, tenant, username, secret)
        return _new_sign_in(login_server, url, token, SERVICE_PRINCIPAL, client_id=username, client_secret=secret)
    token = sign_in_user(url, tenant, username, secret)
    return _new_sign_in(login_server, url, token, USER, user_name=username)


def _new_sign_in(
    login_server: str, url: str, token: DirectoryToken, principal_type: str, **fields: str | None
) -> SignIn:
    return SignIn(
        login_server=login_server,
        url=url,
        tenant=token.tenant,
        principal_type=principal_type,
        directory_token=token.access_token,
        directory_token_expires_on=token.expires_at,
        directory_refresh_token=token.refresh_token,
        **fields,  # type: ignore[arg-type]
    )


def _assertion(value: str) -> tuple[str | None, str]:
    """(the file to re-read on renewal, the token) from `--federated-token TOKEN` or `--federated-token @FILE`."""
    if not value.startswith("@"):
        return None, value.strip()
    path = Path(value[1:]).expanduser().resolve()
    try:
        return str(path), path.read_text().strip()
    except OSError as exc:
        raise CliError(f"cannot read the federated token file {path}: {exc.strerror}", fix="check the path") from None


def _prompt(label: str) -> str:
    if not sys.stdin.isatty():
        raise click.UsageError(f"give {label.lower()} with -u")
    return str(click.prompt(label))


def _secret(password: str | None, password_stdin: bool, label: str) -> str:
    if password is not None and password_stdin:
        raise click.UsageError("give the password with -p or --password-stdin, not both")
    if password is not None:
        return password
    if password_stdin:
        secret = sys.stdin.read().rstrip("\r\n")
        if not secret:
            raise click.UsageError("--password-stdin read nothing")
        return secret
    if not sys.stdin.isatty():
        raise click.UsageError("give the password with -p or --password-stdin (no terminal to prompt on)")
    return str(click.prompt(label, hide_input=True))


def _save_token(paths: ClientPaths, login_server: str, refresh_token: str) -> None:
    for path in paths.auth_files:
        client_files.save_credentials(path, login_server, TOKEN_USER_NAME, refresh_token)
    store = client_files.credentials_store(paths.docker_config)
    if store is not None:
        click.echo(
            f"warning: {paths.docker_config} names credsStore '{store}', so docker looks there and not at the "
            f"token saved here; use --configure-helper to make docker ask docker-credential-dockyard",
            err=True,
        )


def _configure_helper(paths: ClientPaths, login_server: str) -> None:
    for path in paths.auth_files:
        client_files.use_credential_helper(path, login_server, HELPER_NAME)
    if shutil.which(f"docker-credential-{HELPER_NAME}") is None:
        click.echo(
            f"warning: docker-credential-{HELPER_NAME} is not on PATH; docker, podman and skopeo will not find it "
            f"until it is (it is installed next to dockyard: {Path(sys.argv[0]).resolve().parent})",
            err=True,
        )


@click.command(short_help="Remove the saved credentials for a registry.")
@click.option("--name", "-n", help="The login server (host[:port]); default: the one signed in to last.")
def logout(name: str | None) -> None:
    """Remove the saved credentials for a registry: the Docker config's and the containers auth file's
    entries (token or credential helper) and the CLI profile's sign-in."""
    paths = _paths()
    login_server = login_server_and_url(name)[0] if name else current_login_server(paths)
    if login_server is None:
        raise CliError("no login server given", fix="name it: dockyard logout -n <host[:port]>")
    removed = [client_files.forget(path, login_server) for path in paths.auth_files]
    removed.append(forget(paths, login_server))
    if any(removed):
        click.echo(f"Removing login credentials for {login_server}")
    else:
        click.echo(f"Not logged in to {login_server}")
