"""Keep one audit issue true: create it, edit it, close it, reopen it, never duplicate it.

The audit issue is an issue that inc-audit's own user (the token's, ``GET /user``) created:
it is found among that user's issues by its marker, its label(s) or its title, so removing
the label or the marker does not make a second one, and the next run puts back what was
removed. Anyone can copy the label and the marker; an issue someone else opened is never
written to, however it looks (``impostors`` in the outcome). ``publish`` reads what is there,
plans the fewest writes that make it say ``body`` (none when it already does), and carries
them out through the same retry helper as the source.

When the config asks for a confidential audit issue, it is created with a neutral body
(the marker and one sentence), GitLab's answer is checked (``confidential``), and only then
is the audit written; before every later write the issue is read again and, if someone
made it public, made confidential again and checked (``ownership.confirm_confidential``).
A failure says what was written and what was not. ``make_plan`` is pure, so a dry run
shows exactly what a real run would do.

The "Last audited" line changes with every run: a body that differs from the issue's only
there is written when that line on the issue is ``HEARTBEAT_DAYS`` old, never more often
(``formats.audit_issue.needs_heartbeat``).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from inc_audit.audit import AUDIT_MARKER
from inc_audit.errors import IncAuditError, InputError, PublishError
from inc_audit.files import read_regular_text, write_new_text
from inc_audit.formats.audit_issue import needs_heartbeat, without_audited_line
from inc_audit.formats.neutral import safe_link
from inc_audit.publishing import ownership
from inc_audit.publishing.ownership import is_own
from inc_audit.sources.http.session import Client, encode_id, send
from inc_audit.sources.rest.source import iter_items
from inc_audit.text import repair

MARKER = AUDIT_MARKER
CLOSE_COMMENT = "No violations left: closing. inc-audit will reopen this issue if one returns."
REOPEN_COMMENT = "Violations are back: reopening. inc-audit closes this issue when none is left."
DUPLICATE_COMMENT = "Duplicate of #{iid}: inc-audit keeps a single audit issue, closing this one."
NEUTRAL = ("inc-audit is preparing this audit. It writes the report here once GitLab confirms that this "
           "issue is confidential.")
MEETING_MARKER = "<!-- inc-audit:ipm-meeting"


@dataclass(frozen=True)
class AuditIssueSettings:
    title: str
    labels: tuple[str, ...]
    confidential: bool
    remembered: int | None = None
    """The audit issue's number as the last run wrote it down (``remember``): with a person's
    token, the one way to know it once its marker, labels and title are all gone."""


@dataclass(frozen=True)
class PublishOutcome:
    action: str  # "created" | "updated" | "unchanged" | "closed" | "reopened" | "none"
    url: str
    diff: str
    impostors: tuple[str, ...] = ()
    """Issues with the audit labels and marker that another user opened: left alone."""


@dataclass(frozen=True)
class Step:
    """One write: create (iid None), or edit/close/reopen issue ``iid``, then comment."""

    iid: int | None
    description: str | None = None
    state_event: str | None = None  # "close" | "reopen"
    comment: str | None = None
    confidential: bool = False  # make the issue confidential, alone, before any other write
    add_labels: tuple[str, ...] = ()  # labels someone removed, put back
    title: str | None = None  # the title, when someone changed it, put back

    def describe(self) -> str:
        if self.iid is None:
            return "create the audit issue"
        if self.confidential:
            return f"make #{self.iid} confidential"
        parts = [f"edit the description of #{self.iid}"] if self.description is not None else []
        if self.add_labels:
            parts.append(f"put back the label(s) {', '.join(self.add_labels)} on #{self.iid}")
        if self.state_event:
            parts.append(f"{self.state_event} #{self.iid}")
        if self.comment:
            parts.append(f"comment on #{self.iid}: {self.comment}")
        return "; ".join(parts)


@dataclass(frozen=True)
class Plan:
    action: str
    kept: dict[str, Any] | None
    steps: tuple[Step, ...]


def with_marker(body: str) -> str:
    """``body`` carrying the marker that identifies the audit issue."""
    if MARKER in body:
        return body
    return f"{body.rstrip()}\n\n{MARKER}\n" if body.strip() else f"{MARKER}\n"


def normalise(text: str) -> str:
    """Text compared for equality: line endings unified, trailing whitespace ignored."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).rstrip()


