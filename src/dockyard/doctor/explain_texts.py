"""Every reason code `explain` can meet — `decide()`'s, the token service's sign-in refusals, the network
rules', the directory's and the OAuth2 endpoints' — as a sentence for an operator and the fix.

`decide()`'s own words (`Because.text`) are kept as they are, so `explain` says what the login event
says; this module only adds the fix. A code it does not know still gets a sentence: its own name.
"""

from __future__ import annotations

from dataclasses import dataclass

from dockyard.access.decision import Because, Reason

_ASSIGN_DATA_ROLE = (
    "assign AcrPull/AcrPush/AcrDelete (rbac mode) or a Container Registry Repository Reader/Writer/Contributor "
    "role (rbac-abac mode) to the identity or one of its groups, over the registry or this repository"
)
_UNLOCK = "unlock it: dockyard repository update --repository <name> (or --image <name:tag>) --{}-enabled true"

# decide()'s reasons: the fix only (the sentence is `Because.text`).
_DECISION_FIXES: dict[Reason, str] = {
    Reason.ANONYMOUS_PULL_DISABLED: "sign in (docker login), or: dockyard update --anonymous-pull-enabled true",
    Reason.ANONYMOUS_CANNOT_WRITE: "sign in with an identity that holds a role that pushes or deletes",
    Reason.PRINCIPAL_DISABLED: (
        "enable it: PATCH /api/v1/directory/{users|servicePrincipals|managedIdentities}/<id> in the management API"
    ),
    Reason.UNKNOWN_ACTION: "ask for pull, push, delete, or * on registry:catalog",
    Reason.NO_MATCHING_ASSIGNMENT: _ASSIGN_DATA_ROLE,
    Reason.LEGACY_ROLE_IGNORED_IN_ABAC_MODE: (
        "assign Container Registry Repository Reader/Writer/Contributor instead, or switch back: "
        "dockyard update --role-assignment-mode rbac"
    ),
    Reason.REPOSITORY_ROLE_IGNORED_IN_RBAC_MODE: (
        "assign AcrPull/AcrPush/AcrDelete instead, or switch: dockyard update --role-assignment-mode rbac-abac"
    ),
    Reason.CONTROL_PLANE_ONLY_IN_ABAC_MODE: "assign a Container Registry Repository role for data-plane access",
    Reason.CONDITION_FALSE: (
        "widen the assignment's condition to include this repository (see the trace), or add an assignment that does"
    ),
    Reason.CONDITION_INVALID: "recreate the role assignment with a condition that parses",
    Reason.CATALOG_NEEDS_CATALOG_LISTER: "assign Container Registry Repository Catalog Lister over the registry",
    Reason.TOKEN_DISABLED: 'enable it: PATCH /api/v1/tokens/<name> with {"status": "enabled"} in the management API',
    Reason.TOKEN_PASSWORD_EXPIRED: (
        "POST /api/v1/tokens/<name>/passwords/generate (the new password is shown once) and log in with it"
    ),
    Reason.SCOPE_MAP_MISSING: "bind the token to an existing scope map",
    Reason.NOT_IN_SCOPE_MAP: "add repositories/<repository>/<action> to the token's scope map",
    Reason.REPOSITORY_READ_DISABLED: _UNLOCK.format("read"),
    Reason.REPOSITORY_WRITE_DISABLED: _UNLOCK.format("write"),
    Reason.REPOSITORY_DELETE_DISABLED: _UNLOCK.format("delete"),
}

