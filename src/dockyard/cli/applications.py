"""`dockyard sp …` and `dockyard identity …` (also under `dockyard directory`): service principals with
their client secrets (as `az ad sp` and `az ad sp credential`) and managed identities (as `az identity`),
each with federated credentials (`az identity federated-credential`). A client secret is printed once,
when it is made.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dockyard.cli.api import Session, admin_options, admin_session, confirm, segment, yes_option
from dockyard.cli.directory import PRINCIPAL_COLUMNS, directory, not_found_fix, resolve_by_name
from dockyard.cli.output import emit, output_options

_SPS = "servicePrincipals"
_IDENTITIES = "managedIdentities"
_SECRET_COLUMNS = ("secretId", "hint", "endDate", "createdAt", "expired")
_FEDERATED_COLUMNS = ("name", "issuer", "subject", "audiences", "createdAt")


@click.group("sp", short_help="Service principals and their secrets (az ad sp).")
def sp() -> None:
    """Service principals: applications that sign in with a client secret or a federated token (as `az ad sp`)."""


@click.group("identity", short_help="Managed identities (az identity).")
def identity() -> None:
    """Managed identities: workloads that sign in with a federated token (as `az identity`)."""


directory.add_command(sp)
directory.add_command(identity)


def secret_end(end: str | None, years: int | None) -> str:
    """The end of a client secret as RFC 3339: `--end-date` (a date or a time, UTC unless it says), or
    `--years` from now (one year by default, as az)."""
    if end is not None and years is not None:
        raise click.UsageError("give --end-date or --years, not both")
    if end is None:
        now = datetime.datetime.now(datetime.UTC)
        return (now + datetime.timedelta(days=365 * (years or 1))).strftime("%Y-%m-%dT%H:%M:%SZ")
    try:
        moment = datetime.datetime.fromisoformat(end.strip().replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(f"{end!r} is not a date (2027-01-31) or time (2027-01-31T12:00:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.UTC)
    return moment.isoformat()


def _issued(principal: dict[str, Any], secret: dict[str, Any] | None) -> dict[str, Any]:
    shown = {"appId": principal["appId"], "objectId": principal["objectId"], "displayName": principal["displayName"]}
    if secret is not None:
        shown |= {"password": secret["value"], "endDate": secret["endDate"], "secretId": secret["secretId"]}
    return shown


def _key(session: Session, collection: str, key: str) -> str:
    label = "service principal" if collection == _SPS else "managed identity"
    return segment(resolve_by_name(session, collection, key, label))


# -- service principals ------------------------------------------------------------------------------

_SP_ID = "The application (client) id, object id or display name."


@sp.command("create")
@click.option("--display-name", "display_name", required=True, help="The application's name.")
@click.option("--years", type=click.IntRange(1, 100), help="The first client secret lasts this many years (default 1).")
@click.option("--end-date", help="The first client secret's end: 2027-01-31 or 2027-01-31T12:00:00Z.")
@click.option("--skip-secret", is_flag=True, help="Make no client secret (sign in with a federated token only).")
@admin_options
@output_options()
def create_sp(
    name: str | None,
    config: Path | None,
    display_name: str,
    years: int | None,
    end_date: str | None,
    skip_secret: bool,
    **flags: Any,
) -> None:
    """Register an application with a client secret, printed once (as `az ad sp create-for-rbac`).

    Give it a role with `dockyard role assignment create --assignee <appId> --role AcrPush`."""
    body = {"displayName": display_name, "secretEndDate": None if skip_secret else secret_end(end_date, years)}
    with admin_session(name, config, flags) as session:
        created = session.call("POST", f"/directory/{_SPS}", body=body)
    emit(_issued(created["principal"], created["secret"]))


def _principal_verbs(group: click.Group, collection: str, key_option: Callable[..., Any]) -> None:
    """`list`, `show`, `update` and `delete` for service principals or managed identities."""
    noun = "service principal" if collection == _SPS else "managed identity"

    @group.command("list")
    @admin_options
    @output_options()
    def list_all(name: str | None, config: Path | None, **flags: Any) -> None:
        with admin_session(name, config, flags) as session:
            emit(session.get(f"/directory/{collection}")["value"], columns=PRINCIPAL_COLUMNS)

    list_all.help = f"List {noun}s."

    @group.command("show")
    @key_option
    @admin_options
    @output_options()
    def show(name: str | None, config: Path | None, key: str, **flags: Any) -> None:
        with admin_session(name, config, flags) as session:
            path = f"/directory/{collection}/{_key(session, collection, key)}"
            emit(session.get(path, not_found=not_found_fix(collection)))

    show.help = f"Show a {noun}."

    @group.command("update")
    @key_option
    @click.option("--enabled", type=bool, required=True, help="Enable (true) or disable (false) its sign-in.")
    @admin_options
    @output_options()
    def update(name: str | None, config: Path | None, key: str, enabled: bool, **flags: Any) -> None:
        with admin_session(name, config, flags) as session:
            path = f"/directory/{collection}/{_key(session, collection, key)}"
            emit(session.call("PATCH", path, body={"enabled": enabled}, not_found=not_found_fix(collection)))

    update.help = f"Enable or disable a {noun}."

    @group.command("delete")
    @key_option
    @yes_option
    @admin_options
    def delete(name: str | None, config: Path | None, key: str, yes: bool, **flags: Any) -> None:
        confirm(yes, f"delete {noun} '{key}'")
        with admin_session(name, config, flags) as session:
            path = f"/directory/{collection}/{_key(session, collection, key)}"
            session.call("DELETE", path, not_found=not_found_fix(collection))

    delete.help = f"Delete a {noun} with its credentials (its role assignments stop applying)."


_sp_key = click.option("--id", "key", required=True, help=_SP_ID)
_identity_key = click.option(
    "--identity-name", "--id", "key", required=True, help="The identity's name, client id or object id."
)
_principal_verbs(sp, _SPS, _sp_key)


@sp.group("credential")
def sp_credential() -> None:
    """A service principal's client secrets (as `az ad sp credential`)."""


