"""docs/management.md names every route, its action, and every error code the API answers with."""

from __future__ import annotations

from pathlib import Path

import pytest

from dockyard.management.errors import ErrorCode
from dockyard.management.operations import Operation
from dockyard.management.resources import OPERATIONS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "management.md").read_text()


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method} {op.path}")
def test_every_route_is_documented_with_its_action(operation: Operation) -> None:
    assert f"| `{operation.method}` | `/api/v1{operation.path}` | {operation.summary} | `{operation.action}` |" in DOC


@pytest.mark.parametrize("code", list(ErrorCode), ids=str)
def test_every_error_code_is_documented(code: ErrorCode) -> None:
    assert f"`{code.value}`" in DOC
