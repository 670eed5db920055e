"""`inc-audit check`: one document before filing it, or one live incident."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import click

from inc_audit.cli import options as options_module
from inc_audit.cli import progress
from inc_audit.cli.command_settings import CheckSettings
from inc_audit.cli.common import (
    config_option,
    debug_option,
    handled_errors,
    load_config,
    quiet_option,
    token_variable_option,
    write_text,
)
from inc_audit.cli.options import parse_as_of
from inc_audit.cli.output import incomplete
from inc_audit.cli.target import server_url
from inc_audit.cli.token import resolve as resolve_token
from inc_audit.errors import EXIT_CLEAN, EXIT_VIOLATIONS
from inc_audit.formats.registry import REPORTERS, Options, titles_shown

_LIVE_REF = re.compile(r"^(?P<project>[\w.\-]+(?:/[\w.\-]+)+)#(?P<iid>\d+)$")


@click.command()
@click.argument("target")
@click.option(
    "--kind",
    type=click.Choice(["report", "post-mortem", "change"]),
    help="What the file is [default: guessed from its headings].",
)
@config_option
@click.option(
    "--as-of",
    metavar="TIMESTAMP",
    callback=options_module.as_of_option,
    help="For a live incident: the moment deadlines are measured from.",
)
@click.option(
    "--gitlab-url",
    metavar="URL",
    callback=options_module.gitlab_url_option,
    help="For a live incident [default: gitlab.url, then $CI_SERVER_URL].",
)
@token_variable_option
@click.option("--fail-on", type=click.Choice(["error", "warning", "never"]), default="error", show_default=True)
@debug_option
@quiet_option
def check(**options: Any) -> None:
    """Check one document before filing it, or one live incident.

    \b
    TARGET is a markdown file (use - for stdin) or GROUP/PROJECT#IID.
    Examples:
      inc-audit check draft.md --kind report
      inc-audit check umami-wallet/umami#42
    """
    with handled_errors(bool(options["debug"])):
        sys.exit(check_command(CheckSettings.of(options)))


def check_command(settings: CheckSettings) -> int:
    from inc_audit.documents import check_file, check_live

    target: str = settings.target
    live = _LIVE_REF.match(target) if not Path(target).exists() else None
    config = load_config(settings.config_path, judges_approval=live is not None)
    if live:
        credentials = resolve_token(server_url(settings, config), settings.token_variable)
        as_of = parse_as_of(settings.as_of)
        project, iid = live.group("project"), int(live.group("iid"))
        result = check_live(project, iid, credentials.url, config, as_of, credentials.token)
    else:
        result = check_file(target, settings.kind, config)
    color = sys.stdout.isatty() and progress.colour_allowed()
    text_options = Options(color=color, ignored=config.ignore, show_confidential=titles_shown())
    write_text(None, REPORTERS["text"](result, text_options))
    if not result.complete:
        return incomplete(result, published=False)
    return EXIT_VIOLATIONS if result.fails(settings.fail_on) else EXIT_CLEAN

