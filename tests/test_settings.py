"""Settings load once: defaults, then dockyard.toml, then DOCKYARD_* variables, then flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.settings import HELP, Settings, SettingsError, load_settings, setting_names


def test_defaults_listen_on_loopback_port_5000_with_data_in_dot_data() -> None:
    settings = load_settings({}, {}, None)
    assert settings.listen == "127.0.0.1:5000"
    assert settings.data_dir == Path("./data")
    assert settings.resolved_login_server == "127.0.0.1:5000"


def test_environment_overrides_the_file_and_flags_override_both(tmp_path: Path) -> None:
    config = tmp_path / "dockyard.toml"
    config.write_text('listen = "127.0.0.1:6000"\ndata-dir = "/srv/a"\nworkers = 3\n')
    settings = load_settings(
        {"data_dir": "/srv/c", "workers": None},
        {"DOCKYARD_LISTEN": "127.0.0.1:7000", "DOCKYARD_DATA_DIR": "/srv/b"},
        config,
    )
    assert settings.listen == "127.0.0.1:7000"
    assert settings.data_dir == Path("/srv/c")
    assert settings.workers == 3


def test_config_file_is_found_through_dockyard_config(tmp_path: Path) -> None:
    config = tmp_path / "elsewhere.toml"
    config.write_text('login_server = "registry.example.com"\n')
    assert load_settings({}, {"DOCKYARD_CONFIG": str(config)}).login_server == "registry.example.com"


def test_derived_store_urls_live_in_the_data_dir(tmp_path: Path) -> None:
    settings = load_settings({"data_dir": str(tmp_path)}, {}, None)
    assert settings.resolved_metadata_url == f"sqlite:///{tmp_path}/dockyard.db"
    assert settings.resolved_blob_store_url == f"file://{tmp_path}/blobs"


@pytest.mark.parametrize(
    ("flags", "environ", "message"),
    [
        ({"listen": "nohostport"}, {}, "listen"),
        ({}, {"DOCKYARD_WORKERS": "many"}, "DOCKYARD_WORKERS"),
        ({"tls_cert": "/tmp/cert.pem"}, {}, "tls_key"),
    ],
)
def test_bad_values_are_refused_naming_the_setting(
    flags: dict[str, str], environ: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings(flags, environ, None)


def test_unknown_keys_in_the_file_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "dockyard.toml"
    config.write_text("lisen = 1\n")
    with pytest.raises(SettingsError, match="unknown setting 'lisen'"):
        load_settings({}, {}, config)


def test_every_setting_has_help_text() -> None:
    assert sorted(HELP) == sorted(setting_names())
    assert all(Settings.__dataclass_fields__[name] for name in HELP)


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    assert [name for name in setting_names() if f"`{name}`" not in readme] == []
