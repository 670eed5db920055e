"""Checks on command-line options, made when click parses them: a bad value ends the run
with exit 2 and one line, before any configuration is read or any request is sent."""

from __future__ import annotations

import math
import os
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from inc_audit.errors import EXIT_INCOMPLETE, InputError
from inc_audit.redaction import check_gitlab_url
from inc_audit.text import printable


class OneLineGroup(click.Group):
    """A command group whose usage errors are one line on stderr, with exit 2."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("standalone_mode", True) is False:
            return super().main(*args, **kwargs)
        kwargs["standalone_mode"] = False
        try:
            outcome = super().main(*args, **kwargs)
        except click.exceptions.Abort:
            click.echo("inc-audit: interrupted: nothing was published", err=True)
            sys.exit(EXIT_INCOMPLETE)
        except click.ClickException as error:
            click.echo(f"inc-audit: error: {one_line(error)}", err=True)
            sys.exit(error.exit_code)
        except BrokenPipeError:
            closed_output()
        sys.exit(outcome if isinstance(outcome, int) else 0)


def closed_output() -> None:
    """Whoever read the output went away (``inc-audit run | head -c1``): end quietly, exit 3
    (the report was not written whole), with nothing left for Python to flush at exit."""
    for stream in (sys.stdout, sys.stderr):
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
        except (OSError, ValueError):
            pass
    sys.exit(EXIT_INCOMPLETE)


def one_line(error: click.ClickException) -> str:
    message = " ".join(printable(error.format_message()).split())
    if isinstance(error, click.UsageError) and error.ctx is not None:
        return f"{message} (see `{error.ctx.command_path} --help`)"
    return message


class FiniteNumber(click.ParamType):
    """A finite number within bounds (seconds, requests a second): no nan, no inf, nothing negative."""

    name = "number"

    def __init__(self, low: float, high: float, low_open: bool = False) -> None:
        self.low, self.high, self.low_open = low, high, low_open

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> float:
        try:
            number = float(value)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number", param, ctx)
        too_low = number <= self.low if self.low_open else number < self.low
        if not math.isfinite(number) or too_low or number > self.high:
            bound = "above" if self.low_open else "at least"
            self.fail(f"{value!r} is not a number {bound} {self.low:g} and at most {self.high:g}", param, ctx)
        return number


def parse_as_of(value: str | None) -> datetime:
    """``--as-of``: an ISO 8601 moment between 1970 and 2999, as aware UTC; None means now."""
    if not value:
        return datetime.now(timezone.utc)
    from inc_audit.sources.export.fields import parse_moment  # here: the group's help and the gate skip sources/

    try:
        return parse_moment(value)
    except ValueError as error:
        raise InputError(f"--as-of {value!r} {error}", "write it like 2026-06-01 or 2026-06-01T09:30:00Z") from None


def as_of_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Checks --as-of when it is parsed; the command reads the moment itself, so "now" is late."""
    if value is not None:
        try:
            parse_as_of(value)
        except InputError as error:
            raise click.BadParameter(f"{error.message}: {error.hint}", ctx, param) from None
    return value


def gitlab_url_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return check_gitlab_url(value, "the URL")
    except InputError as error:
        raise click.BadParameter(f"{error.message}: {error.hint}", ctx, param) from None


def writable_file(path: Path, origin: str = "") -> Path:
    """A file path a report can be written to: its folder exists and it is not a folder itself."""
    if str(path) == "-":
        return path
    if path.is_dir():
        raise InputError(f"{origin}{path} is a directory", "give a file name, such as audit.json")
    folder = path.parent
    if not folder.is_dir():
        raise InputError(f"{origin}{path}: the folder {folder} does not exist", "create it first, or pick another")
    return path


def output_option(ctx: click.Context, param: click.Parameter, value: Path | None) -> Path | None:
    if value is None:
        return None
    try:
        return writable_file(value)
    except InputError as error:
        raise click.BadParameter(f"{error.message}: {error.hint}", ctx, param) from None


def parse_reports(values: tuple[str, ...], formats: tuple[str, ...]) -> list[tuple[str, Path]]:
    reports = []
    for value in values:
        name, _, path = value.partition("=")
        if name not in formats or not path.strip():
            raise InputError(f"--report {value!r} is not FORMAT=PATH", f"FORMAT is one of {', '.join(formats)}")
        reports.append((name, writable_file(Path(path), f"--report {name}=")))
    return reports
