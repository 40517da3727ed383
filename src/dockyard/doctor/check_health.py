"""`check_health()`: the steps of `dockyard check-health`, in order — environment, the login server's name,
saved credentials, DNS, TCP, TLS, the `/v2/` challenge, the token endpoint, sign-in, access token, permissions —
stopping at the first failure unless asked to go on. Every step is reported as it finishes (`on_step`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dockyard.doctor import connectivity, token_chain
from dockyard.doctor.connectivity import Challenge, Target, target_of
from dockyard.doctor.credentials import AuthFiles, Credentials, saved_credentials, saved_credentials_step
from dockyard.doctor.environment import environment_steps
from dockyard.doctor.steps import Step, StepStatus, skipped
from dockyard.doctor.token_chain import Scope, SignedIn
from dockyard.doctor.vocabulary import StepName


@dataclass(frozen=True)
class HealthRequest:
    """What to check. Without a login server only the environment is checked."""

    auth_files: AuthFiles
    login_server: str | None = None
    credentials: Credentials | None = None  # given on the command line; else the saved ones are used
    scope: Scope | None = None
    ignore_errors: bool = False
    environment: bool = True
    known_servers: tuple[str, ...] = ()  # login servers saved on this machine, to correct a bare name
    confirm: Callable[[str], bool] = field(default=lambda question: False)


@dataclass(frozen=True)
class HealthReport:
    """Every step that ran, in order."""

    login_server: str | None
    steps: tuple[Step, ...]

    @property
    def passed(self) -> bool:
        """Whether no step failed (warnings and skipped steps do not count)."""
        return all(step.ok for step in self.steps)

    def to_json(self) -> dict[str, Any]:
        """The report as `--output json` prints it."""
        return {
            "loginServer": self.login_server,
            "passed": self.passed,
            "steps": [step.to_json() for step in self.steps],
        }


class _Run:
    """The steps so far, and whether to go on after each."""

    def __init__(self, request: HealthRequest, on_step: Callable[[Step], None]) -> None:
        self.request = request
        self.on_step = on_step
        self.steps: list[Step] = []

    def add(self, step: Step) -> bool:
        """Record a step; whether the run goes on."""
        self.steps.append(step)
        self.on_step(step)
        return step.ok or self.request.ignore_errors


def check_health(request: HealthRequest, on_step: Callable[[Step], None] = lambda step: None) -> HealthReport:
    """Run the steps; the report says which passed."""
    run = _Run(request, on_step)
    login_server = None
    if request.environment:
        environment_ok = all([run.add(step) for step in environment_steps()])
        if not environment_ok and not request.confirm("The environment has errors. Check the registry anyway?"):
            return HealthReport(None, tuple(run.steps))
    if request.login_server is not None:
        login_server = _registry_steps(run, request)
    return HealthReport(login_server, tuple(run.steps))


def _registry_steps(run: _Run, request: HealthRequest) -> str | None:
    assert request.login_server is not None
    step, corrected = connectivity.login_server_step(request.login_server, list(request.known_servers))
    name = request.login_server
    if not run.add(step):
        if corrected is None or not request.confirm(f"Check '{corrected}' instead?"):
            return None
        name = corrected
    elif step.status is StepStatus.FAILED and corrected is not None:
        name = corrected
    target = target_of(name)
    credentials = request.credentials or saved_credentials(request.auth_files, target.login_server)[0]
    if not run.add(saved_credentials_step(request.auth_files, target.login_server, request.credentials)):
        return target.login_server
    _network_and_tokens(run, target, credentials, request.scope)
    return target.login_server


def _network_and_tokens(run: _Run, target: Target, credentials: Credentials | None, scope: Scope | None) -> None:
    if not run.add(connectivity.dns_step(target)) or not run.add(connectivity.tcp_step(target)):
        return
    tls, target = connectivity.tls_step(target)
    if not run.add(tls):
        return
    step, challenge = connectivity.challenge_step(target)
    if not run.add(step):
        return
    if challenge is None:
        for name in (StepName.TOKEN_ENDPOINT, StepName.REFRESH_TOKEN, StepName.ACCESS_TOKEN, StepName.PERMISSIONS):
            run.add(skipped(name, "the registry's challenge could not be read"))
        return
    _token_steps(run, target, challenge, credentials, scope)


def _token_steps(
    run: _Run, target: Target, challenge: Challenge, credentials: Credentials | None, scope: Scope | None
) -> None:
    if not run.add(connectivity.token_endpoint_step(target, challenge)):
        return
    step, signed_in = token_chain.refresh_token_step(target, challenge, credentials)
    if not run.add(step):
        return
    if step.status is StepStatus.FAILED:  # going on (--ignore-errors) anonymously, as a client would not
        signed_in = SignedIn(None, None)
    step, token = token_chain.access_token_step(target, challenge, signed_in, scope)
    if not run.add(step):
        return
    run.add(token_chain.permissions_step(target, challenge, signed_in, scope, token))
