"""check-health against live registries: Dockyard with token authentication (the owner, an AcrPull-only service
principal, a wrong password, saved credentials), Dockyard open, Dockyard with public access disabled, and the
reference registry (CNCF distribution, Debian `docker-registry`) with htpasswd — Basic authentication."""

from __future__ import annotations

import base64
import json
import subprocess
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from dockyard.doctor.check_health import HealthReport, HealthRequest, check_health
from dockyard.doctor.credentials import TOKEN_USER_NAME, AuthFiles, Credentials
from dockyard.doctor.steps import StepStatus
from dockyard.doctor.token_chain import Scope
from dockyard.doctor.vocabulary import CauseId, CheckCode, StepName
from tests.auth.conftest import OWNER, TokenRegistry, start_token_registry
from tests.conftest import DOCKYARD, RunningRegistry, free_port, require_tool, start_registry


@pytest.fixture(scope="module")
def dockyard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    """Dockyard with token authentication, shared by this module's tests."""
    registry = start_token_registry(tmp_path_factory.mktemp("doctor-token") / "data")
    yield registry
    registry.server.stop()


@pytest.fixture(scope="module")
def open_dockyard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningRegistry]:
    """Dockyard that asks for no credentials."""
    server = start_registry(tmp_path_factory.mktemp("doctor-open") / "data")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def closed_dockyard(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TokenRegistry]:
    """Dockyard with public network access disabled (and no trusted network): everyone gets 403."""
    registry = start_token_registry(tmp_path_factory.mktemp("doctor-closed") / "data")
    registry.update("--public-network-enabled", "false")
    yield registry
    registry.server.stop()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The reference registry with htpasswd authentication (user alice, password secret); its login server."""
    executable = require_tool("docker-registry")
    work = tmp_path_factory.mktemp("doctor-reference")
    (work / "htpasswd").write_text(f"alice:{_bcrypt('secret')}\n")
    host = f"127.0.0.1:{free_port()}"
    config = {
        "version": 0.1,
        "log": {"level": "error"},
        "storage": {"filesystem": {"rootdirectory": str(work / "storage")}},
        "http": {"addr": host},
        "auth": {"htpasswd": {"realm": "basic-realm", "path": str(work / "htpasswd")}},
    }
    (work / "config.yml").write_text(json.dumps(config))  # JSON is YAML
    process = subprocess.Popen(
        [executable, "serve", str(work / "config.yml")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        _wait_for(host)
        yield host
    finally:
        process.terminate()
        process.wait(timeout=15)


def _bcrypt(password: str) -> str:
    """A bcrypt hash (cost 5) as htpasswd -B writes it: from the C library when Python has `crypt`, else htpasswd."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt

        return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=32))
    except (ImportError, AttributeError):
        done = subprocess.run(
            [require_tool("htpasswd"), "-nbB", "-C", "5", "x", password], capture_output=True, text=True, check=True
        )
        return done.stdout.strip().partition(":")[2]


def _wait_for(host: str) -> None:
    import httpx

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://{host}/v2/", timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise RuntimeError("docker-registry did not answer within 20 s")


def _check(
    tmp_path: Path,
    login_server: str,
    credentials: Credentials | None = None,
    scope: Scope | None = None,
    ignore_errors: bool = False,
) -> HealthReport:
    files = AuthFiles(tmp_path / "docker" / "config.json", tmp_path / "auth.json")
    request = HealthRequest(files, login_server, credentials, scope, ignore_errors, environment=False)
    return check_health(request)


def _step(report: HealthReport, name: StepName) -> tuple[StepStatus, CheckCode | None, tuple[CauseId, ...]]:
    step = next(step for step in report.steps if step.name is name)
    return step.status, step.code, step.causes


def _given(username: str, password: str) -> Credentials:
    return Credentials(username, password, "given with -u/-p")


