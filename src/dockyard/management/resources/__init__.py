"""The management API's resources, one module each; `OPERATIONS` is the whole API, in route order."""

from __future__ import annotations

from dockyard.management.operations import Operation
from dockyard.management.resources import applications, events, principals, registry, repositories, roles, tokens

OPERATIONS: list[Operation] = [
    *registry.OPERATIONS,
    *principals.OPERATIONS,
    *applications.OPERATIONS,
    *roles.OPERATIONS,
    *tokens.OPERATIONS,
    *repositories.OPERATIONS,
    *events.OPERATIONS,
]
