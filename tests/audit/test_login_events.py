"""Every authentication attempt at a running server leaves a login event: who (or, for a failure, the
name that was tried), from where, the operation, the result and the exact reason code — and never a
secret or a token."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from dockyard.access.model import TokenPasswordName, TokenStatus
from dockyard.audit.model import LoginEvent, LoginOperation, ResultType
from dockyard.auth.keys import SigningKeys
from dockyard.auth.tokens import issue_refresh_token
from tests.audit import events
from tests.auth.conftest import TOKEN_USER_NAME, TokenRegistry, jwt_part, start_token_registry
from tests.oci import unique_name


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    """A token-auth registry of this module's own."""
    running = start_token_registry(tmp_path_factory.mktemp("audit-logins") / "data")
    yield running
    running.server.stop()


def _agent() -> str:
    return f"audit-test/{uuid.uuid4().hex}"


def _get_token(
    registry: TokenRegistry, auth: tuple[str, str] | None, *scopes: str, agent: str, offline: bool = False
) -> httpx.Response:
    query = [("service", registry.host), *(("scope", scope) for scope in scopes)]
    if offline:
        query.append(("offline_token", "true"))
    with registry.client() as client:
        return client.get("/oauth2/token", params=query, auth=auth, headers={"User-Agent": agent})


def _post(registry: TokenRegistry, path: str, form: dict[str, str], agent: str) -> httpx.Response:
    with registry.client() as client:
        return client.post(path, data=form, headers={"User-Agent": agent})


def _event(registry: TokenRegistry, agent: str) -> LoginEvent:
    [event] = events.login_events(registry.data_dir, lambda e: e.user_agent == agent)
    return event


def _refused(registry: TokenRegistry, auth: tuple[str, str], *scopes: str) -> LoginEvent:
    agent = _agent()
    assert _get_token(registry, auth, *scopes, agent=agent).status_code == 401
    event = _event(registry, agent)
    assert event.result_type is ResultType.FAILURE
    assert event.jwt_id == ""
    return event


def test_a_sign_in_records_the_principal_the_token_it_got_and_the_caller(registry: TokenRegistry) -> None:
    agent = _agent()
    response = _get_token(registry, registry.owner, "repository:team/app:pull", agent=agent)
    with registry.directory() as directory:
        owner = directory.user_by_name("owner")
    assert owner is not None

    event = _event(registry, agent)

    assert (event.identity, event.identity_name) == (owner.object_id, "owner")
    assert (event.result_type, event.operation_name, event.reason) == (ResultType.SUCCESS, LoginOperation.TOKEN, "")
    assert event.jwt_id == jwt_part(response.json()["access_token"], 1)["jti"]
    assert (event.login_server, event.caller_ip_address) == (registry.host, "127.0.0.1")
    assert uuid.UUID(event.correlation_id).version == 4
    assert 0 < event.duration_ms < 10_000
    assert abs(event.time_generated - time.time()) < 60


def test_an_anonymous_token_request_is_recorded_as_anonymous(registry: TokenRegistry) -> None:
    agent = _agent()
    _get_token(registry, None, agent=agent)

    event = _event(registry, agent)

    assert (event.identity, event.result_type) == ("anonymous", ResultType.SUCCESS)


def test_a_wrong_password_names_the_user_tried_and_says_wrong_password(registry: TokenRegistry) -> None:
    event = _refused(registry, ("owner", "not-the-password"), "repository:a:pull")

    assert (event.identity, event.reason, event.operation_name) == ("owner", "wrong_password", LoginOperation.TOKEN)


def test_an_unknown_user_is_not_registered_with_aad_in_the_log_too(registry: TokenRegistry) -> None:
    event = _refused(registry, ("nobody-here", "whatever"))

    assert (event.identity, event.reason) == ("nobody-here", "unknown_user")
    assert "Application not registered" in event.result_description


def test_an_unknown_application_id_says_unknown_application(registry: TokenRegistry) -> None:
    app_id = str(uuid.uuid4())

    event = _refused(registry, (app_id, "some-secret"))

    assert (event.identity, event.reason) == (app_id, "unknown_application")


def test_a_wrong_client_secret_names_the_application_and_says_wrong_secret(registry: TokenRegistry) -> None:
    principal = registry.service_principal(unique_name("sp").replace("/", "-"))

    event = _refused(registry, (principal.app_id, principal.secret + "x"))

    assert (event.identity, event.reason) == (principal.app_id, "wrong_secret")


