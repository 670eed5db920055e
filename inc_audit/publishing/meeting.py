"""One confidential meeting issue per IPM meeting: found again by its marker, updated in
place, never duplicated.

The meeting issue carries the configured labels and the marker naming its day. A run
finds it (open or closed), edits its description only when the agenda changed, keeping
the boxes attendees already ticked, and never closes or reopens it: that is the chair's
call. Creation looks again afterwards; when two runs raced, the oldest issue is kept and
the other closed as a duplicate.
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
from inc_audit.publishing.audit_issue import DUPLICATE_COMMENT, is_own, normalise, own_user
from inc_audit.sources.http.session import encode_id, send
from inc_audit.sources.rest.source import iter_items


@dataclass(frozen=True)
class MeetingOutcome:
    action: str  # "created" | "updated" | "unchanged"
    url: str
    diff: str


def find_meeting_issues(gl: Any, project: str, config: Config, day: date) -> list[dict[str, Any]]:
    """Every issue with the meeting labels and this meeting's marker that inc-audit's own user
    opened, oldest first: a copy someone else opened is never written to (as for the audit issue)."""
    marker = agenda_module.MARKER.format(date=day.isoformat())
    query = {"state": "all", "labels": ",".join(config.meeting.labels), "order_by": "created_at", "sort": "asc"}
    owner = own_user(gl)
    listing = iter_items(gl, f"/projects/{encode_id(project)}/issues", "looking for the meeting issue", query)
    found = [raw for raw in listing if marker in str(raw.get("description") or "") and is_own(raw, owner)]
    return sorted(found, key=lambda raw: int(raw["iid"]))


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
            return _create(gl, project, config, day, body)
        _close_duplicates(gl, project, kept, found[1:])
        if not change:
            return MeetingOutcome("unchanged", _url(kept), "")
        path = f"/projects/{encode_id(project)}/issues/{kept['iid']}"
        send(gl, "put", path, f"updating meeting issue #{kept['iid']}", {"description": body})
        return MeetingOutcome("updated", _url(kept), change)
    except PublishError:
        raise
    except IncAuditError as error:
        raise PublishError(error.message, error.hint) from None


def _create(gl: Any, project: str, config: Config, day: date, body: str) -> MeetingOutcome:
    fields = {
        "title": agenda_module.title(config, day),
        "description": body,
        "labels": ",".join(config.meeting.labels),
        "confidential": True,
    }
    created = send(gl, "post", f"/projects/{encode_id(project)}/issues", "creating the meeting issue", fields,
                   ids=("iid",))
    found = find_meeting_issues(gl, project, config, day) or [created]
    kept = found[0]
    _close_duplicates(gl, project, kept, found[1:])
    mine = int(kept["iid"]) == int(created["iid"])
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
