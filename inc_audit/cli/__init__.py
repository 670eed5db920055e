"""The command line: option parsing, and what a command's options mean for the library.

Each command lives in its own module; this one holds the ``main`` group and adds them to it.
Each command turns its options into a frozen settings object at once (``settings``), and
only that goes further down. The command line may import every stage; nothing imports it.
"""

from __future__ import annotations

import click

from inc_audit import __version__
from inc_audit.cli import agenda, check, collector, init, merge, rules, run, templates, vocabulary
from inc_audit.cli import options as options_module


@click.group(
    cls=options_module.OneLineGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(__version__, prog_name="inc-audit")
def main() -> None:
    """Check that GitLab incidents follow the incident management policy.

    \b
    Exit codes: 0 nothing at or above --fail-on, 1 violations found,
    2 bad usage, configuration or input, 3 the audit could not complete,
    4 internal error (a bug or a broken install: please report it).
    """


for command in (
    run.run, check.check, rules.rules, templates.templates, merge.merge, init.init, agenda.agenda, vocabulary.vocabulary
):
    main.add_command(command)


def command_line() -> None:
    """The ``inc-audit`` program: ``main`` with the command line's collector policy
    (``collector``); tests and library callers use ``main`` and keep Python's defaults."""
    collector.install()
    main()