def test_an_expired_client_secret_says_secret_expired(registry: TokenRegistry) -> None:
    principal = registry.service_principal(unique_name("old").replace("/", "-"), expires_in=-3600)

    assert _refused(registry, (principal.app_id, principal.secret)).reason == "secret_expired"


def test_the_admin_user_while_disabled_says_admin_user_disabled(registry: TokenRegistry) -> None:
    event = _refused(registry, ("dockyard", "any-password"))

    assert (event.identity, event.reason) == ("dockyard", "admin_user_disabled")


def test_a_garbage_refresh_token_is_a_failed_refresh_refresh_token_invalid(registry: TokenRegistry) -> None:
    event = _refused(registry, (TOKEN_USER_NAME, "not.a.token"))

    assert (event.operation_name, event.reason) == (LoginOperation.REFRESH, "refresh_token_invalid")


def test_an_expired_refresh_token_says_refresh_token_expired(registry: TokenRegistry) -> None:
    keys = SigningKeys(registry.data_dir / "keys", issuer=registry.host, overlap=3600)
    expired = issue_refresh_token(
        keys,
        issuer=registry.host,
        audience=registry.host,
        subject="admin",
        now=time.time(),
        lifetime=-3600,
        extra_claims={"roleAssignmentMode": "rbac"},
    )

    assert _refused(registry, (TOKEN_USER_NAME, expired.token)).reason == "refresh_token_expired"


def test_a_refresh_grant_with_a_garbage_token_is_recorded_too(registry: TokenRegistry) -> None:
    agent = _agent()
    form = {"grant_type": "refresh_token", "service": registry.host, "refresh_token": "garbage"}
    assert _post(registry, "/oauth2/token", form, agent).status_code == 401

    event = _event(registry, agent)

    assert (event.operation_name, event.reason) == (LoginOperation.REFRESH, "refresh_token_invalid")


def test_a_refresh_names_the_subject_of_the_refresh_token(registry: TokenRegistry) -> None:
    refresh = registry.token(auth=registry.owner, offline=True)["refresh_token"]
    agent = _agent()
    form = {"grant_type": "refresh_token", "service": registry.host, "refresh_token": refresh, "scope": ""}
    assert _post(registry, "/oauth2/token", form, agent).status_code == 200

    event = _event(registry, agent)

    assert (event.operation_name, event.identity_name, event.result_type) == (
        LoginOperation.REFRESH,
        "owner",
        ResultType.SUCCESS,
    )


def test_a_disabled_repository_token_says_token_disabled(registry: TokenRegistry) -> None:
    name = unique_name("off").replace("/", "-")[:50]
    password = registry.repository_token(name, "_repositories_pull")
    with registry.policy() as policy:
        policy.update_token(name, status=TokenStatus.DISABLED)

    assert _refused(registry, (name, password)).reason == "token_disabled"


def test_an_expired_repository_token_password_says_token_password_expired(registry: TokenRegistry) -> None:
    now = time.time()
    name = unique_name("exp").replace("/", "-")[:50]
    with registry.policy(clock=lambda: now - 3600) as policy:
        _, passwords = policy.create_token(name, "_repositories_pull", expiry=now - 60)

    event = _refused(registry, (name, passwords[TokenPasswordName.PASSWORD1]))

    assert (event.identity, event.reason) == (name, "token_password_expired")


def test_an_action_no_assignment_grants_is_a_success_whose_reason_names_the_denial(registry: TokenRegistry) -> None:
    principal = registry.service_principal(unique_name("none").replace("/", "-"), role=None)
    agent = _agent()
    response = _get_token(registry, (principal.app_id, principal.secret), "repository:team/app:pull", agent=agent)
    assert response.status_code == 200

    event = _event(registry, agent)

    assert (event.identity, event.result_type) == (principal.object_id, ResultType.SUCCESS)
    assert event.reason == "repository:team/app:pull=no_matching_assignment"
    assert "not granted" in event.result_description


def test_malformed_credentials_are_recorded_as_credentials_malformed(registry: TokenRegistry) -> None:
    agent = _agent()
    with registry.client() as client:
        client.get(
            "/oauth2/token",
            params={"service": registry.host},
            headers={"Authorization": "Basic !!", "User-Agent": agent},
        )

    assert _event(registry, agent).reason == "credentials_malformed"


