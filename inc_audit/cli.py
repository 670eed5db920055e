"""The command line. Option parsing only: the work lives in the library modules."""

from __future__ import annotations

import os
import re
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import click

from inc_audit import __version__
from inc_audit import config as config_module
from inc_audit import options as options_module
from inc_audit.audit import run_audit
from inc_audit.config import Config
from inc_audit.errors import EXIT_CLEAN, EXIT_INCOMPLETE, EXIT_VIOLATIONS, ConfigError, IncAuditError, InputError
from inc_audit.findings import AuditResult
from inc_audit.model import Issue, Shard
from inc_audit.neutral import TITLE_LIMIT, plain
from inc_audit.options import FiniteNumber, parse_as_of
from inc_audit.redaction import redact
from inc_audit.reporters import CONFIDENTIAL_TITLES, MAIN_FORMATS, REPORTERS, Options, titles_shown
from inc_audit.rules import RULES
from inc_audit.sources.interface import Source

_LIVE_REF = re.compile(r"^(?P<project>[\w.\-]+(?:/[\w.\-]+)+)#(?P<iid>\d+)$")


def say(message: str, err: bool = True) -> None:
    click.echo(redact(message), err=err)


@contextmanager
def handled_errors(debug: bool) -> Iterator[None]:
    """Turn every failure into one line (plus a hint) and its exit code, never a traceback."""
    try:
        yield
    except IncAuditError as error:
        say(f"inc-audit: error: {one_line(str(error))}")
        sys.exit(error.exit_code)
    except KeyboardInterrupt:
        say("inc-audit: interrupted: nothing was published")
        sys.exit(EXIT_INCOMPLETE)
    except (click.exceptions.Exit, click.ClickException, SystemExit):
        raise
    except Exception as error:  # a bug: still one line unless asked for more
        if debug:
            say(traceback.format_exc())
        say(f"inc-audit: internal error: {type(error).__name__}: {error}")
        say("  hint: run again with --debug for details, and report it")
        sys.exit(EXIT_INCOMPLETE)


def one_line(text: str) -> str:
    return " ".join(text.split())


def parse_reports(values: tuple[str, ...]) -> list[tuple[str, Path]]:
    return options_module.parse_reports(values, tuple(REPORTERS))


def write_text(path: Path | None, text: str, color: bool = False) -> None:
    if path is None or str(path) == "-":
        click.echo(redact(text), nl=False, color=color)
        return
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(redact(text), encoding="utf-8")
    except OSError as error:
        raise InputError(f"cannot write {path}: {error.strerror}") from None


@dataclass(frozen=True)
class Target:
    """What to audit, resolved from options, environment and config, in that order."""

    export: Path | None
    url: str | None
    project: str | None
    group: str | None

    @classmethod
    def resolve(cls, options: dict[str, Any], config: Config) -> Target:
        export = options.get("export")
        return cls(
            export=Path(export) if export else None,
            url=gitlab_url(options, config),
            project=options.get("project")
            or (None if options.get("group") else os.environ.get("CI_PROJECT_PATH"))
            or config.gitlab_project,
            group=options.get("group") or config.gitlab_group,
        )


def gitlab_url(options: dict[str, Any], config: Config) -> str | None:
    """--gitlab-url, else $CI_SERVER_URL (checked here), else gitlab.url (checked with the config)."""
    if options.get("gitlab_url"):
        return str(options["gitlab_url"])
    if os.environ.get("CI_SERVER_URL"):
        return options_module.check_gitlab_url(os.environ["CI_SERVER_URL"], "$CI_SERVER_URL")
    return config.gitlab_url


def open_source(target: Target, config: Config, options: dict[str, Any], as_of: datetime) -> tuple[Source, Any]:
    """The source to audit, and the GitLab connection when there is one."""
    if target.export is not None:
        from inc_audit.sources.export import ExportSource

        export = ExportSource(target.export, project=config.gitlab_project, web_base=config.gitlab_url or "")
        for notice in export.notices(bool(config.roles)):
            say(f"inc-audit: {notice}")
        return export, None
    if not target.url or not (target.project or target.group):
        raise ConfigError(
            "nothing to audit: no export and no GitLab project",
            "give --export PATH, or --project/--group with --gitlab-url (or set gitlab: in the config)",
        )
    from inc_audit.sources.cache import CachedSource, fingerprint
    from inc_audit.sources.http import connect
    from inc_audit.sources.interface import ReadsAhead
    from inc_audit.sources.parallel import read_ahead
    from inc_audit.sources.rest import GitLabSource

    gl = connect(
        target.url,
        os.environ.get("GITLAB_TOKEN"),
        timeout=options["timeout"],
        retry_budget=options["retry_budget"],
        max_rps=options["max_rps"],
    )
    project = None if target.group else target.project
    live = GitLabSource(gl, project=project, group=target.group, concurrency=options["concurrency"])
    source: ReadsAhead = live
    if not options["no_cache"]:
        every = timedelta(days=config.cache_full_read_days)
        source = CachedSource(live, options["cache"], fingerprint(config, live.describe()), full_read_every=every)
    read_ahead(source, config, as_of)
    return source, gl


def judged_by(source: Source, config: Config) -> Config:
    """The config with the rules the source cannot judge switched off (the source said so on stderr)."""
    from inc_audit.sources.export import ExportSource

    if isinstance(source, ExportSource):
        return replace(config, ignore=config.ignore + source.unjudged(bool(config.roles)))
    return config


def load_config(path: str | None, judges_approval: bool = False) -> Config:
    config = config_module.load(path)
    if judges_approval and not config.roles:
        say("inc-audit: no roles are configured: anyone but its author may approve a post-mortem (see roles:)")
    return config


def progress_printer(verbose: bool, show_confidential: bool = True) -> Callable[[Issue], None] | None:
    if not verbose:
        return None

    def show(issue: Issue) -> None:
        title = issue.title if show_confidential or not issue.confidential else "(confidential incident)"
        say(f"auditing {issue.key} {plain(title, TITLE_LIMIT)}")

    return show


@click.group(
    cls=options_module.OneLineGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100}
)
@click.version_option(__version__, prog_name="inc-audit")
def main() -> None:
    """Check that GitLab incidents follow the incident management policy.

    \b
    Exit codes: 0 nothing at or above --fail-on, 1 violations found,
    2 bad usage, configuration or input, 3 the audit could not complete.
    """


config_option = click.option(
    "--config", "config_path", metavar="PATH", help="Configuration file [default: .inc-audit.yml if present]."
)
debug_option = click.option("--debug", is_flag=True, help="Show a traceback on internal errors.")


