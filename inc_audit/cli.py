"""The command line. Option parsing only: the work lives in the library modules."""

from __future__ import annotations

import os
import re
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from inc_audit import __version__, progress
from inc_audit import config as config_module
from inc_audit import options as options_module
from inc_audit.audit import run_audit
from inc_audit.config import Config
from inc_audit.errors import EXIT_CLEAN, EXIT_INCOMPLETE, EXIT_VIOLATIONS, ConfigError, IncAuditError, InputError
from inc_audit.findings import AuditResult
from inc_audit.model import Shard
from inc_audit.options import FiniteNumber, parse_as_of
from inc_audit.redaction import redact
from inc_audit.reporters import CONFIDENTIAL_TITLES, MAIN_FORMATS, REPORTERS, Options, titles_shown
from inc_audit.rules import RULES
from inc_audit.sources.interface import Source
from inc_audit.target import Target, credentials_for, repository_root, server_url
from inc_audit.token import DEFAULT_VARIABLE, Credentials
from inc_audit.token import resolve as resolve_token

if TYPE_CHECKING:
    from inc_audit.sources.rest import GitLabSource

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


def open_source(
    target: Target, config: Config, options: dict[str, Any], as_of: datetime, observer: progress.Observer
) -> tuple[Source, Any]:
    """The source to audit, and the GitLab connection when there is one."""
    if target.export is not None:
        from inc_audit.sources.export import ExportSource

        export = ExportSource(target.export, project=config.gitlab_project, web_base=config.gitlab_url or "")
        for notice in export.notices(bool(config.roles)):
            say(f"inc-audit: {notice}")
        return export, None
    if not (target.project or target.group):
        raise ConfigError(
            "nothing to audit: no export and no GitLab project",
            "give --export PATH, or --project/--group with --gitlab-url (or set gitlab: in the config)",
        )
    from inc_audit.sources.cache import CachedSource, fingerprint
    from inc_audit.sources.graphql import GraphQLSource
    from inc_audit.sources.http import connect
    from inc_audit.sources.interface import ReadsAhead
    from inc_audit.sources.parallel import read_ahead

    credentials = credentials_for(target, options)
    gl = connect(
        credentials.url or "",
        credentials.token,
        timeout=options["timeout"],
        retry_budget=options["retry_budget"],
        max_rps=options["max_rps"],
    )
    say_target(target, credentials, options)
    live = live_source(gl, credentials.token, target, options)
    source: ReadsAhead = live
    if not options["no_cache"]:
        every = timedelta(days=config.cache_full_read_days)
        source = CachedSource(live, options["cache"], fingerprint(config, live.describe()), full_read_every=every)
    source.on_listed = observer.listed
    if not isinstance(live, GraphQLSource):  # a GraphQL listing has read what the rules ask
        read_ahead(source, config, as_of)
    return source, gl


def live_source(gl: Any, token: str, target: Target, options: dict[str, Any]) -> GitLabSource:
    """The REST or GraphQL source, as ``--api`` asks; ``auto``: GraphQL where GitLab offers
    every field the audit reads. ``-v`` says which, and why."""
    from inc_audit.sources.rest import GitLabSource

    api = options.get("api") or "rest"
    kwargs: dict[str, Any] = {
        "project": None if target.group else target.project,
        "group": target.group,
        "concurrency": options["concurrency"],
    }
    if api != "rest":
        from inc_audit.sources import graphql, graphql_client

        try:
            client = graphql_client.GraphQL(gl, token, timeout=options["timeout"], concurrency=options["concurrency"])
        except ImportError:
            missing: str | None = "python-gitlab's GraphQL client is not installed (python-gitlab[graphql])"
        else:
            missing = graphql_client.missing_fields(client)
            if missing is None:
                if options.get("verbose"):
                    say("inc-audit: reading through GraphQL: GitLab offers every field the audit reads")
                return graphql.GraphQLSource(gl, client, **kwargs)
            client.close()
        if api == "graphql":
            raise ConfigError(f"--api graphql: GitLab cannot serve the audit: {missing}", "use --api auto or rest")
        if options.get("verbose"):
            say(f"inc-audit: reading through REST: {missing}")
    elif options.get("verbose"):
        say("inc-audit: reading through REST (--api rest)")
    return GitLabSource(gl, **kwargs)


