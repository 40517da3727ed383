"""How the `dockyard` command fails: one line that says what went wrong, one that says how to fix it,
a non-zero exit status — and the traceback only when `--debug` asks for it.

Commands raise `CliError(message, fix=…)`; `DockyardGroup` (the top-level group) turns every other
exception into the same two lines. Messages never carry a password, secret or token.
"""

from __future__ import annotations

import logging
import sys
import traceback
from typing import IO, Any

import click

_BUG_FIX = "run the command again with --debug to see where it failed, and report it if it is a bug"


class CliError(click.ClickException):
    """A failure the user can act on: `message` says what is wrong, `fix` what to do about it."""

    exit_code = 1

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.fix = fix

    def show(self, file: IO[Any] | None = None) -> None:
        """`error: <message>` and `fix: <fix>` on stderr."""
        stream = file if file is not None else sys.stderr
        click.echo(f"error: {self.format_message()}", file=stream)
        if self.fix:
            click.echo(f"fix: {self.fix}", file=stream)


class DockyardGroup(click.Group):
    """The top-level group: runs a command and reports any failure as a `CliError` (with the traceback
    first under `--debug`). Usage errors keep click's own report (usage line, exit status 2)."""

    def invoke(self, ctx: click.Context) -> Any:
        """Run the chosen command; translate whatever it raises."""
        debug = bool(ctx.params.get("debug"))
        if debug:
            logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.Abort, click.UsageError):
            raise
        except click.ClickException as exc:
            if debug:
                traceback.print_exception(exc, file=sys.stderr)
            if isinstance(exc, CliError):
                raise
            raise CliError(exc.format_message()) from exc
        except Exception as exc:
            if debug:
                traceback.print_exception(exc, file=sys.stderr)
            raise as_cli_error(exc) from exc


def as_cli_error(exc: BaseException) -> CliError:
    """An unexpected exception as a one-line error with the most useful fix known for its kind."""
    if isinstance(exc, PermissionError):
        fix = "check the file's owner and mode, or run as its owner"
        return CliError(f"permission denied: {exc.filename}", fix=fix)
    if isinstance(exc, FileNotFoundError):
        return CliError(f"no such file or directory: {exc.filename}", fix="check the path")
    if isinstance(exc, OSError):
        return CliError(f"{exc.strerror or exc}", fix=_BUG_FIX)
    text = str(exc).splitlines()[0] if str(exc) else ""
    return CliError(f"{type(exc).__name__}: {text}" if text else type(exc).__name__, fix=_BUG_FIX)
