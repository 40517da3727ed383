"""One typed settings object, loaded once: `dockyard.toml`, then `DOCKYARD_*` variables, then flags.

This is the only module that reads the environment; everything else gets a `Settings` passed down.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from pathlib import Path

ENV_PREFIX = "DOCKYARD_"
DEFAULT_CONFIG_FILE = Path("dockyard.toml")


class SettingsError(ValueError):
    """A setting has a value that cannot be used; the message names the setting and the source."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """Everything `dockyard serve` and the other commands need to know, with its default.

    Each setting's meaning is in `HELP`, which `dockyard --help` and the docs show.
    """

    listen: str = "127.0.0.1:5000"
    data_dir: Path = Path("./data")
    login_server: str = ""
    registry_name: str = "dockyard"
    tls_cert: Path | None = None
    tls_key: Path | None = None
    blob_store_url: str = ""
    metadata_url: str = ""
    upload_expiry_seconds: int = 86400
    gc_grace_seconds: int = 3600
    sparse_manifests: bool = True
    authentication: str = "token"
    trusted_issuers_file: Path | None = None
    access_token_seconds: int = 4500
    refresh_token_seconds: int = 10800
    clock_skew_seconds: int = 60
    token_signing_algorithm: str = "ES256"
    audit_enabled: bool = True
    audit_retention_days: int = 90
    login_throttle_after: int = 5
    login_throttle_refuse_after: int = 10
    login_throttle_window_seconds: int = 300
    workers: int = 1
    log_level: str = "info"

    @property
    def resolved_login_server(self) -> str:
        """The login server: the configured name, else the listen address."""
        return self.login_server or self.listen

    @property
    def realm(self) -> str:
        """The token endpoint's URL, as challenges name it."""
        scheme = "https" if self.tls_cert else "http"
        return f"{scheme}://{self.resolved_login_server}/oauth2/token"

    @property
    def resolved_blob_store_url(self) -> str:
        """The blob store URL with the data-directory default applied."""
        return self.blob_store_url or f"file://{(self.data_dir / 'blobs').resolve()}"

    @property
    def resolved_metadata_url(self) -> str:
        """The metadata URL with the data-directory default applied."""
        return self.metadata_url or f"sqlite:///{(self.data_dir / 'dockyard.db').resolve()}"

    @property
    def listen_host(self) -> str:
        """Host part of `listen` (without IPv6 brackets)."""
        return _split_listen(self.listen)[0]

    @property
    def listen_port(self) -> int:
        """Port part of `listen`."""
        return _split_listen(self.listen)[1]


HELP: dict[str, str] = {
    "listen": "Address and port the server listens on (host:port).",
    "data_dir": "Directory that holds all state: blobs, uploads, metadata.",
    "login_server": "Host name (and port) clients use to reach the registry; defaults to the listen address.",
    "registry_name": "The registry's name: the admin user's user name, as in ACR.",
    "tls_cert": "PEM certificate chain; with tls_key, the server speaks HTTPS.",
    "tls_key": "PEM private key for tls_cert.",
    "blob_store_url": "Where blobs live: file:///path (default: file://<data_dir>/blobs).",
    "metadata_url": "SQLAlchemy URL of the metadata store (default: sqlite:///<data_dir>/dockyard.db).",
    "upload_expiry_seconds": "An upload session untouched this long is discarded.",
    "gc_grace_seconds": "`dockyard gc` never removes a blob uploaded or mounted more recently than this.",
    "sparse_manifests": "Accept manifests whose layers or index children are not pushed (yet): the OCI spec allows "
    "it and mirrors copy only some platforms. false: refuse them with MANIFEST_BLOB_UNKNOWN.",
    "authentication": "token: clients sign in at /oauth2/token and present registry tokens (the default); "
    "open: anyone may pull and push (a registry for a sealed lab network only).",
    "trusted_issuers_file": "JSON file mapping external OIDC issuer URLs to their JWKS (https:// or file://), "
    "for federated credentials.",
    "access_token_seconds": "Lifetime of registry access tokens (at most 75 minutes, as in ACR).",
    "refresh_token_seconds": "Lifetime of registry refresh tokens.",
    "clock_skew_seconds": "Clock difference tolerated on a token's nbf and exp.",
    "token_signing_algorithm": "ES256 (EC P-256) or RS256 (RSA 2048) for new signing keys; older keys keep "
    "verifying until their overlap ends.",
    "audit_enabled": "Record login and repository events (in the metadata store and as JSON lines under "
    "<data_dir>/audit). false: record nothing (benchmarks compare the two).",
    "audit_retention_days": "Login and repository events older than this many days are removed.",
    "login_throttle_after": "Failed sign-ins by one identity from one IP, within the window, after which each "
    "further attempt is slowed.",
    "login_throttle_refuse_after": "Failed sign-ins by one identity from one IP, within the window, after which "
    "attempts are refused with 429 TOOMANYREQUESTS until the window passes (a success resets the count).",
    "login_throttle_window_seconds": "How long failed sign-ins are counted for throttling.",
    "workers": "Number of server worker processes.",
    "log_level": "Server log level: debug, info, warning or error.",
}