def make_plan(
    found: list[dict[str, Any]], body: str, has_violations: bool, *, confidential: bool = False,
    labels: tuple[str, ...] = (), title: str = "",
) -> Plan:
    """The writes that make the audit issues say ``body``; ``found`` as listed by GitLab
    (inc-audit's own issues only). With ``confidential``, a kept issue that is not
    confidential is made so first, whatever else is planned; ``labels`` someone removed
    from the kept issue are put back, and so is its ``title``."""
    if not found:
        if has_violations:
            return Plan("created", None, (Step(None, description=body),))
        return Plan("none", None, ())
    kept, *others = sorted(found, key=lambda raw: int(raw["iid"]))
    action, step = _keep_step(kept, body, has_violations)
    have = labels_of(kept)
    missing = tuple(label for label in labels if label not in have)
    if missing:
        step = replace(step, add_labels=missing) if step else Step(int(kept["iid"]), add_labels=missing)
        action = "updated" if action == "unchanged" else action
    if title and str(kept.get("title") or "") != title:
        step = replace(step, title=title) if step else Step(int(kept["iid"]), title=title)
        action = "updated" if action == "unchanged" else action
    steps = [step] if step else []
    if confidential and kept.get("confidential") is not True:
        steps.insert(0, Step(int(kept["iid"]), confidential=True))
        action = "updated" if action == "unchanged" else action
    steps += [
        Step(int(other["iid"]), state_event="close",
             comment=DUPLICATE_COMMENT.format(iid=kept["iid"]))
        for other in others
        if other.get("state") != "closed"
    ]
    return Plan(action, kept, tuple(steps))


def _keep_step(kept: dict[str, Any], body: str, has_violations: bool) -> tuple[str, Step | None]:
    iid = int(kept["iid"])
    current = str(kept.get("description") or "")
    differs = normalise(without_audited_line(current)) != normalise(without_audited_line(body))
    differs = differs or needs_heartbeat(current, body)
    description = body if differs else None
    closed = kept.get("state") == "closed"
    if has_violations and closed:
        return "reopened", Step(iid, description, "reopen", REOPEN_COMMENT)
    if has_violations:
        return ("updated", Step(iid, description)) if differs else ("unchanged", None)
    if not closed:
        return "closed", Step(iid, description, "close", CLOSE_COMMENT)
    # Closed, still nothing to report: left alone, but for the "Last audited" line when due.
    return ("updated", Step(iid, body)) if needs_heartbeat(current, body) else ("unchanged", None)


View = Callable[[str], str]


def render(plan: Plan, body: str, view: View | None = None) -> str:
    """A unified diff of the kept issue's description and what the plan writes, then the
    planned writes; "" for none. ``view`` shows each side as a reader may see it (the
    confidential incidents' text withheld)."""
    current = str(plan.kept.get("description") or "") if plan.kept else ""
    name = f"#{plan.kept['iid']}" if plan.kept else "(no audit issue)"
    written = any(step.iid is None or step.description is not None for step in plan.steps)
    new = body if written else current
    shown = view or (lambda text: text)
    diff = list(difflib.unified_diff(
        normalise(shown(current)).splitlines() if current else [],
        normalise(shown(new)).splitlines(),
        fromfile=f"{name} current", tofile=f"{name} new", lineterm="",
    ))
    if not diff and not plan.steps:
        return ""
    actions = [f"- {step.describe()}" for step in plan.steps] or ["- nothing to write"]
    return "\n".join([*diff, "actions:", *actions]) + "\n"


def actions_only(diff: str) -> str:
    """``render``'s output without the diff itself (it may quote confidential titles): how
    many lines would change, then the planned writes; "" for none."""
    if not diff:
        return ""
    lines = diff.splitlines()
    split = lines.index("actions:") if "actions:" in lines else len(lines)
    changed = sum(1 for line in lines[:split] if line[:1] in "+-" and line[:3] not in ("+++", "---"))
    head = f"{changed} line(s) of the description would change (not shown: titles are withheld here)"
    return "\n".join([head, *lines[split:]]) + "\n"


