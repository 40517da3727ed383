"""`dockyard check-health` and `dockyard diagnose`: the doctor on the command line (as `az acr check-health`).

Readable by default — each step OK / FAILED with its code, cause and fix — and `--output json` for scripts.
check-health exits 0 only when every step passed; diagnose exits 0 when it found a cause (with `--probe`: when one
was confirmed). Passwords and tokens are read from the options or the saved credentials and never printed.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click

from dockyard.cli.client_files import ClientPaths, read_json
from dockyard.cli.output import OutputFormat, current_choice, emit, output_options
from dockyard.doctor.check_health import HealthReport, HealthRequest, check_health
from dockyard.doctor.credentials import TOKEN_USER_NAME, AuthFiles, Credentials
from dockyard.doctor.diagnose import RankedCause, context_of, diagnose
from dockyard.doctor.probe import ProbedCause, judge
from dockyard.doctor.steps import Step, StepStatus
from dockyard.doctor.token_chain import Scope

_ACTIONS = {"pull": "pull", "push": "push", "delete": "delete", "catalog": "*"}
_MARKS = {StepStatus.OK: "OK", StepStatus.FAILED: "FAILED", StepStatus.WARNING: "WARNING", StepStatus.SKIPPED: "SKIP"}


def _registry_options(command: Any) -> Any:
    options = [
        click.option(
            "--name", "-n", "login_server", help="The login server (host[:port]; http:// or https:// to force one)."
        ),
        click.option("--username", "-u", help="Sign in as this user, application id or token name."),
        click.option("--password", "-p", help="Its password or client secret (prompted for when -u is given alone)."),
        click.option("--token", help=f"A registry refresh or access token (user name {TOKEN_USER_NAME})."),
        click.option("--repository", help="Check access to this repository (with --action)."),
        click.option(
            "--action",
            type=click.Choice(sorted(_ACTIONS)),
            default="pull",
            show_default=True,
            help="The action to check on --repository (catalog: list the repositories).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command


@click.command("check-health", short_help="Check the clients here and the way to a registry.")
@_registry_options
@click.option("--ignore-errors", is_flag=True, help="Go on after a failed step.")
@click.option("--yes", "-y", is_flag=True, help="Do not prompt; answer yes.")
@output_options(default=OutputFormat.TABLE)
def check_health_command(ignore_errors: bool, yes: bool, **options: Any) -> None:
    """Check this machine's clients and the way to a registry: name, DNS, TLS, the challenge, sign-in, tokens
    and permissions (as `az acr check-health`). Works against any OCI registry."""
    readable = current_choice().format is OutputFormat.TABLE and not current_choice().query
    request = _request(options, ignore_errors=ignore_errors, yes=yes)
    report = check_health(request, on_step=_print_step if readable else lambda step: None)
    if readable:
        _print_summary(report)
    else:
        emit(report.to_json(), rows=lambda result: result["steps"])
    if not report.passed:
        sys.exit(1)


@click.command("diagnose", short_help="Name the causes of an error message, with their fixes.")
@click.argument("text")
@click.option("--probe", is_flag=True, help="Run the check-health steps that confirm or rule out each cause.")
@_registry_options
@output_options(default=OutputFormat.TABLE)
def diagnose_command(text: str, probe: bool, **options: Any) -> None:
    """Name the causes of an error message from docker, podman, skopeo, oras, az or dockyard, ranked, with their
    fixes. TEXT is the message (quote it), or - to read it from stdin."""
    if text == "-":
        text = sys.stdin.read()
    ranked = diagnose(text)
    context = context_of(text)
    if options.get("repository"):
        context["repository"] = options["repository"]
    context.setdefault("action", options.get("action") or "pull")
    verdicts: list[ProbedCause] = []
    report = None
    if probe:
        options["login_server"] = options.get("login_server") or context.get("login-server")
        if not options["login_server"]:
            raise click.UsageError("--probe needs the login server: -n <login server> (the text names none)")
        report = check_health(_request(options, ignore_errors=True, yes=True, environment=False))
        verdicts = judge(ranked, report)
    readable = current_choice().format is OutputFormat.TABLE and not current_choice().query
    if readable:
        _print_diagnosis(ranked, context, verdicts, report)
    else:
        emit(_diagnosis_json(ranked, context, verdicts, report), rows=lambda result: result["causes"])
    found = any(v.verdict.value == "confirmed" for v in verdicts) if probe else bool(ranked)
    if not found:
        sys.exit(1)


def _request(options: dict[str, Any], *, ignore_errors: bool, yes: bool, environment: bool = True) -> HealthRequest:
    paths = ClientPaths.from_environment(os.environ)
    files = AuthFiles(paths.docker_config, paths.containers_auth)
    repository = options.get("repository")
    scope = (
        Scope(repository or "", _ACTIONS[options.get("action") or "pull"])
        if repository or options.get("action") == "catalog"
        else None
    )
    return HealthRequest(
        auth_files=files,
        login_server=options.get("login_server"),
        credentials=_credentials(options, yes),
        scope=scope,
        ignore_errors=ignore_errors,
        environment=environment,
        known_servers=_known_servers(files),
        confirm=(lambda question: True) if yes else _confirm,
    )


def _credentials(options: dict[str, Any], yes: bool) -> Credentials | None:
    username, password, token = options.get("username"), options.get("password"), options.get("token")
    if token and (username or password):
        raise click.UsageError("give either --token or -u/-p, not both")
    if token:
        return Credentials(TOKEN_USER_NAME, token, "given with --token")
    if password and not username:
        raise click.UsageError("-p needs -u")
    if username and password is None:
        if yes or not sys.stdin.isatty():
            raise click.UsageError("give the password with -p (no terminal to prompt on)")
        password = click.prompt("Password", hide_input=True)
    return Credentials(username, str(password), "given with -u/-p") if username else None


def _known_servers(files: AuthFiles) -> tuple[str, ...]:
    servers: set[str] = set()
    for path in (files.docker_config, files.containers_auth):
        try:
            document = read_json(path)
        except click.ClickException:
            continue
        for section in ("auths", "credHelpers"):
            entries = document.get(section)
            if isinstance(entries, dict):
                servers |= {str(key).removeprefix("https://").removeprefix("http://").rstrip("/") for key in entries}
    return tuple(sorted(servers))


def _confirm(question: str) -> bool:
    if not sys.stdin.isatty():
        return False
    return click.confirm(question, default=False, err=True)


def _print_step(step: Step) -> None:
    mark = _MARKS[step.status]
    code = f"{step.code.value} " if step.code and step.status is not StepStatus.OK else ""
    click.echo(f"{mark:<8}{step.name.value:<18}{code}{step.cause}")
    for line in step.details:
        click.echo(f"{'':26}{line}")
    if step.fix and step.status in (StepStatus.FAILED, StepStatus.WARNING):
        click.echo(f"{'':26}fix: {step.fix}")


def _print_summary(report: HealthReport) -> None:
    failed = [step for step in report.steps if step.status is StepStatus.FAILED]
    if report.passed:
        click.echo("\nAll checks passed." if report.login_server else "\nThe environment checks passed.")
    else:
        codes = ", ".join(step.code.value if step.code else step.name.value for step in failed)
        click.echo(
            f'\n{len(failed)} check(s) failed: {codes}. `dockyard diagnose "<error text>"` names causes of a message.'
        )


def _print_diagnosis(
    ranked: list[RankedCause], context: dict[str, str], verdicts: list[ProbedCause], report: HealthReport | None
) -> None:
    if report is not None:
        for step in report.steps:
            _print_step(step)
        click.echo()
    if not ranked:
        click.echo("No known cause matches this text. Run: dockyard check-health -n <login server>")
        return
    by_cause = {v.ranked.cause.id: v for v in verdicts}
    for suspect in ranked:
        cause = suspect.cause
        verdict = by_cause.get(cause.id)
        status = f" [{verdict.verdict.value}: {verdict.evidence}]" if verdict else ""
        click.echo(f"{suspect.rank}. {cause.title} ({cause.id}, seed cause {cause.seed}){status}")
        click.echo(f"   {' '.join(cause.explanation.split())}")
        click.echo(f"   matched: {'; '.join(suspect.matched)}")
        for line in suspect.fix(context):
            click.echo(f"   fix: {line}")
        probes = ", ".join(probe.value for probe in cause.probes)
        server = "; ".join(f"dockyard logs login --reason {reason}" for reason in cause.reasons[:2])
        click.echo(
            f"   confirm: dockyard diagnose --probe runs {probes}" + (f"; server side: {server}" if server else "")
        )


def _diagnosis_json(
    ranked: list[RankedCause], context: dict[str, str], verdicts: list[ProbedCause], report: HealthReport | None
) -> dict[str, Any]:
    by_cause = {v.ranked.cause.id: v for v in verdicts}
    causes = []
    for suspect in ranked:
        cause = suspect.cause
        verdict = by_cause.get(cause.id)
        causes.append(
            {
                "rank": suspect.rank,
                "cause": cause.id.value,
                "seed": cause.seed,
                "title": cause.title,
                "score": suspect.score,
                "matched": list(suspect.matched),
                "explanation": " ".join(cause.explanation.split()),
                "fix": list(suspect.fix(context)),
                "probes": [probe.value for probe in cause.probes],
                "codes": [code.value for code in cause.codes],
                "reasons": list(cause.reasons),
                "verdict": verdict.verdict.value if verdict else None,
                "evidence": verdict.evidence if verdict else None,
            }
        )
    return {"context": context, "causes": causes, "probe": report.to_json() if report else None}
