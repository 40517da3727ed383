"""docs/troubleshooting.md stays true: its table of causes is the one `causes.toml` generates, and every
`dockyard` command a fix or the doc names is a real command with real options."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from dockyard.cli.main import main
from dockyard.doctor.docs import BEGIN, END, causes_table, with_table
from dockyard.doctor.knowledge import load_knowledge

DOC = Path(__file__).resolve().parents[2] / "docs" / "troubleshooting.md"
_COMMAND = re.compile(r"dockyard ([a-z][a-z-]*(?: [^;,()`\n]*)?)")


def test_the_table_of_causes_in_the_doc_is_up_to_date() -> None:
    document = DOC.read_text()

    assert with_table(document, causes_table()) == document, "run: python -m dockyard.doctor.docs --write " + str(DOC)


def test_the_doc_describes_every_check_health_code_it_can_report() -> None:
    document = DOC.read_text()
    codes = {code for cause in load_knowledge().causes for code in cause.codes}

    assert [code.value for code in sorted(codes) if code.value not in document] == []


def _commands(text: str) -> list[str]:
    return [match.group(1).split(" or ")[0].strip() for match in _COMMAND.finditer(text)]


def _fix_commands() -> list[str]:
    lines = [line for cause in load_knowledge().causes for line in cause.fix]
    table = DOC.read_text().partition(BEGIN)[0] + DOC.read_text().partition(END)[2]
    found = {*(c for line in lines for c in _commands(line)), *_commands(table)}
    return sorted(c for c in found if c.split()[0] in main.commands)  # "dockyard renews …" is prose


@pytest.mark.parametrize("command", _fix_commands())
def test_every_dockyard_command_the_fixes_name_exists_with_its_options(command: str) -> None:
    words = command.split()
    target: click.Command = main
    for word in words:
        if isinstance(target, click.Group) and word in target.commands:
            target = target.commands[word]
        elif not word.startswith("-") and isinstance(target, click.Group):
            pytest.fail(f"dockyard {command}: {word!r} is not a subcommand")
    assert not isinstance(target, click.Group) or target.invoke_without_command, f"dockyard {command} is a group"
    known = {name for param in target.params for name in (*param.opts, *param.secondary_opts)}
    unknown = [word for word in words if word.startswith("-") and word != "-" and word.split("=")[0] not in known]
    assert unknown == [], f"dockyard {command}: unknown options {unknown}"
