"""`dockyard directory user|group …`: the registry's directory — users and groups with their members (as
`az ad user` and `az ad group`), through the management API. Service principals and managed identities are
in `cli.applications`; `dockyard directory sp|identity` and the top-level `dockyard sp|identity` are the
same groups.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from dockyard.cli.api import Session, admin_options, admin_session, confirm, segment, yes_option
from dockyard.cli.errors import CliError
from dockyard.cli.output import emit, output_options
from dockyard.directory.model import canonical_uuid

PRINCIPAL_COLUMNS = ("displayName", "kind", "objectId", "appId", "userName", "enabled")


@click.group(short_help="Users, groups, service principals, identities.")
def directory() -> None:
    """The registry's directory: users, groups, service principals, managed identities (as `az ad`)."""


@directory.group()
def user() -> None:
    """Users who sign in with a user name and password (as `az ad user`)."""


@directory.group()
def group() -> None:
    """Groups of principals; a role assigned to a group holds for its members (as `az ad group`)."""


def resolve_by_name(session: Session, collection: str, key: str, label: str) -> str:
    """The object id of the principal in `/directory/<collection>` named `key`: an id is taken as it is;
    otherwise the one principal whose display name is `key` (case-insensitive)."""
    if canonical_uuid(key) is not None:
        return key
    listed = session.get(f"/directory/{collection}")["value"]
    found = [p for p in listed if str(p["displayName"]).lower() == key.lower()]
    if not found:
        raise CliError(f"no {label} is named '{key}'", fix=f"`dockyard directory {_VERB[collection]} list` shows them")
    if len(found) > 1:
        raise CliError(f"{len(found)} {label}s are named '{key}'", fix="name it by its object id")
    return str(found[0]["objectId"])


_VERB = {"users": "user", "groups": "group", "servicePrincipals": "sp", "managedIdentities": "identity"}


def not_found_fix(collection: str) -> str:
    """The fix for a 404 from `/directory/<collection>/…`."""
    return f"check the name or id: `dockyard directory {_VERB[collection]} list` shows them"


# -- users -------------------------------------------------------------------------------------------


@user.command("create")
@click.option("--user-name", "--user-principal-name", "user_name", required=True, help="The sign-in name.")
@click.option("--display-name", help="The name people see (default: the user name).")
@click.option("--password", help="The password (8 characters or more); prompted for when not given.")
@admin_options
@output_options()
def create_user(
    name: str | None, config: Path | None, user_name: str, display_name: str | None, password: str | None, **flags: Any
) -> None:
    """Create a user (as `az ad user create`)."""
    body = {"userName": user_name, "password": password or _new_password(), "displayName": display_name}
    with admin_session(name, config, flags) as session:
        emit(session.call("POST", "/directory/users", body=body, conflict="choose another user name"))


def _new_password() -> str:
    if not sys.stdin.isatty():
        raise click.UsageError("give the password with --password (no terminal to prompt on)")
    return str(click.prompt("Password", hide_input=True, confirmation_prompt=True))


@user.command("list")
@admin_options
@output_options()
def list_users(name: str | None, config: Path | None, **flags: Any) -> None:
    """List users."""
    with admin_session(name, config, flags) as session:
        emit(session.get("/directory/users")["value"], columns=PRINCIPAL_COLUMNS)


@user.command("show")
@click.option("--id", "key", required=True, help="The user name or object id.")
@admin_options
@output_options()
def show_user(name: str | None, config: Path | None, key: str, **flags: Any) -> None:
    """Show a user."""
    with admin_session(name, config, flags) as session:
        emit(session.get(f"/directory/users/{segment(key)}", not_found=not_found_fix("users")))


@user.command("update")
@click.option("--id", "key", required=True, help="The user name or object id.")
@click.option("--account-enabled", type=bool, default=None, help="Enable (true) or disable (false) sign-in.")
@click.option("--password", help="A new password.")
@admin_options
@output_options()
def update_user(
    name: str | None,
    config: Path | None,
    key: str,
    account_enabled: bool | None,
    password: str | None,
    **flags: Any,
) -> None:
    """Enable or disable a user, or set its password (as `az ad user update`)."""
    if account_enabled is None and password is None:
        raise click.UsageError("give --account-enabled or --password")
    body = {"enabled": account_enabled, "password": password}
    with admin_session(name, config, flags) as session:
        path = f"/directory/users/{segment(key)}"
        emit(session.call("PATCH", path, body=body, not_found=not_found_fix("users")))