def test_every_step_passes_for_the_owner_asking_to_push(dockyard: TokenRegistry, tmp_path: Path) -> None:
    report = _check(tmp_path, dockyard.host, _given(*dockyard.owner), Scope("team/app", "push"))

    assert report.passed, report.to_json()
    assert [step.name for step in report.steps][-3:] == [
        StepName.REFRESH_TOKEN,
        StepName.ACCESS_TOKEN,
        StepName.PERMISSIONS,
    ]
    assert all(step.status is StepStatus.OK for step in report.steps[-5:])


def test_a_principal_with_acrpull_only_asking_to_push_fails_at_granted_versus_asked(
    dockyard: TokenRegistry, tmp_path: Path
) -> None:
    puller = dockyard.service_principal("doctor-puller", role="AcrPull")

    report = _check(tmp_path, dockyard.host, _given(puller.app_id, puller.secret), Scope("team/app", "push"))

    status, code, causes = _step(report, StepName.PERMISSIONS)
    assert (status, code) == (StepStatus.FAILED, CheckCode.CONNECTIVITY_ACCESS_TOKEN_ERROR)
    assert CauseId.PULL_ONLY_ROLE_PUSHING in causes
    assert "grants pull" in report.steps[-1].cause


def test_a_wrong_password_fails_the_refresh_token_step_with_the_response_code(
    dockyard: TokenRegistry, tmp_path: Path
) -> None:
    report = _check(tmp_path, dockyard.host, _given(OWNER, "not-the-password"))

    status, code, causes = _step(report, StepName.REFRESH_TOKEN)
    assert (status, code) == (StepStatus.FAILED, CheckCode.CONNECTIVITY_REFRESH_TOKEN_ERROR)
    assert causes[0] is CauseId.WRONG_PASSWORD
    assert "Response code: 401" in report.steps[-1].cause
    assert not report.passed


def test_a_registry_token_used_with_a_user_name_is_named_as_the_forgotten_token_user_name(
    dockyard: TokenRegistry, tmp_path: Path
) -> None:
    refresh_token = dockyard.token(auth=dockyard.owner, offline=True)["refresh_token"]

    report = _check(tmp_path, dockyard.host, _given(OWNER, refresh_token))

    assert _step(report, StepName.REFRESH_TOKEN)[2] == (CauseId.TOKEN_USER_NAME_FORGOTTEN,)


def test_credentials_saved_in_the_docker_config_are_found_and_used(dockyard: TokenRegistry, tmp_path: Path) -> None:
    refresh_token = dockyard.token(auth=dockyard.owner, offline=True)["refresh_token"]
    auth = base64.b64encode(f"{TOKEN_USER_NAME}:{refresh_token}".encode()).decode()
    (tmp_path / "docker").mkdir()
    (tmp_path / "docker" / "config.json").write_text(json.dumps({"auths": {dockyard.host: {"auth": auth}}}))

    report = _check(tmp_path, dockyard.host, scope=Scope("team/app", "pull"))

    saved = next(step for step in report.steps if step.name is StepName.SAVED_CREDENTIALS)
    assert "Docker config" in saved.cause and "a registry token" in saved.details[0]
    assert report.passed, report.to_json()
    assert refresh_token not in json.dumps(report.to_json())


def test_an_upper_case_login_server_is_a_login_server_error_with_the_corrected_name(
    dockyard: TokenRegistry, tmp_path: Path
) -> None:
    name = dockyard.host.replace("127.0.0.1", "LocalHost")

    report = _check(tmp_path, name)

    step = report.steps[0]
    assert (step.status, step.code) == (StepStatus.FAILED, CheckCode.LOGIN_SERVER_ERROR)
    assert name.lower() in step.fix
    assert len(report.steps) == 1


def test_an_unknown_host_is_a_dns_error(tmp_path: Path) -> None:
    report = _check(tmp_path, "nosuchregistry.invalid")

    assert _step(report, StepName.DNS)[:2] == (StepStatus.FAILED, CheckCode.CONNECTIVITY_DNS_ERROR)


