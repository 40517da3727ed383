"""The vocabulary of decisions: subjects, resources, actions, reasons, and the `Decision` itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class SubjectKind(StrEnum):
    """What kind of caller a token was issued to."""

    USER = "user"
    SERVICE_PRINCIPAL = "service_principal"
    MANAGED_IDENTITY = "managed_identity"
    ADMIN_USER = "admin_user"
    REPOSITORY_TOKEN = "repository_token"
    ANONYMOUS = "anonymous"


class Action(StrEnum):
    """Data-plane actions as the Docker token spec names them."""

    PULL = "pull"
    PUSH = "push"
    DELETE = "delete"
    CATALOG = "*"


class Reason(StrEnum):
    """Why a decision went the way it did; written to the login log and shown by `explain`."""

    BOOTSTRAP_OWNER = "bootstrap_owner"
    ADMIN_USER = "admin_user"
    AUTHENTICATED_PRINCIPAL = "authenticated_principal"
    ANONYMOUS_PULL_ENABLED = "anonymous_pull_enabled"
    ANONYMOUS_PULL_DISABLED = "anonymous_pull_disabled"
    ANONYMOUS_CANNOT_WRITE = "anonymous_cannot_write"
    PRINCIPAL_DISABLED = "principal_disabled"
    UNKNOWN_ACTION = "unknown_action"


@dataclass(frozen=True)
class Subject:
    """The caller, as the token service knows it after authentication."""

    kind: SubjectKind
    id: str
    name: str
    enabled: bool = True
    bootstrap_owner: bool = False
    groups: frozenset[str] = field(default=frozenset())


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
    reasons: tuple[Reason, ...]

    @staticmethod
    def allow(*reasons: Reason) -> Decision:
        """An allowing decision."""
        return Decision(True, reasons)

    @staticmethod
    def deny(*reasons: Reason) -> Decision:
        """A denying decision."""
        return Decision(False, reasons)
