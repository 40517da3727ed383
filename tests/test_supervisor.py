"""`dockyard serve` becomes a fresh supervisor process: the settings it was given reach it whole."""

from __future__ import annotations

from pathlib import Path

from dockyard.settings import Settings
from dockyard.supervisor import decode_settings, encode_settings


def test_settings_reach_the_supervisor_unchanged() -> None:
    settings = Settings(
        listen="0.0.0.0:5443",
        data_dir=Path("/srv/dockyard"),
        tls_cert=Path("/etc/dockyard/cert.pem"),
        tls_key=Path("/etc/dockyard/key.pem"),
        metadata_url="postgresql://dockyard:secret@db/dockyard",
        sparse_manifests=False,
        workers=4,
    )

    assert decode_settings(encode_settings(settings)) == settings


def test_unset_paths_stay_unset() -> None:
    assert decode_settings(encode_settings(Settings())).tls_cert is None
