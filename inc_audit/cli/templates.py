"""`inc-audit templates`: the merge-request gate on issue templates."""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Any

import click

from inc_audit.cli.common import (
    config_option,
    debug_option,
    handled_errors,
    parse_reports,
    quiet_option,
    report_options,
    say,
)
from inc_audit.cli.output import emit
from inc_audit.cli.settings import TemplatesSettings
from inc_audit.config import file as config_module
from inc_audit.errors import EXIT_CLEAN, EXIT_VIOLATIONS


@click.command()
@click.argument("paths", nargs=-1)
@config_option
@report_options
@debug_option
@quiet_option
def templates(**options: Any) -> None:
    """The merge-request gate: check that issue templates carry every required section.

    \b
    PATHS are template files or folders [default: .gitlab/issue_templates/].
    Which schema a template answers to comes from `templates:` in the config,
    else from its headings; templates that match no schema are listed and skipped.
    The configuration and any custom schemas it names are checked too.
    Examples:
      inc-audit templates
      inc-audit templates .gitlab/issue_templates --report codequality=gl-code-quality-report.json
    """
    with handled_errors(bool(options["debug"])):
        sys.exit(templates_command(TemplatesSettings.of(options)))


def templates_command(settings: TemplatesSettings) -> int:
    from inc_audit.gate import run_gate

    reports = parse_reports(settings.reports)
    gate = run_gate(tuple(settings.paths), settings.config_path)
    for skipped in gate.skipped:
        say(f"inc-audit: skipped {skipped}: it matches no schema")
    emit(gate.result, replace(settings, color=None, fail_on="error"), reports, config_module.load_defaults())
    checked = [s for s in gate.result.incidents if s.state == "template"]
    if not gate.result.violating:
        say(f"inc-audit: {len(checked)} template(s) carry every required section")
    return EXIT_VIOLATIONS if gate.result.fails("error") else EXIT_CLEAN

