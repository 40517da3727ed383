"""A real `docker login` against a registry whose network rules refuse the client: docker prints what it
prints against ACR's firewall, `login attempt … failed with status: 403 Forbidden`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.auth.conftest import OWNER, TokenRegistry, start_token_registry
from tests.e2e import Cli
from tests.network import PUBLIC_ACCESS_DISABLED, configure

pytestmark = pytest.mark.e2e


@pytest.fixture
def closed_registry(tmp_path: Path) -> Iterator[TokenRegistry]:
    """A token-auth registry whose public network access is disabled."""
    registry = start_token_registry(tmp_path / "data")
    configure(registry.data_dir, PUBLIC_ACCESS_DISABLED)
    yield registry
    registry.server.stop()


@pytest.fixture
def docker_alone(docker: Cli, tmp_path: Path) -> Cli:
    """docker (the session's private dockerd) with a client config directory of the test's own."""
    config = tmp_path / "docker-config"
    config.mkdir()
    return Cli(docker.argv, {**docker.env, "DOCKER_CONFIG": str(config)})


def test_docker_login_is_refused_with_403_forbidden_by_the_network_rules(
    docker_alone: Cli, closed_registry: TokenRegistry
) -> None:
    result = docker_alone.fails(
        "login", "--username", OWNER, "--password", closed_registry.owner_password, closed_registry.host
    )

    # Error response from daemon: login attempt to http://<host>/v2/ failed with status: 403 Forbidden
    assert "login attempt" in result.stderr, result.stderr
    assert "failed with status: 403 Forbidden" in result.stderr, result.stderr


def test_docker_login_succeeds_from_a_trusted_network(docker_alone: Cli, closed_registry: TokenRegistry) -> None:
    configure(closed_registry.data_dir, ("network-rule", "add", "--trusted-network", "127.0.0.0/8"))

    login = docker_alone.run(
        "login", "--username", OWNER, "--password", closed_registry.owner_password, closed_registry.host
    )

    assert "Login Succeeded" in login.stdout