def judged_by(source: Source, config: Config) -> Config:
    """The config with the rules the source cannot judge switched off (the source said so on stderr)."""
    from inc_audit.sources.export import ExportSource

    if isinstance(source, ExportSource):
        return replace(config, ignore=config.ignore + source.unjudged(bool(config.roles)))
    return config


def say_target(target: Target, credentials: Credentials, options: dict[str, Any]) -> None:
    """With -v, once the token works: which target was chosen and why, and whose token it is."""
    if options.get("verbose"):
        say(f"inc-audit: {replace(target, url=credentials.url).describe()}")
        say(f"inc-audit: token from {credentials.origin}")


def load_config(path: str | None, judges_approval: bool = False) -> Config:
    config = config_module.load(path)
    if judges_approval and not config.roles:
        say("inc-audit: no roles are configured: anyone but its author may approve a post-mortem (see roles:)")
    return config


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
@click.option(
    "--api",
    type=click.Choice(["auto", "graphql", "rest"]),
    default="auto",
    show_default=True,
    help="Read through GitLab's GraphQL or REST API; auto: GraphQL where GitLab offers what the audit reads.",
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
    project = config.audit_project or (None if target.group else target.project)
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
    asked = False if target.export is not None and options["progress"] is None else options["progress"]
    observer = progress.choose(sys.stderr, asked, options["verbose"],
                               show_confidential=titles_shown(options["confidential_titles"]))
    source, gl = open_source(target, config, options, as_of, observer)
    config = judged_by(source, config)
    shown = titles_shown(options["confidential_titles"])
    try:
        result = run_audit(source, config, as_of, progress=observer.audited, shard=shard, skipped=observer.skipped)
    finally:
        observer.finished()
    if options["verbose"] and hasattr(source, "summary"):
        say(f"inc-audit: {source.summary()}")
    tracked = track_result(gl, audit_project, result, config)
    emit(tracked.result, options, reports, config)
    if not result.complete:
        return incomplete(result, published=audit_project is not None)
    if audit_project is not None:
        publish_result(gl, audit_project, tracked, config, options["dry_run"], shown)
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
        color = options["output"] is None and sys.stdout.isatty() and progress.colour_allowed()
    shown = titles_shown(options.get("confidential_titles", "auto"))
    base = Options(
        ignored=config.ignore, fail_on=options.get("fail_on") or "error", root=repository_root(),
        show_confidential=shown,
    )
    main_options = replace(base, color=bool(color))
    write_text(options["output"], REPORTERS[options["fmt"]](result, main_options), color=bool(color))
    for name, path in reports:
        write_text(path, REPORTERS[name](result, base))
    if options["output"] is not None or options["fmt"] != "text":
        verdict = (
            f"{len(result.findings)} violation(s) in {len(result.violating)} of {len(result.incidents)} incident(s)"
        )
        say(f"inc-audit: {verdict}")


def track_result(gl: Any, audit_project: str | None, result: AuditResult, config: Config) -> Any:
    """First-seen moments and history, from the audit issue's kept state when publishing."""
    from inc_audit.tracking import track

    return track(gl, audit_project, result, config)


def publish_result(gl: Any, project: str, tracked: Any, config: Config, dry_run: bool, shown: bool = True) -> None:
    """Publish the audit issue (titles of confidential incidents only in a confidential one).
    A dry run prints the diff, unless the issue is confidential and titles are withheld
    here (``shown`` false; CI: the job log is not): then only the planned writes."""
    from inc_audit import publish, tracking

    result: AuditResult = tracked.result
    options = Options(show_confidential=config.audit_confidential, full_report=_artifact_hint())
    body = REPORTERS["markdown"](result, options)
    settings = publish.AuditIssueSettings(config.audit_title, config.audit_labels, config.audit_confidential)
    outcome = publish.publish(gl, project, body, bool(result.violating), settings, dry_run=dry_run)
    where = f": {outcome.url}" if outcome.url else ""
    comment = tracking.mention_comment(tracked.new, config)
    for impostor in outcome.impostors:
        say(f"inc-audit: warning: {impostor} carries the audit issue's label and marker but another user opened it:"
            " left alone")
    if dry_run:
        if not shown and config.audit_confidential:  # the diff may quote confidential titles
            say(publish.actions_only(outcome.diff) or "(no change to the audit issue)", err=False)
        else:
            say(outcome.diff or "(no change to the audit issue)", err=False)
        if comment:
            say(f"would comment: {comment}", err=False)
        say(f"inc-audit: dry run, nothing written: {DRY_RUN_WORDS.get(outcome.action, 'would write nothing')}{where}")
        return
    if comment and outcome.url and outcome.action in ("created", "updated", "reopened"):
        tracking.post_comment(gl, project, outcome.url, comment)
    say(f"inc-audit: audit issue {outcome.action}{where}")


# What a dry run says it would do; it never says "created" (or any past tense): nothing was.
DRY_RUN_WORDS = {
    "created": "would open a new audit issue",
    "updated": "would edit the audit issue",
    "closed": "would close the audit issue",
    "reopened": "would reopen the audit issue",
    "unchanged": "would leave the audit issue as it is",
}


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
    help="For a live incident [default: gitlab.url, then $CI_SERVER_URL].",
)
@token_variable_option
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
        credentials = resolve_token(server_url(options, config), options["token_variable"])
        as_of = parse_as_of(options["as_of"])
        project, iid = live.group("project"), int(live.group("iid"))
        result = check_live(project, iid, credentials.url, config, as_of, credentials.token)
    else:
        result = check_file(target, options["kind"], config)
    color = sys.stdout.isatty() and progress.colour_allowed()
    text_options = Options(color=color, ignored=config.ignore, show_confidential=titles_shown())
    write_text(None, REPORTERS["text"](result, text_options))
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
    result = replace(merge_reports(list(options["paths"])), calendar=config.calendar)
    gl = None
    if audit_project is not None:
        from inc_audit.sources.http import connect

        credentials = credentials_for(target, options)
        gl = connect(credentials.url or "", credentials.token, timeout=options["timeout"])
    tracked = track_result(gl, audit_project, result, config)
    result = tracked.result
    emit(result, {**options, "color": None}, reports, config)
    if audit_project is not None:
        shown = titles_shown(options["confidential_titles"])
        publish_result(gl, audit_project, tracked, config, options["dry_run"], shown)
    return EXIT_VIOLATIONS if result.fails(options["fail_on"]) else EXIT_CLEAN


