"""`inc-audit agenda`: prepare the weekly IPM meeting."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from inc_audit.cli import options as options_module
from inc_audit.cli import progress
from inc_audit.cli.command_settings import AgendaSettings
from inc_audit.cli.common import (
    config_option,
    debug_option,
    handled_errors,
    load_config,
    quiet,
    quiet_option,
    say,
    target_options,
    write_text,
)
from inc_audit.cli.options import FiniteNumber, parse_as_of
from inc_audit.cli.source import open_audited
from inc_audit.cli.target import Target
from inc_audit.config.file import Config
from inc_audit.errors import EXIT_CLEAN, ConfigError, InputError
from inc_audit.formats.options import CONFIDENTIAL_TITLES, titles_shown


@click.command()
@click.option("--export", metavar="PATH", help="A GitLab project export: the .tar.gz or its unpacked folder.")
@target_options
@config_option
@click.option("--meeting", metavar="DATE", help="The meeting's day, YYYY-MM-DD [default: the next meeting.weekday].")
@click.option(
    "--as-of",
    metavar="TIMESTAMP",
    callback=options_module.as_of_option,
    help="ISO 8601 moment the agenda is prepared at [default: now].",
)
@click.option("--output", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the agenda's Markdown here [default: stdout].")
@click.option("--publish", is_flag=True, help="Create or update the confidential meeting issue in GitLab.")
@click.option("--dry-run", is_flag=True, help="Show what the meeting issue would get, as a diff; write nothing.")
@click.option("--confidential-titles", type=click.Choice(CONFIDENTIAL_TITLES), default="auto", show_default=True,
              help="Show confidential incidents' titles and answers in what is printed; auto withholds them in CI.")
@click.option("--timeout", type=FiniteNumber(0, 600, low_open=True), metavar="SECONDS", default=10.0,
              show_default=True, help="Seconds to wait for one GitLab response.")
@click.option("--retry-budget", type=FiniteNumber(0, 3600), metavar="SECONDS", default=60.0, show_default=True,
              help="Seconds one GitLab read may spend retrying before giving up (exit 3).")
@click.option("--cache", metavar="DIR", default=".inc-audit-cache", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Incremental cache for live reads.")
@click.option("--no-cache", is_flag=True, help="Read everything from GitLab and leave the cache alone.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True)
@click.option("--max-rps", type=FiniteNumber(0.1, 10_000), help="At most this many GitLab requests a second.")
@click.option("-v", "--verbose", is_flag=True, help="Say what is read and why, on stderr.")
@debug_option
@quiet_option
def agenda(**options: Any) -> None:
    """Prepare the weekly IPM meeting: post-mortems awaiting approval, overdue ones, attendees.

    \b
    Without --publish, prints the meeting issue's Markdown.
    Examples:
      inc-audit agenda --export examples/umami-export --config examples/.inc-audit.yml --meeting 2026-06-04
      inc-audit agenda --publish            # the day before the meeting, in a scheduled job
      inc-audit agenda --dry-run            # the diff the meeting issue would get
    """
    with handled_errors(bool(options["debug"])):
        sys.exit(agenda_command(AgendaSettings.of(options)))


def observer(verbose: bool) -> progress.Observer:
    return progress.Silent() if quiet() else progress.choose(sys.stderr, False, verbose)


def agenda_command(settings: AgendaSettings) -> int:
    from inc_audit.publishing import agenda as agenda_module

    config = load_config(settings.config_path, judges_approval=True)
    as_of = parse_as_of(settings.as_of)
    day = parse_meeting_day(settings.meeting) or agenda_module.next_meeting(config, as_of)
    target = Target.resolve(settings, config)
    writes = settings.publish or settings.dry_run
    project = meeting_project(target, config) if writes else None
    source, gl, config = open_audited(target, config, settings, as_of, observer(settings.verbose))
    prepared = agenda_module.build(source, config, as_of, day)
    shown = titles_shown(settings.confidential_titles)
    if project is None:
        write_text(settings.output, agenda_module.render(prepared, config, agenda_module.Shown(shown)))
        return EXIT_CLEAN
    from inc_audit.cli.output import project_path
    from inc_audit.publishing.audit_issue import actions_only
    from inc_audit.publishing.meeting import publish_meeting

    home = project_path(gl, project)

    def make_body(current: str | None) -> str:
        in_issue = agenda_module.Shown(True, home=home)
        return agenda_module.render(agenda_module.with_ticks(prepared, current), config, in_issue)

    outcome = publish_meeting(gl, project, config, day, make_body, dry_run=settings.dry_run)
    if settings.dry_run:  # the diff quotes the confidential meeting issue: in CI, only how much changes
        said = outcome.diff if shown else actions_only(outcome.diff + "actions:\n- write the meeting issue\n")
        say(said if outcome.diff else "(no change to the meeting issue)", err=False)
    say(f"inc-audit: meeting issue {outcome.action}{': ' + outcome.url if outcome.url else ''}")
    return EXIT_CLEAN


def parse_meeting_day(value: str | None) -> Any:
    from inc_audit.publishing.agenda import parse_day

    try:
        return parse_day(value)
    except ValueError:
        raise InputError(f"--meeting {value!r} is not a date", "write it like 2026-06-04") from None


def meeting_project(target: Target, config: Config) -> str:
    """The project that holds the meeting issue, checked before any reading starts."""
    if target.export is not None:
        raise InputError("--publish and --dry-run need a GitLab project, not an export", "drop --export")
    project = config.meeting.project or config.audit_project or (None if target.group else target.project)
    if project is None:
        raise ConfigError("auditing a group needs meeting.project or audit_issue.project",
                          "name the project that holds the meeting issue")
    return project