@user.command("delete")
@click.option("--id", "key", required=True, help="The user name or object id.")
@yes_option
@admin_options
def delete_user(name: str | None, config: Path | None, key: str, yes: bool, **flags: Any) -> None:
    """Delete a user (its role assignments stop applying)."""
    confirm(yes, f"delete user '{key}'")
    with admin_session(name, config, flags) as session:
        session.call("DELETE", f"/directory/users/{segment(key)}", not_found=not_found_fix("users"))


# -- groups ------------------------------------------------------------------------------------------

_GROUP_HELP = "The group's display name or object id."


@group.command("create")
@click.option("--display-name", required=True, help="The group's name.")
@admin_options
@output_options()
def create_group(name: str | None, config: Path | None, display_name: str, **flags: Any) -> None:
    """Create an empty group (as `az ad group create`)."""
    with admin_session(name, config, flags) as session:
        emit(session.call("POST", "/directory/groups", body={"displayName": display_name}))


@group.command("list")
@admin_options
@output_options()
def list_groups(name: str | None, config: Path | None, **flags: Any) -> None:
    """List groups."""
    with admin_session(name, config, flags) as session:
        emit(session.get("/directory/groups")["value"], columns=PRINCIPAL_COLUMNS)


@group.command("show")
@click.option("--group", "-g", "key", required=True, help=_GROUP_HELP)
@admin_options
@output_options()
def show_group(name: str | None, config: Path | None, key: str, **flags: Any) -> None:
    """Show a group."""
    with admin_session(name, config, flags) as session:
        group_id = resolve_by_name(session, "groups", key, "group")
        emit(session.get(f"/directory/groups/{segment(group_id)}", not_found=not_found_fix("groups")))


@group.command("delete")
@click.option("--group", "-g", "key", required=True, help=_GROUP_HELP)
@yes_option
@admin_options
def delete_group(name: str | None, config: Path | None, key: str, yes: bool, **flags: Any) -> None:
    """Delete a group (its members stay; its role assignments stop applying)."""
    confirm(yes, f"delete group '{key}'")
    with admin_session(name, config, flags) as session:
        group_id = resolve_by_name(session, "groups", key, "group")
        session.call("DELETE", f"/directory/groups/{segment(group_id)}", not_found=not_found_fix("groups"))


@group.group()
def member() -> None:
    """A group's members (as `az ad group member`)."""


_MEMBER_HELP = "The member: an object id, an application id, or a user name."


@member.command("add")
@click.option("--group", "-g", "key", required=True, help=_GROUP_HELP)
@click.option("--member-id", required=True, help=_MEMBER_HELP)
@admin_options
def add_member(name: str | None, config: Path | None, key: str, member_id: str, **flags: Any) -> None:
    """Add a principal (a user, service principal, managed identity or group) to a group."""
    _member(name, config, flags, "PUT", key, member_id)


@member.command("remove")
@click.option("--group", "-g", "key", required=True, help=_GROUP_HELP)
@click.option("--member-id", required=True, help=_MEMBER_HELP)
@admin_options
def remove_member(name: str | None, config: Path | None, key: str, member_id: str, **flags: Any) -> None:
    """Remove a principal from a group."""
    _member(name, config, flags, "DELETE", key, member_id)


def _member(name: str | None, config: Path | None, flags: dict[str, Any], method: str, key: str, member: str) -> None:
    with admin_session(name, config, flags) as session:
        group_id = resolve_by_name(session, "groups", key, "group")
        path = f"/directory/groups/{segment(group_id)}/members/{segment(member)}"
        session.call(method, path, not_found="check the group and the member: `dockyard directory group member list`")


@member.command("list")
@click.option("--group", "-g", "key", required=True, help=_GROUP_HELP)
@admin_options
@output_options()
def list_members(name: str | None, config: Path | None, key: str, **flags: Any) -> None:
    """List a group's direct members."""
    with admin_session(name, config, flags) as session:
        group_id = resolve_by_name(session, "groups", key, "group")
        path = f"/directory/groups/{segment(group_id)}/members"
        emit(session.get(path, not_found=not_found_fix("groups"))["value"], columns=PRINCIPAL_COLUMNS)
