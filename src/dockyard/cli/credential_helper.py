"""`docker-credential-dockyard`: the Docker credential-helper protocol, which docker, podman, skopeo and
buildah speak to a helper named in `credHelpers` (`dockyard login --configure-helper` names this one).

- `get`: a server URL on stdin → `{"ServerURL", "Username", "Secret"}` on stdout. For a login server the
  CLI profile has a sign-in for, the secret is a registry refresh token with at least 15 minutes left,
  renewed through the directory when needed (directory refresh token, client secret or federated token
  file), and the user name is `00000000-0000-0000-0000-000000000000`. Otherwise the credentials `store`d
  for it, or exit 1 with `credentials not found in native keychain` (as the docker-credential-helpers do).
- `store`: `{"ServerURL", "Username", "Secret"}` on stdin, kept in the profile (mode 0600).
- `erase`: a server URL on stdin; forgets the sign-in and the stored credentials.
- `list`: `{"<server URL>": "<user name>"}` for everything known.

Errors go to stdout (where docker reads a helper's message) as one line, with the exit status 1.
"""

from __future__ import annotations

import json
import os
import sys
from typing import IO
from urllib.parse import urlsplit

from dockyard.cli.client_files import TOKEN_USER_NAME, ClientPaths
from dockyard.cli.errors import CliError
from dockyard.cli.profile import current_refresh_token, forget, known_servers, store_credentials, stored_credentials

NOT_FOUND = "credentials not found in native keychain"
_USAGE = "Usage: docker-credential-dockyard <store|get|erase|list|version>"


class HelperError(Exception):
    """A failure reported to the calling client as one line on stdout, exit status 1."""


def server_key(server_url: str) -> str:
    """The login server a server URL names: `https://Host:5000/v2/` → `host:5000`."""
    text = server_url.strip()
    netloc = urlsplit(text if "://" in text else f"//{text}").netloc
    return (netloc or text).lower()


def get(server_url: str, paths: ClientPaths) -> dict[str, str]:
    """The credentials for `server_url`, renewing a sign-in's refresh token when it is about to expire."""
    key = server_key(server_url)
    token = current_refresh_token(key, paths)
    if token is not None:
        return {"ServerURL": server_url, "Username": TOKEN_USER_NAME, "Secret": token}
    stored = stored_credentials(paths, server_url.strip()) or stored_credentials(paths, key)
    if stored is None:
        raise HelperError(NOT_FOUND)
    return {"ServerURL": server_url, "Username": stored[0], "Secret": stored[1]}


def store(document: object, paths: ClientPaths) -> None:
    """Keep the `Username` and `Secret` given for `ServerURL`."""
    if not isinstance(document, dict) or not all(
        isinstance(document.get(name), str) for name in ("ServerURL", "Username", "Secret")
    ):
        raise HelperError('store expects {"ServerURL": "...", "Username": "...", "Secret": "..."} on stdin')
    store_credentials(paths, server_key(document["ServerURL"]), document["Username"], document["Secret"])


def erase(server_url: str, paths: ClientPaths) -> None:
    """Forget everything kept for `server_url`."""
    if not forget(paths, server_key(server_url)):
        raise HelperError(NOT_FOUND)


def run(action: str, stdin: IO[str], stdout: IO[str], paths: ClientPaths) -> int:
    """Carry out one helper action; the exit status."""
    try:
        if action == "get":
            stdout.write(json.dumps(get(_server_url(stdin), paths)) + "\n")
        elif action == "store":
            store(_json(stdin), paths)
        elif action == "erase":
            erase(_server_url(stdin), paths)
        elif action == "list":
            stdout.write(json.dumps(known_servers(paths)) + "\n")
        elif action == "version":
            stdout.write("docker-credential-dockyard (dockyard)\n")
        else:
            raise HelperError(_USAGE)
    except HelperError as exc:
        stdout.write(f"{exc}\n")
        return 1
    except CliError as exc:
        fix = f"; fix: {exc.fix}" if exc.fix else ""
        stdout.write(f"{exc.format_message()}{fix}\n")
        return 1
    return 0


def _server_url(stdin: IO[str]) -> str:
    server_url = stdin.read().strip()
    if not server_url:
        raise HelperError("no server URL on stdin")
    return server_url


def _json(stdin: IO[str]) -> object:
    try:
        return json.loads(stdin.read())
    except ValueError:
        raise HelperError("stdin is not JSON") from None


def main() -> None:
    """The `docker-credential-dockyard` console script."""
    if len(sys.argv) != 2:
        print(_USAGE)
        sys.exit(1)
    sys.exit(run(sys.argv[1], sys.stdin, sys.stdout, ClientPaths.from_environment(os.environ)))
