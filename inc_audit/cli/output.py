"""After the audit: the reports written, the audit issue published."""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inc_audit.cli import progress
from inc_audit.cli.common import say, shout, write_pieces, write_text
from inc_audit.cli.settings import ReportSettings
from inc_audit.cli.target import Target, repository_root
from inc_audit.config.file import Config
from inc_audit.errors import EXIT_INCOMPLETE, ConfigError, InputError
from inc_audit.findings import AuditResult
from inc_audit.formats.registry import REPORTERS, STREAMED, Options, titles_shown

if TYPE_CHECKING:
    from inc_audit.cli.command_settings import MergeSettings, RunSettings


def check_publish_options(settings: RunSettings | MergeSettings, target: Target, config: Config) -> str | None:
    """The project that will hold the audit issue, checked before any reading starts."""
    if settings.dry_run and not settings.publish:
        raise InputError("--dry-run goes with --publish", "add --publish to preview the audit issue")
    if not settings.publish:
        return None
    if target.export is not None:
        raise InputError("--publish needs a GitLab project, not an export", "drop --export or --publish")
    if settings.shard:
        raise InputError(
            "a shard does not publish", "run `inc-audit merge REPORT.json ... --publish` once every shard is done"
        )
    project = config.audit_project or (None if target.group else target.project)
    if project is None:
        raise ConfigError("auditing a group needs audit_issue.project", "name the project that holds the audit issue")
    return project


def incomplete(result: AuditResult, published: bool) -> int:
    """Say what could not be read (the report is written already); exit 3."""
    for line in result.notes:
        shout(f"inc-audit: {line}")
    unreadable = [i for i in result.incidents if any(f.rule == "SRC001" for f in i.findings)]
    if unreadable:
        shout(f"inc-audit: GitLab's data about {len(unreadable)} incident(s) cannot be read (SRC001 in the report)")
    tail = "; nothing was published" if published else ""
    shout(f"inc-audit: error: the audit is incomplete{tail}")
    return EXIT_INCOMPLETE


def emit(result: AuditResult, settings: ReportSettings, reports: list[tuple[str, Path]], config: Config) -> None:
    color = settings.color
    if color is None:
        color = settings.output is None and sys.stdout.isatty() and progress.colour_allowed()
    shown = titles_shown(settings.confidential_titles)
    base = Options(
        ignored=config.ignore, fail_on=settings.fail_on or "error", root=repository_root(),
        show_confidential=shown,
    )
    main_options = replace(base, color=bool(color))
    write_report(settings.output, settings.fmt, result, main_options, color=bool(color))
    for name, path in reports:
        write_report(path, name, result, base)
    if settings.output is not None or settings.fmt != "text":
        verdict = (
            f"{len(result.findings)} violation(s) in {len(result.violating)} of {len(result.incidents)} incident(s)"
        )
        say(f"inc-audit: {verdict}")


def write_report(path: Path | None, fmt: str, result: AuditResult, options: Options, color: bool = False) -> None:
    """The report in format ``fmt``, written piece by piece where the format allows it."""
    if fmt in STREAMED:
        write_pieces(path, STREAMED[fmt](result, options), color=color)
    else:
        write_text(path, REPORTERS[fmt](result, options), color=color)


def track_result(gl: Any, audit_project: str | None, result: AuditResult, config: Config) -> Any:
    """First-seen moments and history, from the audit issue's kept state when publishing."""
    from inc_audit.publishing.tracking import track

    tracked = track(gl, audit_project, result, config)
    for why in tracked.distrusted:
        say(f"inc-audit: warning: {why}")
    return tracked