@main.command()
@click.option(
    "--templates",
    "templates_dir",
    metavar="PATH",
    default=".gitlab/issue_templates",
    show_default=True,
    help="The project's issue templates.",
)
@click.option(
    "--output",
    metavar="FILE",
    default=".inc-audit.yml",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the configuration.",
)
@click.option(
    "--ci-file",
    metavar="FILE",
    default=".gitlab-ci.yml",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Written with the components' include when it does not exist; else the include is printed.",
)
@click.option("--gitlab-url", metavar="URL", help="GitLab to read the labels from [default: $CI_SERVER_URL].")
@click.option("--project", metavar="PATH_OR_ID", help="Project whose labels to read [default: $CI_PROJECT_PATH].")
@token_variable_option
@click.option("--offline", is_flag=True, help="Do not read the project's labels from GitLab.")
@click.option("--force", is_flag=True, help="Overwrite an existing configuration file.")
@click.option(
    "--component-project",
    metavar="PATH",
    default="tools/inc-audit",
    show_default=True,
    help="The GitLab project that hosts inc-audit's CI/CD components.",
)
@debug_option
def init(**options: Any) -> None:
    """Write a starter .inc-audit.yml from the project's issue templates and labels, and the CI include.

    \b
    The templates' /label quick actions give the incident and change labels; with a token,
    they are checked against the project's labels. Review the file, then commit it.
    Examples:
      inc-audit init --offline
      inc-audit init --gitlab-url https://gitlab.example.com --project umami-wallet/umami
    """
    with handled_errors(options["debug"]):
        sys.exit(init_command(options))


