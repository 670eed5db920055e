"""The command line: option parsing, and what a command's options mean for the library.

Each command lives in its own module; this one holds the ``main`` group and names them.
A command's module is imported only when that command runs, so the template gate does not
pay for python-gitlab, the audit or the report formats (``LazyGroup``); ``inc-audit --help``
lists the commands from their summaries here (``SUMMARIES``, held to the commands' own help
by tests/test_startup.py) and imports none. ``inc-audit --version`` alone never gets here:
the launcher answers it.
Each command turns its options into a frozen settings object at once (``settings``), and
only that goes further down. The command line may import every stage; nothing imports it.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

from inc_audit import __version__
from inc_audit.cli import collector
from inc_audit.cli import options as options_module

# command name -> the module under inc_audit.cli that defines it, as a function of that name
COMMANDS = {
    "run": "run",
    "check": "check",
    "rules": "rules",
    "templates": "templates",
    "merge": "merge",
    "init": "init",
    "agenda": "agenda",
    "vocabulary": "vocabulary",
}
# command name -> the first paragraph of its help, which the group's help shortens to a line
SUMMARIES = {
    "agenda": "Prepare the weekly IPM meeting: post-mortems awaiting approval, overdue ones, attendees.",
    "check": "Check one document before filing it, or one live incident.",
    "init": "Write a starter .inc-audit.yml from the project's issue templates and labels, and the CI include.",
    "merge": "Join the JSON reports of a sharded audit into one, and publish once.",
    "rules": "List the rules: code, severity and what each checks.",
    "run": "Audit every incident and report each violation.",
    "templates": "The merge-request gate: check that issue templates carry every required section.",
    "vocabulary": "List the headings of incidents, change tickets and post-mortems that no section answers to.",
}


class LazyGroup(options_module.OneLineGroup):
    """A group that imports a command's module only when the command is asked for.

    ``commands`` still maps every name to its command (importing them all), for the reference
    pages (docs/gen_reference.py) and the tests that walk every option; the group's own help
    lists the commands not imported from their ``summaries``."""

    def __init__(self, *args: Any, lazy: dict[str, str], summaries: dict[str, str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy = dict(lazy)
        self.summaries = dict(summaries)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The commands' list in the help, as click writes it, from the summaries of the commands
        not imported (a stand-in command holding the summary shortens it as the command would)."""
        listed = {name: self.loaded.get(name) or click.Command(name, help=self.summaries[name])
                  for name in self.list_commands(ctx) if name in self.loaded or name in self.summaries}
        if not listed:
            return
        limit = formatter.width - 6 - max(map(len, listed))
        rows = [(name, command.get_short_help_str(limit)) for name, command in listed.items() if not command.hidden]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.lazy, *self.loaded})

    def get_command(self, ctx: click.Context | None, cmd_name: str) -> click.Command | None:
        if cmd_name in self.lazy and cmd_name not in self.loaded:
            module = importlib.import_module(f"inc_audit.cli.{self.lazy[cmd_name]}")
            self.add_command(getattr(module, cmd_name), cmd_name)
        return self.loaded.get(cmd_name)

    @property
    def loaded(self) -> dict[str, click.Command]:
        return self.__dict__.setdefault("_loaded", {})

    @property  # type: ignore[override]
    def commands(self) -> dict[str, click.Command]:
        for name in self.lazy:
            self.get_command(None, name)
        return self.loaded

    @commands.setter
    def commands(self, value: dict[str, click.Command]) -> None:
        self.loaded.update(value)

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        name = name or cmd.name
        assert name is not None
        self.loaded[name] = cmd


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    summaries=SUMMARIES,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="inc-audit")
@click.option(
    "--debug",
    is_flag=True,
    expose_value=False,
    help="Show a traceback on internal errors, also one that happens before a command starts.",
)
def main() -> None:
    """Check that GitLab incidents follow the incident management policy.

    \b
    Exit codes: 0 nothing at or above --fail-on, 1 violations found,
    2 bad usage, configuration or input, 3 the audit could not complete,
    4 internal error (a bug or a broken install: please report it).
    """


def command_line() -> None:
    """The ``inc-audit`` program: ``main`` with the command line's collector policy
    (``collector``); tests and library callers use ``main`` and keep Python's defaults."""
    collector.install()
    main()
