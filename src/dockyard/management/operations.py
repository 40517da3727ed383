"""What one management operation is: method, path, the control-plane action it needs, its request and
response models, its query parameters and the function that performs it.

The list of `Operation`s is the API: `api.py` turns it into routes and `openapi.py` into the OpenAPI
document, so the two cannot disagree. Handlers are plain functions of a `Call`; they run in a worker
thread (the stores are synchronous, and hashing a secret takes a while).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from dockyard.access.control_plane import ControlAction
from dockyard.access.decision import Subject
from dockyard.management.context import Management


@dataclass(frozen=True)
class Caller:
    """Who is calling: the subject decisions are made about, and how the 403 text names it."""

    subject: Subject
    name: str
    object_id: str


@dataclass(frozen=True)
class Query:
    """A query parameter: its name, its type (`str`, `int`, `datetime`, a `StrEnum`) and what it means."""

    name: str
    type: Any
    description: str
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class Call:
    """One request as a handler sees it: already authenticated, authorized and parsed."""

    management: Management
    caller: Caller
    path: Mapping[str, str]
    query: Mapping[str, Any]
    body: Any


@dataclass(frozen=True)
class Operation:
    """One route of the API.

    `path` is the OpenAPI template under `/api/v1` (`/repositories/{repository}/_tags`); a parameter
    named `repository` may hold slashes. `response` None means 204 No Content.
    """

    method: str
    path: str
    action: ControlAction
    summary: str
    handler: Callable[[Call], Any]
    tag: str
    body: type | None = None
    response: type | None = None
    status: int = 200
    query: tuple[Query, ...] = field(default=())

    @property
    def operation_id(self) -> str:
        """A stable id for the OpenAPI document: the handler's name in camelCase."""
        head, *rest = self.handler.__name__.strip("_").split("_")
        return head + "".join(part.capitalize() for part in rest)

    @property
    def route_path(self) -> str:
        """The Starlette path: `{repository}` takes slashes."""
        return "/api/v1" + self.path.replace("{repository}", "{repository:path}")
