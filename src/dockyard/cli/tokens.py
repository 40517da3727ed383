"""`dockyard scope-map …` and `dockyard token …`: repository-scoped tokens and the scope maps that say what
they may do (as `az acr scope-map` and `az acr token`). As in az, `--name/-n` names the token or scope map
and `--registry/-r` the login server. A token's passwords are printed once, when they are generated.

`--repository <repo> <action> [<action> …]` takes a repository (or a `prefix/*` wildcard) followed by its
actions, as az does; `ScopeMapCommand` gathers those words before click parses the rest.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import click

from dockyard.cli.api import Session, admin_session, confirm, registry_admin_options, segment, yes_option
from dockyard.cli.errors import CliError
from dockyard.cli.output import emit, output_options

_REPOSITORY_FLAGS = ("--repository", "--add-repository", "--remove-repository")
_ACTIONS = ("content/read", "content/write", "content/delete", "metadata/read", "metadata/write")
_REPOSITORY_HELP = "A repository (or prefix/*) followed by its actions: " + ", ".join(_ACTIONS) + ". May be repeated."
_SCOPE_MAP_COLUMNS = ("name", "builtIn", "description", "actions")
_TOKEN_COLUMNS = ("name", "scopeMap", "status", "createdAt")
_LIST_MAPS = "`dockyard scope-map list` shows the scope maps"
_LIST_TOKENS = "`dockyard token list` shows the tokens"


class ScopeMapCommand(click.Command):
    """A command whose `--repository REPO ACTION…` options take several words: each such option and the
    words after it (up to the next option) become one value, split again by `scope_map_actions`."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Join `--repository REPO A B` into `--repository 'REPO A B'`, then parse as usual."""
        joined: list[str] = []
        index = 0
        while index < len(args):
            word = args[index]
            flag, equals, inline = word.partition("=")
            if flag in _REPOSITORY_FLAGS:
                words = [inline] if equals else []
                index += 1
                while index < len(args) and not args[index].startswith("-"):
                    words.append(args[index])
                    index += 1
                joined += [flag, " ".join(words)]
                continue
            joined.append(word)
            index += 1
        return super().parse_args(ctx, joined)


def scope_map_actions(values: tuple[str, ...]) -> list[str]:
    """`repositories/<repo>/<action>` for each `REPO ACTION…` value."""
    actions = []
    for value in values:
        repository, *granted = value.split()
        if not granted:
            raise click.UsageError(f"--repository {repository} needs at least one action: {', '.join(_ACTIONS)}")
        actions += [f"repositories/{repository}/{action}" for action in granted]
    return actions


def expiry(expiration: str | None, days: int | None) -> str | None:
    """RFC 3339 for `--expiration` (a date or time) or `--expiration-in-days`; None (never) without either."""
    if expiration is not None and days is not None:
        raise click.UsageError("give --expiration or --expiration-in-days, not both")
    if days is not None:
        moment = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=days)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    if expiration is None:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(expiration.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{expiration!r} is not a date or an ISO 8601 time", param_hint="--expiration"
        ) from None
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)).isoformat()


_name = click.option("--name", "-n", "resource", required=True, help="The name.")


@click.group("scope-map", short_help="What tokens may do (az acr scope-map).")
def scope_map() -> None:
    """What repository-scoped tokens may do, repository by repository (as `az acr scope-map`)."""


@scope_map.command("create", cls=ScopeMapCommand)
@_name
@click.option("--repository", "repositories", multiple=True, required=True, help=_REPOSITORY_HELP)
@click.option("--description", default="", help="What the scope map is for.")
@registry_admin_options
@output_options()
def create_scope_map(
    registry: str | None,
    config: Path | None,
    resource: str,
    repositories: tuple[str, ...],
    description: str,
    **flags: Any,
) -> None:
    """Create a scope map, e.g. `--repository team-a/* content/read metadata/read`."""
    body = {"name": resource, "actions": scope_map_actions(repositories), "description": description}
    with admin_session(registry, config, flags) as session:
        emit(session.call("POST", "/scopeMaps", body=body, conflict="choose another name"))


