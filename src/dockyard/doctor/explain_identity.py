"""Who `--identity` is, as the token service would see it, and whether any of its credentials signs in.

The subject is built by the token service's own code (`subject_of`, `admin_subject`, the token
subject, `anonymous`), never rebuilt here, so `decide()` sees in `explain` what it sees at the token
endpoint. Secrets never leave the stores: only ids, names and expiry dates are read.
"""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.access.decision import Subject, SubjectKind
from dockyard.access.model import RepositoryToken, TokenPassword, TokenPasswordName, TokenStatus
from dockyard.auth.token_service import (
    ADMIN_SUBJECT_ID,
    TOKEN_SUBJECT_PREFIX,
    TokenService,
    token_subject,  # the token service's own
)
from dockyard.directory.model import Principal, PrincipalKind, canonical_uuid
from dockyard.doctor.explain_model import Credential, Expiring
from dockyard.doctor.explain_texts import Finding, finding

ANONYMOUS = "anonymous"


class IdentityNotResolved(Exception):
    """`--identity` names nobody who can sign in (or several): `message` says which, `fix` what to give."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


@dataclass(frozen=True)
class Resolved:
    """The identity found, and the subject the token service builds for it."""

    subject: Subject
    matched_by: str
    principal: Principal | None = None
    token: RepositoryToken | None = None


def resolve(service: TokenService, identity: str, at: float) -> Resolved:
    """Find `identity`: `anonymous`, `admin` (or the registry's name), `token:<name>`, an object id, an
    application (client) id, a user name, a display name, or a token's bare name."""
    text = identity.strip()
    if text.lower() == ANONYMOUS:
        return Resolved(service.anonymous().subject, "anonymous")
    if text.lower() in (ADMIN_SUBJECT_ID, service.registry_name.lower()):
        return Resolved(service.admin_subject(), "admin user")
    if text.startswith(TOKEN_SUBJECT_PREFIX):
        return _token(service, text.removeprefix(TOKEN_SUBJECT_PREFIX), at)
    principal, matched_by = _principal(service, text)
    if principal is None:
        if service.tokens.get_token(text) is not None:
            return _token(service, text, at)
        raise IdentityNotResolved(
            f"no identity named {text!r}",
            "give an object id, application (client) id, user name, display name, token:<name>, admin or anonymous",
        )
    if principal.kind is PrincipalKind.GROUP:
        raise IdentityNotResolved(
            f"{text!r} is a group: groups hold role assignments but never sign in",
            "explain one of its members instead",
        )
    return Resolved(service.subject_of(principal), matched_by, principal=principal)


def _principal(service: TokenService, text: str) -> tuple[Principal | None, str]:
    directory = service.directory
    uuid = canonical_uuid(text)
    if uuid is not None:
        by_object = directory.get_principal(uuid)
        if by_object is not None:
            return by_object, "object id"
        return directory.principal_by_app_id(uuid), "application id"
    user = directory.user_by_name(text.lower())
    if user is not None:
        return user, "user name"
    named = [p for p in directory.list_principals() if p.display_name.casefold() == text.casefold()]
    if len(named) > 1:
        ids = ", ".join(f"{p.object_id} ({p.kind.value})" for p in named)
        raise IdentityNotResolved(f"several principals are named {text!r}: {ids}", "give the object id")
    return (named[0], "display name") if named else (None, "")


def _token(service: TokenService, name: str, at: float) -> Resolved:
    token = service.tokens.get_token(name)
    if token is None:
        raise IdentityNotResolved(f"no repository-scoped token named {name!r}", "check the token's name")
    return Resolved(token_subject(token, _password_in_use(token, at)), "token name", token=token)


def _password_in_use(token: RepositoryToken, at: float) -> TokenPassword:
    """The password a client would best sign in with: one still valid at `at` (the longest-lived),
    else the last to expire. A token without passwords is explained as if it had one that never expires
    (what its scope map would allow); its credential says it cannot sign in."""
    if not token.passwords:
        return TokenPassword(TokenPasswordName.PASSWORD1, created_at=token.created_at)
    live = [p for p in token.passwords if not p.expired(at)]
    candidates = live or list(token.passwords)
    return max(candidates, key=lambda p: float("inf") if p.expiry is None else p.expiry)


def credential(service: TokenService, resolved: Resolved, at: float) -> Credential:
    """The credential state of the identity at `at`: enabled, secrets or passwords with their expiry,
    and the sign-in refusal every one of its credentials would meet (None when one signs in)."""
    kind = resolved.subject.kind
    if kind is SubjectKind.ANONYMOUS:
        return _credential(resolved, True, None, notes=("no credential: a caller without one",))
    if kind is SubjectKind.ADMIN_USER:
        enabled = service.properties.current().admin_user_enabled
        refusal = None if enabled else finding("admin_user_disabled")
        notes = (f"signs in with the user name {service.registry_name!r} and either admin password",)
        return _credential(resolved, enabled, refusal, notes=notes)
    if resolved.token is not None:
        return _token_credential(resolved, resolved.token, at)
    assert resolved.principal is not None
    return _principal_credential(service, resolved, resolved.principal, at)


def _credential(
    resolved: Resolved,
    enabled: bool,
    refusal: Finding | None,
    secrets: tuple[Expiring, ...] = (),
    federated: tuple[str, ...] = (),
    notes: tuple[str, ...] = (),
) -> Credential:
    subject = resolved.subject
    return Credential(
        subject.kind, subject.id, subject.name, resolved.matched_by, enabled, refusal, secrets, federated, notes
    )


def _token_credential(resolved: Resolved, token: RepositoryToken, at: float) -> Credential:
    passwords = tuple(Expiring(p.name.value, p.expiry, p.expired(at)) for p in token.passwords)
    enabled = token.status is TokenStatus.ENABLED
    refusal = None
    if not enabled:
        refusal = finding("token_disabled", token.name)
    elif not passwords:
        refusal = finding("token_has_no_password", token.name)
    elif all(p.expired for p in passwords):
        refusal = finding("token_password_expired", token.name)
    notes = (
        f"bound to scope map {token.scope_map!r}",
        "a refresh token bought with a password stops working when that password expires or is regenerated",
    )
    return _credential(resolved, enabled, refusal, passwords, notes=notes)


def _principal_credential(service: TokenService, resolved: Resolved, principal: Principal, at: float) -> Credential:
    directory = service.directory
    hours = service.refresh_token_seconds / 3600
    notes = [
        "directory tokens last 3 hours and registry refresh tokens "
        f"{hours:g} hours: after that, sign in again (dockyard login / az acr login)"
    ]
    secrets: tuple[Expiring, ...] = ()
    federated: tuple[str, ...] = ()
    refusal = None if principal.enabled else finding("principal_disabled")
    if principal.app_id is not None:
        secrets = tuple(
            Expiring(s.secret_id, s.end_date, s.expired(at)) for s in directory.list_secrets(principal.app_id)
        )
        federated = tuple(f.name for f in directory.list_federated_credentials(principal.app_id))
        expired = [s for s in secrets if s.expired]
        if refusal is None and not federated and len(expired) == len(secrets):
            refusal = finding("secret_expired") if secrets else finding("no_usable_credential", principal.display_name)
        if expired:
            notes.append("a registry refresh token bought before a secret expired works until it expires itself")
    else:
        notes.insert(0, f"signs in as {principal.user_name!r} with its password (user passwords never expire)")
    if principal.app_id is not None:
        notes.insert(0, f"signs in with the application (client) id {principal.app_id}")
    return _credential(resolved, principal.enabled, refusal, secrets, federated, tuple(notes))
