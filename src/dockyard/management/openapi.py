"""The OpenAPI 3.1 document of the management API, generated from its `Operation`s and their models.

Nothing here is written by hand per route: paths, parameters, request bodies, responses and the
control-plane action each operation needs (`x-dockyard-action`) all come from the operation list.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from dockyard.management.errors import ErrorResponse
from dockyard.management.operations import Operation, Query
from dockyard.management.schema import SchemaBook

_PATH_PARAMETER = re.compile(r"{(\w+)}")
# Refusals any operation may answer with (405 and unknown routes are not per operation).
_REFUSALS = {
    "400": "The body is not JSON, or a value breaks a rule of the registry (the error's target names the field).",
    "401": "No directory token, or one that is invalid or expired (with a `WWW-Authenticate: Bearer` challenge).",
    "403": "The caller's roles do not allow the operation's control-plane action (named in `error.action`).",
    "404": "The resource, or one the request names, does not exist.",
    "409": "The registry's state forbids the change (a name in use, a lock, a full list).",
    "422": "The body or a query parameter does not match the schema (the error's target names the field).",
}


def openapi_document(operations: Iterable[Operation]) -> dict[str, Any]:
    """The whole document."""
    book = SchemaBook()
    error = book.response(ErrorResponse)
    paths: dict[str, dict[str, Any]] = {}
    for operation in operations:
        paths.setdefault("/api/v1" + operation.path, {})[operation.method.lower()] = _operation(operation, book, error)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Dockyard management API",
            "version": "1",
            "description": (
                "Manage a Dockyard registry as Azure Resource Manager manages an Azure Container Registry. "
                "Sign in at /directory/<tenant>/oauth2/v2.0/token and send the directory token as "
                "`Authorization: Bearer <token>`; each operation needs the control-plane action in "
                "`x-dockyard-action`."
            ),
        },
        "paths": paths,
        "components": {
            "schemas": book.components,
            "securitySchemes": {"directoryToken": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
        "security": [{"directoryToken": []}],
    }


def _operation(operation: Operation, book: SchemaBook, error: dict[str, Any]) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    if operation.response is None:
        responses["204"] = {"description": "Done."}
    else:
        responses[str(operation.status)] = {
            "description": "Done.",
            "content": {"application/json": {"schema": book.response(operation.response)}},
        }
    for status, description in _REFUSALS.items():
        responses[status] = {"description": description, "content": {"application/json": {"schema": error}}}
    described: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "tags": [operation.tag],
        "x-dockyard-action": operation.action.value,
        "parameters": [*_path_parameters(operation.path), *(_query_parameter(q) for q in operation.query)],
        "responses": responses,
    }
    if operation.body is not None:
        described["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": book.request(operation.body)}},
        }
    return described


def _path_parameters(path: str) -> list[dict[str, Any]]:
    return [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
        for name in _PATH_PARAMETER.findall(path)
    ]


def _query_parameter(query: Query) -> dict[str, Any]:
    schema: dict[str, Any]
    if query.type is int:
        schema = {"type": "integer"}
        if query.minimum is not None:
            schema["minimum"] = query.minimum
        if query.maximum is not None:
            schema["maximum"] = query.maximum
    elif query.type is datetime.datetime:
        schema = {"type": "string", "format": "date-time"}
    elif isinstance(query.type, type) and issubclass(query.type, StrEnum):
        schema = {"type": "string", "enum": [member.value for member in query.type]}
    else:
        schema = {"type": "string"}
    return {"name": query.name, "in": "query", "required": False, "description": query.description, "schema": schema}
