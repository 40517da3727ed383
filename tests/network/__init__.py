"""Helpers for network-rule tests (the end-to-end tests use them too)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from tests.auth.conftest import POLICY_REFRESH_SECONDS
from tests.conftest import DOCKYARD

PUBLIC_ACCESS_DISABLED = ("update", "--public-network-enabled", "false")


def denied_body(ip: str) -> str:
    """ACR's refusal, byte for byte."""
    return (
        f'{{"errors":[{{"code":"DENIED","message":"client with IP \'{ip}\' is not allowed access. '
        f'Refer https://aka.ms/acr/firewall to grant access."}}]}}'
    )


def configure(data_dir: Path, *commands: tuple[str, ...]) -> None:
    """Run `dockyard <command> --data-dir …` for each command, then wait until the server must see it."""
    for command in commands:
        subprocess.run([DOCKYARD, *command, "--data-dir", str(data_dir)], check=True, capture_output=True)
    time.sleep(POLICY_REFRESH_SECONDS)