@sp_credential.command("reset")
@_sp_key
@click.option("--years", type=click.IntRange(1, 100), help="The new secret lasts this many years (default 1).")
@click.option("--end-date", help="The new secret's end: 2027-01-31 or 2027-01-31T12:00:00Z.")
@click.option("--append", is_flag=True, help="Keep the other secrets (default: the new one replaces them all).")
@admin_options
@output_options()
def reset_secret(
    name: str | None,
    config: Path | None,
    key: str,
    years: int | None,
    end_date: str | None,
    append: bool,
    **flags: Any,
) -> None:
    """Make a new client secret, printed once; it replaces every other one unless --append. An expired
    secret is fixed this way."""
    body = {"endDate": secret_end(end_date, years), "append": append}
    with admin_session(name, config, flags) as session:
        path = f"/directory/{_SPS}/{_key(session, _SPS, key)}"
        principal = session.get(path, not_found=not_found_fix(_SPS))
        secret = session.call("POST", f"{path}/secrets/reset", body=body, not_found=not_found_fix(_SPS))
    emit(_issued(principal, secret))


@sp_credential.command("list")
@_sp_key
@admin_options
@output_options()
def list_secrets(name: str | None, config: Path | None, key: str, **flags: Any) -> None:
    """List a service principal's client secrets: ids, hints and end dates (never the values)."""
    with admin_session(name, config, flags) as session:
        path = f"/directory/{_SPS}/{_key(session, _SPS, key)}/secrets"
        emit(session.get(path, not_found=not_found_fix(_SPS))["value"], columns=_SECRET_COLUMNS)


@sp_credential.command("delete")
@_sp_key
@click.option("--key-id", required=True, help="The secret's id (`dockyard sp credential list`).")
@yes_option
@admin_options
def delete_secret(name: str | None, config: Path | None, key: str, key_id: str, yes: bool, **flags: Any) -> None:
    """Delete one client secret."""
    confirm(yes, f"delete client secret '{key_id}'")
    with admin_session(name, config, flags) as session:
        path = f"/directory/{_SPS}/{_key(session, _SPS, key)}/secrets/{segment(key_id)}"
        session.call("DELETE", path, not_found="`dockyard sp credential list --id <app id>` shows the secrets")


# -- managed identities ------------------------------------------------------------------------------


@identity.command("create")
@click.option("--identity-name", "--display-name", "display_name", required=True, help="The identity's name.")
@admin_options
@output_options()
def create_identity(name: str | None, config: Path | None, display_name: str, **flags: Any) -> None:
    """Create a managed identity (as `az identity create`); give it a federated credential to sign in with."""
    with admin_session(name, config, flags) as session:
        created = session.call("POST", f"/directory/{_IDENTITIES}", body={"displayName": display_name})
    emit(created["principal"])


_principal_verbs(identity, _IDENTITIES, _identity_key)


# -- federated credentials ---------------------------------------------------------------------------


def _federated_verbs(owner: click.Group, collection: str, key_option: Callable[..., Any]) -> None:
    """`federated-credential create|list|show|delete` under `owner`."""

    @owner.group("federated-credential")
    def federated() -> None:
        """Trust an external issuer's tokens for one subject (as `az identity federated-credential`)."""

    @federated.command("create")
    @click.option("--credential-name", "credential", required=True, help="The federated credential's name.")
    @key_option
    @click.option("--issuer", required=True, help="The issuer, exactly as its tokens' `iss` says.")
    @click.option("--subject", required=True, help="The `sub` to trust, e.g. system:serviceaccount:ns:name.")
    @click.option("--audiences", multiple=True, help="Audiences to accept (default api://AzureADTokenExchange).")
    @admin_options
    @output_options()
    def create(
        name: str | None,
        config: Path | None,
        credential: str,
        key: str,
        issuer: str,
        subject: str,
        audiences: tuple[str, ...],
        **flags: Any,
    ) -> None:
        """Add a federated credential."""
        body: dict[str, Any] = {"name": credential, "issuer": issuer, "subject": subject}
        if audiences:
            body["audiences"] = [a for value in audiences for a in value.split()]
        with admin_session(name, config, flags) as session:
            path = f"/directory/{collection}/{_key(session, collection, key)}/federatedCredentials"
            emit(session.call("POST", path, body=body, not_found=not_found_fix(collection)))

    @federated.command("list")
    @key_option
    @admin_options
    @output_options()
    def list_all(name: str | None, config: Path | None, key: str, **flags: Any) -> None:
        """List federated credentials."""
        with admin_session(name, config, flags) as session:
            path = f"/directory/{collection}/{_key(session, collection, key)}/federatedCredentials"
            emit(session.get(path, not_found=not_found_fix(collection))["value"], columns=_FEDERATED_COLUMNS)

    @federated.command("show")
    @click.option("--credential-name", "credential", required=True, help="The federated credential's name.")
    @key_option
    @admin_options
    @output_options()
    def show(name: str | None, config: Path | None, credential: str, key: str, **flags: Any) -> None:
        """Show a federated credential."""
        with admin_session(name, config, flags) as session:
            path = (
                f"/directory/{collection}/{_key(session, collection, key)}/federatedCredentials/{segment(credential)}"
            )
            emit(session.get(path, not_found="`… federated-credential list` shows them"))

    @federated.command("delete")
    @click.option("--credential-name", "credential", required=True, help="The federated credential's name.")
    @key_option
    @yes_option
    @admin_options
    def delete(name: str | None, config: Path | None, credential: str, key: str, yes: bool, **flags: Any) -> None:
        """Delete a federated credential."""
        confirm(yes, f"delete federated credential '{credential}'")
        with admin_session(name, config, flags) as session:
            path = (
                f"/directory/{collection}/{_key(session, collection, key)}/federatedCredentials/{segment(credential)}"
            )
            session.call("DELETE", path, not_found="`… federated-credential list` shows them")


_federated_verbs(sp, _SPS, _sp_key)
_federated_verbs(identity, _IDENTITIES, _identity_key)
