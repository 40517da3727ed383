"""The one source of truth for the management API's bodies: typed dataclasses, read two ways.

`json_schema(Model)` turns a dataclass into the JSON Schema the OpenAPI document publishes, and
`parse(Model, data)` turns a decoded JSON body into that dataclass, refusing anything the schema
refuses with `SchemaViolation` naming the field (`networkRuleSet.ipRules[2].value`). `dump(value)`
writes a response. Because all three walk the same type hints, the document cannot drift from what
the API accepts and answers.

Supported: `str`, `int`, `float`, `bool`, `StrEnum`s, `X | None`, `list[X]`, nested dataclasses,
`datetime` (RFC 3339 strings), and `Annotated[X, Constraint(...)]` for lengths, patterns and ranges.
JSON names are the fields' names in camelCase, or in PascalCase for a model whose `JSON_CASE` is
"pascal" (the audit log's columns). A request field
without a default is required; unknown fields are refused.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from typing import Any, TypeVar

_T = TypeVar("_T")


@dataclass(frozen=True)
class Constraint:
    """JSON Schema keywords a value must also satisfy (in `Annotated[...]`)."""

    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    min_items: int | None = None
    max_items: int | None = None
    description: str | None = None

    def keywords(self) -> dict[str, Any]:
        """The constraint as JSON Schema keywords."""
        names = {
            "min_length": "minLength",
            "max_length": "maxLength",
            "pattern": "pattern",
            "minimum": "minimum",
            "maximum": "maximum",
            "min_items": "minItems",
            "max_items": "maxItems",
            "description": "description",
        }
        return {key: getattr(self, name) for name, key in names.items() if getattr(self, name) is not None}


class SchemaViolation(ValueError):
    """A body that does not match its schema: `field` names where (dotted, with list indexes)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field or 'the body'}: {message}")
        self.field = field
        self.message = message


def camel(name: str) -> str:
    """`admin_user_enabled` -> `adminUserEnabled`."""
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


@dataclass(frozen=True)
class _Field:
    name: str
    json: str
    hint: Any
    required: bool


@cache
def _fields(model: type) -> tuple[_Field, ...]:
    hints = typing.get_type_hints(model, include_extras=True)
    pascal = getattr(model, "JSON_CASE", "camel") == "pascal"
    return tuple(
        _Field(
            f.name,
            camel(f.name)[:1].upper() + camel(f.name)[1:] if pascal else camel(f.name),
            hints[f.name],
            f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING,
        )
        for f in dataclasses.fields(model)
    )


def _split(hint: Any) -> tuple[Any, list[Constraint]]:
    """The type under `Annotated`, and its constraints."""
    if typing.get_origin(hint) is typing.Annotated:
        base, *extras = typing.get_args(hint)
        return base, [extra for extra in extras if isinstance(extra, Constraint)]
    return hint, []


