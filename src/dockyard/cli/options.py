"""What every `dockyard` command shares: the settings options (`--config`, `--data-dir`, `--metadata-url`)
and loading the one settings object from them, the environment and the settings file."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from dockyard.settings import Settings, SettingsError, load_settings, setting_help

config_option = click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    default=None,
    help="Settings file (TOML). Default: $DOCKYARD_CONFIG, else ./dockyard.toml if present.",
)
data_dir_option = click.option("--data-dir", type=click.Path(path_type=Path), help=setting_help("data_dir"))
metadata_url_option = click.option("--metadata-url", help=setting_help("metadata_url"))


def store_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--config`, `--data-dir` and `--metadata-url`: what a command needs to open the stores."""
    return config_option(data_dir_option(metadata_url_option(command)))


def load(config: Path | None, flags: dict[str, Any]) -> Settings:
    """The settings from `config`, the environment and `flags`; a bad value is a usage error."""
    try:
        return load_settings(flags, os.environ, config)
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc
