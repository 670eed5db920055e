"""One confidential meeting issue per IPM meeting: found again among inc-audit's own issues,
updated in place, never duplicated.

The meeting issue carries the configured labels and the marker naming its day. A run
finds it (open or closed) among the issues inc-audit's user opened, by its marker or by
its title (so a removed marker or label does not make a second one; both are put back),
edits its description only when the agenda changed, keeping the boxes attendees already
ticked, and never closes or reopens it: that is the chair's call. It is created with a
neutral description, checked to be confidential, and only then given the agenda; before
every later write it is read again and made confidential again if someone made it
public. Creation looks again afterwards; when two runs raced, the oldest issue is kept
and the other closed as a duplicate.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from inc_audit.config.file import Config
from inc_audit.errors import IncAuditError, PublishError
from inc_audit.formats.neutral import safe_link
from inc_audit.publishing import agenda as agenda_module
from inc_audit.publishing import ownership
from inc_audit.publishing.audit_issue import DUPLICATE_COMMENT, labels_of, normalise, own_user, said_written
from inc_audit.sources.http.session import encode_id, send


@dataclass(frozen=True)
class MeetingOutcome:
    action: str  # "created" | "updated" | "unchanged"
    url: str
    diff: str


NEUTRAL = ("inc-audit is preparing this meeting's agenda. It writes it here once GitLab confirms that this "
           "issue is confidential.")


def find_meeting_issues(gl: Any, project: str, config: Config, day: date) -> list[dict[str, Any]]:
    """Every issue of this meeting that inc-audit's own user opened (its marker, or its title),
    oldest first: a copy someone else opened is never written to (as for the audit issue)."""
    marker = agenda_module.MARKER.format(date=day.isoformat())
    title = agenda_module.title(config, day)
    mine = ownership.authored(gl, project, own_user(gl), "looking for the meeting issue")
    return [raw for raw in mine
            if marker in str(raw.get("description") or "") or str(raw.get("title") or "") == title]


def diff(current: str | None, body: str, name: str) -> str:
    lines = difflib.unified_diff(
        normalise(current).splitlines() if current else [], normalise(body).splitlines(),
        fromfile=f"{name} current", tofile=f"{name} new", lineterm="",
    )
    return "\n".join(lines) + "\n" if current is None or normalise(current) != normalise(body) else ""


def publish_meeting(
    gl: Any, project: str, config: Config, day: date, make_body: Callable[[str | None], str],
    *, dry_run: bool = False,
) -> MeetingOutcome:
    """Make the meeting issue of ``day`` say ``make_body(its current description)``; with
    ``dry_run``, only say how."""
    written: list[str] = []
    try:
        found = find_meeting_issues(gl, project, config, day)
        kept = found[0] if found else None
        body = make_body(str(kept.get("description") or "") if kept else None)
        name = f"#{kept['iid']}" if kept else "(no meeting issue)"
        change = diff(str(kept.get("description") or "") if kept else None, body, name)
        if dry_run:
            action = "created" if kept is None else ("updated" if change else "unchanged")
            return MeetingOutcome(action, _url(kept), change)
        if kept is None:
            return _create(gl, project, config, day, body, written)
        _close_duplicates(gl, project, kept, found[1:])
        missing = [label for label in config.meeting.labels if label not in labels_of(kept)]
        if not change and not missing:
            return MeetingOutcome("unchanged", _url(kept), "")
        _write(gl, project, int(kept["iid"]), body if change else None, missing, written)
        return MeetingOutcome("updated", _url(kept), change)
    except IncAuditError as error:
        raise PublishError(f"{error.message}; {said_written(written)}", error.hint) from None


def _write(gl: Any, project: str, iid: int, body: str | None, labels: list[str], written: list[str]) -> None:
    """The agenda (and labels someone removed) written to meeting issue ``iid``, once it is
    confirmed confidential."""
    ownership.confirm_confidential(gl, project, iid, "meeting issue")
    change: dict[str, Any] = {"description": body} if body is not None else {}
    if labels:
        change["add_labels"] = ",".join(labels)
    send(gl, "put", f"/projects/{encode_id(project)}/issues/{iid}", f"updating meeting issue #{iid}", change)
    written.append(f"updated meeting issue #{iid}" + (" (labels put back)" if labels else ""))


def _create(gl: Any, project: str, config: Config, day: date, body: str, written: list[str]) -> MeetingOutcome:
    fields = {
        "title": agenda_module.title(config, day),
        "description": f"{agenda_module.MARKER.format(date=day.isoformat())}\n{NEUTRAL}",
        "labels": ",".join(config.meeting.labels),
        "confidential": True,
    }
    created = send(gl, "post", f"/projects/{encode_id(project)}/issues", "creating the meeting issue", fields,
                   ids=("iid",))
    if not isinstance(created, dict) or type(created.get("iid")) is not int:
        raise PublishError("GitLab's answer to creating the meeting issue has no issue number")
    written.append(f"created meeting issue #{created['iid']} with a neutral description only")
    found = find_meeting_issues(gl, project, config, day) or [created]
    kept = found[0]
    _close_duplicates(gl, project, kept, found[1:])
    mine = int(kept["iid"]) == int(created["iid"])
    if mine:
        _write(gl, project, int(kept["iid"]), body, [], written)
    return MeetingOutcome("created" if mine else "unchanged", _url(kept), diff(None, body, "(new meeting issue)"))


def _close_duplicates(gl: Any, project: str, kept: dict[str, Any], others: list[dict[str, Any]]) -> None:
    for other in others:
        if other.get("state") == "closed":
            continue
        path = f"/projects/{encode_id(project)}/issues/{other['iid']}"
        send(gl, "put", path, f"closing duplicate meeting issue #{other['iid']}", {"state_event": "close"})
        send(gl, "post", f"{path}/notes", "commenting on a duplicate meeting issue",
             {"body": DUPLICATE_COMMENT.format(iid=kept["iid"]).replace("audit issue", "meeting issue")})


def _url(raw: dict[str, Any] | None) -> str:
    return safe_link(str(raw.get("web_url") or "")) if raw else ""  # never a javascript: or data: address