@scope_map.command("update", cls=ScopeMapCommand)
@_name
@click.option("--add-repository", "added", multiple=True, help=f"Add: {_REPOSITORY_HELP}")
@click.option("--remove-repository", "removed", multiple=True, help=f"Remove: {_REPOSITORY_HELP}")
@click.option("--description", help="A new description.")
@registry_admin_options
@output_options()
def update_scope_map(
    registry: str | None,
    config: Path | None,
    resource: str,
    added: tuple[str, ...],
    removed: tuple[str, ...],
    description: str | None,
    **flags: Any,
) -> None:
    """Add or remove actions of a scope map; tokens bound to it change at once."""
    if not (added or removed or description is not None):
        raise click.UsageError("give --add-repository, --remove-repository or --description")
    body = {"add": scope_map_actions(added), "remove": scope_map_actions(removed), "description": description}
    with admin_session(registry, config, flags) as session:
        emit(session.call("PATCH", f"/scopeMaps/{segment(resource)}", body=body, not_found=_LIST_MAPS))


@scope_map.command("list")
@registry_admin_options
@output_options()
def list_scope_maps(registry: str | None, config: Path | None, **flags: Any) -> None:
    """List scope maps (built-in ones too)."""
    with admin_session(registry, config, flags) as session:
        emit(session.get("/scopeMaps")["value"], columns=_SCOPE_MAP_COLUMNS)


@scope_map.command("show")
@_name
@registry_admin_options
@output_options()
def show_scope_map(registry: str | None, config: Path | None, resource: str, **flags: Any) -> None:
    """Show a scope map."""
    with admin_session(registry, config, flags) as session:
        emit(session.get(f"/scopeMaps/{segment(resource)}", not_found=_LIST_MAPS))


@scope_map.command("delete")
@_name
@yes_option
@registry_admin_options
def delete_scope_map(registry: str | None, config: Path | None, resource: str, yes: bool, **flags: Any) -> None:
    """Delete a scope map (refused while a token is bound to it)."""
    confirm(yes, f"delete scope map '{resource}'")
    with admin_session(registry, config, flags) as session:
        session.call(
            "DELETE",
            f"/scopeMaps/{segment(resource)}",
            not_found=_LIST_MAPS,
            conflict="bind its tokens to another scope map (dockyard token update --scope-map) or delete them",
        )


# -- tokens ------------------------------------------------------------------------------------------


@click.group(short_help="Repository-scoped tokens (az acr token).")
def token() -> None:
    """Repository-scoped tokens: a name, two passwords and a scope map (as `az acr token`)."""


def _with_credentials(name: str, token_view: dict[str, Any], passwords: list[dict[str, Any]]) -> dict[str, Any]:
    return {**token_view, "credentials": {"username": name, "passwords": passwords}}


@token.command("create", cls=ScopeMapCommand)
@_name
@click.option("--scope-map", help="The scope map it is bound to.")
@click.option("--repository", "repositories", multiple=True, help=f"Instead of --scope-map: {_REPOSITORY_HELP}")
@click.option("--status", type=click.Choice(["enabled", "disabled"]), default="enabled", show_default=True)
@click.option("--expiration", help="When both passwords expire: 2027-01-31 or 2027-01-31T12:00:00Z.")
@click.option("--expiration-in-days", type=click.IntRange(1, 36500), help="Both passwords expire in this many days.")
@registry_admin_options
@output_options()
def create_token(
    registry: str | None,
    config: Path | None,
    resource: str,
    scope_map: str | None,
    repositories: tuple[str, ...],
    status: str,
    expiration: str | None,
    expiration_in_days: int | None,
    **flags: Any,
) -> None:
    """Create a token with two passwords, printed once. With --repository, a scope map `<name>-scope-map` is
    made for it (as az does)."""
    if bool(scope_map) == bool(repositories):
        raise click.UsageError("give --scope-map, or --repository with its actions")
    body = {"name": resource, "scopeMap": scope_map, "status": status, "expiry": expiry(expiration, expiration_in_days)}
    with admin_session(registry, config, flags) as session:
        own = _own_scope_map(session, resource, repositories) if repositories else None
        body["scopeMap"] = own or scope_map
        try:
            created = session.call("POST", "/tokens", body=body, not_found=_LIST_MAPS, conflict="choose another name")
        except CliError:
            if own is not None:  # leave nothing half-made behind
                session.call("DELETE", f"/scopeMaps/{segment(own)}")
            raise
    emit(_with_credentials(resource, created["token"], created["passwords"]))


