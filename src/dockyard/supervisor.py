"""The process that runs granian for the server's lifetime: `python -m dockyard.supervisor`, which
`dockyard serve` becomes (by `exec`, keeping its pid) once the data directory is prepared.

It imports granian and the settings, nothing more: the application is imported by the workers that
granian spawns (`_load_app`). Starting afresh keeps the supervisor small — the preparation before it
(migrations, the directory, keys) needs SQLAlchemy, Alembic and cryptography, which a process cannot
unload — so the supervisor costs about 25 MB of memory instead of 75.

The settings come in the environment variable `DOCKYARD_SERVE_SETTINGS` (JSON), not on the command
line, where `ps` would show a metadata URL's password.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import sys
from pathlib import Path
from typing import Any

from granian.constants import Interfaces, Loops
from granian.log import LogLevels
from granian.server import Server

from dockyard.settings import Settings

SETTINGS_VARIABLE = "DOCKYARD_SERVE_SETTINGS"


def become_supervisor(settings: Settings) -> None:
    """Replace this process with a fresh supervisor for `settings` (never returns)."""
    sys.stdout.flush()
    sys.stderr.flush()
    environment = {**os.environ, SETTINGS_VARIABLE: encode_settings(settings)}
    os.execve(sys.executable, [sys.executable, "-m", "dockyard.supervisor"], environment)


def run(settings: Settings) -> None:
    """Serve `settings`' application under granian until interrupted."""
    server = Server(
        "dockyard.app:create_app",
        address=settings.listen_host,
        port=settings.listen_port,
        interface=Interfaces.ASGI,
        workers=settings.workers,
        loop=Loops.auto,
        log_level=LogLevels(settings.log_level),
        log_access=False,
        ssl_cert=settings.tls_cert,
        ssl_key=settings.tls_key,
        websockets=False,
    )
    server.serve(target_loader=functools.partial(_load_app, settings))


def _load_app(settings: Settings, _target: str) -> Any:
    from dockyard.app import create_app  # in the worker, not the supervisor

    return create_app(settings)


def encode_settings(settings: Settings) -> str:
    """`settings` as the JSON the supervisor reads."""
    return json.dumps({k: str(v) if isinstance(v, Path) else v for k, v in dataclasses.asdict(settings).items()})


def decode_settings(text: str) -> Settings:
    """The settings `encode_settings` wrote."""
    values: dict[str, Any] = json.loads(text)
    paths = {f.name for f in dataclasses.fields(Settings) if "Path" in str(f.type)}
    for name in paths & values.keys():
        if values[name] is not None:
            values[name] = Path(values[name])
    return Settings(**values)


if __name__ == "__main__":
    run(decode_settings(os.environ.pop(SETTINGS_VARIABLE)))