def _split_listen(listen: str) -> tuple[str, int]:
    host, sep, port = listen.rpartition(":")
    if not sep or not port.isascii() or not port.isdigit() or not host:
        raise SettingsError(f"listen: expected host:port, got {listen!r}")
    return host.strip("[]"), int(port)


def setting_names() -> list[str]:
    """Names of every setting, in declaration order."""
    return [f.name for f in dataclasses.fields(Settings)]


def setting_help(name: str) -> str:
    """The help text of one setting."""
    return HELP[name]


def _convert(name: str, kind: str, raw: object, source: str) -> object:
    if raw is None:
        return None
    try:
        if kind.startswith("Path"):
            return Path(str(raw)) if str(raw) else None
        if kind == "int":
            if isinstance(raw, bool):
                raise ValueError(raw)
            return int(str(raw))
        if kind == "str":
            return str(raw)
        if kind == "bool":
            if isinstance(raw, bool):
                return raw
            return {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}[str(raw).lower()]
    except (KeyError, ValueError):
        pass
    raise SettingsError(f"{name}: {raw!r} from {source} is not a valid {kind.split(' ')[0]}")


def load_settings(
    flags: Mapping[str, object] | None = None,
    environ: Mapping[str, str] | None = None,
    config_file: Path | None = None,
) -> Settings:
    """Build the settings: defaults, overridden by the TOML file, the environment, then flags.

    `config_file` defaults to `DOCKYARD_CONFIG` or `./dockyard.toml` when that exists. Flags whose
    value is None are treated as not given.
    """
    environ = environ or {}
    fields = {f.name: str(f.type) for f in dataclasses.fields(Settings)}
    values: dict[str, object] = {}

    path = config_file or (Path(environ[f"{ENV_PREFIX}CONFIG"]) if f"{ENV_PREFIX}CONFIG" in environ else None)
    if path is None and DEFAULT_CONFIG_FILE.is_file():
        path = DEFAULT_CONFIG_FILE
    if path is not None:
        try:
            document = tomllib.loads(path.read_text())
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise SettingsError(f"cannot read settings file {path}: {exc}") from exc
        for key, raw in document.items():
            name = key.replace("-", "_")
            if name not in fields:
                raise SettingsError(f"{path}: unknown setting {key!r}")
            values[name] = _convert(name, fields[name], raw, str(path))

    for name, kind in fields.items():
        env_name = ENV_PREFIX + name.upper()
        if env_name in environ:
            values[name] = _convert(name, kind, environ[env_name], env_name)

    for name, raw in (flags or {}).items():
        if raw is not None:
            if name not in fields:
                raise SettingsError(f"unknown setting {name!r}")
            values[name] = _convert(name, fields[name], raw, f"--{name.replace('_', '-')}")

    settings = Settings(**values)  # type: ignore[arg-type]
    _split_listen(settings.listen)
    if settings.authentication not in ("token", "open"):
        raise SettingsError(f"authentication: expected token or open, got {settings.authentication!r}")
    if settings.token_signing_algorithm not in ("ES256", "RS256"):
        raise SettingsError(
            f"token_signing_algorithm: expected ES256 or RS256, got {settings.token_signing_algorithm!r}"
        )
    if not 0 < settings.access_token_seconds <= 4500:
        raise SettingsError("access_token_seconds: must be between 1 and 4500 (75 minutes)")
    if (settings.tls_cert is None) != (settings.tls_key is None):
        raise SettingsError("tls_cert and tls_key must be given together")
    return settings
