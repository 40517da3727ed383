"""The doctor's words: the causes it knows, the check-health steps, and ACR's check-health error codes.

`causes.toml` uses the same names; loading it fails when the two disagree, so a typo is caught at once.
"""

from __future__ import annotations

from enum import StrEnum


class CauseId(StrEnum):
    """A cause of a failed login, push or pull, as `causes.toml` names it."""

    CLIENT_MISSING = "client-missing"
    DAEMON_NOT_RUNNING = "daemon-not-running"
    CLIENT_TOO_OLD = "client-too-old"
    TLS_UNTRUSTED_CA = "tls-untrusted-ca"
    TLS_WRONG_HOST = "tls-wrong-host"
    TLS_EXPIRED = "tls-expired"
    TLS_PROXY = "tls-proxy"
    HTTP_HTTPS_MISMATCH = "http-https-mismatch"
    LOGIN_SERVER_CASING = "login-server-casing"
    LOGIN_SERVER_BARE_NAME = "login-server-bare-name"
    UNKNOWN_HOST = "unknown-host"
    REGISTRY_UNREACHABLE = "registry-unreachable"
    REPOSITORY_NOT_FOUND = "repository-not-found"
    WRONG_PASSWORD = "wrong-password"
    UNKNOWN_APPLICATION = "unknown-application"
    WRONG_TENANT = "wrong-tenant"
    ADMIN_USER_DISABLED = "admin-user-disabled"
    PRINCIPAL_DISABLED = "principal-disabled"
    TOKEN_USER_NAME_FORGOTTEN = "token-user-name-forgotten"
    STALE_SAVED_CREDENTIALS = "stale-saved-credentials"
    NOT_SIGNED_IN = "not-signed-in"
    SERVICE_CONFIGURATION = "service-configuration"
    LOGIN_THROTTLED = "login-throttled"
    IP_NOT_ALLOWED = "ip-not-allowed"
    PUBLIC_ACCESS_DISABLED = "public-access-disabled"
    PULL_ONLY_ROLE_PUSHING = "pull-only-role-pushing"
    NO_PULL_PERMISSION = "no-pull-permission"
    REPOSITORY_LOCKED = "repository-locked"
    NO_CONTROL_PLANE_ROLE = "no-control-plane-role"
    DIRECTORY_TOKEN_EXPIRED = "directory-token-expired"
    SECRET_EXPIRED = "secret-expired"
    TOKEN_PASSWORD_EXPIRED = "token-password-expired"
    LEGACY_ROLE_IN_ABAC_MODE = "legacy-role-in-abac-mode"
    REPOSITORY_ROLE_IN_RBAC_MODE = "repository-role-in-rbac-mode"
    PERMISSIONS_MODE_CHANGED = "permissions-mode-changed"
    CONDITION_EXCLUDES_REPOSITORY = "condition-excludes-repository"
    CATALOG_WITHOUT_LISTER = "catalog-without-lister"


class StepName(StrEnum):
    """The steps of `dockyard check-health`, in the order they run."""

    DOCKER_CLIENT = "docker_client"
    DOCKER_DAEMON = "docker_daemon"
    DOCKER_VERSION = "docker_version"
    PODMAN = "podman"
    SKOPEO = "skopeo"
    HELM = "helm"
    NOTATION = "notation"
    SAVED_CREDENTIALS = "saved_credentials"
    LOGIN_SERVER_NAME = "login_server_name"
    DNS = "dns"
    TCP = "tcp"
    TLS = "tls"
    CHALLENGE = "challenge"
    TOKEN_ENDPOINT = "token_endpoint"
    REFRESH_TOKEN = "refresh_token"
    ACCESS_TOKEN = "access_token"
    PERMISSIONS = "permissions"


class CheckCode(StrEnum):
    """`az acr check-health`'s error codes (the Azure CLI's complete set), which Dockyard reports too."""

    DOCKER_COMMAND_ERROR = "DOCKER_COMMAND_ERROR"
    DOCKER_DAEMON_ERROR = "DOCKER_DAEMON_ERROR"
    DOCKER_VERSION_ERROR = "DOCKER_VERSION_ERROR"
    DOCKER_PULL_ERROR = "DOCKER_PULL_ERROR"
    HELM_COMMAND_ERROR = "HELM_COMMAND_ERROR"
    HELM_VERSION_ERROR = "HELM_VERSION_ERROR"
    NOTARY_COMMAND_ERROR = "NOTARY_COMMAND_ERROR"
    NOTARY_VERSION_ERROR = "NOTARY_VERSION_ERROR"
    CONNECTIVITY_DNS_ERROR = "CONNECTIVITY_DNS_ERROR"
    CONNECTIVITY_FORBIDDEN_ERROR = "CONNECTIVITY_FORBIDDEN_ERROR"
    CONNECTIVITY_CHALLENGE_ERROR = "CONNECTIVITY_CHALLENGE_ERROR"
    CONNECTIVITY_AAD_LOGIN_ERROR = "CONNECTIVITY_AAD_LOGIN_ERROR"
    CONNECTIVITY_WWW_AUTHENTICATE_ERROR = "CONNECTIVITY_WWW_AUTHENTICATE_ERROR"
    CONNECTIVITY_REFRESH_TOKEN_ERROR = "CONNECTIVITY_REFRESH_TOKEN_ERROR"
    CONNECTIVITY_ACCESS_TOKEN_ERROR = "CONNECTIVITY_ACCESS_TOKEN_ERROR"
    CONNECTIVITY_SSL_ERROR = "CONNECTIVITY_SSL_ERROR"
    CONNECTIVITY_TOOMANYREQUESTS_ERROR = "CONNECTIVITY_TOOMANYREQUESTS_ERROR"
    LOGIN_SERVER_ERROR = "LOGIN_SERVER_ERROR"
    CMK_ERROR = "CMK_ERROR"
    UNEXPECTED_ERROR = "UNEXPECTED_ERROR"
