"""The management API as an ASGI app: every `Operation` under `/api/v1`, and `/api/openapi.json`.

Each request goes through the same steps, in this order: authenticate (401), authorize the operation's
control-plane action with `decide_control()` (403 naming the action and the reasons), read the body
(400 when it is not JSON) and the parameters against their models (422 naming the field), then the
operation. Domain refusals are mapped once, in `errors.from_domain`. Nothing is written before every
check has passed; what a handler writes it writes in one store transaction or after validating all.
Secrets never reach a log: requests and bodies are not logged here.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterable
from typing import Any, TypeVar

import anyio
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp

from dockyard.access.control_plane import decide_control
from dockyard.content.registry import Registry
from dockyard.management.authentication import Authenticator
from dockyard.management.context import Management
from dockyard.management.errors import (
    DOMAIN_ERRORS,
    ErrorCode,
    ErrorDetail,
    ErrorResponse,
    ManagementError,
    authorization_failed,
    from_domain,
)
from dockyard.management.openapi import openapi_document
from dockyard.management.operations import Call, Caller, Operation
from dockyard.management.parameters import parse_query
from dockyard.management.resources import OPERATIONS
from dockyard.management.schema import SchemaViolation, dump, parse
from dockyard.settings import Settings

log = logging.getLogger("dockyard.management")
MAX_BODY_BYTES = 1024 * 1024


def management_app(
    settings: Settings,
    registry: Registry,
    authenticator: Authenticator,
    operations: Iterable[Operation] = OPERATIONS,
) -> Starlette:
    """The management API on an opened registry, its callers identified by `authenticator`.

    Mount it at `/api`: its routes are `/v1/...` and `/openapi.json` below that.
    """
    management = Management.open(settings, registry)
    listed = list(operations)
    document = openapi_document(listed)
    routes = [
        _whole_path(
            Route(op.route_path.removeprefix("/api"), _endpoint(op, management, authenticator), methods=[op.method])
        )
        for op in listed
    ]
    routes.append(Route("/openapi.json", lambda request: JSONResponse(document), methods=["GET"]))
    return Starlette(
        routes=routes,
        exception_handlers={HTTPException: _http_error, Exception: _unexpected},
    )


def mount(app: ASGIApp) -> Mount:
    """The management app mounted at `/api`, owning every path below it (newlines included), so even a
    nonsense path there is answered in this API's error format."""
    return _whole_path(Mount("/api", app))


_Matched = TypeVar("_Matched", Route, Mount)


def _whole_path(route: _Matched) -> _Matched:
    # Starlette's `{x:path}` is `.*`, which stops at a newline: a decoded %0A would fall through.
    route.path_regex = re.compile(route.path_regex.pattern, re.DOTALL)
    return route


def _endpoint(operation: Operation, management: Management, authenticator: Authenticator) -> Any:
    async def endpoint(request: Request) -> Response:
        try:
            body = await _read_body(request) if operation.body is not None else b""
            result = await anyio.to_thread.run_sync(
                _perform,
                operation,
                management,
                authenticator,
                request.headers.get("authorization"),
                dict(request.path_params),
                request.query_params.multi_items(),
                body,
            )
        except ManagementError as error:
            return error_response(error)
        if operation.response is None:
            return Response(status_code=204)
        return JSONResponse(dump(result), status_code=operation.status, headers={"Cache-Control": "no-store"})

    endpoint.__name__ = operation.operation_id
    return endpoint


def _perform(
    operation: Operation,
    management: Management,
    authenticator: Authenticator,
    authorization: str | None,
    path: dict[str, str],
    query: list[tuple[str, str]],
    body: bytes,
) -> Any:
    caller = authenticator(authorization)
    _authorize(management, caller, operation)
    try:
        parsed_query = parse_query(operation.query, query)
        parsed_body = parse(operation.body, _decode(body)) if operation.body is not None else None
    except SchemaViolation as violation:
        raise ManagementError.of(ErrorCode.INVALID_PARAMETER, str(violation), violation.field) from None
    call = Call(management, caller, path, parsed_query, parsed_body)
    try:
        return operation.handler(call)
    except DOMAIN_ERRORS as refusal:
        raise from_domain(refusal) from None


def _authorize(management: Management, caller: Caller, operation: Operation) -> None:
    current = management.properties.current()
    policy = management.policy.policy(current.role_assignment_mode, current.anonymous_pull_enabled)
    decision = decide_control(caller.subject, operation.action, policy)
    if not decision.allowed:
        log.info("management: %s %s refused to %s: %s", operation.method, operation.path, caller.object_id, decision)
        raise authorization_failed(caller.name, caller.object_id, operation.action.value, decision)


async def _read_body(request: Request) -> bytes:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise ManagementError.of(ErrorCode.INVALID_REQUEST_CONTENT, "The request body is larger than 1 MiB.")
    return body


def _decode(body: bytes) -> Any:
    if not body.strip():
        raise ManagementError.of(ErrorCode.INVALID_REQUEST_CONTENT, "The request needs a JSON body.")
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f" (line {exc.lineno}, column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        message = f"The request body is not valid JSON{where}."
        raise ManagementError.of(ErrorCode.INVALID_REQUEST_CONTENT, message) from None
    except RecursionError:
        raise ManagementError.of(ErrorCode.INVALID_REQUEST_CONTENT, "The request body nests too deeply.") from None


def error_response(error: ManagementError) -> Response:
    """The JSON response of a refusal."""
    return JSONResponse(dump(ErrorResponse(error.detail)), status_code=error.status, headers=error.headers)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        detail = ErrorDetail(ErrorCode.METHOD_NOT_ALLOWED, f"The method {request.method} is not allowed here.")
        return error_response(ManagementError(detail, dict(exc.headers or {})))
    message = f"No management API route matches '{request.url.path[:200]}'."
    return error_response(ManagementError.of(ErrorCode.NOT_FOUND, message))


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.error("management: %s %s failed", request.method, request.url.path, exc_info=exc)
    message = "The management API failed unexpectedly; the server's log says why."
    return error_response(ManagementError.of(ErrorCode.INTERNAL_SERVER_ERROR, message))