def _own_scope_map(session: Session, token_name: str, repositories: tuple[str, ...]) -> str:
    name = f"{token_name}-scope-map"
    actions = scope_map_actions(repositories)
    description = f"Created for the token {token_name}."
    body = {"name": name, "actions": actions, "description": description}
    session.call("POST", "/scopeMaps", body=body, conflict=f"delete the scope map {name} or use --scope-map")
    return name


@token.command("update")
@_name
@click.option("--scope-map", help="Bind it to this scope map.")
@click.option("--status", type=click.Choice(["enabled", "disabled"]), help="Enable or disable it.")
@registry_admin_options
@output_options()
def update_token(
    registry: str | None,
    config: Path | None,
    resource: str,
    scope_map: str | None,
    status: str | None,
    **flags: Any,
) -> None:
    """Enable or disable a token, or bind it to another scope map; takes effect at once."""
    if scope_map is None and status is None:
        raise click.UsageError("give --scope-map or --status")
    with admin_session(registry, config, flags) as session:
        body = {"scopeMap": scope_map, "status": status}
        emit(session.call("PATCH", f"/tokens/{segment(resource)}", body=body, not_found=_LIST_TOKENS))


@token.command("list")
@registry_admin_options
@output_options()
def list_tokens(registry: str | None, config: Path | None, **flags: Any) -> None:
    """List tokens."""
    with admin_session(registry, config, flags) as session:
        emit(session.get("/tokens")["value"], columns=_TOKEN_COLUMNS)


@token.command("show")
@_name
@registry_admin_options
@output_options()
def show_token(registry: str | None, config: Path | None, resource: str, **flags: Any) -> None:
    """Show a token: its scope map, status and its passwords' dates (never their values)."""
    with admin_session(registry, config, flags) as session:
        emit(session.get(f"/tokens/{segment(resource)}", not_found=_LIST_TOKENS))


@token.command("delete")
@_name
@yes_option
@registry_admin_options
def delete_token(registry: str | None, config: Path | None, resource: str, yes: bool, **flags: Any) -> None:
    """Delete a token; its passwords stop working at once."""
    confirm(yes, f"delete token '{resource}'")
    with admin_session(registry, config, flags) as session:
        session.call("DELETE", f"/tokens/{segment(resource)}", not_found=_LIST_TOKENS)


@token.group("credential")
def token_credential() -> None:
    """A token's two passwords (as `az acr token credential`)."""


_which = (
    click.option("--password1", is_flag=True, help="The first password."),
    click.option("--password2", is_flag=True, help="The second password."),
)


def _chosen(password1: bool, password2: bool) -> list[str]:
    chosen = [name for name, flag in (("password1", password1), ("password2", password2)) if flag]
    if not chosen:
        raise click.UsageError("give --password1, --password2 or both")
    return chosen


@token_credential.command("generate")
@_name
@_which[0]
@_which[1]
@click.option("--expiration", help="When the new password expires: 2027-01-31 or 2027-01-31T12:00:00Z.")
@click.option("--expiration-in-days", type=click.IntRange(1, 36500), help="It expires in this many days.")
@registry_admin_options
@output_options()
def generate_password(
    registry: str | None,
    config: Path | None,
    resource: str,
    password1: bool,
    password2: bool,
    expiration: str | None,
    expiration_in_days: int | None,
    **flags: Any,
) -> None:
    """Replace a token's password(s); the new ones are printed once (an expired password is fixed so)."""
    when = expiry(expiration, expiration_in_days)
    passwords = []
    with admin_session(registry, config, flags) as session:
        for which in _chosen(password1, password2):
            body = {"name": which, "expiry": when}
            path = f"/tokens/{segment(resource)}/passwords/generate"
            passwords += session.call("POST", path, body=body, not_found=_LIST_TOKENS)["passwords"]
    emit({"username": resource, "passwords": passwords})


@token_credential.command("delete")
@_name
@_which[0]
@_which[1]
@registry_admin_options
def delete_password(
    registry: str | None, config: Path | None, resource: str, password1: bool, password2: bool, **flags: Any
) -> None:
    """Delete a token's password(s); signing in with them stops working at once."""
    with admin_session(registry, config, flags) as session:
        for which in _chosen(password1, password2):
            session.call("DELETE", f"/tokens/{segment(resource)}/passwords/{which}", not_found=_LIST_TOKENS)
