"""Role definitions (built-in and custom) and role assignments with their ABAC conditions
(`az role definition` and `az role assignment`).

A condition is parsed before the assignment is saved; one that does not parse is refused with 400
`InvalidCondition`, its line and column in the message and in `additionalInfo`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Annotated

from dockyard.access.control_plane import ControlAction
from dockyard.access.model import RoleAssignment
from dockyard.access.roles import RoleDefinition, built_in_role
from dockyard.directory.model import PrincipalKind
from dockyard.management.errors import ErrorCode, ManagementError, not_found
from dockyard.management.operations import Call, Operation, Query
from dockyard.management.schema import Constraint, timestamp
from dockyard.policy.errors import RoleNotFound
from dockyard.policy.validation import check_condition

_TAG = "roles"
_SCOPE = r"^(registry|repositories/[a-z0-9][a-z0-9._/-]*)$"


@dataclass(frozen=True)
class RoleDefinitionView:
    """A role: what it lets its holders manage (`actions` minus `notActions`) and do (`dataActions`)."""

    name: str
    description: str
    role_type: str  # BuiltInRole or CustomRole, as Azure says
    actions: list[str]
    not_actions: list[str]
    data_actions: list[str]
    conditions_allowed: bool


@dataclass(frozen=True)
class RoleDefinitionList:
    """Every role, built-in first."""

    value: list[RoleDefinitionView]


@dataclass(frozen=True)
class RoleDefinitionCreate:
    """A custom role."""

    name: Annotated[str, Constraint(min_length=1, max_length=128)]
    description: Annotated[str, Constraint(max_length=2048)] = ""
    actions: list[Annotated[str, Constraint(max_length=512)]] = field(default_factory=list)
    not_actions: list[Annotated[str, Constraint(max_length=512)]] = field(default_factory=list)
    data_actions: list[Annotated[str, Constraint(max_length=512)]] = field(default_factory=list)
    conditions_allowed: bool = False


@dataclass(frozen=True)
class RoleAssignmentView:
    """A principal holds a role over the registry or one repository, perhaps narrowed by a condition."""

    id: str
    principal_id: str
    principal_type: PrincipalKind | None  # None when the principal no longer exists
    role: str
    scope: str  # `registry` or `repositories/<name>`
    condition: str | None
    condition_version: str | None
    description: str
    created_at: datetime.datetime


@dataclass(frozen=True)
class RoleAssignmentList:
    """Role assignments, oldest first."""

    value: list[RoleAssignmentView]


@dataclass(frozen=True)
class RoleAssignmentCreate:
    """A role assignment to make (the same one made twice is made once)."""

    principal_id: Annotated[str, Constraint(min_length=1, max_length=64)]
    role: Annotated[str, Constraint(min_length=1, max_length=128)]
    scope: Annotated[str, Constraint(pattern=_SCOPE, max_length=300)] = "registry"
    condition: Annotated[str, Constraint(max_length=8192)] | None = None
    description: Annotated[str, Constraint(max_length=2048)] = ""


@dataclass(frozen=True)
class RoleAssignmentCreated:
    """The assignment, and warnings about likely mistakes in its condition (a prefix without `/`)."""

    role_assignment: RoleAssignmentView
    warnings: list[str]


def _definition(role: RoleDefinition) -> RoleDefinitionView:
    return RoleDefinitionView(
        role.name,
        role.description,
        "BuiltInRole" if built_in_role(role.name) is not None else "CustomRole",
        sorted(action for action in role.actions if not action.startswith("!")),
        sorted(action[1:] for action in role.actions if action.startswith("!")),
        sorted(role.data_actions),
        role.conditions_allowed,
    )


def list_role_definitions(call: Call) -> RoleDefinitionList:
    """Every role definition."""
    return RoleDefinitionList([_definition(role) for role in call.management.policy.list_roles()])


def show_role_definition(call: Call) -> RoleDefinitionView:
    """One role definition by name (any case)."""
    role = call.management.policy.get_role(call.path["name"])
    if role is None:
        raise not_found("role definition", call.path["name"])
    return _definition(role)


def create_role_definition(call: Call) -> RoleDefinitionView:
    """Define a custom role."""
    body: RoleDefinitionCreate = call.body
    actions = frozenset(body.actions) | {"!" + action for action in body.not_actions}
    role = RoleDefinition(body.name, body.description, actions, frozenset(body.data_actions), body.conditions_allowed)
    return _definition(call.management.policy.create_role(role))


def delete_role_definition(call: Call) -> None:
    """Delete a custom role no assignment uses."""
    call.management.policy.delete_role(call.path["name"])


def _assignment(call: Call, assignment: RoleAssignment) -> RoleAssignmentView:
    principal = call.management.directory.get_principal(assignment.principal_id)
    return RoleAssignmentView(
        assignment.id,
        assignment.principal_id,
        principal.kind if principal is not None else None,
        assignment.role,
        assignment.scope,
        assignment.condition,
        "2.0" if assignment.condition else None,
        assignment.description,
        timestamp(assignment.created_at),
    )


def list_role_assignments(call: Call) -> RoleAssignmentList:
    """Role assignments, optionally of one principal (directly) or one role."""
    found = call.management.policy.list_assignments(call.query.get("principalId"), call.query.get("role"))
    return RoleAssignmentList([_assignment(call, assignment) for assignment in found])


def show_role_assignment(call: Call) -> RoleAssignmentView:
    """One role assignment by id."""
    assignment = call.management.policy.get_assignment(call.path["id"])
    if assignment is None:
        raise not_found("role assignment", call.path["id"])
    return _assignment(call, assignment)


def create_role_assignment(call: Call) -> RoleAssignmentCreated:
    """Assign a role; the principal and the role must exist, the condition must parse."""
    body: RoleAssignmentCreate = call.body
    if call.management.directory.get_principal(body.principal_id) is None:
        message = f"No principal with object id '{body.principal_id}' exists in the directory."
        raise ManagementError.of(ErrorCode.INVALID_VALUE, message, "principalId")
    repository = None if body.scope == "registry" else body.scope.removeprefix("repositories/")
    warnings = check_condition(body.condition) if body.condition and body.condition.strip() else []
    try:
        assignment = call.management.policy.create_assignment(
            body.principal_id, body.role, repository, body.condition, body.description
        )
    except RoleNotFound as exc:
        raise ManagementError.of(ErrorCode.INVALID_VALUE, exc.message, "role") from None
    return RoleAssignmentCreated(_assignment(call, assignment), warnings)


def delete_role_assignment(call: Call) -> None:
    """Delete a role assignment."""
    call.management.policy.delete_assignment(call.path["id"])


A = ControlAction
_FILTERS = (
    Query("principalId", str, "Only assignments made to this principal (directly, not through its groups)."),
    Query("role", str, "Only assignments of this role (any case)."),
)
OPERATIONS = [
    Operation("GET", "/roleDefinitions", A.ROLE_DEFINITIONS_READ, "List role definitions", list_role_definitions,
              _TAG, response=RoleDefinitionList),
    Operation("POST", "/roleDefinitions", A.ROLE_DEFINITIONS_WRITE, "Create a custom role", create_role_definition,
              _TAG, body=RoleDefinitionCreate, response=RoleDefinitionView, status=201),
    Operation("GET", "/roleDefinitions/{name}", A.ROLE_DEFINITIONS_READ, "Show a role definition",
              show_role_definition, _TAG, response=RoleDefinitionView),
    Operation("DELETE", "/roleDefinitions/{name}", A.ROLE_DEFINITIONS_DELETE, "Delete a custom role",
              delete_role_definition, _TAG),
    Operation("GET", "/roleAssignments", A.ROLE_ASSIGNMENTS_READ, "List role assignments", list_role_assignments,
              _TAG, response=RoleAssignmentList, query=_FILTERS),
    Operation("POST", "/roleAssignments", A.ROLE_ASSIGNMENTS_WRITE, "Create a role assignment",
              create_role_assignment, _TAG, body=RoleAssignmentCreate, response=RoleAssignmentCreated, status=201),
    Operation("GET", "/roleAssignments/{id}", A.ROLE_ASSIGNMENTS_READ, "Show a role assignment",
              show_role_assignment, _TAG, response=RoleAssignmentView),
    Operation("DELETE", "/roleAssignments/{id}", A.ROLE_ASSIGNMENTS_DELETE, "Delete a role assignment",
              delete_role_assignment, _TAG),
]  # fmt: skip
