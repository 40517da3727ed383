"""The management API as the admin verbs reach it: over HTTP with the CLI's sign-in (`--name/-n`, or the
login server of the latest `dockyard login`), or in-process as the local operator on a data directory
(`--data-dir`/`--config`, as `serve` uses them). Either way every verb is one or a few calls to
`/api/v1/...`, so a verb behaves the same on a laptop against a remote registry and on the server itself.

API refusals (ARM-shaped `{"error": {...}}`) become one-line `CliError`s with a fix. This module never
prints a secret: error bodies of the API never hold one, and tokens stay in headers.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import click
import httpx

from dockyard.cli.client_files import ClientPaths
from dockyard.cli.directory_client import login_server_and_url
from dockyard.cli.errors import CliError
from dockyard.cli.options import config_option, data_dir_option, load, metadata_url_option
from dockyard.cli.profile import current_directory_token, current_login_server, get_sign_in
from dockyard.settings import ENV_PREFIX

API = "/api/v1"
_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
# Any of these in the environment, or a settings file here, means "the registry on this machine".
_LOCAL_ENVIRONMENT = (f"{ENV_PREFIX}CONFIG", f"{ENV_PREFIX}DATA_DIR", f"{ENV_PREFIX}METADATA_URL")


class ApiError(CliError):
    """A refusal of the management API, with its HTTP status."""

    def __init__(self, status: int, message: str, fix: str | None = None) -> None:
        super().__init__(message, fix=fix)
        self.status = status


@dataclass(frozen=True)
class Target:
    """Which registry a verb manages: a login server (remote), or the data directory of the settings (local)."""

    login_server: str | None
    url: str | None

    @property
    def local(self) -> bool:
        """True when the verb runs in-process as the local operator."""
        return self.login_server is None


_LOGIN_SERVER_HELP = (
    "The registry's login server (host[:port]), signed in to with `dockyard login`. Default: the one signed in "
    "to last, unless --data-dir or --config names a registry on this machine."
)


def admin_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """`--name/-n` (also `--registry/-r`: a login server) and the settings options (`--config`, `--data-dir`,
    `--metadata-url`). The command receives `name`, `config`, `data_dir` and `metadata_url`; pass them on to
    `admin_session` (or `admin_client`)."""
    command = config_option(data_dir_option(metadata_url_option(command)))
    return click.option("--name", "-n", "--registry", "-r", "name", help=_LOGIN_SERVER_HELP)(command)


def registry_admin_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """As `admin_options`, for verbs whose `--name/-n` names their own resource (a token, a scope map), as
    `az acr token|scope-map`: the login server is `--registry/-r`, received as `registry`."""
    command = config_option(data_dir_option(metadata_url_option(command)))
    return click.option("--registry", "-r", "registry", help=_LOGIN_SERVER_HELP)(command)


def _paths() -> ClientPaths:
    return ClientPaths.from_environment(os.environ)


def resolve_target(name: str | None, config: Path | None, flags: Mapping[str, Any]) -> Target:
    """Remote when `name` is given; local when a settings option, `DOCKYARD_CONFIG`/`DOCKYARD_DATA_DIR` or
    `./dockyard.toml` points at a registry here; otherwise the profile's current login server, if any;
    else local (the default data directory)."""
    paths = _paths()
    if name:
        login_server = login_server_and_url(name)[0]
    elif config is not None or any(value is not None for value in flags.values()) or _local_hint():
        return Target(None, None)
    else:
        current = current_login_server(paths)
        if current is None:
            return Target(None, None)
        login_server = current
    sign_in = get_sign_in(paths, login_server)
    if sign_in is None:
        raise CliError(f"not signed in to {login_server}", fix=f"dockyard login -n {login_server}")
    return Target(login_server, sign_in.url)


def _local_hint() -> bool:
    return any(key in os.environ for key in _LOCAL_ENVIRONMENT) or Path("dockyard.toml").is_file()


def admin_client(name: str | None, config: Path | None = None, **flags: Any) -> httpx.Client:
    """A client on the management API: `http(s)://<login server>` with the signed-in identity's directory
    token, or the in-process local operator on the data directory of the settings. Close it when done."""
    return _open(resolve_target(name, config, flags), config, flags)


def _open(target: Target, config: Path | None, flags: Mapping[str, Any]) -> httpx.Client:
    if target.login_server is None:
        from dockyard.management.local import operator_client  # the whole app: only when a verb runs here

        return operator_client(load(config, dict(flags)))
    token = current_directory_token(target.login_server, _paths())
    return httpx.Client(
        base_url=target.url or "",
        headers={"Authorization": f"Bearer {token}", "User-Agent": "dockyard-cli"},
        timeout=_TIMEOUT,
    )


@dataclass
class Session:
    """An open management client and where it points, with calls that turn refusals into `CliError`s."""

    client: httpx.Client
    target: Target

    def get(self, path: str, params: Mapping[str, Any] | None = None, **hints: str) -> Any:
        """GET `/api/v1<path>` and return its JSON."""
        return self.call("GET", path, params=params, **hints)

    def find(self, path: str) -> Any:
        """GET `/api/v1<path>`: its JSON, or None when the API answers 404."""
        try:
            return self.call("GET", path)
        except ApiError as exc:
            if exc.status == 404:
                return None
            raise

    def call(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        not_found: str | None = None,
        conflict: str | None = None,
    ) -> Any:
        """Send one request; return the JSON answer (None for 204). `not_found` and `conflict` are the
        fixes to offer for a 404 and a 409."""
        query = {key: value for key, value in (params or {}).items() if value is not None}
        try:
            response = self.client.request(method, API + path, json=body, params=query)
        except httpx.TransportError as exc:
            where = self.target.login_server or "the local registry"
            raise CliError(
                f"could not connect to the registry login server {where}: {type(exc).__name__}",
                fix="check the name (host[:port]) and that the registry is running: curl -i <url>/v2/",
            ) from None
        if response.status_code >= 400:
            raise api_error(response, self.target, not_found=not_found, conflict=conflict)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()


@contextmanager
def admin_session(name: str | None, config: Path | None, flags: Mapping[str, Any]) -> Iterator[Session]:
    """An `admin_client` for the length of a `with` block, as a `Session`."""
    target = resolve_target(name, config, flags)
    with _open(target, config, flags) as client:
        yield Session(client, target)


def segment(value: str) -> str:
    """A path segment (a name, id or user name) quoted for a URL; repository names keep their slashes."""
    return quote(value, safe="/")


def api_error(
    response: httpx.Response, target: Target, *, not_found: str | None = None, conflict: str | None = None
) -> ApiError:
    """The one-line error and fix for a refusal of the management API."""
    error = _error_body(response)
    code = str(error.get("code") or response.status_code)
    message = _one_line(str(error.get("message") or response.reason_phrase))
    status = response.status_code
    again = f"dockyard login -n {target.login_server}" if target.login_server else "dockyard login -n <login server>"
    if status == 401:
        return ApiError(status, f"the registry refused the sign-in ({code}): {message}", fix=f"sign in again: {again}")
    if status == 403:
        return _forbidden(error, message)
    if status == 404:
        return ApiError(status, message, fix=not_found or "check the name; the matching `list` verb shows what exists")
    if status == 409:
        if code == "OperationDisallowed":
            fix = "unlock it first: dockyard repository update --repository|--image … --delete-enabled true"
        else:
            fix = conflict or "choose another name, or remove what is in the way first"
        return ApiError(status, message, fix=fix)
    if status in (400, 422):
        target_field = error.get("target")
        where = f" (field: {target_field})" if target_field else ""
        return ApiError(status, f"{message}{where}", fix="correct that value and run the command again")
    if status == 429:
        return ApiError(status, message, fix=f"wait {response.headers.get('Retry-After', 'a few')} seconds and retry")
    return ApiError(
        status,
        f"the registry failed: {status} {code}",
        fix="retry; if it keeps failing, look at the registry's log (dockyard serve) and report it",
    )


def _forbidden(error: Mapping[str, Any], message: str) -> ApiError:
    action = error.get("action")
    if not action:
        return ApiError(403, message, fix="ask an Owner of the registry for access")
    reasons = [str(reason.get("code")) for reason in error.get("reasons") or [] if isinstance(reason, dict)]
    why = f" ({', '.join(reasons)})" if reasons else ""
    return ApiError(
        403,
        f"the signed-in identity may not perform '{action}'{why}",
        fix=f"ask an Owner to assign a role that allows {action} (dockyard role assignment create --assignee "
        "<you> --role <role>); `dockyard role definition list` shows the roles",
    )


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        document = response.json()
    except ValueError:
        return {}
    error = document.get("error") if isinstance(document, dict) else None
    return error if isinstance(error, dict) else {}


def _one_line(text: str) -> str:
    return " ".join(text.split())


def confirm(yes: bool, action: str) -> None:
    """Ask before a destructive change (`action`, e.g. "delete user 'alice'") unless `--yes`; without a
    terminal to ask on, refuse."""
    if yes:
        return
    if not sys.stdin.isatty():
        raise CliError(f"refusing to {action} without confirmation", fix="add --yes (-y) to confirm without a prompt")
    click.confirm(f"This will {action}. Are you sure you want to continue?", abort=True)


yes_option = click.option("--yes", "-y", is_flag=True, help="Do not prompt for confirmation.")
