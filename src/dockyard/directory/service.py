"""Use cases of the directory: sign-in with each kind of credential, and the owner's bootstrap.

Every sign-in answers with an `AuthResult` whose `reason` is precise enough for the login event; the
token endpoints turn it into an OAuth2 error without the detail. A secret is never put in a result,
an exception or a message, and an unknown name costs as much time as a wrong secret.
"""

from __future__ import annotations

import os
from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from dockyard.directory.errors import BootstrapFileExists, UserNameTaken
from dockyard.directory.model import ClientSecret, FederatedCredential, Principal
from dockyard.directory.secrets import generate_password, hint_of
from dockyard.directory.store import DirectoryStore, SecretRecord

OWNER_USER_NAME = "owner"  # scripts rely on this name
OWNER_PASSWORD_FILE = "initial-owner-password"  # ... and on this file, in the data directory


class AuthReason(StrEnum):
    """Why a sign-in succeeded or failed, as the login event records it."""

    OK = "ok"
    UNKNOWN_USER = "unknown_user"
    WRONG_PASSWORD = "wrong_password"
    UNKNOWN_APPLICATION = "unknown_application"  # "application not registered" in this tenant
    WRONG_SECRET = "wrong_secret"
    SECRET_EXPIRED = "secret_expired"
    ISSUER_NOT_TRUSTED = "issuer_not_trusted"  # no federated credential names the assertion's issuer
    SUBJECT_MISMATCH = "subject_mismatch"  # the issuer is trusted, but not for this subject
    AUDIENCE_MISMATCH = "audience_mismatch"  # issuer and subject match, the audience does not
    PRINCIPAL_DISABLED = "principal_disabled"


@dataclass(frozen=True)
class AuthResult:
    """The outcome of a sign-in.

    `principal` is set only when the sign-in succeeded. `object_id` names the principal the credentials
    pointed at whenever it is known (for the login event's identity, also on failure), and
    `credential_id` the client secret or federated credential that matched.
    """

    principal: Principal | None
    reason: AuthReason
    object_id: str | None = None
    credential_id: str | None = None

    @property
    def ok(self) -> bool:
        """True when the principal is signed in."""
        return self.reason is AuthReason.OK


def _settle(principal: Principal, credential_id: str | None = None) -> AuthResult:
    """The result once the credential is good: only an enabled principal signs in."""
    if not principal.enabled:
        return AuthResult(None, AuthReason.PRINCIPAL_DISABLED, principal.object_id, credential_id)
    return AuthResult(principal, AuthReason.OK, principal.object_id, credential_id)


def authenticate_user(store: DirectoryStore, user_name: str, password: str, now: float) -> AuthResult:
    """Sign a user in with user name and password.

    `now` is the attempt's time (passwords do not expire yet). The password is checked before the
    enabled flag, so only someone who knows it learns that the account is disabled.
    """
    record = store.password_record(user_name)
    if record is None:
        store.hasher.verify_nothing(password)
        return AuthResult(None, AuthReason.UNKNOWN_USER)
    principal = record.principal
    if not store.hasher.verify(record.password_hash, password):
        return AuthResult(None, AuthReason.WRONG_PASSWORD, principal.object_id)
    if store.hasher.needs_rehash(record.password_hash):
        store.set_password(principal.object_id, password)  # the cost parameters changed since it was hashed
    return _settle(principal)


def authenticate_client_secret(store: DirectoryStore, app_id: str, secret: str, now: float) -> AuthResult:
    """Sign a service principal in with its application (client) id and a client secret, at time `now`.

    A managed identity has no client secret, so any secret is wrong for it.
    """
    principal = store.principal_by_app_id(app_id)
    if principal is None:
        store.hasher.verify_nothing(secret)
        return AuthResult(None, AuthReason.UNKNOWN_APPLICATION)
    matched = _matching_secret(store, store.secret_records(app_id), secret)
    if matched is None:
        return AuthResult(None, AuthReason.WRONG_SECRET, principal.object_id)
    if matched.expired(now):
        return AuthResult(None, AuthReason.SECRET_EXPIRED, principal.object_id, matched.secret_id)
    return _settle(principal, matched.secret_id)


def _matching_secret(store: DirectoryStore, records: list[SecretRecord], secret: str) -> ClientSecret | None:
    """The stored secret `secret` is, expired or not. Only secrets with its hint are hashed against."""
    candidates = [record for record in records if record.secret.hint == hint_of(secret)]
    if not candidates:
        store.hasher.verify_nothing(secret)
    return next((record.secret for record in candidates if store.hasher.verify(record.secret_hash, secret)), None)


def authenticate_federated(
    store: DirectoryStore, app_id: str, issuer: str, subject: str, audiences: Collection[str], now: float
) -> AuthResult:
    """Sign a service principal or managed identity in with an external token's `iss`, `sub` and `aud`.

    The caller has already verified the token (signature against the issuer's keys, expiry at `now`);
    this decides whether the principal trusts that issuer for that subject and audience.
    """
    principal = store.principal_by_app_id(app_id)
    if principal is None:
        return AuthResult(None, AuthReason.UNKNOWN_APPLICATION)
    credentials = store.list_federated_credentials(app_id)
    reason, matched = _match_federated(credentials, issuer, subject, audiences)
    if matched is None:
        return AuthResult(None, reason, principal.object_id)
    return _settle(principal, matched.credential_id)


def _match_federated(
    credentials: list[FederatedCredential], issuer: str, subject: str, audiences: Collection[str]
) -> tuple[AuthReason, FederatedCredential | None]:
    """The credential trusting (issuer, subject, one of audiences), or the most precise reason there is none."""
    trusting_issuer = [c for c in credentials if c.issuer == issuer]
    for_subject = [c for c in trusting_issuer if c.subject == subject]
    matched = next((c for c in for_subject if set(c.audiences) & set(audiences)), None)
    if matched is not None:
        return AuthReason.OK, matched
    if not trusting_issuer:
        return AuthReason.ISSUER_NOT_TRUSTED, None
    return (AuthReason.AUDIENCE_MISMATCH if for_subject else AuthReason.SUBJECT_MISMATCH), None


def bootstrap_owner(store: DirectoryStore, data_dir: Path) -> str | None:
    """On first start, create the user `owner` and write its generated password to
    `<data_dir>/initial-owner-password` (mode 0600); return that path, or None when the owner exists.

    The file is created exclusively and never overwritten; the user is committed only once the file
    is written, so processes starting together create one owner and one file.
    """
    if store.user_by_name(OWNER_USER_NAME) is not None:
        return None
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / OWNER_PASSWORD_FILE
    password = generate_password()
    try:
        with store.creating_user(OWNER_USER_NAME, password, display_name="Owner", bootstrap=True):
            _write_new_private_file(path, password + "\n")
    except UserNameTaken:
        return None  # another process bootstrapped it meanwhile
    return str(path)


def _write_new_private_file(path: Path, content: str) -> None:
    """Write `content` to a file that must not exist yet, readable by this user only."""
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise BootstrapFileExists(
            f"{path} exists but there is no owner user; remove the file to bootstrap the owner again"
        ) from None
    try:
        with os.fdopen(descriptor, "w") as file:
            os.fchmod(file.fileno(), 0o600)  # whatever the umask
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
    except BaseException:
        path.unlink()  # a half-written file would block every later bootstrap
        raise
