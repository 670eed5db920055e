"""`inc-audit run`: audit every incident and report each violation."""

from __future__ import annotations

import itertools
import sys
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

import click

from inc_audit.audit import run_audit
from inc_audit.cli import collector, progress
from inc_audit.cli import options as options_module
from inc_audit.cli.command_settings import RunSettings
from inc_audit.cli.common import (
    config_option,
    debug_option,
    handled_errors,
    load_config,
    parse_reports,
    quiet,
    quiet_option,
    report_options,
    say,
    target_options,
)
from inc_audit.cli.options import FiniteNumber, parse_as_of
from inc_audit.cli.output import (
    check_publish_options,
    comment_incidents,
    emit,
    incomplete,
    publish_result,
    send_digest,
    track_result,
)
from inc_audit.cli.source import open_audited
from inc_audit.cli.target import Target
from inc_audit.config.file import Config
from inc_audit.errors import EXIT_CLEAN, EXIT_VIOLATIONS, InputError
from inc_audit.formats.registry import titles_shown
from inc_audit.judging import Helper
from inc_audit.model import Issue, IssueKey, Shard
from inc_audit.publishing import incident_comment
from inc_audit.rules import waiving


@click.command()
@click.option("--export", metavar="PATH", help="A GitLab project export: the .tar.gz or its unpacked folder.")
@target_options
@config_option
@click.option(
    "--as-of",
    metavar="TIMESTAMP",
    callback=options_module.as_of_option,
    help="ISO 8601 moment deadlines are measured from [default: now].",
)
@report_options
@click.option(
    "--fail-on",
    type=click.Choice(["error", "warning", "never"]),
    default="error",
    show_default=True,
    help="Exit 1 when a finding is at or above this severity.",
)
@click.option("--publish", is_flag=True, help="Open or update the audit issue in GitLab.")
@click.option("--dry-run", is_flag=True, help="With --publish: show what would change, write nothing.")
@click.option(
    "--timeout",
    type=FiniteNumber(0, 600, low_open=True),
    metavar="SECONDS",
    default=10.0,
    show_default=True,
    help="Seconds to wait for one GitLab response.",
)
@click.option(
    "--retry-budget",
    type=FiniteNumber(0, 3600),
    metavar="SECONDS",
    default=60.0,
    show_default=True,
    help="Seconds one GitLab read may spend retrying before the audit gives up (exit 3).",
)
@click.option("--color/--no-color", default=None, help="Colour the text report [default: on a terminal].")
@click.option(
    "--cache",
    metavar="DIR",
    default=".inc-audit-cache",
    show_default=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Incremental cache for live audits: unchanged incidents are not read again. Safe to delete.",
)
@click.option("--no-cache", is_flag=True, help="Read everything from GitLab and leave the cache alone.")
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=8,
    show_default=True,
    help="GitLab requests in flight at once.",
)
@click.option("--max-rps", type=FiniteNumber(0.1, 10_000), help="At most this many GitLab requests a second.")
@click.option(
    "--api",
    type=click.Choice(["auto", "graphql", "rest"]),
    default="auto",
    show_default=True,
    help="Read through GitLab's GraphQL or REST API; auto: GraphQL where GitLab offers what the audit reads.",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 2),
    help="Processes judging the incidents: 1, the audit's alone; 2, a second one forked beside it"
    " on Linux (about 60 MiB more) [default: 2 for a live audit where the machine has two cores or more,"
    " 1 for an export].",
)
@click.option("--shard", metavar="K/N", help="Audit only slice K of N (by project, then incident); see `merge`.")
@click.option(
    "--progress/--no-progress",
    default=None,
    help="A progress bar on stderr [default: on a terminal, outside CI].",
)
@click.option(
    "-v", "--verbose", is_flag=True, help="Say what is audited and why, and each incident as it goes, on stderr."
)
@debug_option
@quiet_option
def run(**options: Any) -> None:
    """Audit every incident and report each violation.

    \b
    Examples:
      inc-audit run --export examples/umami-export --config examples/.inc-audit.yml
      inc-audit run --project umami-wallet/umami --format json --output audit.json
      inc-audit run --publish --report junit=audit.xml --report json=audit.json
    """
    with handled_errors(bool(options["debug"])):
        sys.exit(run_command(RunSettings.of(options)))


def parse_shard(value: str | None) -> Shard | None:
    if not value:
        return None
    try:
        return Shard.parse(value)
    except ValueError:
        raise InputError(f"--shard {value!r} is not K/N", "write it like 2/4, with 1 <= K <= N") from None


def run_command(settings: RunSettings) -> int:
    reports = parse_reports(settings.reports)
    shard = parse_shard(settings.shard)
    as_of = parse_as_of(settings.as_of)
    config = load_config(settings.config_path, judges_approval=True)
    target = Target.resolve(settings, config)
    audit_project = check_publish_options(settings, target, config)
    asked = False if target.export is not None and settings.progress is None else settings.progress
    observer = progress.Silent() if quiet() else progress.choose(
        sys.stderr, asked, settings.verbose, show_confidential=titles_shown(settings.confidential_titles))
    helping = settings.jobs == 2 or (settings.jobs is None and target.export is None)  # an export's: when asked
    helper = Helper.start(config, as_of) if helping else None  # before any thread
    try:
        return _audited(settings, reports, shard, as_of, config, target, audit_project, observer, helper)
    finally:
        if helper is not None:
            helper.close()


def _audited(settings: RunSettings, reports: Any, shard: Shard | None, as_of: datetime, config: Config,
             target: Target, audit_project: Any, observer: Any, helper: Helper | None) -> int:
    source, gl, config = open_audited(target, config, settings, as_of, observer)
    commenting = audit_project is not None and config.notify.incident_comment
    if commenting and config.notify.bot_user is None:
        config = replace(config, notify=replace(config.notify, bot_user=incident_comment.bot_user(gl)))
    shown = titles_shown(settings.confidential_titles)
    comments: dict[IssueKey, incident_comment.Existing] = {}

    count = itertools.count(1)

    def audited(issue: Issue) -> None:
        observer.audited(issue)
        if next(count) % collector.TRIM_EVERY == 0:
            collector.trim()
        found = incident_comment.existing(issue, config) if commenting else None
        if found is not None:
            comments[issue.key] = found

    try:
        result = run_audit(source, config, as_of, progress=audited, shard=shard, skipped=observer.skipped,
                           helper=helper)
    finally:
        observer.finished()
    result = waiving.apply(result, config, whole=shard is None)
    if settings.verbose and hasattr(source, "summary"):
        say(f"inc-audit: {source.summary()}")
    if settings.verbose and helper is not None:
        stopped = f" (it stopped early: {helper.stopped})" if helper.stopped else ""
        say(f"inc-audit: a second process judged {helper.accepted} of the {len(result.incidents)} incidents{stopped}")
    tracked = track_result(gl, audit_project, result, config)
    emit(tracked.result, settings, reports, config)
    if not result.complete:
        return incomplete(result, published=audit_project is not None)
    if audit_project is not None:
        memory = None if settings.no_cache else settings.cache
        url = publish_result(gl, audit_project, tracked, config, settings.dry_run, shown, memory)
        if commenting:
            comment_incidents(gl, tracked, config, comments, url, settings.dry_run)
        if config.notify.webhook:
            send_digest(gl, audit_project, tracked, config, url, settings.dry_run, settings.retry_budget)
    return EXIT_VIOLATIONS if result.fails(settings.fail_on) else EXIT_CLEAN