def init_command(options: dict[str, Any]) -> int:
    from inc_audit import init as starter

    output: Path = options["output"]
    if output.exists() and not options["force"]:
        raise InputError(f"{output} exists already", "review it, or run again with --force to overwrite it")
    defaults = config_module.load_defaults()
    found = starter.survey(options["templates_dir"], defaults)
    if not options["offline"]:
        check_labels(found, options, defaults)
    gitlab = {k: options[o] for k, o in (("url", "gitlab_url"), ("project", "project")) if options[o]}
    write_text(output, starter.config_text(found, defaults, gitlab))
    say(f"inc-audit: wrote {output}: {len(found.templates)} template(s) mapped; review it, then commit it")
    include = starter.ci_include(options["templates_dir"], options["component_project"])
    placed = starter.place_include(options["ci_file"], include)
    if placed == "written":
        say(f"inc-audit: wrote {options['ci_file']} with the components' include")
    elif placed == "missing":
        say(f"inc-audit: add the components to {options['ci_file']}:")
        say(include, err=False)
    return EXIT_CLEAN


def check_labels(found: Any, options: dict[str, Any], defaults: Config) -> None:
    """Keep the labels the project has, when GitLab can tell; else say why it could not."""
    from inc_audit import init as starter

    target = Target.resolve({"gitlab_url": options["gitlab_url"], "project": options["project"]}, defaults)
    if not target.project:
        say("inc-audit: labels not checked against the project: give --project (or --offline)")
        return
    try:
        credentials = credentials_for(target, options)
        names = starter.project_labels(credentials.url or "", credentials.token, target.project)
    except IncAuditError as error:
        say(f"inc-audit: labels not checked against the project: {error.message}")
        return
    starter.keep_existing(found, names)
    if found.missing:
        say(f"inc-audit: the templates apply labels the project does not have: {', '.join(found.missing)}")


@main.command()
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
def agenda(**options: Any) -> None:
    """Prepare the weekly IPM meeting: post-mortems awaiting approval, overdue ones, attendees.

    \b
    Without --publish, prints the meeting issue's Markdown.
    Examples:
      inc-audit agenda --export examples/umami-export --config examples/.inc-audit.yml --meeting 2026-06-04
      inc-audit agenda --publish            # the day before the meeting, in a scheduled job
      inc-audit agenda --dry-run            # the diff the meeting issue would get
    """
    with handled_errors(options["debug"]):
        sys.exit(agenda_command(options))


def agenda_command(options: dict[str, Any]) -> int:
    from inc_audit import agenda as agenda_module

    config = load_config(options["config_path"], judges_approval=True)
    as_of = parse_as_of(options["as_of"])
    day = parse_meeting_day(options["meeting"]) or agenda_module.next_meeting(config, as_of)
    target = Target.resolve(options, config)
    writes = options["publish"] or options["dry_run"]
    project = meeting_project(target, config) if writes else None
    source, gl = open_source(target, config, options, as_of, progress.choose(sys.stderr, False, options["verbose"]))
    prepared = agenda_module.build(source, judged_by(source, config), as_of, day)
    if project is None:
        write_text(options["output"], agenda_module.render(prepared, config))
        return EXIT_CLEAN
    from inc_audit.meeting import publish_meeting

    def make_body(current: str | None) -> str:
        return agenda_module.render(agenda_module.with_ticks(prepared, current), config)

    outcome = publish_meeting(gl, project, config, day, make_body, dry_run=options["dry_run"])
    if options["dry_run"]:
        say(outcome.diff or "(no change to the meeting issue)", err=False)
    say(f"inc-audit: meeting issue {outcome.action}{': ' + outcome.url if outcome.url else ''}")
    return EXIT_CLEAN


def parse_meeting_day(value: str | None) -> Any:
    from inc_audit.agenda import parse_day

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
