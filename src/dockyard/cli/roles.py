"""`dockyard role assignment …` and `dockyard role definition …`: who holds which role, over the registry
or one repository, narrowed by an ABAC condition (as `az role assignment` and `az role definition`).

An assignee is named as az names it: an object id, an application (client) id, a user name, or the
display name of a group, service principal or managed identity; the CLI resolves it to an object id.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from dockyard.cli.api import Session, admin_options, admin_session, confirm, segment, yes_option
from dockyard.cli.errors import CliError
from dockyard.cli.output import emit, output_options
from dockyard.directory.model import canonical_uuid

_ASSIGNMENT_COLUMNS = ("id", "principalId", "principalType", "role", "scope", "condition")
_DEFINITION_COLUMNS = ("name", "roleType", "description")
_COLLECTIONS = ("users", "groups", "servicePrincipals", "managedIdentities")
_DEFINITION_FIELDS = {
    "name": "name",
    "rolename": "name",
    "description": "description",
    "actions": "actions",
    "notactions": "notActions",
    "dataactions": "dataActions",
    "conditionsallowed": "conditionsAllowed",
}


@click.group(short_help="Role assignments and definitions (az role).")
def role() -> None:
    """Roles and role assignments (as `az role`)."""


@role.group()
def assignment() -> None:
    """Who holds which role, where, under which condition (as `az role assignment`)."""


@role.group()
def definition() -> None:
    """The roles: built-in (AcrPull, AcrPush, Container Registry Repository Reader, Owner, …) and custom."""


def resolve_assignee(session: Session, assignee: str) -> str:
    """The object id of the principal `assignee` names (see the module docstring)."""
    if canonical_uuid(assignee) is not None:
        for collection in ("servicePrincipals", "managedIdentities"):  # these also take an application id
            found = session.find(f"/directory/{collection}/{segment(assignee)}")
            if found is not None:
                return str(found["objectId"])
        return assignee
    user = session.find(f"/directory/users/{segment(assignee)}")
    if user is not None:
        return str(user["objectId"])
    matches = [
        principal
        for collection in _COLLECTIONS
        for principal in session.get(f"/directory/{collection}")["value"]
        if str(principal["displayName"]).lower() == assignee.lower()
    ]
    if len(matches) == 1:
        return str(matches[0]["objectId"])
    if not matches:
        raise CliError(
            f"no principal is named '{assignee}'",
            fix="name the assignee by object id, application id or user name; `dockyard directory user list` "
            "(group, sp, identity) shows them",
        )
    raise CliError(f"{len(matches)} principals are named '{assignee}'", fix="name the assignee by its object id")


def scope_of(scope: str | None) -> str:
    """The API's scope (`registry` or `repositories/<name>`) for a `--scope` as given: either of those, or
    an ARM-style path that ends in `/repositories/<name>` or names the registry."""
    if scope is None:
        return "registry"
    text = scope.strip().strip("/")
    marker = "repositories/"
    if text.startswith(marker):
        return text
    if f"/{marker}" in text:
        return marker + text.split(f"/{marker}", 1)[1]
    return "registry"


@assignment.command("create")
@click.option("--assignee", required=True, help="Object id, application id, user name, or display name.")
@click.option("--role", "role_name", required=True, help="A role name (any case), e.g. AcrPush.")
@click.option("--scope", help="`registry` (default) or `repositories/<name>` (or an ARM path ending so).")
@click.option(
    "--condition",
    help="An ABAC condition (version 2.0), e.g. \"@Request[…:name] StringStartsWithIgnoreCase 'team-a/'\".",
)
@click.option("--condition-version", type=click.Choice(["2.0"]), help="The condition language's version.")
@click.option("--description", default="", help="Why the assignment exists.")
@admin_options
@output_options()
def create_assignment(
    name: str | None,
    config: Path | None,
    assignee: str,
    role_name: str,
    scope: str | None,
    condition: str | None,
    condition_version: str | None,
    description: str,
    **flags: Any,
) -> None:
    """Assign a role to a principal (as `az role assignment create`). Warnings about a likely mistake in the
    condition (a prefix without its trailing `/`) go to stderr."""
    with admin_session(name, config, flags) as session:
        body = {
            "principalId": resolve_assignee(session, assignee),
            "role": role_name,
            "scope": scope_of(scope),
            "condition": condition,
            "description": description,
        }
        created = session.call("POST", "/roleAssignments", body=body)
    for warning in created["warnings"]:
        click.echo(f"warning: {warning}", err=True)
    emit(created["roleAssignment"])


@assignment.command("list")
@click.option("--assignee", help="Only this principal's assignments.")
@click.option("--role", "role_name", help="Only assignments of this role.")
@click.option("--scope", help="Only assignments at this scope.")
@admin_options
@output_options()
def list_assignments(
    name: str | None, config: Path | None, assignee: str | None, role_name: str | None, scope: str | None, **flags: Any
) -> None:
    """List role assignments, oldest first."""
    with admin_session(name, config, flags) as session:
        emit(_assignments(session, assignee, role_name, scope), columns=_ASSIGNMENT_COLUMNS)


def _assignments(session: Session, assignee: str | None, role_name: str | None, scope: str | None) -> list[Any]:
    principal = resolve_assignee(session, assignee) if assignee else None
    listed: list[Any] = session.get("/roleAssignments", {"principalId": principal, "role": role_name})["value"]
    if scope is not None:
        listed = [a for a in listed if a["scope"] == scope_of(scope)]
    return listed


@assignment.command("show")
@click.option("--id", "assignment_id", required=True, help="The role assignment's id.")
@admin_options
@output_options()
def show_assignment(name: str | None, config: Path | None, assignment_id: str, **flags: Any) -> None:
    """Show a role assignment."""
    with admin_session(name, config, flags) as session:
        emit(session.get(f"/roleAssignments/{segment(assignment_id)}", not_found=_LIST_ASSIGNMENTS))


_LIST_ASSIGNMENTS = "`dockyard role assignment list` shows the assignments and their ids"


@assignment.command("delete")
@click.option("--ids", multiple=True, help="Role assignment ids (may be repeated).")
@click.option("--assignee", help="Delete this principal's assignments (with --role and --scope to narrow).")
@click.option("--role", "role_name", help="Only assignments of this role.")
@click.option("--scope", help="Only assignments at this scope.")
@yes_option
@admin_options
def delete_assignment(
    name: str | None,
    config: Path | None,
    ids: tuple[str, ...],
    assignee: str | None,
    role_name: str | None,
    scope: str | None,
    yes: bool,
    **flags: Any,
) -> None:
    """Delete role assignments by id, or those of an assignee (as `az role assignment delete`)."""
    if bool(ids) == bool(assignee):
        raise click.UsageError("give --ids, or --assignee (with --role and --scope to narrow)")
    with admin_session(name, config, flags) as session:
        chosen = list(ids) or [a["id"] for a in _assignments(session, assignee, role_name, scope)]
        if not chosen:
            raise CliError("no role assignment matches", fix=_LIST_ASSIGNMENTS)
        confirm(yes, f"delete {len(chosen)} role assignment(s)")
        for assignment_id in chosen:
            session.call("DELETE", f"/roleAssignments/{segment(assignment_id)}", not_found=_LIST_ASSIGNMENTS)
    click.echo(f"deleted {len(chosen)} role assignment(s)", err=True)


# -- definitions -------------------------------------------------------------------------------------


@definition.command("list")
@click.option("--role", "--role-name", "role_name", help="Only the role of this name (any case).")
@click.option("--custom-role-only", is_flag=True, help="Only custom roles.")
@admin_options
@output_options()
def list_definitions(
    name: str | None, config: Path | None, role_name: str | None, custom_role_only: bool, **flags: Any
) -> None:
    """List role definitions, built-in first."""
    with admin_session(name, config, flags) as session:
        listed = session.get("/roleDefinitions")["value"]
    if role_name:
        listed = [r for r in listed if r["name"].lower() == role_name.lower()]
    if custom_role_only:
        listed = [r for r in listed if r["roleType"] == "CustomRole"]
    emit(listed, columns=_DEFINITION_COLUMNS)


@definition.command("show")
@click.option("--role", "--role-name", "role_name", required=True, help="The role's name (any case).")
@admin_options
@output_options()
def show_definition(name: str | None, config: Path | None, role_name: str, **flags: Any) -> None:
    """Show a role: its actions, NotActions, data actions, and whether it takes conditions."""
    with admin_session(name, config, flags) as session:
        emit(session.get(f"/roleDefinitions/{segment(role_name)}", not_found=_LIST_DEFINITIONS))


_LIST_DEFINITIONS = "`dockyard role definition list -o table` shows the roles"


@definition.command("create")
@click.option(
    "--role-definition",
    required=True,
    help='The role as JSON or @FILE, az-style: {"Name": …, "Description": …, "Actions": […], "NotActions": […], '
    '"DataActions": […], "ConditionsAllowed": false}.',
)
@admin_options
@output_options()
def create_definition(name: str | None, config: Path | None, role_definition: str, **flags: Any) -> None:
    """Create a custom role (as `az role definition create`)."""
    with admin_session(name, config, flags) as session:
        emit(session.call("POST", "/roleDefinitions", body=_definition_body(role_definition)))


def _definition_body(text: str) -> dict[str, Any]:
    if text.startswith("@"):
        text = Path(text[1:]).expanduser().read_text()
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise click.BadParameter(f"not JSON: {exc}", param_hint="--role-definition") from None
    if not isinstance(document, dict):
        raise click.BadParameter("give a JSON object", param_hint="--role-definition")
    body: dict[str, Any] = {}
    for key, value in document.items():
        field = _DEFINITION_FIELDS.get(key.lower())
        if field is None and key.lower() not in ("assignablescopes", "id", "roletype"):
            raise click.BadParameter(f"unknown field {key!r}", param_hint="--role-definition")
        if field is not None:
            body[field] = value
    return body


@definition.command("delete")
@click.option("--role", "--role-name", "role_name", required=True, help="The custom role's name.")
@yes_option
@admin_options
def delete_definition(name: str | None, config: Path | None, role_name: str, yes: bool, **flags: Any) -> None:
    """Delete a custom role (refused while an assignment uses it)."""
    confirm(yes, f"delete role '{role_name}'")
    with admin_session(name, config, flags) as session:
        path = f"/roleDefinitions/{segment(role_name)}"
        session.call("DELETE", path, not_found=_LIST_DEFINITIONS, conflict="delete its role assignments first")
