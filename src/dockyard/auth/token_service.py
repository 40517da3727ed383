"""The registry token service: who is asking (authentication), what they may have (`decide()`), and
the tokens that say so (Docker token spec with ACR's dialect).

The precise reason for a refusal goes into the `SignInFailed` exception for the audit log; clients
only ever see ACR's generic texts.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from dockyard.access.decide import decide
from dockyard.access.decision import ANONYMOUS, Decision, Resource, Subject, SubjectKind
from dockyard.access.model import RepositoryToken, TokenPassword, TokenStatus
from dockyard.access.policy import Policy
from dockyard.auth.keys import SigningKeys
from dockyard.auth.scopes import Scope, access_claim, intersect
from dockyard.auth.tokens import (
    MODE_CLAIM,
    NAME_CLAIM,
    PASSWORD_CLAIM,
    Claims,
    IssuedToken,
    RejectReason,
    TokenKind,
    TokenRejected,
    issue_access_token,
    issue_refresh_token,
    verify_token,
)
from dockyard.directory.model import Principal, PrincipalKind
from dockyard.directory.service import AuthReason, authenticate_client_secret, authenticate_user
from dockyard.directory.store import DirectoryStore
from dockyard.policy.store import PolicyStore
from dockyard.properties.store import PropertiesStore

# The user name that marks the password as a registry refresh (or access) token, as in ACR.
TOKEN_USER_NAME = "00000000-0000-0000-0000-000000000000"
_CACHE_LIMIT = 10_000
_SUBJECT_CACHE_SECONDS = 1.0
# The `sub` of tokens issued to the admin user (never a directory object id).
ADMIN_SUBJECT_ID = "admin"
# The `sub` of tokens issued to a repository-scoped token is this prefix and the token's name.
TOKEN_SUBJECT_PREFIX = "token:"
_KINDS = {
    PrincipalKind.USER: SubjectKind.USER,
    PrincipalKind.SERVICE_PRINCIPAL: SubjectKind.SERVICE_PRINCIPAL,
    PrincipalKind.MANAGED_IDENTITY: SubjectKind.MANAGED_IDENTITY,
}


class SignInReason(StrEnum):
    """Why a sign-in at the token service failed: the exact cause for the login event."""

    UNKNOWN_USER = "unknown_user"
    WRONG_PASSWORD = "wrong_password"
    UNKNOWN_APPLICATION = "unknown_application"
    WRONG_SECRET = "wrong_secret"
    SECRET_EXPIRED = "secret_expired"
    PRINCIPAL_DISABLED = "principal_disabled"
    ADMIN_USER_DISABLED = "admin_user_disabled"
    WRONG_ADMIN_PASSWORD = "wrong_admin_password"
    REFRESH_TOKEN_INVALID = "refresh_token_invalid"
    REFRESH_TOKEN_EXPIRED = "refresh_token_expired"
    PRINCIPAL_GONE = "principal_gone"
    PERMISSIONS_MODE_CHANGED = "permissions_mode_changed"
    WRONG_TOKEN_PASSWORD = "wrong_token_password"
    TOKEN_DISABLED = "token_disabled"
    TOKEN_PASSWORD_EXPIRED = "token_password_expired"
    TOKEN_PASSWORD_REGENERATED = "token_password_regenerated"


class SignInFailed(Exception):
    """Authentication failed; `reason` is for the log, never for the client. `subject_id` and
    `subject_name` name whom a verified refresh token was issued to, when it was refused later on."""

    def __init__(self, reason: SignInReason, application_unknown: bool = False) -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.application_unknown = application_unknown
        self.subject_id = ""
        self.subject_name = ""


@dataclass(frozen=True)
class SignedIn:
    """A successful sign-in: who, and until when tokens minted from it may live (a refresh token's
    expiry; None for a password or secret, which bounds nothing)."""

    subject: Subject
    not_after: float | None = None
    password: TokenPassword | None = None  # a repository-scoped token's password used to sign in


@dataclass(frozen=True)
class ActionDecision:
    """What `decide()` said about one action asked for, kept for the login log."""

    type: str
    name: str
    action: str
    decision: Decision

    def __str__(self) -> str:
        return f"{self.type}:{self.name}:{self.action} {self.decision}"


@dataclass(frozen=True)
class TokenGrant:
    """What the token endpoint answers: an access token and, when asked for, a refresh token,
    with the decision behind every action asked for."""

    access_token: IssuedToken
    issued_at: float
    lifetime: int
    refresh_token: IssuedToken | None
    decisions: tuple[ActionDecision, ...] = ()

    @property
    def denials(self) -> tuple[ActionDecision, ...]:
        """The actions asked for and not granted."""
        return tuple(d for d in self.decisions if not d.decision.allowed)


@dataclass
class TokenService:
    """Signs in callers and issues registry tokens for what `decide()` allows them."""

    keys: SigningKeys
    directory: DirectoryStore
    issuer: str
    service: str
    policy: Callable[[], Policy]
    properties: PropertiesStore
    tokens: PolicyStore
    registry_name: str
    access_token_seconds: int = 75 * 60
    refresh_token_seconds: int = 3 * 60 * 60
    leeway: int = 60  # seconds of clock skew allowed on nbf/exp
    _token_cache: dict[str, Claims] = field(default_factory=dict, repr=False)
    _subject_cache: dict[str, tuple[float, Subject]] = field(default_factory=dict, repr=False)

    def sign_in(self, username: str, password: str, now: float) -> SignedIn:
        """The subject behind Basic credentials: a user, a service principal (application id +
        client secret), or the token user name with a registry refresh token (or access token)."""
        if username == TOKEN_USER_NAME:
            return self.subject_of_refresh_token(password, now, accept_access_token=True)
        if username == self.registry_name:
            return SignedIn(self._admin_sign_in(password))
        token = None if _is_uuid(username) else self.tokens.get_token(username)
        if token is not None:
            return self._token_sign_in(token, password, now)
        if _is_uuid(username):
            result = authenticate_client_secret(self.directory, username, password, now)
        else:
            result = authenticate_user(self.directory, username, password, now)
        if result.principal is None:
            reason = SignInReason(result.reason.value)
            # ACR answers "Application not registered with AAD." for any name that is no principal.
            unknown = result.reason in (AuthReason.UNKNOWN_APPLICATION, AuthReason.UNKNOWN_USER)
            raise SignInFailed(reason, application_unknown=unknown)
        return SignedIn(self.subject_of(result.principal))

    def _admin_sign_in(self, password: str) -> Subject:
        matches = self.properties.admin_password_matches(password)
        if not self.properties.current().admin_user_enabled:
            raise SignInFailed(SignInReason.ADMIN_USER_DISABLED)
        if not matches:
            raise SignInFailed(SignInReason.WRONG_ADMIN_PASSWORD)
        return self.admin_subject()

    def _token_sign_in(self, token: RepositoryToken, password: str, now: float) -> SignedIn:
        """A repository-scoped token signs in with its name and either password, while it is enabled
        and that password has not expired."""
        record = self.tokens.verify_token_password(token.name, password)
        if record is None:
            raise SignInFailed(SignInReason.WRONG_TOKEN_PASSWORD)
        if token.status is not TokenStatus.ENABLED:
            raise SignInFailed(SignInReason.TOKEN_DISABLED)
        if record.expired(now):
            raise SignInFailed(SignInReason.TOKEN_PASSWORD_EXPIRED)
        return SignedIn(token_subject(token, record), not_after=record.expiry, password=record)

    def _token_signed_in_now(self, claims: Claims, now: float) -> SignedIn:
        """The repository-scoped token behind a refresh token, as it is now: still there, enabled, and
        the password it was bought with neither expired nor regenerated since."""
        token = self.tokens.get_token(claims.subject.removeprefix(TOKEN_SUBJECT_PREFIX))
        if token is None:
            raise SignInFailed(SignInReason.PRINCIPAL_GONE)
        record = next((p for p in token.passwords if p.name == claims.extra.get(PASSWORD_CLAIM)), None)
        if record is None or int(record.created_at) > claims.issued_at:  # `iat` is whole seconds
            raise SignInFailed(SignInReason.TOKEN_PASSWORD_REGENERATED)
        if token.status is not TokenStatus.ENABLED:
            raise SignInFailed(SignInReason.TOKEN_DISABLED)
        if record.expired(now):
            raise SignInFailed(SignInReason.TOKEN_PASSWORD_EXPIRED)
        return SignedIn(token_subject(token, record), not_after=claims.expires_at, password=record)

    def admin_subject(self) -> Subject:
        """The admin user, named after the registry as in ACR."""
        return Subject(SubjectKind.ADMIN_USER, ADMIN_SUBJECT_ID, self.registry_name)

    def subject_of_refresh_token(self, token: str, now: float, accept_access_token: bool = False) -> SignedIn:
        """The subject a refresh token (or, where ACR takes one, an access token) was issued to,
        if it is valid and they still exist."""
        kinds = (TokenKind.REFRESH, TokenKind.ACCESS) if accept_access_token else (TokenKind.REFRESH,)
        try:
            claims = self._verified_token(token, now, kinds)
        except TokenRejected as exc:
            expired = exc.reason is RejectReason.EXPIRED
            raise SignInFailed(
                SignInReason.REFRESH_TOKEN_EXPIRED if expired else SignInReason.REFRESH_TOKEN_INVALID
            ) from None
        try:
            return self._signed_in_now(claims, now)
        except SignInFailed as exc:  # the token is genuine: the login event may name its subject
            name = claims.extra.get(NAME_CLAIM)
            exc.subject_id, exc.subject_name = claims.subject, name if isinstance(name, str) else ""
            raise

    def _signed_in_now(self, claims: Claims, now: float) -> SignedIn:
        """The subject of a verified refresh token, if the mode it was minted under and the subject still hold."""
        if claims.extra.get(MODE_CLAIM) != self.properties.current().role_assignment_mode.value:
            raise SignInFailed(SignInReason.PERMISSIONS_MODE_CHANGED)
        if claims.subject.startswith(TOKEN_SUBJECT_PREFIX):
            return self._token_signed_in_now(claims, now)
        if claims.subject == ADMIN_SUBJECT_ID:
            if not self.properties.current().admin_user_enabled:
                raise SignInFailed(SignInReason.ADMIN_USER_DISABLED)
            return SignedIn(self.admin_subject(), not_after=claims.expires_at)
        return SignedIn(self._current_subject(claims.subject, now), not_after=claims.expires_at)

    def _verified_token(self, token: str, now: float, kinds: Sequence[TokenKind]) -> Claims:
        """Verify once per token: a refresh token is presented again and again until it expires."""
        cached = self._token_cache.get(token)
        if cached is not None and cached.kind in kinds and cached.valid_at(now, self.leeway):
            return cached
        claims = self._verify_any(token, now, kinds)
        if len(self._token_cache) >= _CACHE_LIMIT:
            self._token_cache.clear()
        self._token_cache[token] = claims
        return claims

    def _current_subject(self, object_id: str, now: float) -> Subject:
        """The principal as the directory has it now — re-read at most once a second (the same
        bound registry properties have), so disabling or deleting it stops new tokens within a second."""
        cached = self._subject_cache.get(object_id)
        if cached is not None and now < cached[0]:
            return cached[1]
        principal = self.directory.get_principal(object_id) if _is_uuid(object_id) else None
        if principal is None:
            raise SignInFailed(SignInReason.PRINCIPAL_GONE)
        if not principal.enabled:
            raise SignInFailed(SignInReason.PRINCIPAL_DISABLED)
        subject = self.subject_of(principal)
        if len(self._subject_cache) >= _CACHE_LIMIT:
            self._subject_cache.clear()
        self._subject_cache[object_id] = (now + _SUBJECT_CACHE_SECONDS, subject)
        return subject

    def _verify_any(self, token: str, now: float, kinds: Sequence[TokenKind]) -> Claims:
        for kind in kinds[:-1]:
            try:
                return self._verify(token, now, kind)
            except TokenRejected as exc:
                if exc.reason is not RejectReason.WRONG_KIND:
                    raise
        return self._verify(token, now, kinds[-1])

    def _verify(self, token: str, now: float, kind: TokenKind) -> Claims:
        return verify_token(
            self.keys, token, audience=self.service, issuer=self.issuer, now=now, leeway=self.leeway, expected_kind=kind
        )

    def subject_of(self, principal: Principal) -> Subject:
        """The decision subject for a directory principal, with its transitive groups."""
        return Subject(
            kind=_KINDS.get(principal.kind, SubjectKind.USER),
            id=principal.object_id,
            name=principal.user_name or principal.display_name,
            enabled=principal.enabled,
            groups=self.directory.groups_of(principal.object_id),
        )

    def granted(
        self, subject: Subject, scopes: Sequence[Scope], policy: Policy, now: float
    ) -> tuple[list[Scope], list[ActionDecision]]:
        """Each requested scope narrowed to the actions `decide()` allows (never an error for
        asking too much; scopes left with no action are dropped), and every decision taken."""
        granted = []
        decisions = []
        for scope in scopes:
            resource = Resource(scope.type, scope.name)
            allowed = set()
            for action in sorted(_expand(scope)):
                decision = decide(subject, action, resource, policy, now)
                decisions.append(ActionDecision(scope.type, scope.name, action, decision))
                if decision.allowed:
                    allowed.add(action)
            narrowed = intersect(scope, allowed)
            if narrowed.actions:
                granted.append(narrowed)
        return granted, decisions

    def issue(self, signed_in: SignedIn, scopes: Sequence[Scope], now: float, offline: bool) -> TokenGrant:
        """An access token for what the subject may do of `scopes`, and a refresh token if `offline`.

        An access token never outlives the refresh token it was bought with.
        """
        subject = signed_in.subject
        policy = self.policy()
        binding = {MODE_CLAIM: policy.mode.value}
        if signed_in.password is not None:
            binding[PASSWORD_CLAIM] = signed_in.password.name.value
        refresh = None
        lifetime = self.access_token_seconds
        if signed_in.not_after is not None:
            lifetime = max(1, min(lifetime, int(signed_in.not_after - now)))
        if offline and subject.kind is not SubjectKind.ANONYMOUS:
            claims = {NAME_CLAIM: subject.name, "tenant": self.directory.tenant_id(), **binding}
            refresh_lifetime = self.refresh_token_seconds
            if signed_in.password is not None and signed_in.password.expiry is not None:
                refresh_lifetime = max(1, min(refresh_lifetime, int(signed_in.password.expiry - now)))
            refresh = issue_refresh_token(
                self.keys,
                issuer=self.issuer,
                audience=self.service,
                subject=subject.id,
                now=now,
                lifetime=refresh_lifetime,
                extra_claims=claims,
            )
        granted, decisions = self.granted(subject, scopes, policy, now)
        access = issue_access_token(
            self.keys,
            issuer=self.issuer,
            audience=self.service,
            subject=subject.id,
            access=access_claim(granted),
            now=now,
            lifetime=lifetime,
            jwt_id=str(uuid.uuid4()),
            extra_claims={NAME_CLAIM: subject.name, **binding},  # the name, for the data plane's audit trail
        )
        return TokenGrant(access, now, lifetime, refresh, tuple(decisions))

    def anonymous(self) -> SignedIn:
        """The sign-in of a request without credentials."""
        return SignedIn(ANONYMOUS)


def token_subject(token: RepositoryToken, password: TokenPassword) -> Subject:
    """The subject a repository-scoped token signs in as, with the password it used."""
    return Subject(
        kind=SubjectKind.REPOSITORY_TOKEN,
        id=TOKEN_SUBJECT_PREFIX + token.name,
        name=token.name,
        enabled=token.status is TokenStatus.ENABLED,
        scope_map=token.scope_map,
        password_expiry=password.expiry,
    )


def _expand(scope: Scope) -> set[str]:
    if scope.type == "registry":
        return set(scope.actions)
    if "*" in scope.actions:
        return {"pull", "push", "delete"}
    return set(scope.actions)


def _is_uuid(text: str) -> bool:
    try:
        return str(uuid.UUID(text)) == text.lower()
    except ValueError:
        return False