def _optional(hint: Any) -> Any | None:
    """`X` for `X | None`, else None."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(args) == 1 and len(typing.get_args(hint)) == 2:
            return args[0]
    return None


# -- JSON Schema ---------------------------------------------------------------------------------


class SchemaBook:
    """The `components/schemas` of a document, filled as request and response schemas are asked for.

    A model is read as a request (fields without a default are required) or as a response (every
    field is always present, perhaps null), never both: `TypeError` says so at start-up.
    """

    def __init__(self) -> None:
        self.components: dict[str, Any] = {}
        self._roles: dict[str, str] = {}

    def request(self, hint: Any) -> dict[str, Any]:
        """The schema of a request body of this type."""
        return self._schema(hint, "request")

    def response(self, hint: Any) -> dict[str, Any]:
        """The schema of a response body of this type."""
        return self._schema(hint, "response")

    def _schema(self, hint: Any, role: str) -> dict[str, Any]:
        base, constraints = _split(hint)
        extra: dict[str, Any] = {}
        for constraint in constraints:
            extra |= constraint.keywords()
        inner = _optional(base)
        if inner is not None:
            return {"anyOf": [self._schema(inner, role), {"type": "null"}], **extra}
        if dataclasses.is_dataclass(base) and isinstance(base, type):
            reference = {"$ref": f"#/components/schemas/{self._object(base, role)}"}
            return {"allOf": [reference], **extra} if extra else reference
        if isinstance(base, type) and issubclass(base, StrEnum):
            return {"type": "string", "enum": [member.value for member in base], **extra}
        if typing.get_origin(base) is list:
            (item,) = typing.get_args(base)
            return {"type": "array", "items": self._schema(item, role), **extra}
        simple = {str: "string", bool: "boolean", int: "integer", float: "number"}
        if base in simple:
            return {"type": simple[base], **extra}
        if base is datetime.datetime:
            return {"type": "string", "format": "date-time", **extra}
        raise TypeError(f"no JSON Schema for {base!r}")

    def _object(self, model: type, role: str) -> str:
        name = model.__name__
        if name in self._roles:
            if self._roles[name] != role:
                raise TypeError(f"{name} is used both as a request and as a response model")
            return name
        self._roles[name] = role
        fields = _fields(model)
        schema: dict[str, Any] = {
            "type": "object",
            "properties": {f.json: self._schema(f.hint, role) for f in fields},
            "additionalProperties": False,
        }
        required = [f.json for f in fields if f.required or role == "response"]
        if required:
            schema["required"] = required
        if model.__doc__ and not model.__doc__.startswith(model.__name__ + "("):
            schema["description"] = " ".join(model.__doc__.split())
        self.components[name] = schema
        return name


# -- parsing -------------------------------------------------------------------------------------


def parse(model: type[_T], data: Any) -> _T:
    """The dataclass `model` read from a decoded JSON body; `SchemaViolation` when it does not match."""
    value: _T = _parse(model, data, "")
    return value


def _parse(hint: Any, data: Any, where: str) -> Any:
    base, constraints = _split(hint)
    inner = _optional(base)
    if inner is not None:
        return None if data is None else _parse(inner, data, where)
    value = _parse_base(base, data, where)
    for constraint in constraints:
        _check(constraint, value, where)
    return value


def _parse_base(base: Any, data: Any, where: str) -> Any:
    if dataclasses.is_dataclass(base) and isinstance(base, type):
        return _parse_object(base, data, where)
    if isinstance(base, type) and issubclass(base, StrEnum):
        if not isinstance(data, str) or data not in {member.value for member in base}:
            raise SchemaViolation(where, f"must be one of {', '.join(member.value for member in base)}")
        return base(data)
    if typing.get_origin(base) is list:
        if not isinstance(data, list):
            raise SchemaViolation(where, "must be an array")
        (item,) = typing.get_args(base)
        return [_parse(item, element, f"{where}[{index}]") for index, element in enumerate(data)]
    if base is bool:
        if not isinstance(data, bool):
            raise SchemaViolation(where, "must be true or false")
        return data
    if base is int:
        if isinstance(data, bool) or not isinstance(data, int):
            raise SchemaViolation(where, "must be an integer")
        return data
    if base is float:
        if isinstance(data, bool) or not isinstance(data, int | float):
            raise SchemaViolation(where, "must be a number")
        return float(data)
    if base is str:
        if not isinstance(data, str):
            raise SchemaViolation(where, "must be a string")
        if not data.isascii():
            try:
                data.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate: JSON can escape one, no store can keep it
                raise SchemaViolation(where, "must be valid Unicode text") from None
        return data
    if base is datetime.datetime:
        return parse_time(data, where)
    raise TypeError(f"cannot parse {base!r}")


def _parse_object(model: type, data: Any, where: str) -> Any:
    if not isinstance(data, Mapping):
        raise SchemaViolation(where, "must be a JSON object")
    fields = _fields(model)
    known = {f.json for f in fields}
    for key in data:
        if key not in known:
            raise SchemaViolation(_join(where, str(key)), f"is not a field here (expected: {', '.join(sorted(known))})")
    values: dict[str, Any] = {}
    for f in fields:
        path = _join(where, f.json)
        if f.json in data:
            values[f.name] = _parse(f.hint, data[f.json], path)
        elif f.required:
            raise SchemaViolation(path, "is required")
    return model(**values)


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where else key


def _check(constraint: Constraint, value: Any, where: str) -> None:
    if isinstance(value, str):
        if constraint.min_length is not None and len(value) < constraint.min_length:
            raise SchemaViolation(where, f"must be at least {constraint.min_length} characters")
        if constraint.max_length is not None and len(value) > constraint.max_length:
            raise SchemaViolation(where, f"must be at most {constraint.max_length} characters")
        if constraint.pattern is not None and re.search(constraint.pattern, value) is None:
            raise SchemaViolation(where, f"must match {constraint.pattern}")
    if isinstance(value, int | float) and not isinstance(value, bool):
        if constraint.minimum is not None and value < constraint.minimum:
            raise SchemaViolation(where, f"must be at least {constraint.minimum}")
        if constraint.maximum is not None and value > constraint.maximum:
            raise SchemaViolation(where, f"must be at most {constraint.maximum}")
    if isinstance(value, list):
        if constraint.min_items is not None and len(value) < constraint.min_items:
            raise SchemaViolation(where, f"must hold at least {constraint.min_items} items")
        if constraint.max_items is not None and len(value) > constraint.max_items:
            raise SchemaViolation(where, f"must hold at most {constraint.max_items} items")


_TIME = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d+)?(?:[Zz]|[+-]\d\d:\d\d)")


def parse_time(data: Any, where: str) -> datetime.datetime:
    """An RFC 3339 date-time with its offset (`2030-01-31T12:00:00Z`), as an aware datetime."""
    if not isinstance(data, str) or not _TIME.fullmatch(data):
        raise SchemaViolation(where, "must be an RFC 3339 date-time with an offset, e.g. 2030-01-31T12:00:00Z")
    try:
        return datetime.datetime.fromisoformat(data.upper().replace("Z", "+00:00"))
    except ValueError:
        raise SchemaViolation(where, "is not a valid date-time") from None


# -- responses -----------------------------------------------------------------------------------


def dump(value: Any) -> Any:
    """A response value as JSON-ready data (dataclasses by their JSON names, times in RFC 3339)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.json: dump(getattr(value, f.name)) for f in _fields(type(value))}
    if isinstance(value, list | tuple):
        return [dump(item) for item in value]
    if isinstance(value, StrEnum):
        return value.value
    if isinstance(value, datetime.datetime):
        return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return value


def timestamp(seconds: float) -> datetime.datetime:
    """Seconds since the epoch as an aware UTC datetime."""
    return datetime.datetime.fromtimestamp(seconds, datetime.UTC)
