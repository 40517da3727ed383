"""`--output/-o table|json|tsv` and `--query` (JMESPath, as in az) for every command that prints a result.

A command decorated with `output_options` calls `emit(result)` with its result — a dict, a list of dicts,
or anything JSON can hold. The query runs first, on the JSON form; then the result is printed:
- `json`: indented JSON, exactly what the query gave;
- `table`: one row per object under a header (a single object is one row; nested values print as compact
  JSON; a list of plain values is one column);
- `tsv`: the same rows without a header, tab-separated, nested values left out (as az does), for scripts.

This module prints; it never decides what a command shows.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, cast

import click
import jmespath  # type: ignore[import-untyped, unused-ignore]
from jmespath.exceptions import JMESPathError  # type: ignore[import-untyped, unused-ignore]

from dockyard.cli.errors import CliError

_META_KEY = "dockyard.output"
_MAX_CELL = 80


class OutputFormat(StrEnum):
    """How a result is printed."""

    TABLE = "table"
    JSON = "json"
    TSV = "tsv"


@dataclass(frozen=True)
class OutputChoice:
    """What the user asked for on the command line."""

    format: OutputFormat
    query: str | None


def output_options(default: OutputFormat = OutputFormat.JSON) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add `--output/-o` and `--query` to a command; `emit` reads them (the command's function never sees them)."""

    def remember(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
        ctx.meta.setdefault(_META_KEY, {})[param.name] = value
        return value

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option(
            "--query",
            expose_value=False,
            callback=remember,
            help="A JMESPath query applied to the JSON result before it is printed (as in az), "
            "e.g. \"[?ResultType=='failure'].Identity\".",
        )(command)
        return click.option(
            "--output",
            "-o",
            type=click.Choice([f.value for f in OutputFormat]),
            default=default.value,
            show_default=True,
            expose_value=False,
            callback=remember,
            help="json (for reading and jq), table (for people) or tsv (for scripts: no header, tab-separated).",
        )(command)

    return decorate


def current_choice() -> OutputChoice:
    """The `--output` and `--query` of the command being run (json and no query outside one)."""
    context = click.get_current_context(silent=True)
    chosen = context.meta.get(_META_KEY, {}) if context is not None else {}
    return OutputChoice(OutputFormat(chosen.get("output") or OutputFormat.JSON), chosen.get("query"))


def emit(result: Any, *, columns: Sequence[str] | None = None, rows: Callable[[Any], Any] | None = None) -> None:
    """Print `result` as the user asked. `columns` orders (and limits) a table's columns; `rows` turns the
    result into what a table or tsv lists when no `--query` reshaped it (e.g. the events of a page)."""
    choice = current_choice()
    click.echo(render(result, choice, columns=columns, rows=rows))


def render(
    result: Any,
    choice: OutputChoice,
    *,
    columns: Sequence[str] | None = None,
    rows: Callable[[Any], Any] | None = None,
) -> str:
    """The text `emit` prints (pure, for tests)."""
    if choice.query:
        result = apply_query(result, choice.query)
        columns, rows = None, None
    if choice.format is OutputFormat.JSON:
        return json.dumps(result, indent=2, ensure_ascii=False)
    listed = rows(result) if rows is not None else result
    if choice.format is OutputFormat.TSV:
        return _tsv(listed, columns)
    return _table(listed, columns)


def apply_query(result: Any, query: str) -> Any:
    """`query` (JMESPath) applied to `result`; a query that does not parse is a usage error."""
    try:
        return cast(Any, jmespath.search(query, result))
    except JMESPathError as exc:
        raise CliError(
            f"the --query is not valid JMESPath: {str(exc).splitlines()[0]}",
            fix="see https://jmespath.org for the syntax; quote the query for the shell",
        ) from exc


def _records(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _columns(records: list[Any], columns: Sequence[str] | None) -> list[str]:
    if columns is not None:
        return list(columns)
    names: list[str] = []
    for record in records:
        if isinstance(record, dict):
            names += [name for name in record if name not in names]
    return names


def _table(value: Any, columns: Sequence[str] | None) -> str:
    records = _records(value)
    if records and not any(isinstance(record, dict) for record in records):
        header = ["Result"]
        cells = [[_cell(record)] for record in records]
    else:
        header = _columns(records, columns)
        cells = [[_cell(record.get(name)) if isinstance(record, dict) else "" for name in header] for record in records]
    if not header:
        return ""
    widths = [max([len(name), *(len(row[i]) for row in cells)]) for i, name in enumerate(header)]
    lines = [header, *cells]
    padded = ("  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)) for line in lines)
    return "\n".join(line.rstrip() for line in padded)


def _tsv(value: Any, columns: Sequence[str] | None) -> str:
    records = _records(value)
    lines = []
    for record in records:
        if isinstance(record, dict):
            names = columns if columns is not None else list(record)
            fields = [record.get(name) for name in names]
            lines.append("\t".join(_plain(item) for item in fields if not isinstance(item, dict | list)))
        elif isinstance(record, list):
            lines.append("\t".join(_plain(item) for item in record if not isinstance(item, dict | list)))
        else:
            lines.append(_plain(record))
    return "\n".join(lines)


def _plain(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).replace("\t", " ").replace("\n", " ")


def _cell(value: Any) -> str:
    text = json.dumps(value, separators=(",", ":")) if isinstance(value, dict | list) else _plain(value)
    return text if len(text) <= _MAX_CELL else text[: _MAX_CELL - 3] + "..."