def publish(
    gl: Client,
    project: str | int,
    body: str,
    has_violations: bool,
    settings: AuditIssueSettings,
    *,
    dry_run: bool = False,
    view: View | None = None,
) -> PublishOutcome:
    """Make the project's one audit issue say ``body``; with ``dry_run``, only say how (a
    diff, each side shown through ``view``).

    The caller must call this only after a complete scan: ``has_violations=False`` closes
    the audit issue, which an interrupted scan must never do. Any failure, read or write,
    raises ``PublishError``, saying what was already written.
    """
    body = with_marker(repair(body))
    written: list[str] = []
    try:
        owner = own_user(gl)
        found, impostors = find_audit_issues(gl, project, settings, owner)
        plan = make_plan(found, body, has_violations, confidential=settings.confidential, labels=settings.labels,
                     title=settings.title)
        if dry_run:
            return PublishOutcome(plan.action, _url(plan.kept), render(plan, body, view), impostors)
        if plan.action == "created":
            outcome = _create(gl, project, body, has_violations, settings, owner, written)
            return PublishOutcome(outcome.action, outcome.url, outcome.diff, impostors)
        apply(gl, project, plan.steps, settings.confidential, written)
        return PublishOutcome(plan.action, _url(plan.kept), render(plan, body), impostors)
    except IncAuditError as error:
        raise PublishError(f"{error.message}; {said_written(written)}", error.hint) from None


def said_written(written: list[str]) -> str:
    """What a failed publication had written: "nothing was written" or each write."""
    return f"written before it: {'; '.join(written)}" if written else "nothing was written"


def _create(
    gl: Client, project: str | int, body: str, has_violations: bool,
    settings: AuditIssueSettings, owner: int, written: list[str],
) -> PublishOutcome:
    """Create the issue (neutral when it must be confidential) unless a concurrent run just
    did; then keep only the oldest, and write the audit to it."""
    found, _ = find_audit_issues(gl, project, settings, owner)
    plan = make_plan(found, body, has_violations, confidential=settings.confidential, labels=settings.labels,
                     title=settings.title)
    if plan.action != "created":
        apply(gl, project, plan.steps, settings.confidential, written)
        return PublishOutcome(plan.action, _url(plan.kept), render(plan, body))
    first = with_marker(NEUTRAL) if settings.confidential else body
    fields = {
        "title": settings.title,
        "description": first,
        "labels": ",".join(settings.labels),
        "confidential": settings.confidential,
    }
    path = f"/projects/{encode_id(project)}/issues"
    created = send(gl, "post", path, "creating the audit issue", fields, ids=("iid",))
    if not isinstance(created, dict) or type(created.get("iid")) is not int:
        raise PublishError("GitLab's answer to creating the audit issue has no issue number")
    iid = int(created["iid"])
    written.append(f"created audit issue #{iid}" + (" with a neutral description only" if settings.confidential
                                                    else ""))
    if settings.confidential and created.get("confidential") is not True:
        created = ownership.confirm_confidential(gl, project, iid, "audit issue")
        written.append(f"made #{iid} confidential")
    found, _ = find_audit_issues(gl, project, settings, owner)
    if all(int(raw["iid"]) != iid for raw in found):
        found.append(created)
    after = make_plan(found, body, has_violations, confidential=settings.confidential, labels=settings.labels,
                     title=settings.title)
    apply(gl, project, after.steps, settings.confidential, written)
    assert after.kept is not None
    mine = int(after.kept["iid"]) == iid
    return PublishOutcome("created" if mine else after.action, _url(after.kept), render(plan, body))


def own_user(gl: Client) -> int:
    """The id of the token's user: the only author an audit issue may have."""
    return ownership.whoami(gl).id


def is_audit_issue(raw: dict[str, Any], settings: AuditIssueSettings) -> bool:
    """One of inc-audit's user's issues that is its audit issue: the marker, the labels or the title."""
    description = str(raw.get("description") or "")
    if MEETING_MARKER in description:
        return False
    have = labels_of(raw)
    return (MARKER in description or str(raw.get("title") or "") == settings.title
            or bool(settings.labels) and all(label in have for label in settings.labels)
            or settings.remembered is not None and raw.get("iid") == settings.remembered)


MEMORY = "audit-issue.json"


