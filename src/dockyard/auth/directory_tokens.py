"""Directory tokens: what the directory's own token endpoint issues (the Entra ID step of
`az acr login`), and what `/oauth2/exchange` accepts in return for a registry refresh token.

Refusals are `OAuthFailure`s whose descriptions say what is wrong in the directory's words
(application not registered, expired secret, wrong tenant, disabled principal) — never a secret.
"""

from __future__ import annotations

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
    verify_token,
)
from dockyard.directory.model import Principal
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


@dataclass(frozen=True)
class DirectorySignIn:
    """A successful directory sign-in: the principal, and the directory token issued to it."""

    principal: Principal
    token: IssuedToken


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
    leeway: int = 60  # seconds of clock skew allowed on nbf/exp

    def issuer(self, tenant: str) -> str:
        """The `iss` of this tenant's directory tokens."""
        return f"{self.issuer_base}/directory/{tenant}/v2.0"

    def check_tenant(self, tenant: str) -> str:
        """The tenant id if it is this directory's; `invalid_request` otherwise."""
        ours = self.directory.tenant_id()
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

    def password(self, tenant: str, username: str, password: str) -> DirectorySignIn:
        """`grant_type=password` for a directory user."""
        return self._issue(tenant, authenticate_user(self.directory, username, password, self.clock()))

    def _issue(self, tenant: str, result: AuthResult) -> DirectorySignIn:
        tenant = self.check_tenant(tenant)
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
