"""check-health's first steps: the client tools on this machine (docker, its daemon and version, podman, skopeo,
and the optional helm and notation). Tools are found on PATH and asked their version; nothing else is run."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass

from dockyard.doctor.steps import Step, failed, passed, warned
from dockyard.doctor.vocabulary import CauseId, CheckCode, StepName

MINIMUM_DOCKER = (18, 3)
_TIMEOUT_SECONDS = 15


@dataclass(frozen=True)
class ToolRun:
    """What a tool printed and its exit status."""

    returncode: int
    stdout: str
    stderr: str


Runner = Callable[[list[str]], ToolRun]
Which = Callable[[str], str | None]


def run_tool(argv: list[str]) -> ToolRun:
    """Run a tool (never through a shell) with a time limit."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=_TIMEOUT_SECONDS, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return ToolRun(127, "", str(exc))
    return ToolRun(done.returncode, done.stdout, done.stderr)


def environment_steps(which: Which = shutil.which, run: Runner = run_tool) -> list[Step]:
    """The environment steps, in order."""
    others = [name for name in ("podman", "skopeo") if which(name)]
    docker = which("docker")
    steps = list(_docker_steps(docker, others, run))
    for name, step_name in (("podman", StepName.PODMAN), ("skopeo", StepName.SKOPEO)):
        steps.append(_tool_step(step_name, name, which, run, None, "optional when docker works"))
    steps.append(_tool_step(StepName.HELM, "helm", which, run, CheckCode.HELM_COMMAND_ERROR, "needed for Helm charts"))
    steps.append(
        _tool_step(StepName.NOTATION, "notation", which, run, CheckCode.NOTARY_COMMAND_ERROR, "needed to sign images")
    )
    return steps


def _docker_steps(docker: str | None, others: list[str], run: Runner) -> list[Step]:
    # docker missing or stopped is a failure only when no other client can do its work.
    alternative = f"; {' and '.join(others)} can work without it" if others else ""
    if docker is None:
        cause = f"docker is not installed or not on PATH{alternative}"
        fix = "install Docker 18.03 or later (apt-get install docker.io), or use podman or skopeo"
        make = warned if others else failed
        return [make(StepName.DOCKER_CLIENT, CheckCode.DOCKER_COMMAND_ERROR, cause, fix, CauseId.CLIENT_MISSING)]
    result = run([docker, "version", "--format", "{{json .}}"])
    versions = _json(result.stdout)
    client_part = versions.get("Client")
    client = str(client_part.get("Version", "")) if isinstance(client_part, dict) else ""
    client = client or _first_version(result.stdout + result.stderr)
    steps = [passed(StepName.DOCKER_CLIENT, f"docker {client or '(version unknown)'} at {docker}")]
    server = versions.get("Server")
    if isinstance(server, dict) and server.get("Version"):
        steps.append(passed(StepName.DOCKER_DAEMON, f"the Docker daemon {server['Version']} answers"))
    else:
        message = _first_line(result.stderr) or "the Docker daemon does not answer"
        fix = "start it (sudo systemctl start docker), check DOCKER_HOST, or join the docker group"
        make = warned if others else failed
        cause = f"{message}{alternative}"
        daemon = make(StepName.DOCKER_DAEMON, CheckCode.DOCKER_DAEMON_ERROR, cause, fix, CauseId.DAEMON_NOT_RUNNING)
        steps.append(daemon)
    version = _parse_version(client)
    if version is not None and version < MINIMUM_DOCKER:
        cause = f"docker {client} is older than 18.03"
        steps.append(
            failed(
                StepName.DOCKER_VERSION,
                CheckCode.DOCKER_VERSION_ERROR,
                cause,
                "upgrade Docker to 18.03 or later",
                CauseId.CLIENT_TOO_OLD,
            )
        )
    elif version is not None:
        steps.append(passed(StepName.DOCKER_VERSION, f"docker {client} is 18.03 or later"))
    else:
        steps.append(warned(StepName.DOCKER_VERSION, None, "could not read docker's version", "run: docker version"))
    return steps


def _tool_step(step: StepName, tool: str, which: Which, run: Runner, code: CheckCode | None, why: str) -> Step:
    path = which(tool)
    if path is None:
        return warned(step, code, f"{tool} is not installed ({why})", f"install {tool} if you need it")
    result = run([path, "--version"] if tool != "helm" else [path, "version", "--short"])
    version = _first_version(result.stdout + result.stderr) or "(version unknown)"
    return passed(step, f"{tool} {version} at {path}")


def _json(text: str) -> dict[str, object]:
    try:
        document = json.loads(text.strip().splitlines()[0]) if text.strip() else {}
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _first_version(text: str) -> str:
    match = re.search(r"\d+\.\d+(?:\.\d+)?", text)
    return match.group(0) if match else ""


def _parse_version(text: str) -> tuple[int, int] | None:
    match = re.match(r"(\d+)\.(\d+)", text)
    return (int(match.group(1)), int(match.group(2))) if match else None


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")
