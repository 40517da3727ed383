"""`dockyard serve`: check the address, prepare the data directory, then become the supervisor that runs
the application under granian (`supervisor`), which sends blob files zero-copy (ASGI `http.response.pathsend`)."""

from __future__ import annotations

import logging
import socket

from dockyard.app import prepare, tenant_id
from dockyard.settings import Settings
from dockyard.supervisor import become_supervisor

log = logging.getLogger("dockyard")


class AddressInUse(RuntimeError):
    """Another process already listens on the address."""


def _check_address_free(host: str, port: int) -> None:
    # granian binds with SO_REUSEPORT, so a second server on a busy port would start silently and
    # share the traffic; a plain bind first turns that into a clear error.
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is no obstacle
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise AddressInUse(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


def serve(settings: Settings) -> None:
    """Prepare the data directory and schema, then serve until interrupted."""
    _check_address_free(settings.listen_host, settings.listen_port)
    password_file = prepare(settings)
    scheme = "https" if settings.tls_cert else "http"
    print(
        f"Dockyard serving {scheme}://{settings.listen} (login server {settings.resolved_login_server}); "
        f"data in {settings.data_dir.resolve()}",
        flush=True,
    )
    print(f"Directory tenant {tenant_id(settings)}; authentication: {settings.authentication}", flush=True)
    if password_file is not None:
        print(f"Created the user 'owner'; its initial password is in {password_file}", flush=True)
    become_supervisor(settings)
