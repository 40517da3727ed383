"""`dockyard`: serve the registry and maintain its storage. Verbs follow `az acr` where one exists.

Every failure is reported as `error: …` and `fix: …` (see `cli.errors`); `--debug` adds the traceback.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import click

from dockyard.cli.applications import identity, sp
from dockyard.cli.audit import audit, logs
from dockyard.cli.directory import directory
from dockyard.cli.doctor import check_health_command, diagnose_command
from dockyard.cli.errors import DockyardGroup
from dockyard.cli.explain import explain_command
from dockyard.cli.image_import import import_image
from dockyard.cli.login import login, logout
from dockyard.cli.network import network_rule
from dockyard.cli.options import config_option, data_dir_option, load
from dockyard.cli.registry import credential, show, update
from dockyard.cli.repository import repository
from dockyard.cli.roles import role
from dockyard.cli.tokens import scope_map, token
from dockyard.settings import HELP, Settings, setting_help


def _settings(config: Path | None, **flags: Any) -> Settings:
    return load(config, flags)


_config_option = config_option
_data_dir_option = data_dir_option


def _settings_epilog() -> str:
    lines = [
        "Settings come from dockyard.toml (or --config / $DOCKYARD_CONFIG), then DOCKYARD_<NAME> "
        "environment variables, then the flags of each command:"
    ]
    lines += [f"{name} (DOCKYARD_{name.upper()}, --{name.replace('_', '-')}): {HELP[name]}" for name in HELP]
    return "\n\n".join(lines)


@click.group(cls=DockyardGroup, epilog=_settings_epilog())
@click.version_option(package_name="dockyard")
@click.option("--debug", is_flag=True, help="Show the traceback of a failure, and debug logs.")
def main(debug: bool) -> None:
    """Dockyard: a self-hosted OCI registry with ACR-style sign-in.

    Shell completion: eval "$(_DOCKYARD_COMPLETE=bash_source dockyard)" (zsh_source, fish_source)."""


@main.command()
@_config_option
@click.option("--listen", help=setting_help("listen"))
@_data_dir_option
@click.option("--login-server", help=setting_help("login_server"))
@click.option("--registry-name", help=setting_help("registry_name"))
@click.option("--tls-cert", type=click.Path(path_type=Path, dir_okay=False), help=setting_help("tls_cert"))
@click.option("--tls-key", type=click.Path(path_type=Path, dir_okay=False), help=setting_help("tls_key"))
@click.option("--blob-store-url", help=setting_help("blob_store_url"))
@click.option("--metadata-url", help=setting_help("metadata_url"))
@click.option("--upload-expiry-seconds", type=int, help=setting_help("upload_expiry_seconds"))
@click.option("--sparse-manifests/--no-sparse-manifests", default=None, help=setting_help("sparse_manifests"))
@click.option("--authentication", type=click.Choice(["token", "open"]), help=setting_help("authentication"))
@click.option(
    "--trusted-issuers-file", type=click.Path(path_type=Path, dir_okay=False), help=setting_help("trusted_issuers_file")
)
@click.option("--access-token-seconds", type=int, help=setting_help("access_token_seconds"))
@click.option("--refresh-token-seconds", type=int, help=setting_help("refresh_token_seconds"))
@click.option("--clock-skew-seconds", type=int, help=setting_help("clock_skew_seconds"))
@click.option(
    "--token-signing-algorithm", type=click.Choice(["ES256", "RS256"]), help=setting_help("token_signing_algorithm")
)
@click.option("--audit-enabled/--no-audit-enabled", default=None, help=setting_help("audit_enabled"))
@click.option("--audit-retention-days", type=int, help=setting_help("audit_retention_days"))
@click.option("--login-throttle-after", type=int, help=setting_help("login_throttle_after"))
@click.option("--login-throttle-refuse-after", type=int, help=setting_help("login_throttle_refuse_after"))
@click.option("--login-throttle-window-seconds", type=int, help=setting_help("login_throttle_window_seconds"))
@click.option("--workers", type=int, help=setting_help("workers"))
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), help=setting_help("log_level"))
def serve(config: Path | None, **flags: Any) -> None:
    """Run the registry server."""
    from dockyard.server import AddressInUse
    from dockyard.server import serve as run_server

    try:
        run_server(_settings(config, **flags))
    except AddressInUse as exc:
        raise click.ClickException(str(exc)) from exc


@main.command(short_help="Remove blobs no manifest references.")
@_config_option
@_data_dir_option
@click.option("--blob-store-url", help=setting_help("blob_store_url"))
@click.option("--metadata-url", help=setting_help("metadata_url"))
@click.option("--gc-grace-seconds", type=int, help=setting_help("gc_grace_seconds"))
@click.option("--dry-run", is_flag=True, help="Report what would be removed; remove nothing.")
@click.option("--untagged", is_flag=True, help="Also remove manifests that no tag, index or subject keeps.")
def gc(config: Path | None, dry_run: bool, untagged: bool, **flags: Any) -> None:
    """Remove blobs no manifest references (never one younger than the grace period)."""
    from dockyard.app import open_registry
    from dockyard.content.gc import collect_garbage

    settings = _settings(config, **flags)
    registry = open_registry(settings)
    try:
        registry.metadata.migrate()
        report = collect_garbage(registry, settings.gc_grace_seconds, untagged, dry_run)
    finally:
        registry.metadata.close()
    verb = "would remove" if dry_run else "removed"
    for name, digest in report.manifests:
        click.echo(f"{verb} manifest {name}@{digest}")
    for digest in report.blobs:
        click.echo(f"{verb} blob {digest}")
    click.echo(
        f"{verb} {len(report.manifests)} manifests, {len(report.blobs)} blobs "
        f"({report.bytes_freed} bytes); expired {report.uploads_expired} upload sessions"
    )
    sys.stdout.flush()


@main.group()
def keys() -> None:
    """The keys that sign registry tokens."""


@keys.command("certificates")
@_config_option
@_data_dir_option
@click.option("--login-server", help=setting_help("login_server"))
@click.option("--listen", help=setting_help("listen"))
@click.option(
    "--token-signing-algorithm", type=click.Choice(["ES256", "RS256"]), help=setting_help("token_signing_algorithm")
)
def certificates(config: Path | None, **flags: Any) -> None:
    """Print the PEM certificate bundle of the signing keys: another registry's `rootcertbundle`
    (CNCF distribution's `auth.token`), so it accepts Dockyard's tokens."""
    from dockyard.app import signing_keys

    click.echo(signing_keys(_settings(config, **flags)).certificate_bundle(time.time()).decode(), nl=False)


main.add_command(login)
main.add_command(show)
main.add_command(update)
main.add_command(credential)
main.add_command(directory)
main.add_command(sp)
main.add_command(identity)
main.add_command(role)
main.add_command(scope_map)
main.add_command(token)
main.add_command(import_image)
main.add_command(logout)
main.add_command(repository)
main.add_command(logs)
main.add_command(audit)
main.add_command(network_rule)
main.add_command(explain_command)
main.add_command(check_health_command)
main.add_command(diagnose_command)
