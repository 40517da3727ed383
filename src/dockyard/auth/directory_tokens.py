"""Directory tokens: what the directory's own token endpoint issues (the Entra ID step of
`az acr login`), and what `/oauth2/exchange` accepts in return for a registry refresh token.

A user who signs in with `scope=… offline_access` also gets a **directory refresh token** (as Entra gives
one): `grant_type=refresh_token` trades it for a new directory token and a new refresh token, without the
password, for 90 days. It is bound to the principal and to its password as it was at sign-in, so it stops
working when the user is disabled or deleted or the password changes. It is a JWT signed by the registry
keys (nothing is stored server-side): a key rotation ends it once the old key's overlap is over.

Refusals are `OAuthFailure`s whose descriptions say what is wrong in the directory's words
(application not registered, expired secret, wrong tenant, disabled principal) — never a secret.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from dockyard.auth.federation import AssertionRejected, FederatedIssuers
from dockyard.auth.keys import SigningKeys
from dockyard.auth.oauth_errors import OAuthError, OAuthFailure
from dockyard.auth.tokens import (
    IssuedToken,
    RejectReason,
    TokenKind,
    TokenRejected,
    issue_directory_token,
    issue_refresh_token,
    verify_token,
)
from dockyard.directory.model import Principal, PrincipalKind
from dockyard.directory.service import (
    AuthReason,
    AuthResult,
    authenticate_client_secret,
    authenticate_federated,
    authenticate_user,
)
from dockyard.directory.store import DirectoryStore

_DESCRIPTIONS = {
    AuthReason.UNKNOWN_APPLICATION: "application not registered: no application with this id in tenant {tenant}",
    AuthReason.WRONG_SECRET: "invalid client secret provided",
    AuthReason.SECRET_EXPIRED: "the client secret has expired; reset it (dockyard sp credential reset)",
    AuthReason.UNKNOWN_USER: "invalid user name or password",
    AuthReason.WRONG_PASSWORD: "invalid user name or password",
    AuthReason.PRINCIPAL_DISABLED: "the principal is disabled in tenant {tenant}",
    AuthReason.ISSUER_NOT_TRUSTED: "no federated credential of this application trusts the assertion's issuer",
    AuthReason.SUBJECT_MISMATCH: "no federated credential of this application matches the assertion's subject",
    AuthReason.AUDIENCE_MISMATCH: "no federated credential of this application matches the assertion's audience",
}
_ERRORS = {
    AuthReason.UNKNOWN_APPLICATION: OAuthError.INVALID_CLIENT,
    AuthReason.WRONG_SECRET: OAuthError.INVALID_CLIENT,
    AuthReason.SECRET_EXPIRED: OAuthError.INVALID_CLIENT,
    AuthReason.PRINCIPAL_DISABLED: OAuthError.UNAUTHORIZED_CLIENT,
    AuthReason.ISSUER_NOT_TRUSTED: OAuthError.INVALID_CLIENT,
    AuthReason.SUBJECT_MISMATCH: OAuthError.INVALID_CLIENT,
    AuthReason.AUDIENCE_MISMATCH: OAuthError.INVALID_CLIENT,
}


#: The tenant names that mean "this directory's tenant", as Entra's multi-tenant endpoints take them.
TENANT_ALIASES = frozenset({"organizations", "common"})
#: The scope that asks the directory for a refresh token as well (OpenID Connect's `offline_access`).
OFFLINE_ACCESS = "offline_access"
_PASSWORD_STAMP_CLAIM = "pwdh"

# Refusals of a directory refresh token, in Entra's words and with its AADSTS codes.
_REFRESH_INVALID = "AADSTS9002313: the refresh token is malformed or invalid; sign in again"
_REFRESH_EXPIRED = "AADSTS700082: the refresh token has expired; sign in again"
_REFRESH_REVOKED = (
    "AADSTS50173: the provided grant has expired due to it being revoked; the user might have changed or reset "
    "the password; sign in again"
)
_REFRESH_DISABLED = "AADSTS50057: the user account is disabled"
_REFRESH_GONE = "AADSTS50034: the user account does not exist in tenant {tenant}"


@dataclass(frozen=True)
class DirectorySignIn:
    """A successful directory sign-in: the principal, the directory token issued to it and, when asked for
    (`offline_access`), a directory refresh token."""

    principal: Principal
    token: IssuedToken
    refresh_token: IssuedToken | None = None


@dataclass
class DirectoryTokens:
    """Signs callers in to the directory and issues and verifies directory tokens (3 hours)."""

    keys: SigningKeys
    directory: DirectoryStore
    issuer_base: str
    audience: str
    clock: Callable[[], float]
    federation: FederatedIssuers | None = None
    lifetime_seconds: int = 3 * 60 * 60
    refresh_lifetime_seconds: int = 90 * 24 * 60 * 60
    leeway: int = 60  # seconds of clock skew allowed on nbf/exp

    def issuer(self, tenant: str) -> str:
        """The `iss` of this tenant's directory tokens."""
        return f"{self.issuer_base}/directory/{tenant}/v2.0"

    def check_tenant(self, tenant: str, allow_alias: bool = False) -> str:
        """The tenant id if it is this directory's (or, with `allow_alias`, `organizations` or `common`,
        which the sign-in endpoint takes as Entra's do); `invalid_request` otherwise."""
        ours = self.directory.tenant_id()
        if allow_alias and tenant.lower() in TENANT_ALIASES:
            return ours
        if tenant.lower() != ours:
            description = f"tenant {tenant[:64]!r} not found in this directory"
            raise OAuthFailure(OAuthError.INVALID_REQUEST, description, reason="tenant_not_found")
        return ours

    def client_credentials(self, tenant: str, client_id: str, client_secret: str) -> DirectorySignIn:
        """`grant_type=client_credentials` with a client secret."""
        return self._issue(tenant, authenticate_client_secret(self.directory, client_id, client_secret, self.clock()))

    def client_assertion(self, tenant: str, client_id: str, assertion: str) -> DirectorySignIn:
        """`grant_type=client_credentials` with a federated `client_assertion` from a trusted issuer."""
        if self.federation is None:
            description = "this directory trusts no external issuer"
            raise OAuthFailure(OAuthError.INVALID_CLIENT, description, reason=AuthReason.ISSUER_NOT_TRUSTED)
        try:
            verified = self.federation.verify(assertion)
        except AssertionRejected as exc:
            raise OAuthFailure(OAuthError.INVALID_CLIENT, str(exc), reason="assertion_rejected") from None
        result = authenticate_federated(
            self.directory, client_id, verified.issuer, verified.subject, verified.audiences, self.clock()
        )
        return self._issue(tenant, result)

    def password(self, tenant: str, username: str, password: str, offline: bool = False) -> DirectorySignIn:
        """`grant_type=password` for a directory user; with `offline` (the `offline_access` scope), also a
        directory refresh token."""
        signed_in = self._issue(tenant, authenticate_user(self.directory, username, password, self.clock()))
        if not offline:
            return signed_in
        tenant = self.check_tenant(tenant, allow_alias=True)
        return DirectorySignIn(signed_in.principal, signed_in.token, self._refresh_token(tenant, signed_in.principal))

    def refresh(self, tenant: str, refresh_token: str) -> DirectorySignIn:
        """`grant_type=refresh_token`: a new directory token and a new refresh token for the principal a
        directory refresh token was issued to — while it exists, is enabled and has the same password."""
        tenant = self.check_tenant(tenant, allow_alias=True)
        try:
            claims = verify_token(
                self.keys,
                refresh_token,
                audience=self._refresh_audience(tenant),
                issuer=self.issuer(tenant),
                now=self.clock(),
                leeway=self.leeway,
                expected_kind=TokenKind.REFRESH,
            )
        except TokenRejected as exc:
            if exc.reason is RejectReason.EXPIRED:
                raise OAuthFailure(OAuthError.INVALID_GRANT, _REFRESH_EXPIRED, reason="refresh_token_expired") from None
            raise OAuthFailure(OAuthError.INVALID_GRANT, _REFRESH_INVALID, reason="refresh_token_invalid") from None
        principal = self.directory.get_principal(claims.subject)
        if principal is None:
            description = _REFRESH_GONE.format(tenant=tenant)
            raise OAuthFailure(OAuthError.INVALID_GRANT, description, reason="principal_gone")
        if not principal.enabled:
            raise OAuthFailure(OAuthError.INVALID_GRANT, _REFRESH_DISABLED, reason=AuthReason.PRINCIPAL_DISABLED)
        if claims.extra.get(_PASSWORD_STAMP_CLAIM) != self._password_stamp(principal):
            raise OAuthFailure(OAuthError.INVALID_GRANT, _REFRESH_REVOKED, reason="password_changed")
        signed_in = self._issue(tenant, AuthResult(principal, AuthReason.OK, principal.object_id))
        return DirectorySignIn(principal, signed_in.token, self._refresh_token(tenant, principal))

    def _refresh_audience(self, tenant: str) -> str:
        # The directory's token endpoint itself: no other endpoint takes a token with this audience.
        return f"{self.issuer_base}/directory/{tenant}/oauth2/v2.0/token"

    def _refresh_token(self, tenant: str, principal: Principal) -> IssuedToken:
        return issue_refresh_token(
            self.keys,
            issuer=self.issuer(tenant),
            audience=self._refresh_audience(tenant),
            subject=principal.object_id,
            now=self.clock(),
            lifetime=self.refresh_lifetime_seconds,
            extra_claims={"tid": tenant, _PASSWORD_STAMP_CLAIM: self._password_stamp(principal)},
        )

    def _password_stamp(self, principal: Principal) -> str:
        """A short digest of the user's current password hash (salted, so any new password changes it);
        empty for a principal without a password."""
        if principal.kind is not PrincipalKind.USER or principal.user_name is None:
            return ""
        record = self.directory.password_record(principal.user_name)
        if record is None:
            return ""
        digest = hashlib.sha256(record.password_hash.encode()).digest()[:16]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def _issue(self, tenant: str, result: AuthResult) -> DirectorySignIn:
        tenant = self.check_tenant(tenant, allow_alias=True)
        if result.principal is None:
            description = _DESCRIPTIONS.get(result.reason, "sign-in failed").format(tenant=tenant)
            error = _ERRORS.get(result.reason, OAuthError.INVALID_GRANT)
            raise OAuthFailure(error, description, reason=result.reason.value)
        principal = result.principal
        claims = {"tid": tenant, "oid": principal.object_id, "name": principal.user_name or principal.display_name}
        if principal.app_id:
            claims["appid"] = principal.app_id
        token = issue_directory_token(
            self.keys,
            issuer=self.issuer(tenant),
            audience=self.audience,
            subject=principal.object_id,
            now=self.clock(),
            lifetime=self.lifetime_seconds,
            extra_claims=claims,
        )
        return DirectorySignIn(principal, token)

    def principal_of(self, token: str, tenant: str) -> Principal:
        """The enabled principal a valid directory token of `tenant` was issued to."""
        tenant = self.check_tenant(tenant)
        try:
            claims = verify_token(
                self.keys,
                token,
                audience=self.audience,
                issuer=self.issuer(tenant),
                now=self.clock(),
                leeway=self.leeway,
                expected_kind=TokenKind.DIRECTORY,
            )
        except TokenRejected as exc:
            description = f"the directory token is not valid ({exc.reason})"
            reason = "directory_token_expired" if exc.reason is RejectReason.EXPIRED else "directory_token_invalid"
            raise OAuthFailure(OAuthError.INVALID_GRANT, description, status=401, reason=reason) from None
        principal = self.directory.get_principal(claims.subject)
        if principal is None or not principal.enabled:
            reason = AuthReason.PRINCIPAL_DISABLED if principal is not None else "principal_gone"
            description = "the directory token's principal is gone or disabled"
            raise OAuthFailure(OAuthError.INVALID_GRANT, description, status=401, reason=reason)
        return principal
