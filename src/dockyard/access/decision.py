"""The vocabulary of decisions: subjects, resources, actions, reasons, and the `Decision` itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property


class SubjectKind(StrEnum):
    """What kind of caller a token was issued to."""

    USER = "user"
    SERVICE_PRINCIPAL = "service_principal"
    MANAGED_IDENTITY = "managed_identity"
    ADMIN_USER = "admin_user"
    REPOSITORY_TOKEN = "repository_token"
    ANONYMOUS = "anonymous"
    # The machine's own operator, reachable only in-process (`management.local`): never over the network.
    OPERATOR = "operator"


class Action(StrEnum):
    """Data-plane actions as the Docker token spec names them."""

    PULL = "pull"
    PUSH = "push"
    DELETE = "delete"
    CATALOG = "*"


class Reason(StrEnum):
    """Why a decision went the way it did: stable codes, written to the login log and shown by `explain`."""

    GRANTED_BY_ASSIGNMENT = "granted_by_assignment"
    GRANTED_BY_SCOPE_MAP = "granted_by_scope_map"
    ADMIN_USER = "admin_user"
    ANONYMOUS_PULL_ENABLED = "anonymous_pull_enabled"
    ANONYMOUS_PULL_DISABLED = "anonymous_pull_disabled"
    ANONYMOUS_CANNOT_WRITE = "anonymous_cannot_write"
    PRINCIPAL_DISABLED = "principal_disabled"
    UNKNOWN_ACTION = "unknown_action"
    NO_MATCHING_ASSIGNMENT = "no_matching_assignment"
    LEGACY_ROLE_IGNORED_IN_ABAC_MODE = "legacy_role_ignored_in_abac_mode"
    REPOSITORY_ROLE_IGNORED_IN_RBAC_MODE = "repository_role_ignored_in_rbac_mode"
    CONTROL_PLANE_ONLY_IN_ABAC_MODE = "control_plane_only_in_abac_mode"
    CONDITION_FALSE = "condition_false"
    CONDITION_INVALID = "condition_invalid"
    CATALOG_NEEDS_CATALOG_LISTER = "catalog_needs_catalog_lister"
    TOKEN_DISABLED = "token_disabled"
    TOKEN_PASSWORD_EXPIRED = "token_password_expired"
    SCOPE_MAP_MISSING = "scope_map_missing"
    NOT_IN_SCOPE_MAP = "not_in_scope_map"
    REPOSITORY_READ_DISABLED = "repository_read_disabled"
    REPOSITORY_WRITE_DISABLED = "repository_write_disabled"
    REPOSITORY_DELETE_DISABLED = "repository_delete_disabled"
    # control-plane (management) decisions
    LOCAL_OPERATOR = "local_operator"
    NOT_A_DIRECTORY_PRINCIPAL = "not_a_directory_principal"
    NO_CONTROL_PLANE_ASSIGNMENT = "no_control_plane_assignment"
    ACTION_EXCLUDED_BY_ROLE = "action_excluded_by_role"
    REPOSITORY_SCOPED_ASSIGNMENT = "repository_scoped_assignment"
    ROLE_NOT_FOUND = "role_not_found"


_TEXTS = {
    Reason.GRANTED_BY_ASSIGNMENT: "granted by role assignment {}",
    Reason.GRANTED_BY_SCOPE_MAP: "granted by scope map {}",
    Reason.ADMIN_USER: "the admin user may do everything",
    Reason.ANONYMOUS_PULL_ENABLED: "anonymous pull is enabled on this registry",
    Reason.ANONYMOUS_PULL_DISABLED: "anonymous pull is disabled on this registry: sign in first",
    Reason.ANONYMOUS_CANNOT_WRITE: "anonymous callers may only pull",
    Reason.PRINCIPAL_DISABLED: "the principal is disabled in the directory",
    Reason.UNKNOWN_ACTION: "the action is not pull, push, delete or *",
    Reason.NO_MATCHING_ASSIGNMENT: "no role assignment grants this action on this repository",
    Reason.LEGACY_ROLE_IGNORED_IN_ABAC_MODE: (
        "role assignment {} (AcrPull/AcrPush/AcrDelete) is ignored in rbac-abac mode: "
        "assign a Container Registry Repository role instead"
    ),
    Reason.REPOSITORY_ROLE_IGNORED_IN_RBAC_MODE: (
        "role assignment {} (a Container Registry Repository role) is honoured only in rbac-abac mode"
    ),
    Reason.CONTROL_PLANE_ONLY_IN_ABAC_MODE: (
        "role assignment {} (Owner, Contributor or Reader) grants only control-plane rights in rbac-abac mode"
    ),
    Reason.CONDITION_FALSE: "the condition of role assignment {} is false for this action and repository",
    Reason.CONDITION_INVALID: "the condition of role assignment {} does not parse, so it grants nothing",
    Reason.CATALOG_NEEDS_CATALOG_LISTER: (
        "listing the catalog in rbac-abac mode needs the Container Registry Repository Catalog Lister role"
    ),
    Reason.TOKEN_DISABLED: "token {} is disabled",
    Reason.TOKEN_PASSWORD_EXPIRED: "the password of token {} has expired: generate a new one",
    Reason.SCOPE_MAP_MISSING: "scope map {} no longer exists",
    Reason.NOT_IN_SCOPE_MAP: "scope map {} does not allow this action on this repository",
    Reason.REPOSITORY_READ_DISABLED: "the repository is locked for reading (readEnabled=false)",
    Reason.REPOSITORY_WRITE_DISABLED: "the repository is locked for writing (writeEnabled=false)",
    Reason.REPOSITORY_DELETE_DISABLED: "the repository is locked for deleting (deleteEnabled=false)",
    Reason.LOCAL_OPERATOR: "the machine's local operator may do everything",
    Reason.NOT_A_DIRECTORY_PRINCIPAL: (
        "only directory principals hold control-plane roles (not the admin user, a token or an anonymous caller)"
    ),
    Reason.NO_CONTROL_PLANE_ASSIGNMENT: "no role assignment over the registry grants this control-plane action",
    Reason.ACTION_EXCLUDED_BY_ROLE: "role assignment {} grants '*' but its role excludes this action (NotActions)",
    Reason.REPOSITORY_SCOPED_ASSIGNMENT: (
        "role assignment {} is scoped to a repository: control-plane actions need an assignment over the registry"
    ),
    Reason.ROLE_NOT_FOUND: "the role of role assignment {} no longer exists, so it grants nothing",
}


@dataclass(frozen=True)
class Because:
    """One reason for a decision: its stable code and what it refers to (an assignment id, a scope map...)."""

    code: Reason
    ref: str = ""

    def __str__(self) -> str:
        return f"{self.code.value}({self.ref})" if self.ref else self.code.value

    @property
    def text(self) -> str:
        """The reason in words, for people."""
        return _TEXTS[self.code].format(self.ref or "-")


@dataclass(frozen=True)
class Subject:
    """The caller, as the token service knows it after authentication."""

    kind: SubjectKind
    id: str
    name: str
    enabled: bool = True
    groups: frozenset[str] = field(default=frozenset())  # transitive group memberships (object ids)
    scope_map: str | None = None  # repository-scoped tokens: the scope map the token is bound to
    password_expiry: float | None = None  # repository-scoped tokens: when the password used expires

    @cached_property
    def principal_ids(self) -> frozenset[str]:
        """The caller's own id and its groups': whom role assignments may name."""
        return self.groups | {self.id}


ANONYMOUS = Subject(SubjectKind.ANONYMOUS, "anonymous", "anonymous")


@dataclass(frozen=True)
class Resource:
    """What an action applies to: a repository, or the registry's catalog."""

    type: str
    name: str


@dataclass(frozen=True)
class Decision:
    """Allowed or not, and every reason that decided it."""

    allowed: bool
    reasons: tuple[Because, ...]

    @staticmethod
    def allow(code: Reason, ref: str = "") -> Decision:
        """An allowing decision, for one reason."""
        return Decision(True, (Because(code, ref),))

    @staticmethod
    def deny(*reasons: Because | Reason) -> Decision:
        """A denying decision, for every reason given (codes alone or `Because` with a reference)."""
        return Decision(False, tuple(r if isinstance(r, Because) else Because(r) for r in reasons))

    @property
    def codes(self) -> tuple[Reason, ...]:
        """Just the reason codes."""
        return tuple(reason.code for reason in self.reasons)

    def __str__(self) -> str:
        verdict = "allowed" if self.allowed else "denied"
        return f"{verdict}: {', '.join(map(str, self.reasons))}"
