"""Values of the directory — principals, client secrets, federated credentials — and the rules their fields obey.

Pure: no I/O. Nothing here holds a secret in clear; hashes live only in the store's rows.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import urlsplit

from dockyard.directory.errors import (
    DisplayNameInvalid,
    FederatedCredentialInvalid,
    PasswordInvalid,
    UserNameInvalid,
)

MAX_DISPLAY_NAME = 256
MIN_PASSWORD = 8
# argon2 hashes any length, but an unbounded password is a cheap way to make every login slow.
MAX_PASSWORD = 256
MAX_FEDERATED_FIELD = 600  # Entra's limit on a federated credential's subject and audiences
# What Entra fills in for a new federated credential, and what workload identity tokens carry.
DEFAULT_FEDERATED_AUDIENCE = "api://AzureADTokenExchange"

_USER_NAME = re.compile(r"[a-z0-9][a-z0-9._@+-]{0,127}")
_FEDERATED_CREDENTIAL_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{2,119}")  # Entra's rule: 3-120 characters
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class PrincipalKind(StrEnum):
    """The kinds of principal the directory holds."""

    USER = "user"
    GROUP = "group"
    SERVICE_PRINCIPAL = "service_principal"
    MANAGED_IDENTITY = "managed_identity"


# Kinds that carry an application (client) id and may hold federated credentials.
APPLICATION_KINDS = frozenset({PrincipalKind.SERVICE_PRINCIPAL, PrincipalKind.MANAGED_IDENTITY})


@dataclass(frozen=True)
class Principal:
    """Anything that can be granted access: a user, group, service principal or managed identity."""

    object_id: str
    kind: PrincipalKind
    display_name: str
    enabled: bool
    created_at: float
    user_name: str | None = None  # users only; lower case
    app_id: str | None = None  # application (client) id of a service principal, client id of a managed identity
    bootstrap: bool = False  # created by the first start (the owner); the authorization layer grants it Owner


@dataclass(frozen=True)
class ClientSecret:
    """A service principal's client secret as an administrator sees it: never its value."""

    secret_id: str
    hint: str  # the value's first characters, so an administrator can tell secrets apart
    end_date: float
    created_at: float

    def expired(self, now: float) -> bool:
        """True from the end date on."""
        return now >= self.end_date


@dataclass(frozen=True)
class IssuedSecret:
    """A client secret just created: the only time its value exists outside its holder."""

    secret_id: str
    hint: str
    end_date: float
    value: str = field(repr=False)


@dataclass(frozen=True)
class FederatedCredential:
    """Trust in an external OIDC issuer: its tokens for `subject`, aimed at one of `audiences`, sign in."""

    credential_id: str
    principal_id: str
    name: str
    issuer: str
    subject: str
    audiences: tuple[str, ...]
    created_at: float


def new_object_id() -> str:
    """A fresh object, tenant, application or credential id."""
    return str(uuid.uuid4())


def canonical_uuid(text: str) -> str | None:
    """The lower-case hyphenated form of a UUID, or None when `text` is not one."""
    try:
        return str(uuid.UUID(text))
    except (ValueError, AttributeError, TypeError):
        return None


def normalize_user_name(user_name: str) -> str:
    """The stored form of a user name (lower case), after checking its grammar.

    A user name never looks like a UUID: at a Basic login a UUID user name means an application id.
    """
    name = user_name.lower()
    if not _USER_NAME.fullmatch(name) or canonical_uuid(name) is not None:
        raise UserNameInvalid(
            "a user name is 1-128 characters of letters, digits and . _ @ + -, starts with a letter or digit, "
            "and is not a UUID"
        )
    return name


def check_password(password: str) -> None:
    """Refuse a password too short or too long (the message never repeats it)."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise PasswordInvalid(f"a password is {MIN_PASSWORD}-{MAX_PASSWORD} characters long")


def check_display_name(display_name: str) -> str:
    """The display name, stripped, once it is non-empty, short enough and free of control characters."""
    name = display_name.strip()
    if not name or len(name) > MAX_DISPLAY_NAME or _CONTROL.search(name):
        raise DisplayNameInvalid(f"a display name is 1-{MAX_DISPLAY_NAME} printable characters")
    return name


def check_federated_credential(name: str, issuer: str, subject: str, audiences: tuple[str, ...]) -> None:
    """Refuse a federated credential Entra would refuse: bad name, issuer that is not a URL, empty fields."""
    if not _FEDERATED_CREDENTIAL_NAME.fullmatch(name):
        raise FederatedCredentialInvalid(
            "a federated credential name is 3-120 letters, digits, - and _, starting with a letter or digit"
        )
    parts = urlsplit(issuer)
    if parts.scheme not in {"https", "http"} or not parts.netloc or len(issuer) > MAX_FEDERATED_FIELD:
        raise FederatedCredentialInvalid("the issuer is the OIDC issuer's URL, exactly as its tokens' iss claim")
    for field_name, value in [("subject", subject), *(("audience", audience) for audience in audiences)]:
        if not value or len(value) > MAX_FEDERATED_FIELD or _CONTROL.search(value):
            raise FederatedCredentialInvalid(f"the {field_name} is 1-{MAX_FEDERATED_FIELD} printable characters")
    if not audiences:
        raise FederatedCredentialInvalid("a federated credential needs at least one audience")