def test_https_to_the_plain_http_port_is_an_ssl_error_naming_the_mismatch(
    dockyard: TokenRegistry, tmp_path: Path
) -> None:
    report = _check(tmp_path, f"https://{dockyard.host}")

    status, code, causes = _step(report, StepName.TLS)
    assert (status, code, causes) == (
        StepStatus.FAILED,
        CheckCode.CONNECTIVITY_SSL_ERROR,
        (CauseId.HTTP_HTTPS_MISMATCH,),
    )
    assert "plain HTTP" in report.steps[-1].cause


def test_public_access_disabled_is_a_forbidden_error_naming_the_callers_ip(
    closed_dockyard: TokenRegistry, tmp_path: Path
) -> None:
    report = _check(tmp_path, closed_dockyard.host)

    step = report.steps[-1]
    assert (step.name, step.status, step.code) == (
        StepName.CHALLENGE,
        StepStatus.FAILED,
        CheckCode.CONNECTIVITY_FORBIDDEN_ERROR,
    )
    assert "127.0.0.1" in step.cause
    assert CauseId.PUBLIC_ACCESS_DISABLED in step.causes


def test_an_open_registry_asks_for_no_credentials_and_its_repositories_can_be_read(
    open_dockyard: RunningRegistry, tmp_path: Path
) -> None:
    report = _check(tmp_path, open_dockyard.host, scope=Scope("team/app", "pull"))

    assert report.passed, report.to_json()
    assert _step(report, StepName.REFRESH_TOKEN)[0] is StepStatus.SKIPPED
    assert _step(report, StepName.PERMISSIONS)[0] is StepStatus.OK


def test_the_reference_registry_with_htpasswd_passes_with_basic_authentication(reference: str, tmp_path: Path) -> None:
    report = _check(tmp_path, reference, _given("alice", "secret"), Scope("team/app", "pull"))

    assert report.passed, report.to_json()
    challenge = next(step for step in report.steps if step.name is StepName.CHALLENGE)
    assert challenge.cause.startswith("Basic")
    assert _step(report, StepName.ACCESS_TOKEN)[0] is StepStatus.SKIPPED


def test_the_reference_registry_refuses_a_wrong_basic_password_at_the_sign_in_step(
    reference: str, tmp_path: Path
) -> None:
    report = _check(tmp_path, reference, _given("alice", "wrong"))

    assert _step(report, StepName.REFRESH_TOKEN)[:2] == (
        StepStatus.FAILED,
        CheckCode.CONNECTIVITY_REFRESH_TOKEN_ERROR,
    )


def test_the_command_exits_non_zero_and_reports_json_when_a_step_fails(dockyard: TokenRegistry, tmp_path: Path) -> None:
    env = {
        "HOME": str(tmp_path),
        "DOCKER_CONFIG": str(tmp_path / "docker"),
        "REGISTRY_AUTH_FILE": str(tmp_path / "a"),
        "PATH": "/usr/bin:/bin",
    }
    argv = [
        DOCKYARD,
        "check-health",
        "-n",
        dockyard.host,
        "-u",
        OWNER,
        "-p",
        "Secret-Not-To-Print",
        "--yes",
        "-o",
        "json",
    ]

    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60, check=False)

    report = json.loads(done.stdout)
    assert done.returncode == 1
    assert report["passed"] is False
    assert report["steps"][-1]["code"] == "CONNECTIVITY_REFRESH_TOKEN_ERROR"
    assert "Secret-Not-To-Print" not in done.stdout + done.stderr


def test_diagnose_probe_confirms_the_network_rules_against_a_closed_registry(
    closed_dockyard: TokenRegistry, tmp_path: Path
) -> None:
    host = closed_dockyard.host
    text = f"Error response from daemon: login attempt to http://{host}/v2/ failed with status: 403 Forbidden"

    done = subprocess.run(
        [DOCKYARD, "diagnose", "--probe", text, "-o", "json"],
        capture_output=True,
        text=True,
        env={"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        timeout=60,
        check=False,
    )

    verdicts = {cause["cause"]: cause["verdict"] for cause in json.loads(done.stdout)["causes"]}
    assert done.returncode == 0, done.stderr
    assert verdicts["public-access-disabled"] == "confirmed"
