"""`dockyard show`, `dockyard update` and `dockyard credential show|renew`: the registry's properties and
its admin user (as `az acr show|update` and `az acr credential show|renew`), through the management API.

Admin passwords are printed only when the API generates them (enabling the admin user the first time,
or a renewal); they cannot be shown again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from dockyard.access.roles import PermissionsMode
from dockyard.cli.api import admin_options, admin_session
from dockyard.cli.output import emit, output_options
from dockyard.network.rules import DefaultAction
from dockyard.properties.store import PasswordName
from dockyard.settings import setting_help

_SHOWN_ONCE = "These passwords are shown only now; `dockyard credential renew` replaces one."


@click.command(short_help="Show the registry's properties (az acr show).")
@admin_options
@output_options()
def show(name: str | None, config: Path | None, **flags: Any) -> None:
    """Show the registry's properties (as `az acr show`): admin user, anonymous pull, permissions mode,
    network access and token lifetimes."""
    with admin_session(name, config, flags) as session:
        emit(session.get("/registry"))


@click.command(short_help="Change registry properties (az acr update).")
@admin_options
@click.option("--registry-name", help=setting_help("registry_name"))
@click.option("--admin-enabled", type=bool, default=None, help="Enable (true) or disable (false) the admin user.")
@click.option(
    "--anonymous-pull-enabled", type=bool, default=None, help="Let callers without credentials pull (true) or not."
)
@click.option(
    "--role-assignment-mode",
    type=click.Choice([mode.value for mode in PermissionsMode]),
    help="The permissions mode: rbac (AcrPull/AcrPush/AcrDelete decide) or rbac-abac (repository roles with "
    "conditions decide). Tokens minted under the other mode stop working.",
)
@click.option(
    "--public-network-enabled",
    type=bool,
    default=None,
    help="Admit clients from outside the trusted networks (true) or refuse them all with 403 DENIED (false).",
)
@click.option(
    "--default-action",
    type=click.Choice([action.value for action in DefaultAction]),
    help="What happens to a client no IP rule holds (`dockyard network-rule add --ip-address`): Allow or Deny.",
)
def update(
    name: str | None,
    config: Path | None,
    admin_enabled: bool | None,
    anonymous_pull_enabled: bool | None,
    role_assignment_mode: str | None,
    public_network_enabled: bool | None,
    default_action: str | None,
    **flags: Any,
) -> None:
    """Change registry properties (as `az acr update`); takes effect on the server within a second.

    Token lifetimes are server settings (`dockyard serve --access-token-seconds …`), shown by `dockyard show`."""
    body: dict[str, Any] = {
        "adminUserEnabled": admin_enabled,
        "anonymousPullEnabled": anonymous_pull_enabled,
        "roleAssignmentMode": role_assignment_mode,
        "publicNetworkAccess": None if public_network_enabled is None else _access(public_network_enabled),
        "networkRuleSet": None if default_action is None else {"defaultAction": default_action},
    }
    body = {key: value for key, value in body.items() if value is not None}
    if not body:
        raise click.UsageError(
            "give at least one of --admin-enabled, --anonymous-pull-enabled, --role-assignment-mode, "
            "--public-network-enabled, --default-action"
        )
    with admin_session(name, config, flags) as session:
        updated = session.call("PATCH", "/registry", body=body)
    registry, passwords = updated["registry"], updated["adminPasswords"]
    if admin_enabled is not None:
        state = "enabled" if admin_enabled else "disabled"
        click.echo(f"admin user {state} (user name: {registry['name']})")
        _echo_passwords(passwords)
    if anonymous_pull_enabled is not None:
        click.echo(f"anonymous pull {'enabled' if anonymous_pull_enabled else 'disabled'}")
    if role_assignment_mode is not None:
        click.echo(f"role assignment mode: {registry['roleAssignmentMode']}")
    if public_network_enabled is not None:
        click.echo(f"public network access: {registry['publicNetworkAccess']}")
    if default_action is not None:
        click.echo(f"network rule set default action: {registry['networkRuleSet']['defaultAction']}")


def _access(enabled: bool) -> str:
    return "Enabled" if enabled else "Disabled"


def _echo_passwords(passwords: list[dict[str, str]]) -> None:
    for password in passwords:
        click.echo(f"{password['name']}: {password['value']}")
    if passwords:
        click.echo(_SHOWN_ONCE)


@click.group(short_help="The admin user's credentials (az acr credential).")
def credential() -> None:
    """The admin user's credentials (as `az acr credential`)."""


@credential.command("show")
@admin_options
@output_options()
def show_credential(name: str | None, config: Path | None, **flags: Any) -> None:
    """Show the admin user's name and whether it is enabled (its passwords are never shown again)."""
    with admin_session(name, config, flags) as session:
        emit(session.get("/registry/credentials"))


@credential.command()
@admin_options
@click.option(
    "--password-name",
    type=click.Choice([n.value for n in PasswordName]),
    default="password",
    show_default=True,
    help="Which of the two admin passwords to replace.",
)
def renew(name: str | None, config: Path | None, password_name: str, **flags: Any) -> None:
    """Generate a new admin password; it is shown once (`<name>: <password>`)."""
    with admin_session(name, config, flags) as session:
        issued = session.call(
            "POST",
            "/registry/credentials/regenerate",
            body={"name": password_name},
            conflict="enable the admin user first: dockyard update --admin-enabled true",
        )
    for password in issued["passwords"]:
        click.echo(f"{password['name']}: {password['value']}")
