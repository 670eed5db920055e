"""Keep one audit issue true: create it, edit it, close it, reopen it, never duplicate it.

The audit issue is an issue that inc-audit's own user (the token's, ``GET /user``) created
and that carries the configured label(s) and ``MARKER`` in its description. Anyone can copy
the label and the marker; an issue someone else opened is never written to, however it
looks (``impostors`` in the outcome). ``publish`` reads what is there, plans the fewest writes
that make it say ``body`` (none when it already does), and carries them out through the
same retry helper as the source. When the config asks for a confidential audit issue, the
first write makes it confidential, and GitLab's answer is checked, before anything else is
written to it. ``make_plan`` is pure, so a dry run shows exactly what a real run would do.

The "Last audited" line changes with every run: a body that differs from the issue's only
there is written when that line on the issue is ``HEARTBEAT_DAYS`` old, never more often
(``formats.audit_issue.needs_heartbeat``).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from inc_audit.audit import AUDIT_MARKER
from inc_audit.errors import IncAuditError, PublishError
from inc_audit.formats.audit_issue import needs_heartbeat, without_audited_line
from inc_audit.sources.http.session import Client, encode_id, get_json, send
from inc_audit.sources.rest.source import iter_items
from inc_audit.text import repair

MARKER = AUDIT_MARKER
CLOSE_COMMENT = "No violations left: closing. inc-audit will reopen this issue if one returns."
REOPEN_COMMENT = "Violations are back: reopening. inc-audit closes this issue when none is left."
DUPLICATE_COMMENT = "Duplicate of #{iid}: inc-audit keeps a single audit issue, closing this one."


@dataclass(frozen=True)
class AuditIssueSettings:
    title: str
    labels: tuple[str, ...]
    confidential: bool


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

    def describe(self) -> str:
        if self.iid is None:
            return "create the audit issue"
        if self.confidential:
            return f"make #{self.iid} confidential"
        parts = [f"edit the description of #{self.iid}"] if self.description is not None else []
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
    found: list[dict[str, Any]], body: str, has_violations: bool, *, confidential: bool = False
) -> Plan:
    """The writes that make the audit issues say ``body``; ``found`` as listed by GitLab
    (inc-audit's own issues only). With ``confidential``, a kept issue that is not
    confidential is made so first, whatever else is planned."""
    if not found:
        if has_violations:
            return Plan("created", None, (Step(None, description=body),))
        return Plan("none", None, ())
    kept, *others = sorted(found, key=lambda raw: int(raw["iid"]))
    action, step = _keep_step(kept, body, has_violations)
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
    raises ``PublishError``.
    """
    body = with_marker(repair(body))
    try:
        owner = own_user(gl)
        found, impostors = find_audit_issues(gl, project, settings, owner)
        plan = make_plan(found, body, has_violations, confidential=settings.confidential)
        if dry_run:
            return PublishOutcome(plan.action, _url(plan.kept), render(plan, body, view), impostors)
        if plan.action == "created":
            outcome = _create(gl, project, body, has_violations, settings, owner)
            return PublishOutcome(outcome.action, outcome.url, outcome.diff, impostors)
        apply(gl, project, plan.steps)
        return PublishOutcome(plan.action, _url(plan.kept), render(plan, body), impostors)
    except PublishError:
        raise
    except IncAuditError as error:
        raise PublishError(error.message, error.hint) from None


def _create(
    gl: Client, project: str | int, body: str, has_violations: bool,
    settings: AuditIssueSettings, owner: int,
) -> PublishOutcome:
    """Create the issue unless a concurrent run just did; then keep only the oldest."""
    found, _ = find_audit_issues(gl, project, settings, owner)
    plan = make_plan(found, body, has_violations, confidential=settings.confidential)
    if plan.action != "created":
        apply(gl, project, plan.steps)
        return PublishOutcome(plan.action, _url(plan.kept), render(plan, body))
    fields = {
        "title": settings.title,
        "description": body,
        "labels": ",".join(settings.labels),
        "confidential": settings.confidential,
    }
    path = f"/projects/{encode_id(project)}/issues"
    created = send(gl, "post", path, "creating the audit issue", fields)
    if settings.confidential and created.get("confidential") is not True:
        created = make_confidential(gl, project, int(created["iid"]))
    found, _ = find_audit_issues(gl, project, settings, owner)
    if all(int(raw["iid"]) != int(created["iid"]) for raw in found):
        found.append(created)
    after = make_plan(found, body, has_violations, confidential=settings.confidential)
    apply(gl, project, after.steps)
    assert after.kept is not None
    mine = int(after.kept["iid"]) == int(created["iid"])
    return PublishOutcome("created" if mine else after.action, _url(after.kept), render(plan, body))


def own_user(gl: Client) -> int:
    """The id of the token's user: the only author an audit issue may have."""
    user = get_json(gl, "/user", "finding the token's user (GET /user)")
    if not isinstance(user, dict) or not isinstance(user.get("id"), int):
        raise PublishError("GitLab did not say who the token's user is (GET /user)",
                           "check that --gitlab-url is a GitLab instance")
    return int(user["id"])


def is_own(raw: dict[str, Any], owner: int) -> bool:
    """Whether inc-audit's user created ``raw`` (an issue as GitLab lists it)."""
    author = raw.get("author")
    return isinstance(author, dict) and author.get("id") == owner


def find_audit_issues(
    gl: Client, project: str | int, settings: AuditIssueSettings, owner: int
) -> tuple[list[dict[str, Any]], tuple[str, ...]]:
    """Every issue, open or closed, with the audit labels and the marker that ``owner``
    created, oldest first; and the web addresses of those someone else created."""
    query: dict[str, Any] = {"state": "all", "order_by": "created_at", "sort": "asc"}
    if settings.labels:
        query["labels"] = ",".join(settings.labels)
    listing = iter_items(
        gl, f"/projects/{encode_id(project)}/issues", "looking for the audit issue", query,
        not_found=(f"project {project} not found (404)",
                   "check --project / CI_PROJECT_PATH and that the token can see it"),
    )
    marked = [raw for raw in listing if MARKER in str(raw.get("description") or "")]
    found = sorted((raw for raw in marked if is_own(raw, owner)), key=lambda raw: int(raw["iid"]))
    impostors = tuple(_url(raw) or f"#{raw.get('iid')}" for raw in marked if not is_own(raw, owner))
    return found, impostors


def make_confidential(gl: Client, project: str | int, iid: int) -> dict[str, Any]:
    """Make issue ``iid`` confidential, and check that GitLab did; its new state."""
    path = f"/projects/{encode_id(project)}/issues/{iid}"
    answer = send(gl, "put", path, f"making audit issue #{iid} confidential", {"confidential": True})
    if not isinstance(answer, dict) or answer.get("confidential") is not True:
        raise PublishError(
            f"GitLab did not make audit issue #{iid} confidential; nothing was written to it",
            "the token's user needs the Reporter role or above on the project",
        )
    return answer


def apply(gl: Client, project: str | int, steps: tuple[Step, ...]) -> None:
    """Carry out the steps in order: making an issue confidential (checked) alone; else one
    PUT if anything changes, then the comment."""
    for step in steps:
        assert step.iid is not None, "creation is handled by _create"
        if step.confidential:
            make_confidential(gl, project, step.iid)
            continue
        path = f"/projects/{encode_id(project)}/issues/{step.iid}"
        change = {"description": step.description, "state_event": step.state_event}
        change = {key: value for key, value in change.items() if value is not None}
        if change:
            send(gl, "put", path, f"updating audit issue #{step.iid}", change)
        if step.comment:
            send(gl, "post", f"{path}/notes", f"commenting on audit issue #{step.iid}",
                 {"body": step.comment})


def _url(raw: dict[str, Any] | None) -> str:
    return str(raw.get("web_url") or "") if raw else ""