def recall(folder: Path | None, project: str | int) -> int | None:
    """The audit issue's number the last run wrote down in ``folder`` for ``project``, if any
    (a missing or unreadable note is no memory: the issue is then found as usual)."""
    if folder is None:
        return None
    try:
        kept = json.loads(read_regular_text(folder / MEMORY, "the audit issue's memory"))
    except (InputError, ValueError):
        return None
    if isinstance(kept, dict) and kept.get("project") == str(project) and type(kept.get("iid")) is int:
        return int(kept["iid"])
    return None


def remember(folder: Path | None, project: str | int, url: str) -> None:
    """Write down the audit issue's number (from its URL) for the next run."""
    found = re.search(r"/-/issues/(\d+)$", url or "")
    if folder is None or found is None:
        return
    text = json.dumps({"project": str(project), "iid": int(found.group(1))}) + "\n"
    write_new_text(folder / MEMORY, text, "the audit issue's memory")


def find_audit_issues(
    gl: Client, project: str | int, settings: AuditIssueSettings, owner: int
) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    """Every audit issue, open or closed, that ``owner`` created, oldest first (found by its
    author, so a removed label or marker does not hide it); and the web addresses of issues
    with the audit labels and the marker that someone else created."""
    mine = ownership.authored(gl, str(project), owner, "looking for the audit issue")
    found = [raw for raw in mine if is_audit_issue(raw, settings)]
    if not settings.labels:
        return found, ()
    query: dict[str, Any] = {"state": "all", "order_by": "created_at", "sort": "asc",
                             "labels": ",".join(settings.labels)}
    listing = iter_items(gl, f"/projects/{encode_id(project)}/issues", "looking for copies of the audit issue", query)
    copies = [raw for raw in listing if isinstance(raw, dict) and MARKER in str(raw.get("description") or "")]
    impostors = tuple(_url(raw) or f"#{raw.get('iid')}" for raw in copies if not is_own(raw, owner))
    return found, impostors


def make_confidential(gl: Client, project: str | int, iid: int) -> dict[str, Any]:
    """Make issue ``iid`` confidential, and check that GitLab did; its new state."""
    return ownership.confirm_confidential(gl, project, iid, "audit issue")


def apply(
    gl: Client, project: str | int, steps: tuple[Step, ...], confidential: bool = False,
    written: list[str] | None = None,
) -> None:
    """Carry out the steps in order: making an issue confidential (checked) alone; else one
    PUT if anything changes, then the comment. With ``confidential``, the issue is read
    again before each write and made confidential again if someone made it public."""
    done = written if written is not None else []
    for step in steps:
        assert step.iid is not None, "creation is handled by _create"
        if step.confidential or (confidential and (step.description is not None or step.comment)):
            state = ownership.confirm_confidential(gl, project, step.iid, "audit issue")
            if state is not None and step.confidential:
                done.append(f"made #{step.iid} confidential")
            if step.confidential:
                continue
        path = f"/projects/{encode_id(project)}/issues/{step.iid}"
        change: dict[str, Any] = {"description": step.description, "state_event": step.state_event}
        if step.add_labels:
            change["add_labels"] = ",".join(step.add_labels)
        if step.title:
            change["title"] = step.title
        change = {key: value for key, value in change.items() if value is not None}
        if change:
            send(gl, "put", path, f"updating audit issue #{step.iid}", change)
            done.append(_what(step))
        if step.comment:
            send(gl, "post", f"{path}/notes", f"commenting on audit issue #{step.iid}",
                 {"body": step.comment})
            done.append(f"commented on #{step.iid}")


def _what(step: Step) -> str:
    parts = ["its description" if step.description is not None else "",
             {"close": "closed", "reopen": "reopened"}.get(step.state_event or "", ""),
             "its labels put back" if step.add_labels else ""]
    return f"updated #{step.iid} ({', '.join(p for p in parts if p)})"


def labels_of(raw: dict[str, Any]) -> list[str]:
    labels = raw.get("labels")
    return [str(label) for label in labels] if isinstance(labels, list) else []


def _url(raw: dict[str, Any] | None) -> str:
    return safe_link(str(raw.get("web_url") or "")) if raw else ""  # never a javascript: or data: address
