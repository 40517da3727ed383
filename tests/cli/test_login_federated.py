"""`dockyard login -u <app id> --federated-token @FILE`: a workload signs in with a token from a trusted
external issuer (as `az login --federated-token`), and renewal re-reads the file, as a projected token
rotates."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.jwk import ECKey

from dockyard.cli.errors import CliError
from dockyard.cli.profile import current_directory_token
from tests.auth.conftest import TOKEN_USER_NAME, TokenRegistry, jwt_part, start_token_registry
from tests.cli.conftest import Machine

ISSUER = "https://ci.example.test"
SUBJECT = "repo:team/app:ref:refs/heads/main"
AUDIENCE = "api://AzureADTokenExchange"
KEY = ECKey.generate_key("P-256", parameters={"kid": "ci-1"}, private=True)


@pytest.fixture(scope="module")
def federated_registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    """A registry whose directory trusts the test issuer's keys."""
    root = tmp_path_factory.mktemp("cli-federation")
    (root / "jwks.json").write_text(json.dumps({"keys": [KEY.as_dict(private=False)]}))
    (root / "trusted.json").write_text(json.dumps({ISSUER: f"file://{root / 'jwks.json'}"}))
    registry = start_token_registry(root / "data", "--trusted-issuers-file", str(root / "trusted.json"))
    yield registry
    registry.server.stop()


@pytest.fixture(scope="module")
def app_id(federated_registry: TokenRegistry) -> str:
    """A service principal trusting the test issuer for SUBJECT."""
    with federated_registry.directory() as directory:
        principal = directory.create_service_principal("deployer")
        assert principal.app_id is not None
        directory.add_federated_credential(principal.app_id, "main-branch", ISSUER, SUBJECT, (AUDIENCE,))
    return principal.app_id


def _write_assertion(path: Path) -> str:
    now = int(time.time())
    claims = {"iss": ISSUER, "sub": SUBJECT, "aud": AUDIENCE, "iat": now, "nbf": now, "exp": now + 300,
              "jti": str(time.monotonic_ns())}  # fmt: skip
    token = jwt.encode({"alg": "ES256", "kid": "ci-1"}, claims, KEY)
    path.write_text(token + "\n")
    return token


def test_a_workload_logs_in_with_a_federated_token_file(
    machine: Machine, federated_registry: TokenRegistry, app_id: str
) -> None:
    token_file = machine.home / "token"
    _write_assertion(token_file)

    machine.dockyard("login", "-n", federated_registry.host, "-u", app_id, "--federated-token", f"@{token_file}")

    auth = machine.containers_auth["auths"][federated_registry.host]["auth"]
    user, _, refresh_token = base64.b64decode(auth).decode().partition(":")
    assert user == TOKEN_USER_NAME
    assert federated_registry.token_response(auth=(TOKEN_USER_NAME, refresh_token)).status_code == 200
    assert machine.profile["registries"][federated_registry.host]["federated_token_file"] == str(token_file)


def test_renewal_reads_the_token_file_again_and_says_so_when_it_is_gone(
    machine: Machine, federated_registry: TokenRegistry, app_id: str
) -> None:
    token_file = machine.home / "token"
    _write_assertion(token_file)
    machine.dockyard("login", "-n", federated_registry.host, "-u", app_id, "--federated-token", f"@{token_file}")
    later = time.time() + 3 * 3600

    _write_assertion(token_file)  # the platform rotated the projected token
    renewed = current_directory_token(federated_registry.host, machine.paths, now=later)
    token_file.unlink()
    with pytest.raises(CliError) as gone:
        current_directory_token(federated_registry.host, machine.paths, now=later + 3 * 3600)

    assert jwt_part(renewed, 1)["appid"] == app_id
    assert "cannot read the federated token file" in gone.value.format_message()
    assert gone.value.fix is not None
