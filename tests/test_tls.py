"""With a certificate and key, `dockyard serve` speaks HTTPS."""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import httpx

from tests.conftest import require_tool, start_registry


def test_the_server_speaks_https_with_the_configured_certificate(tmp_path: Path) -> None:
    openssl = require_tool("openssl")
    cert, key = tmp_path / "tls.crt", tmp_path / "tls.key"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    server = start_registry(tmp_path / "data", "--tls-cert", str(cert), "--tls-key", str(key), scheme="https")
    try:
        response = httpx.get(f"{server.url}/v2/", verify=ssl.create_default_context(cafile=str(cert)))
        assert response.status_code == 200
        assert response.headers["Docker-Distribution-API-Version"] == "registry/2.0"
    finally:
        server.stop()
