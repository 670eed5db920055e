"""What every command shares: one-line errors, writing text, loading the config, the shared options."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from inc_audit import __version__
from inc_audit.cli import options as options_module
from inc_audit.cli.token import DEFAULT_VARIABLE
from inc_audit.config import file as config_module
from inc_audit.config.file import Config
from inc_audit.errors import EXIT_INCOMPLETE, EXIT_INTERNAL, REPORT_HOW, IncAuditError, InputError
from inc_audit.files import write_whole
from inc_audit.formats.registry import CONFIDENTIAL_TITLES, MAIN_FORMATS, REPORTERS
from inc_audit.redaction import redact
from inc_audit.text import printable

_quiet = False
"""-q / --quiet: no progress and no notices on stderr; errors and warnings still go there."""


def say(message: str, err: bool = True) -> None:
    """A notice on stderr (``err``), left out under --quiet unless it is a warning; or stdout.
    Always redacted and ``printable`` (no escape sequence from GitLab reaches a terminal)."""
    if err and _quiet and not message.startswith("inc-audit: warning"):
        return
    click.echo(printable(redact(message)), err=err)


def shout(message: str) -> None:
    """An error on stderr: printed even under --quiet."""
    click.echo(redact(message), err=True)


def quiet() -> bool:
    return _quiet


def _set_quiet(context: click.Context, parameter: click.Parameter, value: bool) -> bool:
    global _quiet
    _quiet = bool(value)
    return _quiet


@contextmanager
def handled_errors(debug: bool) -> Iterator[None]:
    """Turn every failure into one line (plus a hint) and its exit code, never a traceback."""
    try:
        yield
    except IncAuditError as error:
        shout(f"inc-audit: error: {one_line(str(error))}")
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        shout("inc-audit: interrupted: nothing was published")
        sys.exit(EXIT_INCOMPLETE)
    except BrokenPipeError:  # the reader of stdout went away (`| head`): not a bug, not a verdict
        options_module.closed_output()
    except (click.exceptions.Exit, click.ClickException, SystemExit):
        raise
    except Exception as error:  # a bug: still one line unless asked for more, and never exit 1
        if debug:
            shout(traceback.format_exc())
        shout(f"inc-audit: internal error (inc-audit {__version__}): {one_line(f'{type(error).__name__}: {error}')}")
        shout(f"  {REPORT_HOW}")
        sys.exit(EXIT_INTERNAL)


def one_line(text: str) -> str:
    return " ".join(text.split())


def parse_reports(values: tuple[str, ...]) -> list[tuple[str, Path]]:
    return options_module.parse_reports(values, tuple(REPORTERS))


def write_text(path: Path | None, text: str, color: bool = False) -> None:
    write_pieces(path, (text,), color)


def write_pieces(path: Path | None, pieces: Iterable[str], color: bool = False) -> None:
    """Write ``pieces`` one after another to ``path`` (standard output for None or ``-``), each
    redacted and, for a terminal, made printable on its own: a piece never splits a secret, a
    URL or a character (the reporters cut between incidents). A file appears whole or not at
    all (``files.write_whole``): a run that fails while its report is made leaves the last
    report as it was."""
    if path is None or str(path) == "-":  # a coloured text report paints ``plain`` fields only
        for piece in pieces:
            click.echo(redact(piece) if color else printable(redact(piece)), nl=False, color=color)
        return
    try:
        write_whole(path, (redact(piece) for piece in pieces))
    except OSError as error:
        raise InputError(f"cannot write {path}: {error.strerror or error}") from None


def load_config(path: str | None, judges_approval: bool = False) -> Config:
    config = config_module.load(path)
    if judges_approval and not config.roles:
        say("inc-audit: no roles are configured: anyone but its author may approve a post-mortem (see roles:)")
    return config


config_option = click.option(
    "--config", "config_path", metavar="PATH", help="Configuration file [default: .inc-audit.yml if present]."
)
debug_option = click.option("--debug", is_flag=True, help="Show a traceback on internal errors.")
quiet_option = click.option(
    "-q",
    "--quiet",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_set_quiet,
    help="For scripts: no progress and no notices on stderr, only errors and warnings.",
)


token_variable_option = click.option(
    "--token-variable",
    metavar="NAME",
    default=DEFAULT_VARIABLE,
    show_default=True,
    help="Environment variable that holds the GitLab token; without it, python-gitlab's config.",
)


def target_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--gitlab-url, --project and --group: which GitLab and what in it."""
    options = [
        click.option(
            "--gitlab-url",
            metavar="URL",
            callback=options_module.gitlab_url_option,
            help="GitLab to use [default: gitlab.url, then $CI_SERVER_URL].",
        ),
        click.option(
            "--project",
            metavar="PATH_OR_ID",
            help="Project to audit [default: gitlab.project, then $CI_PROJECT_PATH].",
        ),
        click.option("--group", metavar="PATH", help="Audit every project of this group and its subgroups."),
        token_variable_option,
    ]
    for option in reversed(options):
        command = option(command)
    return command


def report_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--format, --output and --report, shared by the commands that write reports."""
    options = [
        click.option("--format", "fmt", type=click.Choice(MAIN_FORMATS), default="text", show_default=True),
        click.option(
            "--output",
            metavar="FILE",
            type=click.Path(path_type=Path),
            callback=options_module.output_option,
            help="Write the report here [default: stdout].",
        ),
        click.option(
            "--report",
            "reports",
            metavar="FORMAT=PATH",
            multiple=True,
            help=f"Also write a report ({', '.join(REPORTERS)}); repeatable.",
        ),
        click.option(
            "--confidential-titles",
            type=click.Choice(CONFIDENTIAL_TITLES),
            default="auto",
            show_default=True,
            help="Show confidential incidents' titles in reports and logs; auto withholds them in CI ($CI set).",
        ),
    ]
    for option in reversed(options):
        command = option(command)
    return command

