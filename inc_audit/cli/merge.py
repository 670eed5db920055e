"""`inc-audit merge`: join a sharded audit's JSON reports, and publish once."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from inc_audit.cli.command_settings import MergeSettings
from inc_audit.cli.common import (
    config_option,
    debug_option,
    handled_errors,
    load_config,
    parse_reports,
    quiet_option,
    report_options,
    target_options,
)
from inc_audit.cli.options import FiniteNumber
from inc_audit.cli.output import check_publish_options, emit, publish_result, send_digest, track_result
from inc_audit.cli.target import Target, credentials_for
from inc_audit.errors import EXIT_CLEAN, EXIT_VIOLATIONS
from inc_audit.formats.registry import titles_shown
from inc_audit.rules import waiving


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@target_options
@config_option
@report_options
@click.option("--fail-on", type=click.Choice(["error", "warning", "never"]), default="error", show_default=True)
@click.option("--publish", is_flag=True, help="Open or update the audit issue from the merged result.")
@click.option("--dry-run", is_flag=True, help="With --publish: show what would change, write nothing.")
@click.option("--timeout", type=FiniteNumber(0, 600, low_open=True), metavar="SECONDS", default=10.0, show_default=True)
@debug_option
@quiet_option
def merge(**options: Any) -> None:
    """Join the JSON reports of a sharded audit into one, and publish once.

    \b
    Every shard 1..N must be there and complete, or nothing is published (exit 3).
    Examples:
      inc-audit merge shard-*.json --publish
      inc-audit merge shard-1.json shard-2.json --format markdown --output audit.md
    """
    with handled_errors(bool(options["debug"])):
        sys.exit(merge_command(MergeSettings.of(options)))


def merge_command(settings: MergeSettings) -> int:
    from inc_audit.merge import merge_reports

    config = load_config(settings.config_path)
    reports = parse_reports(settings.reports)
    target = Target.resolve(replace(settings, export=None), config)
    audit_project = check_publish_options(settings, target, config)
    result = replace(merge_reports(list(settings.paths)), calendar=config.calendar)
    result = waiving.apply(result, config, whole=True)
    gl = None
    if audit_project is not None:
        from inc_audit.sources.http.session import connect

        credentials = credentials_for(target, settings)
        gl = connect(credentials.url or "", credentials.token, timeout=settings.timeout)
    tracked = track_result(gl, audit_project, result, config)
    result = tracked.result
    emit(result, replace(settings, color=None), reports, config)
    if audit_project is not None:
        shown = titles_shown(settings.confidential_titles)
        url = publish_result(gl, audit_project, tracked, config, settings.dry_run, shown)
        if config.notify.webhook:
            send_digest(gl, audit_project, tracked, config, url, settings.dry_run, 60.0)
    return EXIT_VIOLATIONS if result.fails(settings.fail_on) else EXIT_CLEAN

