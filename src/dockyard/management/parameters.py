"""Query parameters read against their declared types, refusing a bad one with the field it is."""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from enum import StrEnum
from typing import Any

from dockyard.management.operations import Query
from dockyard.management.schema import SchemaViolation, parse_time

MAX_QUERY_VALUE = 1024


def parse_query(declared: Iterable[Query], items: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """The declared query parameters present in `items`, typed (the first of repeated ones counts;
    undeclared ones are ignored). `SchemaViolation` names a bad one as `query.<name>`."""
    given: dict[str, str] = {}
    for name, value in items:
        given.setdefault(name, value)
    parsed: dict[str, Any] = {}
    for query in declared:
        if query.name in given:
            parsed[query.name] = _value(query, given[query.name])
    return parsed


def _value(query: Query, raw: str) -> Any:
    where = f"query.{query.name}"
    if len(raw) > MAX_QUERY_VALUE:
        raise SchemaViolation(where, f"must be at most {MAX_QUERY_VALUE} characters")
    if query.type is int:
        if not (raw.isascii() and raw.lstrip("-").isdigit()) or len(raw) > 12:
            raise SchemaViolation(where, "must be an integer")
        number = int(raw)
        if query.minimum is not None and number < query.minimum:
            raise SchemaViolation(where, f"must be at least {query.minimum}")
        if query.maximum is not None and number > query.maximum:
            raise SchemaViolation(where, f"must be at most {query.maximum}")
        return number
    if query.type is datetime.datetime:
        return parse_time(raw, where)
    if isinstance(query.type, type) and issubclass(query.type, StrEnum):
        if raw not in {member.value for member in query.type}:
            raise SchemaViolation(where, f"must be one of {', '.join(member.value for member in query.type)}")
        return query.type(raw)
    return raw