@pytest.mark.parametrize(
    ("form", "reason"),
    [
        ({"grant_type": "implicit"}, "unsupported_grant_type"),
        ({"grant_type": "password", "username": "owner"}, "invalid_request"),
        (
            {"grant_type": "password", "username": "owner", "password": "x", "scope": "repository:A B:pull"},
            "invalid_scope",
        ),
    ],
)
def test_a_malformed_oauth_request_is_recorded_with_its_oauth_error(
    registry: TokenRegistry, form: dict[str, str], reason: str
) -> None:
    agent = _agent()
    _post(registry, "/oauth2/token", form, agent)

    assert _event(registry, agent).reason == reason


def test_directory_sign_ins_and_the_exchange_are_recorded(registry: TokenRegistry) -> None:
    with registry.directory() as directory:
        tenant = directory.tenant_id()
    sign_in, exchange = _agent(), _agent()
    form = {"grant_type": "password", "username": "owner", "password": registry.owner_password}
    directory_token = _post(registry, f"/directory/{tenant}/oauth2/v2.0/token", form, sign_in).json()["access_token"]
    exchange_form = {
        "grant_type": "access_token", "service": registry.host, "tenant": tenant, "access_token": directory_token,
    }  # fmt: skip
    refresh = _post(registry, "/oauth2/exchange", exchange_form, exchange).json()["refresh_token"]

    signed_in, exchanged = _event(registry, sign_in), _event(registry, exchange)

    assert (signed_in.operation_name, signed_in.identity_name) == (LoginOperation.DIRECTORY_TOKEN, "owner")
    assert signed_in.jwt_id == jwt_part(directory_token, 1)["jti"]
    assert (exchanged.operation_name, exchanged.identity_name) == (LoginOperation.EXCHANGE, "owner")
    assert exchanged.jwt_id == jwt_part(refresh, 1)["jti"]
    assert exchanged.identity == signed_in.identity


def test_a_refused_directory_sign_in_says_why(registry: TokenRegistry) -> None:
    principal = registry.service_principal(unique_name("dir").replace("/", "-"))
    with registry.directory() as directory:
        tenant = directory.tenant_id()
    agent = _agent()
    form = {"grant_type": "client_credentials", "client_id": principal.app_id, "client_secret": "wrong"}
    assert _post(registry, f"/directory/{tenant}/oauth2/v2.0/token", form, agent).status_code == 401

    event = _event(registry, agent)

    assert (event.operation_name, event.identity, event.reason) == (
        LoginOperation.DIRECTORY_TOKEN,
        principal.app_id,
        "wrong_secret",
    )


def test_an_exchange_of_a_garbage_directory_token_says_directory_token_invalid(registry: TokenRegistry) -> None:
    with registry.directory() as directory:
        tenant = directory.tenant_id()
    agent = _agent()
    form = {"grant_type": "access_token", "service": registry.host, "tenant": tenant, "access_token": "x.y.z"}
    _post(registry, "/oauth2/exchange", form, agent)

    assert _event(registry, agent).reason == "directory_token_invalid"


def test_no_password_secret_or_token_ever_reaches_the_audit_trail(registry: TokenRegistry) -> None:
    principal = registry.service_principal(unique_name("secret").replace("/", "-"))
    agent = _agent()
    secrets = [registry.owner_password, principal.secret, "a-wrong-password-" + uuid.uuid4().hex]
    grant = _get_token(registry, registry.owner, "repository:a:pull", agent=agent, offline=True).json()
    secrets += [grant["access_token"], grant["refresh_token"]]
    _get_token(registry, (principal.app_id, principal.secret), agent=agent)
    _get_token(registry, ("owner", secrets[2]), agent=agent)
    _get_token(registry, (TOKEN_USER_NAME, grant["refresh_token"]), agent=agent)
    form = {"grant_type": "refresh_token", "service": registry.host, "refresh_token": grant["refresh_token"]}
    _post(registry, "/oauth2/token", form, agent)
    recorded = events.login_events(registry.data_dir, lambda e: e.user_agent == agent, count=5)

    stored = repr(recorded)
    lines = (registry.data_dir / "audit" / "login-events.jsonl").read_text()
    for secret in secrets:
        assert secret not in stored
        assert secret not in lines