def publish_result(
    gl: Any, project: str, tracked: Any, config: Config, dry_run: bool, shown: bool = True, memory: Path | None = None
) -> str:
    """Publish the audit issue (titles of confidential incidents only in a confidential one).
    A dry run prints the diff; where titles are withheld (``shown`` false; in CI, where the
    job log is not confidential) the confidential incidents' titles and findings' text are
    withheld on both sides of it."""
    from inc_audit.formats.audit_issue import withheld_view
    from inc_audit.formats.neutral import reference
    from inc_audit.publishing import audit_issue as publish
    from inc_audit.publishing import tracking

    result: AuditResult = tracked.result
    pipeline = (os.environ.get("CI_PIPELINE_ID", ""), os.environ.get("CI_PIPELINE_URL", ""))
    options = Options(show_confidential=config.audit_confidential, full_report=_artifact_hint(), pipeline=pipeline,
                      home=project_path(gl, project))
    body = REPORTERS["markdown"](result, options)
    settings = publish.AuditIssueSettings(config.audit_title, config.audit_labels, config.audit_confidential,
                                          remembered=publish.recall(memory, project))
    visible = {reference(str(incident.key)) for incident in result.incidents if not incident.confidential}
    view = None if shown else (lambda text: withheld_view(text, visible))
    outcome = publish.publish(gl, project, body, bool(result.violating), settings, dry_run=dry_run, view=view)
    if not dry_run:
        publish.remember(memory, project, outcome.url)
    where = f": {outcome.url}" if outcome.url else ""
    comment = tracking.mention_comment(tracked.new, config)
    for impostor in outcome.impostors:
        say(f"inc-audit: warning: {impostor} carries the audit issue's label and marker but another user opened it:"
            " left alone")
    if dry_run:
        say(outcome.diff or "(no change to the audit issue)", err=False)
        if comment:
            say(f"would comment: {comment}", err=False)
        say(f"inc-audit: dry run, nothing written: {DRY_RUN_WORDS.get(outcome.action, 'would write nothing')}{where}")
        return outcome.url
    if comment and outcome.url and outcome.action in ("created", "updated", "reopened"):
        tracking.post_comment(gl, project, outcome.url, comment, config.audit_confidential)
    say(f"inc-audit: audit issue {outcome.action}{where}")
    return outcome.url


def comment_incidents(gl: Any, tracked: Any, config: Config, comments: dict[Any, Any], url: str,
                      dry_run: bool) -> None:
    """The bot's comment on each incident whose findings changed (``notify.incident_comment``).
    A comment that cannot be written is a warning: the audit and its issue stand."""
    from inc_audit.publishing import incident_comment

    writes = incident_comment.plan(tracked.result.incidents, comments, tracked.new, config, url)
    if dry_run:
        for write in writes:
            say(f"would {write.describe()}", err=False)
        return
    for warning in incident_comment.apply(gl, writes):
        say(f"inc-audit: warning: {warning}")
    if writes:
        say(f"inc-audit: {len(writes)} incident comment(s) written or edited")


def send_digest(gl: Any, project: str, tracked: Any, config: Config, url: str, dry_run: bool,
                budget: float) -> None:
    """The chat digest (``notify.webhook``) when the findings changed; a failure is a warning."""
    from dataclasses import replace as replaced

    from inc_audit.publishing import webhook

    found = webhook.digest(tracked.result, tracked.new, tracked.resolved, config, url)
    if found is None:
        say("inc-audit: no change since the last audit: no chat digest sent")
        return
    found = replaced(found, agenda=webhook.agenda_url(gl, project, config, tracked.result))
    if dry_run:
        say(f"would send a chat digest: {found.plain()}", err=False)
        return
    say(f"inc-audit: {webhook.send(config, found, budget)}")


# What a dry run says it would do; it never says "created" (or any past tense): nothing was.
DRY_RUN_WORDS = {
    "created": "would open a new audit issue",
    "updated": "would edit the audit issue",
    "closed": "would close the audit issue",
    "reopened": "would reopen the audit issue",
    "unchanged": "would leave the audit issue as it is",
}


def project_path(gl: Any, project: str) -> str:
    """The project's path, as incidents' references name it: asked of GitLab when it is given by id."""
    if not str(project).isdigit():
        return project
    from inc_audit.sources.http.session import get_json

    raw = get_json(gl, f"/projects/{project}", f"reading project {project}")
    path = raw.get("path_with_namespace") if isinstance(raw, dict) else None
    return path if isinstance(path, str) and path else str(project)


def _artifact_hint() -> str:
    job = os.environ.get("CI_JOB_URL")
    return f"the JSON report, artifact of {job}" if job else "the JSON report kept as the audit job's artifact"

