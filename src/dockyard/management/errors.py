"""The management API's one error vocabulary, shaped as Azure Resource Manager's:
`{"error": {"code", "message", "target", "details", "additionalInfo", "action", "reasons"}}`.

Domain refusals (policy, directory, network rules, content, audit queries) are turned into it in one
place, `from_domain()`, by exception class. Messages come from the domain's `message`s, which never
hold a secret; an unexpected exception becomes `InternalServerError` without its text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from dockyard.access.decision import Decision
from dockyard.audit.store import QueryInvalid
from dockyard.content import errors as content
from dockyard.directory import errors as directory
from dockyard.network import errors as network
from dockyard.policy import errors as policy


class ErrorCode(StrEnum):
    """Every `error.code` the management API answers with, and its HTTP status."""

    AUTHENTICATION_FAILED = "AuthenticationFailed"
    INVALID_AUTHENTICATION_TOKEN = "InvalidAuthenticationToken"
    EXPIRED_AUTHENTICATION_TOKEN = "ExpiredAuthenticationToken"
    AUTHORIZATION_FAILED = "AuthorizationFailed"
    INVALID_REQUEST_CONTENT = "InvalidRequestContent"
    INVALID_PARAMETER = "InvalidParameter"
    INVALID_VALUE = "InvalidValue"
    INVALID_CONDITION = "InvalidCondition"
    RESOURCE_NOT_FOUND = "ResourceNotFound"
    NOT_FOUND = "NotFound"
    METHOD_NOT_ALLOWED = "MethodNotAllowed"
    CONFLICT = "Conflict"
    OPERATION_DISALLOWED = "OperationDisallowed"
    INTERNAL_SERVER_ERROR = "InternalServerError"

    @property
    def status(self) -> int:
        """The HTTP status that goes with the code."""
        return _STATUS[self]


_STATUS = {
    ErrorCode.AUTHENTICATION_FAILED: 401,
    ErrorCode.INVALID_AUTHENTICATION_TOKEN: 401,
    ErrorCode.EXPIRED_AUTHENTICATION_TOKEN: 401,
    ErrorCode.AUTHORIZATION_FAILED: 403,
    ErrorCode.INVALID_REQUEST_CONTENT: 400,
    ErrorCode.INVALID_PARAMETER: 422,
    ErrorCode.INVALID_VALUE: 400,
    ErrorCode.INVALID_CONDITION: 400,
    ErrorCode.RESOURCE_NOT_FOUND: 404,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.METHOD_NOT_ALLOWED: 405,
    ErrorCode.CONFLICT: 409,
    ErrorCode.OPERATION_DISALLOWED: 409,
    ErrorCode.INTERNAL_SERVER_ERROR: 500,
}


@dataclass(frozen=True)
class ErrorInfo:
    """Machine-readable facts about an error (ARM's `additionalInfo`), e.g. where a condition broke."""

    type: str
    line: int | None = None
    column: int | None = None
    position: int | None = None


@dataclass(frozen=True)
class ReasonBody:
    """One reason of an authorization decision: its stable code, what it refers to, and its text."""

    code: str
    ref: str
    text: str


@dataclass(frozen=True)
class ErrorDetail:
    """An error: `code` from the vocabulary, a message for people, the field or resource it is about
    (`target`), and for `AuthorizationFailed` the action refused and the decision's reasons."""

    code: ErrorCode
    message: str
    target: str | None = None
    details: list[ErrorDetail] = field(default_factory=list)
    additional_info: list[ErrorInfo] = field(default_factory=list)
    action: str | None = None
    reasons: list[ReasonBody] = field(default_factory=list)


@dataclass(frozen=True)
class ErrorResponse:
    """The body of every refusal."""

    error: ErrorDetail


class ManagementError(Exception):
    """A refusal of the management API; the edge writes it as an `ErrorResponse`."""

    def __init__(self, detail: ErrorDetail, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail.message)
        self.detail = detail
        self.headers = headers or {}

    @property
    def status(self) -> int:
        """The HTTP status."""
        return self.detail.code.status

    @classmethod
    def of(cls, code: ErrorCode, message: str, target: str | None = None) -> ManagementError:
        """A refusal with a code, a message and optionally the field or resource it is about."""
        return cls(ErrorDetail(code, message, target))


def not_found(kind: str, name: str) -> ManagementError:
    """404 for a resource that does not exist."""
    return ManagementError.of(ErrorCode.RESOURCE_NOT_FOUND, f"The {kind} '{name[:200]}' was not found.", name[:200])


def authorization_failed(client: str, object_id: str, action: str, decision: Decision) -> ManagementError:
    """403 naming the action the caller lacks and every reason the decision gave (ARM's wording)."""
    reasons = [ReasonBody(reason.code.value, reason.ref, reason.text) for reason in decision.reasons]
    message = (
        f"The client '{client}' with object id '{object_id}' does not have authorization to perform action "
        f"'{action}' over scope '/registry' or the scope is invalid. "
        f"Why: {'; '.join(reason.text for reason in reasons)}."
    )
    return ManagementError(ErrorDetail(ErrorCode.AUTHORIZATION_FAILED, message, action=action, reasons=reasons))


# Refusals of the domain -> (code, the request field they are about). The first class of an
# exception's MRO found here decides.
_DOMAIN: dict[type[Exception], tuple[ErrorCode, str | None]] = {
    policy.ConditionNotAllowed: (ErrorCode.INVALID_VALUE, "condition"),
    policy.RepositoryInvalid: (ErrorCode.INVALID_VALUE, "scope"),
    policy.DescriptionInvalid: (ErrorCode.INVALID_VALUE, "description"),
    policy.NameInvalid: (ErrorCode.INVALID_VALUE, "name"),
    policy.ExpiryInvalid: (ErrorCode.INVALID_VALUE, "expiry"),
    policy.ActionInvalid: (ErrorCode.INVALID_VALUE, "actions"),
    policy.PolicyInvalid: (ErrorCode.INVALID_VALUE, None),
    policy.PolicyNotFound: (ErrorCode.RESOURCE_NOT_FOUND, None),
    policy.PolicyConflict: (ErrorCode.CONFLICT, None),
    directory.UserNameInvalid: (ErrorCode.INVALID_VALUE, "userName"),
    directory.PasswordInvalid: (ErrorCode.INVALID_VALUE, "password"),
    directory.DisplayNameInvalid: (ErrorCode.INVALID_VALUE, "displayName"),
    directory.SecretEndDateInvalid: (ErrorCode.INVALID_VALUE, "endDate"),
    directory.MembershipInvalid: (ErrorCode.INVALID_VALUE, "memberId"),
    directory.DirectoryInvalid: (ErrorCode.INVALID_VALUE, None),
    directory.WrongPrincipalKind: (ErrorCode.INVALID_VALUE, None),
    directory.PrincipalNotFound: (ErrorCode.RESOURCE_NOT_FOUND, None),
    directory.DirectoryConflict: (ErrorCode.CONFLICT, None),
    network.InvalidAddress: (ErrorCode.INVALID_VALUE, "value"),
    network.TooManyIpRules: (ErrorCode.CONFLICT, "networkRuleSet.ipRules"),
    network.RuleNotFound: (ErrorCode.RESOURCE_NOT_FOUND, "value"),
    network.NetworkRuleError: (ErrorCode.INVALID_VALUE, None),
    content.NameUnknown: (ErrorCode.RESOURCE_NOT_FOUND, None),
    content.ManifestUnknown: (ErrorCode.RESOURCE_NOT_FOUND, None),
    content.OperationDisallowed: (ErrorCode.OPERATION_DISALLOWED, None),
    content.ContentError: (ErrorCode.INVALID_VALUE, None),
    QueryInvalid: (ErrorCode.INVALID_PARAMETER, None),
}
DOMAIN_ERRORS: tuple[type[Exception], ...] = tuple(_DOMAIN)


def from_domain(exc: Exception) -> ManagementError:
    """The management error for a domain refusal (one of `DOMAIN_ERRORS`)."""
    if isinstance(exc, policy.ConditionInvalid):
        info = ErrorInfo("ConditionPosition", exc.line, exc.column, exc.position)
        detail = ErrorDetail(ErrorCode.INVALID_CONDITION, exc.message, "condition", additional_info=[info])
        return ManagementError(detail)
    for kind in type(exc).__mro__:
        if kind in _DOMAIN:
            code, target = _DOMAIN[kind]
            message = getattr(exc, "message", None) or str(exc)
            return ManagementError.of(code, message, target)
    raise TypeError(f"not a domain refusal: {type(exc).__name__}")
