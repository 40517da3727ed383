"""The CLI's side of signing in, over HTTP: the directory's token endpoint (user password, service principal
secret, federated assertion, directory refresh token) and `/oauth2/exchange` (directory token → registry
refresh token) — what `az login` and `az acr login` do against Entra ID and ACR.

Refusals become `SignInRefused` (a `CliError`) with the server's description and a fix for that cause;
a password, secret or token never appears in one.
"""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from ipaddress import ip_address
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from dockyard.cli.errors import CliError

#: The tenant the CLI signs in to when none is given: Entra's name for "the tenant this account is in".
DEFAULT_TENANT = "organizations"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
_TIMEOUT_SECONDS = 30
_USER_AGENT = "dockyard-cli"
# What to do about each refusal, by a phrase of the server's description.
_FIXES = (
    ("invalid user name or password", "check the user name and password (a service principal signs in with "
     "--service-principal -u <application id> -p <client secret>)"),
    ("application not registered", "check the application (client) id and the tenant (--tenant)"),
    ("client secret has expired", "reset the secret (dockyard sp credential reset) and sign in with the new one"),
    ("invalid client secret", "check the client secret; `dockyard sp credential reset` issues a new one"),
    ("disabled", "ask an administrator to enable the account (or sign in as another one)"),
    ("not found in this directory", "leave --tenant out, or give this directory's tenant id (dockyard serve "
     "prints it when it starts)"),
    ("federated credential", "compare the application's federated credentials (issuer, subject, audience) with "
     "the token's iss, sub and aud"),
    ("trusts no external issuer", "the registry must list the token's issuer in its trusted_issuers_file"),
    ("AADSTS", "sign in again: dockyard login"),
    ("too many failed sign-ins", "wait until the time given has passed, then sign in with the right credentials"),
    ("is not allowed access", "ask an administrator to add your address to the network rules "
     "(dockyard network-rule add --ip-address <cidr>) or to enable public network access"),
)  # fmt: skip


class SignInRefused(CliError):
    """The directory or the token service refused a sign-in; `status` and `error` are the OAuth2 answer's."""

    def __init__(self, message: str, fix: str | None, status: int, error: str) -> None:
        super().__init__(message, fix)
        self.status = status
        self.error = error


@dataclass(frozen=True)
class DirectoryToken:
    """What the directory's token endpoint answered."""

    access_token: str = field(repr=False)
    expires_at: float
    tenant: str
    refresh_token: str | None = field(default=None, repr=False)
    refresh_expires_at: float | None = None


def login_server_and_url(name: str) -> tuple[str, str]:
    """The login server (`host[:port]`, lower case) and the base URL for a name given on the command line.

    `http://` or `https://` may be given; otherwise loopback names are plain HTTP (as docker treats them)
    and every other name HTTPS."""
    text = name.strip().rstrip("/")
    if "://" not in text:
        host = text.lower()
        scheme = "http" if _is_loopback(host) else "https"
        return host, f"{scheme}://{host}"
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        fix = "give the login server as host[:port], e.g. myregistry.example.com"
        raise CliError(f"{name!r} is not a login server", fix=fix)
    host = parts.netloc.lower()
    return host, f"{parts.scheme}://{host}"


def _is_loopback(host: str) -> bool:
    name = urlsplit(f"//{host}").hostname or ""
    if name == "localhost":
        return True
    try:
        return ip_address(name).is_loopback
    except ValueError:
        return False


def sign_in_user(url: str, tenant: str, username: str, password: str) -> DirectoryToken:
    """`grant_type=password` with `offline_access`: a directory token and a directory refresh token."""
    form = {"grant_type": "password", "username": username, "password": password, "scope": "openid offline_access"}
    return _directory_token(url, tenant, form)


def sign_in_service_principal(url: str, tenant: str, client_id: str, secret: str) -> DirectoryToken:
    """`grant_type=client_credentials` with a client secret."""
    form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
    return _directory_token(url, tenant, form)


