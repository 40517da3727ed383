"""Refusals of the policy store, in its own words. No message ever contains a password.

Three families let the edge map them once: `PolicyInvalid` (the request breaks a rule: 400),
`PolicyNotFound` (404) and `PolicyConflict` (the registry's state forbids it: 409).
"""

from __future__ import annotations

from dockyard.access.conditions import ConditionSyntaxError


class PolicyError(Exception):
    """Base of every policy refusal. `message` is safe to show to an administrator."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# -- the request breaks a rule ------------------------------------------------------------------


class PolicyInvalid(PolicyError):
    """A value outside the policy's rules."""


class NameInvalid(PolicyInvalid):
    """A role, scope map or token name outside its grammar."""


class ActionInvalid(PolicyInvalid):
    """A role's action or data action, or a scope map's action, that Dockyard does not understand."""


class RepositoryInvalid(PolicyInvalid):
    """A role assignment's repository that is not a valid OCI repository name."""


class DescriptionInvalid(PolicyInvalid):
    """A description too long or with control characters."""


class ExpiryInvalid(PolicyInvalid):
    """A token password's expiry that is not in the future."""


class ConditionNotAllowed(PolicyInvalid):
    """A condition on an assignment of a role that takes none (AcrPull, Catalog Lister, ...)."""


class ConditionInvalid(PolicyInvalid):
    """A condition that does not parse; `line`, `column` (from 1) and `position` (from 0) say where."""

    def __init__(self, reason: str, *, line: int, column: int, position: int) -> None:
        super().__init__(f"invalid condition: {reason} (line {line}, column {column})")
        self.reason = reason
        self.line = line
        self.column = column
        self.position = position

    @classmethod
    def from_syntax_error(cls, error: ConditionSyntaxError) -> ConditionInvalid:
        """The refusal of a condition the parser could not read, where it could not."""
        return cls(error.message, line=error.line, column=error.column, position=error.position)


class RoleBuiltIn(PolicyInvalid):
    """A built-in role cannot be deleted or redefined."""


class ScopeMapBuiltIn(PolicyInvalid):
    """A built-in scope map (`_repositories_*`) cannot be changed or deleted."""


# -- something named does not exist ---------------------------------------------------------------


class PolicyNotFound(PolicyError):
    """Something the request names does not exist."""


class RoleNotFound(PolicyNotFound):
    """No built-in or custom role of this name."""


class PrincipalNotFound(PolicyNotFound):
    """No principal with this object id in the directory."""


class AssignmentNotFound(PolicyNotFound):
    """No role assignment with this id."""


class ScopeMapNotFound(PolicyNotFound):
    """No built-in or custom scope map of this name."""


class TokenNotFound(PolicyNotFound):
    """No repository-scoped token of this name."""


# -- the registry's state forbids it --------------------------------------------------------------


class PolicyConflict(PolicyError):
    """The request conflicts with what the registry holds."""


class RoleExists(PolicyConflict):
    """A built-in or custom role already has this name."""


class RoleInUse(PolicyConflict):
    """A role still assigned to someone cannot be deleted."""


class ScopeMapExists(PolicyConflict):
    """A scope map already has this name."""


class ScopeMapInUse(PolicyConflict):
    """A scope map a token is bound to cannot be deleted."""


class TokenExists(PolicyConflict):
    """A token already has this name."""
