"""The layout is the architecture: imports point inward (edges -> domain -> stores), never back."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "dockyard"

# package -> packages it must never import
FORBIDDEN = {
    "storage": {"content", "distribution", "auth", "cli", "app", "server"},
    "metadata": {"content", "distribution", "auth", "cli", "app", "server", "storage"},
    "content": {"distribution", "auth", "cli", "app", "server"},
    "auth": {"distribution", "content", "cli", "app", "server", "metadata", "storage"},
    "distribution": {"cli", "app", "server", "metadata", "storage"},
    "properties": {"content", "distribution", "auth", "storage", "cli", "app", "server"},
    "policy": {"content", "distribution", "auth", "storage", "cli", "app", "server"},
    "directory": {"content", "distribution", "auth", "access", "storage", "cli", "app", "server"},
    # the audit trail is a store of events: handed them by the edges, it knows none of them
    "audit": {"distribution", "content", "cli", "app", "server", "auth"},
    # decisions are pure: they know nothing of HTTP, storage or who calls them
    "access": {"distribution", "auth", "cli", "app", "server", "metadata", "storage", "content", "directory"},
    # network rules sit at the edge but decide purely: no stores, no registry domain, no HTTP but the middleware
    "network": {"distribution", "content", "metadata", "storage", "cli", "app", "server", "auth", "properties"},
}
# Only the HTTP edge may know about HTTP.
HTTP_FREE = {"storage", "metadata", "content", "access", "directory", "properties", "policy", "audit", "network"}
# Modules of an HTTP-free package that are its HTTP adapter, and may know HTTP.
HTTP_ADAPTERS = {"network/middleware.py"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def _modules(package: str) -> list[Path]:
    return sorted((SRC / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_inward(package: str) -> None:
    offending = [
        f"{path.relative_to(SRC)} imports {name}"
        for path in _modules(package)
        for name in _imports(path)
        if name.startswith("dockyard.") and name.split(".")[1] in FORBIDDEN[package]
    ]
    assert offending == []


@pytest.mark.parametrize("package", sorted(HTTP_FREE))
def test_domain_and_stores_know_nothing_of_http(package: str) -> None:
    offending = [
        f"{path.relative_to(SRC)} imports {name}"
        for path in _modules(package)
        if str(path.relative_to(SRC)) not in HTTP_ADAPTERS
        for name in _imports(path)
        if name.split(".")[0] in {"starlette", "granian", "httpx"}
    ]
    assert offending == []