def sign_in_federated(url: str, tenant: str, client_id: str, assertion: str) -> DirectoryToken:
    """`grant_type=client_credentials` with a federated `client_assertion` (a trusted issuer's JWT)."""
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }
    return _directory_token(url, tenant, form)


def refresh_directory_token(url: str, tenant: str, refresh_token: str) -> DirectoryToken:
    """`grant_type=refresh_token`: a new directory token (and refresh token) without the password."""
    return _directory_token(url, tenant, {"grant_type": "refresh_token", "refresh_token": refresh_token})


def exchange(url: str, login_server: str, tenant: str, directory_token: str) -> str:
    """`POST /oauth2/exchange`: the directory token for a registry refresh token."""
    form = {"grant_type": "access_token", "service": login_server, "tenant": tenant, "access_token": directory_token}
    body = _post(f"{url}/oauth2/exchange", form, login_server)
    token = body.get("refresh_token")
    if not isinstance(token, str):
        raise CliError("the registry answered the exchange without a refresh token", fix="check the login server name")
    return token


def token_expiry(token: str) -> float:
    """A JWT's `exp`, read without verifying it (the client only decides when to renew)."""
    try:
        segment = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
        return float(claims["exp"])
    except (IndexError, ValueError, KeyError, TypeError):
        return 0.0


def token_claim(token: str, name: str) -> Any:
    """One claim of a JWT, read without verifying it."""
    try:
        segment = token.split(".")[1]
        return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))).get(name)
    except (IndexError, ValueError, AttributeError):
        return None


def _directory_token(url: str, tenant: str, form: dict[str, str]) -> DirectoryToken:
    host = urlsplit(url).netloc
    body = _post(f"{url}/directory/{quote(tenant, safe='')}/oauth2/v2.0/token", form, host)
    token = body.get("access_token")
    if not isinstance(token, str):
        raise CliError(f"{host} answered the sign-in without a token", fix="check that it is a Dockyard login server")
    refresh = body.get("refresh_token")
    return DirectoryToken(
        access_token=token,
        expires_at=token_expiry(token),
        tenant=str(token_claim(token, "tid") or tenant),
        refresh_token=refresh if isinstance(refresh, str) else None,
        refresh_expires_at=token_expiry(refresh) if isinstance(refresh, str) else None,
    )


def _post(url: str, form: dict[str, str], login_server: str) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=urlencode(form).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "User-Agent": _USER_AGENT},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=_TIMEOUT_SECONDS) as response:
            return _json_object(response.read())
    except urllib.error.HTTPError as exc:
        raise _refusal(exc, login_server) from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise CliError(
            f"could not connect to the registry login server '{login_server}' ({reason})",
            fix="check the name (host[:port], lower case) and that the registry is running and reachable from here",
        ) from exc


def _json_object(data: bytes) -> dict[str, Any]:
    try:
        document = json.loads(data)
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def _refusal(exc: urllib.error.HTTPError, login_server: str) -> SignInRefused:
    body = _json_object(exc.read())
    error = str(body.get("error", ""))
    oci_errors = body.get("errors")  # the network rules answer in the OCI format, naming the caller's IP
    first = oci_errors[0] if isinstance(oci_errors, list) and oci_errors else None
    oci_message = first.get("message") if isinstance(first, dict) else None
    description = str(body.get("error_description") or oci_message or error or exc.reason)
    if exc.code == 404:
        advice = f"'{login_server}' has no Dockyard directory endpoint: check the login server name"
        return SignInRefused(f"{login_server} answered 404 Not Found", advice, exc.code, error)
    if exc.code == 429:
        description = f"{description} (Retry-After: {exc.headers.get('Retry-After', '?')} s)"
    fix = next((fix for phrase, fix in _FIXES if phrase.lower() in description.lower()), None)
    return SignInRefused(f"sign-in refused: {description}", fix, exc.code, error)