_LOGIN_AGAIN = "sign in again (docker login / dockyard login): a new refresh token is issued"
# Everything else: (sentence, fix); `{}` in the sentence is the reference, when there is one.
_OTHER: dict[str, tuple[str, str]] = {
    # the token service's sign-in refusals (SignInReason) and the directory's (AuthReason)
    "unknown_user": (
        "no user or application has this name (clients see 'Application not registered with AAD.')",
        "check the user name; a service principal signs in with its application (client) id",
    ),
    "wrong_password": ("the user's password is wrong", "use the right password, or reset it"),
    "unknown_application": (
        "no application has this id in this directory (clients see 'Application not registered with AAD.')",
        "use the service principal's application (client) id, not its object id, in this registry's tenant",
    ),
    "wrong_secret": ("no client secret of the application matches", "use a current client secret, or add one"),
    "secret_expired": (
        "the client secret has expired",
        "reset the secret: POST /api/v1/directory/servicePrincipals/<id>/secrets/reset, then sign in with the new one",
    ),
    "admin_user_disabled": (
        "the admin user is disabled on this registry",
        "dockyard update --admin-enabled true, or sign in with a directory identity or a token",
    ),
    "wrong_admin_password": (
        "the admin user's password is wrong",
        "use either admin password; dockyard credential renew --password-name password replaces one",
    ),
    "refresh_token_invalid": (
        "the refresh token is malformed, not signed by this registry, or for another registry",
        _LOGIN_AGAIN,
    ),
    "refresh_token_expired": ("the refresh token has expired (registry refresh tokens last 3 hours)", _LOGIN_AGAIN),
    "principal_gone": ("the identity the refresh token was issued to no longer exists", "sign in as another identity"),
    "permissions_mode_changed": (
        "the refresh token was minted under the other permissions mode (rbac / rbac-abac)",
        _LOGIN_AGAIN,
    ),
    "wrong_token_password": (
        "wrong password for the repository-scoped token",
        "use either of the token's passwords, or generate a new one",
    ),
    "token_password_regenerated": (
        "the refresh token was bought with a token password regenerated since",
        "sign in again with the token's current password",
    ),
    "token_has_no_password": (
        "token {} has no password, so it cannot sign in",
        "generate a password for the token (it is shown once)",
    ),
    "no_usable_credential": (
        "{} has no client secret that is still valid and no federated credential, so it cannot sign in",
        "reset the service principal's credentials (add a new client secret), or add a federated credential",
    ),
    "issuer_not_trusted": (
        "no federated credential of the application trusts the assertion's issuer",
        "add a federated credential for that issuer, or use the issuer the credential names",
    ),
    "subject_mismatch": (
        "the issuer is trusted, but not for the assertion's subject",
        "make the federated credential's subject match the workload's (e.g. system:serviceaccount:<ns>:<name>)",
    ),
    "audience_mismatch": (
        "issuer and subject match, the audience does not",
        "request the token for the audience the federated credential names (api://AzureADTokenExchange)",
    ),
    "assertion_rejected": (
        "the federated assertion is not a valid token of a trusted issuer",
        "check trusted_issuers_file",
    ),
    "tenant_not_found": ("the directory endpoint was called with another tenant", "use this registry's tenant id"),
    "directory_token_invalid": ("the directory token given to /oauth2/exchange is not valid", _LOGIN_AGAIN),
    "directory_token_expired": ("the directory token has expired (directory tokens last 3 hours)", _LOGIN_AGAIN),
    "credentials_malformed": (
        "the Authorization header cannot be parsed",
        "check the client's saved credentials (docker logout, then docker login)",
    ),
    "login_throttled": (
        "too many failed sign-ins by this identity from this address: answered 429",
        "fix the credentials the client uses, then wait for the throttle window (login_throttle_window_seconds)",
    ),
    "invalid_request": ("the OAuth2 request itself is malformed", "check the client and its version"),
    "unsupported_grant_type": ("the OAuth2 grant type is not supported", "use password, refresh_token or exchange"),
    "invalid_scope": ("the requested scope is malformed", "ask for repository:<name>:<actions>"),
    "invalid_client": ("the OAuth2 client was refused", "check the application id and its secret"),
    "invalid_grant": ("the OAuth2 grant was refused", _LOGIN_AGAIN),
    # the network rules (NetworkReason)
    "public_access_disabled": (
        "public network access is disabled and the client is not in a trusted network",
        "dockyard update --public-network-enabled true, or reach the registry from a trusted network",
    ),
    "default_action_deny": (
        "the default action is Deny and no IP rule holds the client's address",
        "dockyard network-rule add --ip-address <address or range>",
    ),
    "client_ip_unknown": (
        "the client's address could not be read, and the rules admit only some addresses",
        "check trusted proxies and the X-Forwarded-For the proxy sends",
    ),
}


@dataclass(frozen=True)
class Finding:
    """One reason, for people: its code, what it refers to, the sentence, and the fix ('' when none is needed)."""

    code: str
    ref: str
    text: str
    fix: str

    def __str__(self) -> str:
        return f"{self.code}({self.ref})" if self.ref else self.code


def finding(code: str, ref: str = "") -> Finding:
    """The sentence and fix of any reason code `explain` may meet."""
    if code in Reason._value2member_map_:
        reason = Reason(code)
        return Finding(code, ref, Because(reason, ref).text, _DECISION_FIXES.get(reason, ""))
    text, fix = _OTHER.get(code, (code.replace("_", " "), ""))
    return Finding(code, ref, text.format(ref or "-"), fix)


def of_because(because: Because) -> Finding:
    """A `decide()` reason as a finding."""
    return finding(because.code.value, because.ref)
