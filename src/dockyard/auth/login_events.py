"""Login events for the sign-in endpoints: one `LoginAttempt` per request, timed from its start and
recorded once it is settled — succeeded (with every action asked for and not granted) or failed (with
the exact reason code).

Only names reach the event: never a password, a secret, an `Authorization` header or a token.
"""

from __future__ import annotations

import time

from starlette.requests import Request

from dockyard.audit.model import ANONYMOUS, LoginEvent, LoginOperation, ResultType
from dockyard.audit.writer import AuditWriter
from dockyard.auth.caller import caller_ip, user_agent
from dockyard.auth.oauth_errors import OAuthFailure
from dockyard.auth.token_service import TOKEN_USER_NAME, ActionDecision, SignInFailed, SignInReason, TokenGrant

_MAX_NAME = 255
CREDENTIALS_MALFORMED = "credentials_malformed"
_SIGN_IN_TEXTS = {
    SignInReason.UNKNOWN_USER: "Application not registered with AAD. (no user or application has this name)",
    SignInReason.WRONG_PASSWORD: "wrong password for the user",
    SignInReason.UNKNOWN_APPLICATION: "Application not registered with AAD. (no application has this id)",
    SignInReason.WRONG_SECRET: "invalid client secret for the application",
    SignInReason.SECRET_EXPIRED: "the client secret has expired",
    SignInReason.PRINCIPAL_DISABLED: "the principal is disabled in the directory",
    SignInReason.ADMIN_USER_DISABLED: "the admin user is disabled on this registry",
    SignInReason.WRONG_ADMIN_PASSWORD: "wrong password for the admin user",
    SignInReason.REFRESH_TOKEN_INVALID: "the refresh token is not valid (malformed, not signed by this registry, "
    "or for another registry)",
    SignInReason.REFRESH_TOKEN_EXPIRED: "the refresh token has expired",
    SignInReason.PRINCIPAL_GONE: "the refresh token's subject no longer exists",
    SignInReason.PERMISSIONS_MODE_CHANGED: "the refresh token was minted under another permissions mode",
    SignInReason.WRONG_TOKEN_PASSWORD: "wrong password for the repository-scoped token",
    SignInReason.TOKEN_DISABLED: "the repository-scoped token is disabled",
    SignInReason.TOKEN_PASSWORD_EXPIRED: "the repository-scoped token's password has expired",
    SignInReason.TOKEN_PASSWORD_REGENERATED: "the refresh token was bought with a token password regenerated since",
}


class LoginAttempt:
    """One authentication attempt at a sign-in endpoint (a no-op when the audit is off)."""

    def __init__(self, request: Request, operation: LoginOperation) -> None:
        audit: AuditWriter = request.app.state.audit
        self._audit = audit if audit.enabled else None
        self._request = request
        self.operation = operation
        self.tried = ""  # the user name or application id presented, for a failure's identity
        self._time = audit.clock()
        self._started = time.perf_counter()

    def presented(self, user_name: str) -> None:
        """The user name or application id the caller signs in with (the token user name marks a refresh)."""
        self.tried = user_name
        if user_name == TOKEN_USER_NAME:
            self.operation = LoginOperation.REFRESH

    def succeeded(self, identity: str, name: str, jwt_id: str, grant: TokenGrant | None = None) -> None:
        """Record a sign-in that issued a token (`jwt_id`) to `identity` (an object id, `admin`, `token:<name>`,
        `anonymous`) called `name`: a success, with any action asked for and not granted."""
        denials = grant.denials if grant is not None else ()
        description = "signed in"
        if denials:
            description += "; not granted: " + "; ".join(_denial_text(denial) for denial in denials)
        reason = " ".join(_denial_code(denial) for denial in denials)
        self._record(identity, name, ResultType.SUCCESS, description, reason, jwt_id)

    def sign_in_failed(self, exc: SignInFailed) -> None:
        """Record a refused sign-in at the token service."""
        identity = exc.subject_id or self.tried
        self._failed(identity, exc.subject_name or identity, exc.reason.value, _SIGN_IN_TEXTS[exc.reason])

    def oauth_failed(self, failure: OAuthFailure) -> None:
        """Record a refused OAuth2 request (a malformed request, or a refusal by the directory)."""
        self._failed(self.tried, self.tried, failure.reason, failure.description)

    def malformed(self, message: str) -> None:
        """Record a request whose `Authorization` header cannot be parsed (the message names no secret)."""
        self._failed(self.tried, self.tried, CREDENTIALS_MALFORMED, message)

    def _failed(self, identity: str, name: str, reason: str, description: str) -> None:
        self._record(identity or ANONYMOUS, name or ANONYMOUS, ResultType.FAILURE, description, reason, "")

    def _record(self, identity: str, name: str, result: ResultType, description: str, reason: str, jwt_id: str) -> None:
        audit = self._audit
        if audit is None:
            return
        audit.record(
            LoginEvent(
                time_generated=self._time,
                identity=identity[:_MAX_NAME],
                identity_name=name[:_MAX_NAME],
                login_server=audit.login_server,
                caller_ip_address=caller_ip(self._request),
                result_type=result,
                result_description=description,
                operation_name=self.operation,
                user_agent=user_agent(self._request),
                duration_ms=round((time.perf_counter() - self._started) * 1000, 3),
                jwt_id=jwt_id,
                correlation_id="",  # given when stored
                reason=reason,
            )
        )


def _denial_code(denial: ActionDecision) -> str:
    """`repository:app:push=legacy_role_ignored_in_abac_mode(<assignment id>)`: the action and every reason."""
    return f"{denial.type}:{denial.name}:{denial.action}=" + ",".join(map(str, denial.decision.reasons))


def _denial_text(denial: ActionDecision) -> str:
    reasons = "; ".join(reason.text for reason in denial.decision.reasons)
    return f"{denial.type}:{denial.name}:{denial.action} ({reasons})"