def target_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--gitlab-url, --project and --group: which GitLab and what in it."""
    options = [
        click.option(
            "--gitlab-url",
            metavar="URL",
            callback=options_module.gitlab_url_option,
            help="GitLab to use [default: $CI_SERVER_URL, then gitlab.url].",
        ),
        click.option(
            "--project",
            metavar="PATH_OR_ID",
            help="Project to audit [default: $CI_PROJECT_PATH, then gitlab.project].",
        ),
        click.option("--group", metavar="PATH", help="Audit every project of this group and its subgroups."),
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


@main.command()
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
@click.option("--shard", metavar="K/N", help="Audit only slice K of N (by project, then incident); see `merge`.")
@click.option("-v", "--verbose", is_flag=True, help="Say which incident is being audited, on stderr.")
@debug_option
def run(**options: Any) -> None:
    """Audit every incident and report each violation.

    \b
    Examples:
      inc-audit run --export examples/umami-export --config examples/.inc-audit.yml
      inc-audit run --project umami-wallet/umami --format json --output audit.json
      inc-audit run --publish --report junit=audit.xml --report json=audit.json
    """
    with handled_errors(options["debug"]):
        sys.exit(run_command(options))


def parse_shard(value: str | None) -> Shard | None:
    if not value:
        return None
    try:
        return Shard.parse(value)
    except ValueError:
        raise InputError(f"--shard {value!r} is not K/N", "write it like 2/4, with 1 <= K <= N") from None


def check_publish_options(options: dict[str, Any], target: Target, config: Config) -> str | None:
    """The project that will hold the audit issue, checked before any reading starts."""
    if options["dry_run"] and not options["publish"]:
        raise InputError("--dry-run goes with --publish", "add --publish to preview the audit issue")
    if not options["publish"]:
        return None
    if target.export is not None:
        raise InputError("--publish needs a GitLab project, not an export", "drop --export or --publish")
    if options.get("shard"):
        raise InputError(
            "a shard does not publish", "run `inc-audit merge REPORT.json ... --publish` once every shard is done"
        )
    project = config.audit_project if target.group else target.project
    if project is None:
        raise ConfigError("auditing a group needs audit_issue.project", "name the project that holds the audit issue")
    return project


def run_command(options: dict[str, Any]) -> int:
    reports = parse_reports(options["reports"])
    shard = parse_shard(options["shard"])
    as_of = parse_as_of(options["as_of"])
    config = load_config(options["config_path"], judges_approval=True)
    target = Target.resolve(options, config)
    audit_project = check_publish_options(options, target, config)
    source, gl = open_source(target, config, options, as_of)
    config = judged_by(source, config)
    shown = titles_shown(options["confidential_titles"])
    result = run_audit(source, config, as_of, progress=progress_printer(options["verbose"], shown), shard=shard)
    if options["verbose"] and hasattr(source, "summary"):
        say(f"inc-audit: {source.summary()}")
    emit(result, options, reports, config)
    if not result.complete:
        return incomplete(result, published=audit_project is not None)
    if audit_project is not None:
        publish_result(gl, audit_project, result, config, options["dry_run"], shown)
    return EXIT_VIOLATIONS if result.fails(options["fail_on"]) else EXIT_CLEAN


def incomplete(result: AuditResult, published: bool) -> int:
    """Say what could not be read (the report is written already); exit 3."""
    for line in result.notes:
        say(f"inc-audit: {line}")
    unreadable = [i for i in result.incidents if any(f.rule == "SRC001" for f in i.findings)]
    if unreadable:
        say(f"inc-audit: GitLab's data about {len(unreadable)} incident(s) cannot be read (SRC001 in the report)")
    tail = "; nothing was published" if published else ""
    say(f"inc-audit: error: the audit is incomplete{tail}")
    return EXIT_INCOMPLETE


def emit(result: AuditResult, options: dict[str, Any], reports: list[tuple[str, Path]], config: Config) -> None:
    color = options["color"]
    if color is None:
        color = options["output"] is None and sys.stdout.isatty()
    shown = titles_shown(options.get("confidential_titles", "auto"))
    base = Options(ignored=config.ignore, show_confidential=shown)
    main_options = Options(color=bool(color), ignored=config.ignore, show_confidential=shown)
    write_text(options["output"], REPORTERS[options["fmt"]](result, main_options), color=bool(color))
    for name, path in reports:
        write_text(path, REPORTERS[name](result, base))
    if options["output"] is not None or options["fmt"] != "text":
        verdict = (
            f"{len(result.findings)} violation(s) in {len(result.violating)} of {len(result.incidents)} incident(s)"
        )
        say(f"inc-audit: {verdict}")


def publish_result(
    gl: Any, project: str, result: AuditResult, config: Config, dry_run: bool, shown: bool = True
) -> None:
    """Publish the audit issue (titles of confidential incidents only in a confidential one).
    A dry run prints the diff, unless the issue is confidential and titles are withheld
    here (CI: the job log is not): then only the planned writes."""
    from inc_audit import publish

    options = Options(show_confidential=config.audit_confidential, full_report=_artifact_hint())
    body = REPORTERS["markdown"](result, options)
    settings = publish.AuditIssueSettings(config.audit_title, config.audit_labels, config.audit_confidential)
    outcome = publish.publish(gl, project, body, bool(result.violating), settings, dry_run=dry_run)
    if dry_run and not shown and config.audit_confidential:
        say(publish.actions_only(outcome.diff) or "(no change to the audit issue)", err=False)
    elif dry_run:
        say(outcome.diff or "(no change to the audit issue)", err=False)
    for impostor in outcome.impostors:
        say(f"inc-audit: warning: {impostor} carries the audit issue's label and marker but another user opened it:"
            " left alone")
    say(f"inc-audit: audit issue {outcome.action}{': ' + outcome.url if outcome.url else ''}")


def _artifact_hint() -> str:
    job = os.environ.get("CI_JOB_URL")
    return f"the JSON report, artifact of {job}" if job else "the JSON report kept as the audit job's artifact"


@main.command()
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
    help="For a live incident [default: $CI_SERVER_URL, then gitlab.url].",
)
@click.option("--fail-on", type=click.Choice(["error", "warning", "never"]), default="error", show_default=True)
@debug_option
def check(**options: Any) -> None:
    """Check one document before filing it, or one live incident.

    \b
    TARGET is a markdown file (use - for stdin) or GROUP/PROJECT#IID.
    Examples:
      inc-audit check draft.md --kind report
      inc-audit check umami-wallet/umami#42
    """
    with handled_errors(options["debug"]):
        sys.exit(check_command(options))


def check_command(options: dict[str, Any]) -> int:
    from inc_audit.documents import check_file, check_live

    target: str = options["target"]
    live = _LIVE_REF.match(target) if not Path(target).exists() else None
    config = load_config(options["config_path"], judges_approval=live is not None)
    if live:
        url = gitlab_url(options, config)
        result = check_live(live.group("project"), int(live.group("iid")), url, config, parse_as_of(options["as_of"]))
    else:
        result = check_file(target, options["kind"], config)
    write_text(None, REPORTERS["text"](result, Options(color=sys.stdout.isatty(), ignored=config.ignore,
                                                          show_confidential=titles_shown())))
    if not result.complete:
        return incomplete(result, published=False)
    return EXIT_VIOLATIONS if result.fails(options["fail_on"]) else EXIT_CLEAN


@main.command()
@click.option("--format", "fmt", type=click.Choice(["text", "markdown", "json"]), default="text", show_default=True)
def rules(fmt: str) -> None:
    """List the rules: code, severity and what each checks."""
    if fmt == "json":
        import json

        items = [{"code": r.code, "severity": r.severity, "summary": r.summary} for r in RULES.values()]
        click.echo(json.dumps(items, indent=2))
    elif fmt == "markdown":
        click.echo("| code | severity | fires when |\n|---|---|---|")
        for r in RULES.values():
            click.echo(f"| {r.code} | {r.severity} | {r.summary} |")
    else:
        for r in RULES.values():
            click.echo(f"{r.code}  {r.severity:<7}  {r.summary}")


@main.command()
@click.argument("paths", nargs=-1)
@config_option
@report_options
@debug_option
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
    with handled_errors(options["debug"]):
        sys.exit(templates_command(options))


def templates_command(options: dict[str, Any]) -> int:
    from inc_audit.templates import run_gate

    reports = parse_reports(options["reports"])
    gate = run_gate(tuple(options["paths"]), options["config_path"])
    for skipped in gate.skipped:
        say(f"inc-audit: skipped {skipped}: it matches no schema")
    options = {**options, "color": None, "fail_on": "error"}
    emit(gate.result, options, reports, config_module.load_defaults())
    checked = [s for s in gate.result.incidents if s.state == "template"]
    if not gate.result.violating:
        say(f"inc-audit: {len(checked)} template(s) carry every required section")
    return EXIT_VIOLATIONS if gate.result.fails("error") else EXIT_CLEAN


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@target_options
@config_option
@report_options
@click.option("--fail-on", type=click.Choice(["error", "warning", "never"]), default="error", show_default=True)
@click.option("--publish", is_flag=True, help="Open or update the audit issue from the merged result.")
@click.option("--dry-run", is_flag=True, help="With --publish: show what would change, write nothing.")
@click.option("--timeout", type=FiniteNumber(0, 600, low_open=True), metavar="SECONDS", default=10.0, show_default=True)
@debug_option
def merge(**options: Any) -> None:
    """Join the JSON reports of a sharded audit into one, and publish once.

    \b
    Every shard 1..N must be there and complete, or nothing is published (exit 3).
    Examples:
      inc-audit merge shard-*.json --publish
      inc-audit merge shard-1.json shard-2.json --format markdown --output audit.md
    """
    with handled_errors(options["debug"]):
        sys.exit(merge_command(options))


def merge_command(options: dict[str, Any]) -> int:
    from inc_audit.merge import merge_reports

    config = load_config(options["config_path"])
    reports = parse_reports(options["reports"])
    target = Target.resolve({**options, "export": None}, config)
    audit_project = check_publish_options(options, target, config)
    result = merge_reports(list(options["paths"]))
    emit(result, {**options, "color": None}, reports, config)
    if audit_project is not None:
        from inc_audit.sources.http import connect

        if not target.url:
            raise ConfigError("no GitLab URL to publish to", "give --gitlab-url or set gitlab.url in the config")
        gl = connect(target.url, os.environ.get("GITLAB_TOKEN"), timeout=options["timeout"])
        shown = titles_shown(options["confidential_titles"])
        publish_result(gl, audit_project, result, config, options["dry_run"], shown)
    return EXIT_VIOLATIONS if result.fails(options["fail_on"]) else EXIT_CLEAN
