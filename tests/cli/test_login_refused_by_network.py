"""`dockyard login` from an address the network rules refuse says so in one line, naming that address, and
says what to ask for."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.auth.conftest import OWNER, TokenRegistry, start_token_registry
from tests.cli.conftest import Machine


@pytest.fixture
def closed_registry(tmp_path: Path) -> Iterator[TokenRegistry]:
    registry = start_token_registry(tmp_path / "data")
    registry.update("--public-network-enabled", "false")
    try:
        yield registry
    finally:
        registry.server.stop()


def test_a_refused_address_is_named_with_the_fix(machine: Machine, closed_registry: TokenRegistry) -> None:
    result = machine.dockyard(
        "login", "-n", closed_registry.host, "-u", OWNER, "-p", closed_registry.owner_password, ok=False
    )

    assert result.returncode != 0
    assert "client with IP '127.0.0.1' is not allowed access" in result.stderr
    assert "dockyard network-rule add" in result.stderr
    assert "Traceback" not in result.stderr
