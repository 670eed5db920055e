"""Build the example GitLab project export shipped in examples/umami-export.

The export holds a small Umami-like project whose incidents show, one by one,
what the incident policy asks for and how people break it (see README.md).

Two layers, both importable (the benchmark builds thousands of incidents with them):

- ``ExportWriter`` collects users, labels, issues, notes, award emoji and links and
  writes them in GitLab's export format (the unpacked ndjson tree).
- The template fillers (``incident_report``, ``change_request``, ``post_mortem``
  and the small text helpers) write descriptions and comments on the real Umami
  templates kept in ``umami-templates/``.

Run ``python examples/build_example.py [FOLDER]``; FOLDER defaults to
examples/umami-export. The output is the same on every run.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "umami-templates"
EXPORT_VERSION = "0.2.4"

GUEST, REPORTER, DEVELOPER, MAINTAINER = 10, 20, 30, 40


def stamp(value: str | datetime) -> str:
    """A GitLab export timestamp ("2026-01-08T08:52:00.000Z") from "2026-01-08 08:52"."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


# --------------------------------------------------------------------------- writer


class ExportWriter:
    """Collects a project's users, labels and issues, then writes a GitLab export tree."""

    def __init__(
        self,
        project_id: int = 27,
        description: str = "",
        created_at: str | datetime = "2025-11-03 10:00",
    ) -> None:
        self.project_id = project_id
        self.created_at = stamp(created_at)
        self.project: dict[str, Any] = {
            "description": description,
            "import_type": "gitlab_project",
            "visibility_level": 10,
            "archived": False,
            "issues_template": None,
            "shared_runners_enabled": True,
            "deploy_keys": [],
            "hooks": [],
        }
        self.user_ids: dict[str, int] = {}
        self.user_names: dict[int, str] = {}
        self.members: list[dict[str, Any]] = []
        self.labels: dict[str, dict[str, Any]] = {}
        self.issues: dict[int, dict[str, Any]] = {}
        self._notes: dict[int, dict[str, Any]] = {}
        self._next = {
            "user": 101, "member": 601, "label": 301, "label_link": 7001,
            "label_event": 3001, "issue": 8101, "note": 52001, "award": 901,
        }

    def _id(self, kind: str) -> int:
        value = self._next[kind]
        self._next[kind] += 1
        return value

    def user(self, username: str) -> int:
        try:
            return self.user_ids[username]
        except KeyError:
            raise KeyError(f"unknown user {username!r}: add_user() it first") from None

    def add_user(self, username: str, name: str, access_level: int = DEVELOPER) -> int:
        """A project member; returns the user id."""
        user_id = self._id("user")
        self.user_ids[username] = user_id
        self.user_names[user_id] = name
        self.members.append({
            "id": self._id("member"),
            "access_level": access_level,
            "source_id": self.project_id,
            "source_type": "Project",
            "user_id": user_id,
            "notification_level": 3,
            "created_at": self.created_at,
            "updated_at": self.created_at,
            "created_by_id": None,
            "invite_email": None,
            "invite_token": None,
            "invite_accepted_at": None,
            "requested_at": None,
            "expires_at": None,
            "user": {
                "id": user_id,
                "public_email": f"{username}@example.com",
                "username": username,
            },
        })
        return user_id

    def label(self, title: str, color: str = "#6699cc", description: str = "") -> dict[str, Any]:
        """The project label with this title, created on first use."""
        if title not in self.labels:
            self.labels[title] = {
                "id": self._id("label"),
                "title": title,
                "color": color,
                "project_id": self.project_id,
                "created_at": self.created_at,
                "updated_at": self.created_at,
                "template": False,
                "description": description,
                "type": "ProjectLabel",
                "priorities": [],
            }
        return self.labels[title]

    def add_issue(
        self,
        title: str,
        description: str,
        author: str,
        created_at: str | datetime,
        *,
        labels: Iterable[str] = (),
        issue_type: str = "incident",
        confidential: bool = False,
        assignees: Iterable[str] = (),
        iid: int | None = None,
    ) -> int:
        """An open issue; its labels are set by its author at creation. Returns the iid."""
        iid = iid if iid is not None else max(self.issues, default=0) + 1
        if iid in self.issues:
            raise ValueError(f"issue #{iid} already exists")
        issue_id = self._id("issue")
        created = stamp(created_at)
        author_id = self.user(author)
        self.issues[iid] = {
            "id": issue_id,
            "iid": iid,
            "title": title,
            "description": description,
            "author_id": author_id,
            "project_id": self.project_id,
            "created_at": created,
            "updated_at": created,
            "closed_at": None,
            "closed_by_id": None,
            "state": "opened",
            "confidential": confidential,
            "issue_type": issue_type,
            "due_date": None,
            "moved_to_id": None,
            "duplicated_to_id": None,
            "updated_by_id": None,
            "last_edited_at": None,
            "last_edited_by_id": None,
            "discussion_locked": None,
            "position": 0,
            "branch_name": None,
            "time_estimate": 0,
            "weight": None,
            "issue_assignees": [
                {"user_id": self.user(name), "issue_id": issue_id} for name in assignees
            ],
            "label_links": [],
            "notes": [],
            "award_emoji": [],
            "resource_state_events": [],
            "resource_label_events": [],
        }
        for label_title in labels:
            self.add_label(iid, label_title, author, created_at)
        return iid

    def add_label(self, iid: int, title: str, user: str, at: str | datetime) -> None:
        """Put a label on an issue, as a label link and a label event."""
        issue, label = self.issues[iid], self.label(title)
        when = stamp(at)
        issue["label_links"].append({
            "id": self._id("label_link"),
            "label_id": label["id"],
            "target_id": issue["id"],
            "target_type": "Issue",
            "created_at": when,
            "updated_at": when,
            "label": {k: v for k, v in label.items() if k != "priorities"},
        })
        issue["resource_label_events"].append({
            "id": self._id("label_event"),
            "action": "add",
            "issue_id": issue["id"],
            "merge_request_id": None,
            "label_id": label["id"],
            "user_id": self.user(user),
            "created_at": when,
            "label": {k: v for k, v in label.items() if k != "priorities"},
        })

    def add_note(
        self,
        iid: int,
        body: str,
        author: str,
        at: str | datetime,
        *,
        system: bool = False,
        action: str | None = None,
    ) -> int:
        """A comment (or, with system=True, a note GitLab writes itself). Returns its id."""
        issue = self.issues[iid]
        note_id = self._id("note")
        when = stamp(at)
        author_id = self.user(author)
        note: dict[str, Any] = {
            "id": note_id,
            "note": body,
            "noteable_type": "Issue",
            "author_id": author_id,
            "created_at": when,
            "updated_at": when,
            "project_id": self.project_id,
            "attachment": {"url": None},
            "line_code": None,
            "commit_id": None,
            "noteable_id": issue["id"],
            "system": system,
            "st_diff": None,
            "updated_by_id": None,
            "internal": False,
            "discussion_id": hashlib.sha1(f"{self.project_id}/{note_id}".encode()).hexdigest(),
            "author": {"name": self.user_names[author_id]},
            "events": [],
            "award_emoji": [],
        }
        if system:
            note["system_note_metadata"] = {
                "commit_count": None,
                "action": action or "note",
                "created_at": when,
                "updated_at": when,
            }
        issue["notes"].append(note)
        self._notes[note_id] = note
        return note_id

    def award(self, note_id: int, name: str, user: str, at: str | datetime) -> None:
        """An award emoji (thumbsup, white_check_mark...) given to a note."""
        when = stamp(at)
        self._notes[note_id]["award_emoji"].append({
            "id": self._id("award"),
            "name": name,
            "user_id": self.user(user),
            "awardable_type": "Note",
            "awardable_id": note_id,
            "created_at": when,
            "updated_at": when,
        })

    def link(self, iid: int, other: int, user: str, at: str | datetime) -> None:
        """Relate two issues: GitLab writes a system note on each side, at the same time."""
        self.add_note(iid, f"marked this issue as related to #{other}", user, at,
                      system=True, action="relate")
        self.add_note(other, f"marked this issue as related to #{iid}", user, at,
                      system=True, action="relate")

    def unlink(self, iid: int, other: int, user: str, at: str | datetime) -> None:
        """Remove the relation between two issues, again one system note on each side."""
        self.add_note(iid, f"removed the relation with #{other}", user, at,
                      system=True, action="unrelate")
        self.add_note(other, f"removed the relation with #{iid}", user, at,
                      system=True, action="unrelate")

    def close(self, iid: int, user: str, at: str | datetime) -> None:
        self._change_state(iid, "closed", user, at)

    def reopen(self, iid: int, user: str, at: str | datetime) -> None:
        self._change_state(iid, "reopened", user, at)

    def _change_state(self, iid: int, state: str, user: str, at: str | datetime) -> None:
        issue = self.issues[iid]
        when = stamp(at)
        issue["resource_state_events"].append({
            "user_id": self.user(user),
            "created_at": when,
            "state": state,
            "source_commit": None,
            "close_after_error_tracking_resolve": False,
            "close_auto_resolve_prometheus_alert": False,
        })
        closed = state == "closed"
        issue["state"] = "closed" if closed else "opened"
        issue["closed_at"] = when if closed else None
        issue["closed_by_id"] = self.user(user) if closed else None

    def edited(self, iid: int, user: str, at: str | datetime) -> None:
        """Record a description edit (GitLab's "changed the description" note)."""
        issue = self.issues[iid]
        issue["last_edited_at"] = stamp(at)
        issue["last_edited_by_id"] = self.user(user)
        self.add_note(iid, "changed the description", user, at, system=True, action="description")

    def issue_records(self) -> Iterable[dict[str, Any]]:
        """The issues as GitLab exports them, newest iid first, notes in order."""
        for iid in sorted(self.issues, reverse=True):
            issue = dict(self.issues[iid])
            issue["notes"] = sorted(issue["notes"], key=lambda n: (n["created_at"], n["id"]))
            moments = [issue["created_at"]]
            moments += [n["updated_at"] for n in issue["notes"]]
            moments += [e["created_at"] for e in issue["resource_state_events"]]
            issue["updated_at"] = max(moments)
            yield issue

    def write(self, folder: str | Path) -> Path:
        """Write the unpacked export (VERSION, tree/project.json, tree/project/*.ndjson)."""
        root = Path(folder)
        tree = root / "tree" / "project"
        tree.mkdir(parents=True, exist_ok=True)
        (root / "VERSION").write_text(EXPORT_VERSION + "\n", encoding="utf-8")
        (root / "tree" / "project.json").write_text(
            json.dumps(self.project, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
        )
        _write_ndjson(tree / "project_members.ndjson", self.members)
        _write_ndjson(tree / "labels.ndjson", self.labels.values())
        _write_ndjson(tree / "issues.ndjson", self.issue_records())
        return root


def _write_ndjson(path: Path, records: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")


# --------------------------------------------------------------------------- templates

INCIDENT_REQUEST = "Incident Request.md"  # the policy's template, "INC" wording
INCIDENT_REPORT = "Incident Report.md"  # the same, renamed, with labels and reviews
INCIDENT = "incident.md"  # the template in use from mid-2021, "incident" wording
KNOWN_INCIDENT = "known incident.md"
CHANGE_EMERGENCY = "Change Emergency.md"
POST_MORTEM = "Incident Port-Mortem.md"

REPORT_SECTIONS = (
    "What is the nature", "How the", "What is the potential impact", "What is the evidence",
)
CHANGE_SECTIONS = (
    "Summary", "Area of the system", "How does this currently work",
    "What is the desired way", "Change Procedure", "Rollback plan",
)
POST_MORTEM_SECTIONS = (
    "What is the ~INC that was handled", "What is the timeline", "What is the root cause",
    "What was the actual adverse impact", "Are there follow up recommendations",
)

_BOX = re.compile(r"^(\s*- )\[ \]( .*)$")


class Report(NamedTuple):
    """The four sections of an incident report; None leaves a section as the template has it."""

    nature: str | None
    discovered: str | None
    impact: str | None
    evidence: str | None


class Change(NamedTuple):
    """The sections of an emergency change (CHG)."""

    summary: str | None
    area: str | None
    current: str | None
    desired: str | None
    procedure: str | None
    rollback: str | None


class PostMortem(NamedTuple):
    """The sections of a post-mortem comment; None drops the section altogether."""

    handled: str | None
    timeline: str | None
    root_cause: str | None
    impact: str | None
    recommendations: str | None


@cache
def template(name: str) -> str:
    """The text of one of the Umami templates, byte for byte."""
    return (TEMPLATES / name).read_bytes().decode("utf-8")


def _heading_index(lines: list[str], start: str) -> int:
    for index, line in enumerate(lines):
        if line.startswith("#") and line.lstrip("#").strip().startswith(start):
            return index
    raise KeyError(f"no heading starting with {start!r}")


def _is_guidance(line: str) -> bool:
    """A template line that stays above the answer: an HTML comment or a task box."""
    text = line.strip()
    return (text.startswith("<!--") and "METADATA" not in text) or text.startswith("- [")


def fill(text: str, answers: Mapping[str, str | None]) -> str:
    """Write each answer under the heading that starts with its key, below the guidance."""
    lines = text.split("\n")
    for start, answer in answers.items():
        if answer is None:
            continue
        at = _heading_index(lines, start) + 1
        probe = at
        while probe < len(lines):
            if _is_guidance(lines[probe]):
                at = probe = probe + 1
            elif not lines[probe].strip():
                probe += 1
            else:
                break
        lines[at:at] = answer.strip("\n").split("\n")
    return "\n".join(lines)


def drop_section(text: str, start: str) -> str:
    """Remove a section, heading included, up to the next heading of its level or above."""
    lines = text.split("\n")
    begin = _heading_index(lines, start)
    level = len(lines[begin]) - len(lines[begin].lstrip("#"))
    end = begin + 1
    while end < len(lines):
        line = lines[end]
        if line.startswith("#") and len(line) - len(line.lstrip("#")) <= level:
            break
        end += 1
    return "\n".join(lines[:begin] + lines[end:])


def restyle_heading(text: str, start: str, new: str) -> str:
    """Replace the heading that starts with ``start`` by ``new`` (any markdown, even setext)."""
    lines = text.split("\n")
    lines[_heading_index(lines, start)] = new
    return "\n".join(lines)


def swap(text: str, old: str, new: str) -> str:
    """Replace a piece of template text that must be there."""
    if old not in text:
        raise KeyError(f"not in the text: {old!r}")
    return text.replace(old, new)


def tick(text: str, skip: Iterable[str] = (), sign: Mapping[str, str] | None = None) -> str:
    """Tick every ``- [ ]`` box, except those whose text starts with one of ``skip``.

    ``sign`` maps a box's text prefix to the @handle its reviewer added at the end.
    """
    skip, sign = tuple(skip), sign or {}
    lines = text.split("\n")
    for index, line in enumerate(lines):
        match = _BOX.match(line)
        if not match:
            continue
        item = match.group(2).strip()
        if any(item.startswith(prefix) for prefix in skip):
            continue
        handle = next((h for prefix, h in sign.items() if item.startswith(prefix)), None)
        ticked = f"{match.group(1)}[x]{match.group(2)}"
        lines[index] = f"{ticked.rstrip()} {handle}" if handle else ticked
    return "\n".join(lines)


def crlf(text: str) -> str:
    """The text as a Windows browser or client would have sent it."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def incident_report(
    name: str, report: Report, *, relate: str | None = None, change_labels: bool = False
) -> str:
    """An incident description on template ``name``.

    The incident templates carry a ``/label ~Change ...`` quick action meant to be
    commented out when the change is filed apart, as it is here unless
    ``change_labels``. ``relate`` fills the known-incident template's ``/relate``.
    """
    text = fill(template(name), dict(zip(REPORT_SECTIONS, report, strict=True)))
    if not change_labels:
        text = re.sub(r"^(/label ~Change .*?)[ \t]*$", r"<!-- \1 -->", text, flags=re.M)
    if relate is not None:
        text = swap(text, "#xyz", relate)
    return text


def change_request(
    change: Change, *, reviewed: bool = True, confidential_reason: str | None = None
) -> str:
    """An emergency change (CHG) description; ``reviewed`` ticks its boxes."""
    text = fill(template(CHANGE_EMERGENCY), dict(zip(CHANGE_SECTIONS, change, strict=True)))
    if confidential_reason:
        text = swap(
            text,
            "<!-- /confidential -->\n<!-- If confidential, explain why -->",
            f"/confidential\n<!-- If confidential, explain why -->\n{confidential_reason}",
        )
    return tick(text) if reviewed else text


def post_mortem(pm: PostMortem, *, checklist: bool = True) -> str:
    """A post-mortem comment on the IPM template; a None section is left out."""
    text = template(POST_MORTEM)
    for start, answer in zip(POST_MORTEM_SECTIONS, pm, strict=True):
        if answer is None:
            text = drop_section(text, start)
    text = fill(text, dict(zip(POST_MORTEM_SECTIONS, pm, strict=True)))
    text = tick(text) if checklist else text
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def bold_post_mortem(pm: PostMortem) -> str:
    """A post-mortem written freehand, with bold lines where the template has headings."""
    titles = (
        "Incident handled:", "Timeline:", "Root cause analysis:",
        "Actual adverse impact:", "Follow up recommendations:",
    )
    parts = ["## Incident Post-Mortem", ""]
    for title, answer in zip(titles, pm, strict=True):
        if answer is not None:
            parts += [f"**{title}**", answer.strip("\n"), ""]
    return "\n".join(parts)


# --------------------------------------------------------------------------- the example

USERS = (
    ("alice", "Alice Laurent", MAINTAINER),  # product manager
    ("bob", "Bob Girard", MAINTAINER),  # development lead, product-manager backup
    ("carol", "Carol Petit", DEVELOPER),  # development-lead backup
    ("dave", "Dave Roux", MAINTAINER),  # operations manager
    ("erin", "Erin Faure", DEVELOPER),  # operations backup
    ("frank", "Frank Blanc", DEVELOPER),  # developer
    ("grace", "Grace Henry", DEVELOPER),  # developer
    ("inc-audit-bot", "inc-audit bot", REPORTER),  # posts the audit issue
)

LABEL_COLORS = {
    "INC": ("#d9534f", "Incident (policy wording)"),
    "incident": ("#d9534f", "Incident"),
    "incident::known": ("#f0ad4e", "Recurring incident with an already validated change"),
    "not-an-incident": ("#8fbc8f", "Reviewed: not an incident"),
    "Change": ("#5843ad", "Change request"),
    "Change::Emergency": ("#5843ad", "Emergency change, reviewed by the CAB after applying"),
    "CHG": ("#5843ad", "Change (policy wording)"),
    "CAB::to-review": ("#ad4363", "To review at the next CAB meeting"),
    "Severity::2-Major": ("#ed9121", ""),
    "bug": ("#ff0000", ""),
    "inc-audit": ("#808080", "Incident policy audit"),
}

CHG_LABELS = ("Change", "Change::Emergency", "CHG", "CAB::to-review")
TEAM = ("bob", "carol", "dave", "alice", "erin")


def new_writer() -> ExportWriter:
    """A writer holding the example's project, team and labels."""
    writer = ExportWriter(description="Umami wallet: desktop and web wallet for Tezos (example)")
    for username, name, access in USERS:
        writer.add_user(username, name, access)
    for title, (color, description) in LABEL_COLORS.items():
        writer.label(title, color, description)
    return writer


def build() -> ExportWriter:
    w = new_writer()
    inc_1_and_2(w)
    inc_3_and_4(w)
    inc_5_and_6(w)
    inc_7(w)
    inc_8_and_9(w)
    inc_10(w)
    inc_11(w)
    inc_12(w)
    inc_13(w)
    inc_14_and_15(w)
    inc_16(w)
    inc_17(w)
    inc_18(w)
    chg_19(w)
    return w


def inc_1_and_2(w: ExportWriter) -> None:
    text = incident_report(INCIDENT_REQUEST, Report(
        nature="""\
The indexer behind the wallet backend is 40+ minutes behind the mainnet head.
Balances and operation history shown in Umami are stale: a transfer made at 08:05
still does not appear at 08:50. Sending still works (operations go to the node
directly) but users see their old balance after sending.""",
        discovered="""\
Monitoring alert `IndexerBehindHead` fired in #umami-incidents at 08:31, then two
support tickets at 08:40 ("my tez disappeared after sending").""",
        impact="""\
All users see wrong balances and a missing history. Risk of users re-sending a
transfer they think failed (double spend from their point of view).""",
        evidence="""\
```
# indexer status on idx-1, 08:48 UTC
$ curl -s localhost:8080/v1/head | jq .level
5012840
$ curl -s https://mainnet.rpc.example.net/chains/main/blocks/head/header | jq .level
5013061
```
Grafana: indexer lag panel climbing since 07:55, DB disk IO at 100%.""",
    ))
    text = tick(text, skip=("it will/may lead to users being unable to access",
                            "it will/may lead to downtime of the system"))
    text = swap(text, "<!-- /label ~Severity::2-Major -->", "/label ~Severity::2-Major")
    w.add_issue("Indexer lagging 40 minutes behind mainnet head", text, "frank",
                "2026-01-08 08:52", labels=("INC", "Severity::2-Major"),
                assignees=("bob", "dave"))
    w.add_note(1, "Autovacuum on `operations` is hammering the disk, it shares the volume "
                  "with the node. Looking at moving the DB.", "dave", "2026-01-08 09:10")

    change = change_request(Change(
        summary="""\
Indexer lag (#1): the indexer database shares its disk with the mainnet node, and
autovacuum on the `operations` table saturates the IO. The indexer falls behind
and the wallet shows stale balances.""",
        area="Backend: indexer database (PostgreSQL 15 on idx-1), storage.",
        current="Indexer DB and Tezos node data on the same 2 TB volume; "
                "default autovacuum settings.",
        desired="""\
Indexer DB on its own SSD volume; autovacuum throttled on `operations`
(`autovacuum_vacuum_cost_limit = 400`). Success: lag under 2 blocks for 24 h,
checked on the Grafana lag panel.""",
        procedure="""\
1. Attach the new 1 TB SSD volume to idx-1, mount on `/srv/pg`.
2. Stop the indexer, `pg_basebackup` to the new volume, switch `data_directory`.
3. Apply the autovacuum settings, restart PostgreSQL and the indexer.
4. Watch the lag panel until the indexer catches up.""",
        rollback="""\
Point `data_directory` back to the old volume (left untouched until the change is
validated), restart PostgreSQL and the indexer. About 10 minutes.""",
    ))
    w.add_issue("CHG: move the indexer database to a dedicated volume", change, "bob",
                "2026-01-08 10:02", labels=CHG_LABELS, issue_type="issue", assignees=TEAM)
    w.link(1, 2, "bob", "2026-01-08 10:05")
    w.add_note(2, "mentioned in merge request umami-wallet/umami-backend!212", "bob",
               "2026-01-08 11:30", system=True, action="cross_reference")
    w.add_note(2, "Done at 13:10, lag back to 0 at 14:02. Keeping the old volume until Monday.",
               "dave", "2026-01-08 14:05")
    w.close(2, "bob", "2026-01-12 15:00")
    w.close(1, "dave", "2026-01-12 16:30")

    pm = w.add_note(1, post_mortem(PostMortem(
        handled="#1: indexer 40 minutes behind the mainnet head, stale balances in the wallet.\n"
                "Handled with the emergency change #2.",
        timeline="""\
- 2026-01-08 07:55 lag starts growing
- 08:31 `IndexerBehindHead` alert, 08:40 first support tickets
- 08:52 incident filed, 10:05 change #2 filed and linked
- 13:10 DB moved to its own volume, 14:02 lag back to 0
- 2026-01-12 old volume released, incident closed""",
        root_cause="""\
The node's storage grew past the point where the shared volume could absorb both
the node and the indexer's autovacuum. Nothing alerted on disk IO, only on lag.""",
        impact="""\
About 6 hours of stale balances and history for every user. 23 support tickets,
2 users sent a transfer twice (both reimbursed by the recipients).""",
        recommendations="""\
- Alert on disk IO saturation on idx-1 (owner: dave)
- Show "last updated at block N" in the wallet when the backend lags (owner: bob)""",
    )), "bob", "2026-01-14 11:00")
    w.award(pm, "thumbsup", "alice", "2026-01-15 09:30")


def inc_3_and_4(w: ExportWriter) -> None:
    text = incident_report(INCIDENT, Report(
        nature="""\
The public RPC endpoint used by the wallet (`mainnet.rpc.umami.example`) returns
`502 Bad Gateway` for about one request in three. The wallet cannot estimate fees
or inject operations; balances fail to load intermittently.""",
        discovered="""\
Slack: `BlackboxProbeFailed` on `rpc-mainnet` at 13:41, in #umami-alerts.
The alert only fires after 5 minutes of failure, it should fire sooner.""",
        impact="Users cannot send tez or tokens, or delegate, while the RPC is failing.",
        evidence="""\
```
$ for i in $(seq 10); do curl -s -o /dev/null -w '%{http_code}\\n' \\
    https://mainnet.rpc.umami.example/chains/main/blocks/head/header; done | sort | uniq -c
      7 200
      3 502
```
nginx error log on rpc-lb-1:

    upstream timed out (110: Connection timed out) while reading response header from upstream""",
    ))
    text = restyle_heading(text, "What is the nature", "### What is the nature of the ~incident?")
    text = tick(text, sign={"Incident Review from Development": "@carol",
                            "Incident Review from Operations": "@dave",
                            "Incident Review from Business": "@alice"})
    w.add_issue("Mainnet RPC returns 502 Bad Gateway", text, "grace", "2026-01-27 14:03",
                labels=("incident",), assignees=TEAM)
    w.add_note(3, "node-a is stuck at a block with a full mempool; failing over to node-b.",
               "dave", "2026-01-27 14:30")

    change = change_request(Change(
        summary="Fail the public RPC over to node-b and stop sending traffic to node-a (#3).",
        area="Infrastructure: rpc-lb-1 (nginx), Tezos nodes node-a and node-b.",
        current="nginx balances mainnet RPC between node-a and node-b with a 10 s upstream timeout "
                "and no health check.",
        desired="""\
Only node-b serves until node-a is rebuilt; `proxy_next_upstream` on errors and
timeouts so a stuck node is skipped. Success: 0 errors in 1000 probe requests.""",
        procedure="""\
1. Mark node-a `down` in `upstream tezos_rpc`, add `proxy_next_upstream error timeout http_502`.
2. `nginx -t && systemctl reload nginx`.
3. Run the probe script for 1000 requests.
4. Rebuild node-a from a rolling snapshot, then put it back.""",
        rollback="Restore `/etc/nginx/conf.d/rpc.conf` from the backup taken in step 1 and reload.",
    ))
    w.add_issue("CHG: fail RPC over to node-b and rebuild node-a", change, "dave",
                "2026-01-27 15:18", labels=CHG_LABELS, issue_type="issue", assignees=TEAM)
    w.link(3, 4, "dave", "2026-01-27 15:20")
    w.close(4, "dave", "2026-02-02 17:45")
    w.close(3, "dave", "2026-02-03 10:00")

    complete = PostMortem(
        handled="~incident #3, public RPC answering 502 on a third of the requests. Change #4.",
        timeline="""\
1. 2026-01-27 13:36 node-a stops following the head
2. 13:41 probe alert, 14:03 incident filed
3. 14:52 failover to node-b done (change #4), errors stop
4. 2026-02-02 node-a rebuilt from snapshot and back in the pool""",
        root_cause="""\
node-a ran out of memory while validating a block with a very large mempool and
was left half alive: it accepted connections but never answered. nginx had no
health check and kept sending it a third of the traffic.""",
        impact="""\
1 h 11 min of degraded service: about 30% of wallet requests failed, 41 operations
could not be injected (users retried), no funds at risk.""",
        recommendations="""\
- Active health checks on the RPC upstreams
- Alert after 1 minute of probe failure instead of 5
- Memory limit and restart policy on the nodes""",
    )
    draft = complete._replace(
        impact=None, recommendations="- Health checks on the RPC upstreams (draft, to discuss)"
    )
    w.add_note(3, post_mortem(draft), "carol", "2026-02-05 17:40")
    w.add_note(3, "I'll complete the impact part with the numbers from dave before Thursday.",
               "carol", "2026-02-05 17:42")
    w.add_note(3, post_mortem(complete), "carol", "2026-02-09 12:00")
    w.add_note(3, "Approved at the IPM meeting of 2026-02-12.", "alice", "2026-02-12 15:10")


def inc_5_and_6(w: ExportWriter) -> None:
    text = incident_report(INCIDENT_REPORT, Report(
        nature="""\
Signing with a Ledger fails for every operation (transfer, delegation, token
transfer) in desktop 1.9.2 with `Transport error: 0x6e01`. Software accounts are
not affected.""",
        discovered="TBD",
        impact="Ledger users (about 35% of active accounts) cannot send or delegate at all.",
        evidence=None,
    ))
    text = tick(text, skip=("it will/may lead to users being unable to view",
                            "it will/may lead to downtime of the system"))
    w.add_issue("Ledger signing fails with Transport error on all operations", text, "frank",
                "2026-02-04 10:20", labels=("INC", "incident"), assignees=("bob", "carol"))
    w.edited(5, "frank", "2026-02-04 10:41")

    change = change_request(Change(
        summary="Ledger signing broken in desktop 1.9.2 (#5): roll the transport library back.",
        area="Desktop app: Ledger transport (`@ledgerhq/hw-transport-node-hid`), release pipeline.",
        current="1.9.2 ships hw-transport 6.28 pulled by a caret range in package.json.",
        desired="""\
Pin hw-transport to 6.27.1 and ship 1.9.3. Success: a transfer and a delegation
signed on a Nano S Plus and a Nano X on macOS, Windows and Linux.""",
        procedure="""\
1. Pin `@ledgerhq/hw-transport-node-hid` to `6.27.1`, regenerate the lockfile.
2. Build 1.9.3 release candidates, run the Ledger smoke tests on the 3 OSes.
3. Publish 1.9.3 and push the auto-update.""",
        rollback=None,
    ))
    w.add_issue("CHG: pin the Ledger transport library and ship desktop 1.9.3", change, "carol",
                "2026-02-04 11:58", labels=CHG_LABELS, issue_type="issue", assignees=TEAM)
    w.link(5, 6, "bob", "2026-02-04 12:00")
    w.close(5, "frank", "2026-02-18 16:00")
    w.reopen(5, "dave", "2026-02-19 08:20")
    w.add_note(5, "Reopening: two users on Windows still get 0x6e01 after updating to 1.9.3.",
               "dave", "2026-02-19 08:21")
    w.add_note(5, "Those two had an old Ledger Live bridge running, not our bug. Closing again.",
               "carol", "2026-02-20 11:05")
    w.close(6, "carol", "2026-02-20 11:00")
    w.close(5, "dave", "2026-02-20 11:10")

    pm = w.add_note(5, post_mortem(PostMortem(
        handled="#5: Ledger signing broken in desktop 1.9.2. Handled with change #6 (1.9.3).",
        timeline="""\
- 02-03 17:00 desktop 1.9.2 released
- 02-04 09:45 first user report in the support chat, 10:20 incident filed
- 02-04 12:00 change #6 filed, 1.9.3 published at 18:30
- 02-19 reopened for two Windows users, 02-20 closed (unrelated bridge)""",
        root_cause="""\
A caret range let hw-transport 6.28 into the 1.9.2 build; 6.28 changed the APDU
framing for apps older than Tezos app 3.0. The release checklist has no Ledger test.""",
        impact="""\
Ledger users could not sign for 26 hours (02-03 17:00 to 02-04 19:00 for most
auto-updated clients). No funds lost; 57 support requests.""",
        recommendations="""\
- Pin every hardware-wallet dependency exactly
- Add a Ledger signing step to the release checklist (owner: carol)""",
    )), "dave", "2026-02-23 10:00")
    w.award(pm, "white_check_mark", "alice", "2026-02-24 16:20")


def inc_7(w: ExportWriter) -> None:
    text = incident_report(INCIDENT, Report(
        nature="""\
Balances of some FA2 tokens are shown 10^6 times too large (e.g. 1.5 kUSD shown as
1,500,000 kUSD) in the accounts list and the send form. The amount actually sent
is right; only the display is wrong.""",
        discovered="User notification: a user posted a screenshot on the community Discord.",
        impact="""\
Users may believe they hold far more than they do and try to send it; the send
form lets them type the wrong amount and the operation then fails (balance too low).""",
        evidence="![tokens list](/uploads/5b1e0c2f9a/tokens-list.png)\n\n"
                 "Token metadata for KT1...kUSD has `decimals: \"18\"` as a string.",
    ))
    for number, start in enumerate(REPORT_SECTIONS, 1):
        heading = next(line for line in text.split("\n")
                       if line.startswith("### ") and line[4:].startswith(start))
        text = restyle_heading(text, start, f"### {number}. {heading[4:]}")
    text = tick(text)
    w.add_issue("FA2 token balances displayed 10^6 times too large", text, "grace",
                "2026-02-06 09:00", labels=("incident",), assignees=("bob", "carol"))
    w.add_note(7, "Fix is small (parse decimals as int), it will go with Monday's release, "
                  "no emergency change needed.", "bob", "2026-02-06 11:15")
    w.close(7, "grace", "2026-03-02 09:30")
    pm = w.add_note(7, post_mortem(PostMortem(
        handled="#7: wrong display of FA2 token balances.",
        timeline="02-06 reported and filed, 02-09 fix released in 1.9.4, 03-02 closed.",
        root_cause="Token metadata with `decimals` as a JSON string was concatenated instead "
                   "of parsed: `\"1\" + \"8\"`.",
        impact=None,
        recommendations="Validate token metadata with a schema when it is fetched.",
    )), "frank", "2026-03-04 14:00")
    w.award(pm, "thumbsup", "frank", "2026-03-04 14:01")


def inc_8_and_9(w: ExportWriter) -> None:
    text = incident_report(INCIDENT, Report(
        nature="""\
The operation history of accounts with more than 1000 operations stops at a
random point in 2025: older operations are missing from the wallet and from the
CSV export.""",
        discovered="Manual check by the support team after a baker asked for a CSV export "
                   "for his taxes.",
        impact="Bakers and heavy users get an incomplete history and wrong CSV exports "
               "(tax reports).",
        evidence="""\
```sql
-- on idx-1
SELECT count(*) FROM operations WHERE source = 'tz1burnburnburnburnburnburnburjAYjjX';  -- 1004
-- the node's context lists 2213 operations for the same account
```""",
    ))
    text = restyle_heading(text, "How the", "How the incident was discovered?\n"
                                           "--------------------------------")
    text = tick(text)
    w.add_issue("Transaction history missing for accounts with more than 1000 operations", text,
                "frank", "2026-02-07 11:30", labels=("incident",), assignees=TEAM)
    change = change_request(Change(
        summary="Operations are missing from the indexer (#8): reindex from scratch on a "
                "new instance.",
        area="Backend: indexer (idx-2, new), API routing.",
        current="idx-1 was bootstrapped from a snapshot taken during the 2025 pagination bug.",
        desired="A fresh indexer, synced from genesis, serves the API; counts match the node for "
                "a sample of 500 accounts.",
        procedure="""\
1. Provision idx-2, sync from genesis (expect several weeks).
2. Compare operation counts for 500 sampled accounts.
3. Switch the API's `INDEXER_URL` to idx-2; keep idx-1 running one week.""",
        rollback="Switch `INDEXER_URL` back to idx-1 and redeploy the API (5 minutes).",
    ))
    w.add_issue("CHG: full reindex on a new indexer instance", change, "bob", "2026-02-07 13:55",
                labels=CHG_LABELS, issue_type="issue", assignees=TEAM)
    w.link(8, 9, "bob", "2026-02-07 14:00")
    w.add_note(8, "idx-2 sync at 62%, ETA end of April.", "dave", "2026-03-16 10:00")
    w.add_note(9, "API switched to idx-2, counts match on all 500 sampled accounts.", "dave",
               "2026-05-27 17:40")
    w.close(9, "dave", "2026-05-27 18:00")
    w.close(8, "dave", "2026-05-28 10:00")


def inc_10(w: ExportWriter) -> None:
    text = incident_report(INCIDENT, Report(
        nature="""\
After the backend deploy of 2.14.0, `GET /accounts/{address}` answers 500 for
every account: the web wallet shows an empty account list.""",
        discovered="Deploy pipeline smoke test was green (it only checks `/health`); "
                   "dave noticed the empty wallet right after the deploy.",
        impact="Web wallet unusable for everyone; desktop unaffected (older API path).",
        evidence="""\
```
2026-02-09T16:31:02Z ERROR api.accounts: column "delegate_since" does not exist
2026-02-09T16:31:02Z ERROR api.http: 500 GET /accounts/tz1... (12ms)
```""",
    ))
    text = restyle_heading(text, "What is the nature",
                           "### 🔥 What is the nature of the incident?")
    text = tick(text)
    w.add_issue("Backend deploy 2.14.0 broke the /accounts API", text, "grace",
                "2026-02-09 16:40", labels=("incident",), assignees=("dave", "bob"))
    w.link(10, 9, "carol", "2026-02-09 17:05")
    w.unlink(10, 9, "carol", "2026-02-09 17:20")
    w.add_note(10, "Linked the reindex change by mistake, removed. dave rolled back to 2.13.2 "
                   "by hand at 16:55, the migration was missing from the release.",
               "carol", "2026-02-09 17:22")
    w.close(10, "dave", "2026-02-10 09:15")


def inc_11(w: ExportWriter) -> None:
    text = incident_report(INCIDENT_REQUEST, Report(
        nature="The fiat value of XTZ shows 0.00 EUR / 0.00 USD everywhere in the wallet; "
               "token fiat values too.",
        discovered="Support ticket from a user, confirmed on the web and desktop apps.",
        impact="Users cannot see the value of their holdings. Sending is not affected.",
        evidence="Price API answers `429 Too Many Requests` since 06:00:\n\n"
                 "```\nGET https://prices.example.com/v2/tickers?ids=tezos -> 429\n```",
    ))
    text = tick(text, skip=("2.", "it will/may lead to users being unable to access",
                            "it will/may lead to downtime"))
    w.add_issue("INC: fiat value of XTZ shows 0.00", text, "frank", "2026-02-16 09:05",
                labels=("INC",), issue_type="issue")


def inc_12(w: ExportWriter) -> None:
    text = incident_report(INCIDENT_REQUEST, Report(
        nature="WalletConnect pairing with dApps fails: the QR code is scanned, then the "
               "wallet shows \"Pairing expired\" after a few seconds.",
        discovered="Reported by two dApp teams in the partners channel.",
        impact="Users cannot connect the wallet to dApps (DEXes, NFT marketplaces) "
               "through WalletConnect; Beacon still works.",
        evidence="```\n[wc] relay error: 4001 project id not allowed for origin\n```",
    ))
    text = tick(text, skip=("it will/may lead to users being unable to view",
                            "it will/may lead to downtime of the system"))
    w.add_issue("WalletConnect pairing fails with dApps", text, "grace", "2026-02-25 15:12",
                labels=("bug",), assignees=("carol",))


def inc_13(w: ExportWriter) -> None:
    text = incident_report(KNOWN_INCIDENT, Report(
        nature="Indexer lagging behind the mainnet head again (15 minutes at 08:10), same "
               "symptoms as #1: stale balances and history.",
        discovered="`IndexerBehindHead` alert at 07:58; the disk IO alert added after #1 "
                   "fired first.",
        impact="Stale balances while the lag lasts; sending still works.",
        evidence="Grafana: lag panel at 15 min, DB volume IO at 98%. Same pattern as #1.",
    ), relate="#1")
    w.add_issue("Indexer lag behind mainnet head (recurrence of #1)", text, "dave",
                "2026-03-09 08:20", labels=("incident", "incident::known"), assignees=TEAM)
    w.link(13, 1, "dave", "2026-03-09 08:20")
    w.add_note(13, "Applied the procedure of #2 (throttled autovacuum), lag at 0 by 09:05. "
                   "Keeping this open until the bigger volume is in.", "dave", "2026-03-09 09:10")
    w.close(13, "dave", "2026-04-15 12:00")
    pm = w.add_note(13, post_mortem(PostMortem(
        handled="#13, recurrence of #1 (indexer lag), handled with the validated change #2.",
        timeline="03-09 07:58 alert, 08:20 filed, 09:05 lag back to 0; 04-14 volume upgraded.",
        root_cause="Same as #1: autovacuum on `operations` saturating the DB volume after "
                   "the table doubled in size.",
        impact="45 minutes of stale balances, 4 support tickets.",
        recommendations="Move `operations` to a partitioned table (feature request filed).",
    )), "bob", "2026-04-16 10:30")
    w.award(pm, "thumbsup", "alice", "2026-04-17 09:00")


def inc_14_and_15(w: ExportWriter) -> None:
    text = incident_report(INCIDENT, Report(
        nature="The backend API answers 500 on every write (session, settings, contacts "
               "sync): the data volume of api-1 is full.",
        discovered="`DiskSpaceLow` alert did not fire (threshold at 2%); found by erin on the "
                   "5xx rate panel.",
        impact="Contacts and settings sync fail; the web wallet cannot log in new sessions.",
        evidence="""\
```
# df -h on api-1
Filesystem      Size  Used Avail Use% Mounted on
/dev/sdb1       200G  200G     0 100% /srv
# biggest directories
181G    /srv/nginx/logs
```""",
    ))
    text = tick(text, skip=("Incident Review from Business",))
    w.add_issue("API returns HTTP 500: backend volume out of disk", crlf(text), "frank",
                "2026-03-10 07:45", labels=("incident",), assignees=TEAM)
    change = change_request(Change(
        summary="api-1 data volume full (#14): nginx logs were never rotated.",
        area="Infrastructure: api-1 storage, nginx logging.",
        current="200 GB volume, nginx access logs kept forever, no logrotate rule.",
        desired="500 GB volume, logrotate daily with 14 days kept, alert at 15% free.",
        procedure="""\
1. Compress and move logs older than 7 days to the archive bucket.
2. Grow the volume to 500 GB online (`resize2fs`).
3. Install the logrotate rule, set the alert threshold.""",
        rollback="Nothing to roll back for the resize; the logrotate rule can be removed "
                 "and archived logs copied back from the bucket.",
    ))
    w.add_issue("CHG: grow the api-1 volume and rotate nginx logs", change, "dave",
                "2026-03-10 08:30", labels=CHG_LABELS, issue_type="issue", assignees=TEAM)
    w.link(14, 15, "dave", "2026-03-10 08:32")
    w.close(15, "dave", "2026-04-18 10:00")
    w.close(14, "dave", "2026-04-20 09:00")
    pm = w.add_note(14, post_mortem(PostMortem(
        handled="#14: API write errors, api-1 disk full. Change #15.",
        timeline="03-10 06:50 disk full, 07:30 noticed, 08:45 space freed, 03-11 volume grown.",
        root_cause="nginx access logs never rotated since the server was set up; the disk "
                   "alert threshold was too low to give any warning.",
        impact="2 hours of failed writes: settings and contacts changes lost for ~300 sessions.",
        recommendations="Audit logrotate on every host; disk alerts at 15% free everywhere.",
    )), "dave", "2026-04-22 15:00")
    w.award(pm, "thumbsup", "bob", "2026-04-23 10:00")


def inc_16(w: ExportWriter) -> None:
    text = incident_report(INCIDENT, Report(
        nature="Alert says the mainnet node is unreachable, checking.",
        discovered="`NodeDown` alert in #umami-alerts.",
        impact=None,
        evidence=None,
    ))
    w.add_issue("Alert: mainnet node unreachable", text, "grace", "2026-03-12 22:10",
                labels=("incident",))
    w.add_note(16, "False alarm: the staging node was added to the mainnet scrape job. "
                   "Not an incident.", "dave", "2026-03-12 22:40")
    w.add_label(16, "not-an-incident", "dave", "2026-03-12 22:41")
    w.close(16, "dave", "2026-03-12 22:41")


def inc_17(w: ExportWriter) -> None:
    text = incident_report(INCIDENT, Report(
        nature="""\
Desktop 1.9.5 writes the recovery phrase in clear text to `umami-debug.log` when a
user restores an account with debug logging enabled (Settings > Advanced).""",
        discovered="Found by frank while reading a log file a user attached to a support ticket.",
        impact="""\
Anyone who gets the log file (support tickets, shared screens, backups) can take the
user's funds. Users sent us such logs in at least 3 tickets.""",
        evidence="Log line (phrase redacted here): "
                 "`restore: mnemonic=[REDACTED 24 words] derivation=m/44'/1729'/0'/0'`",
    ))
    text = restyle_heading(text, "How the", "### How the incident was discovered? ###")
    text = tick(text)
    w.add_issue("Seed phrase exposure in debug logs", text, "frank", "2026-03-16 18:20",
                labels=("incident",), confidential=True, assignees=TEAM)
    w.add_note(17, "Support tickets with logs purged; the 3 users asked to move their funds "
                   "to a new account.", "alice", "2026-03-18 11:00")
    w.close(17, "carol", "2026-03-20 10:00")
    pm = w.add_note(17, bold_post_mortem(PostMortem(
        handled="#17, recovery phrase written to the debug log. Change #19 (desktop 1.9.6).",
        timeline="03-16 18:00 found in a ticket, 18:20 filed, 03-17 1.9.6 released and "
                 "tickets purged, 03-18 users contacted, 03-20 closed.",
        root_cause="The restore flow logged its whole input object at debug level; the "
                   "logger has no redaction of secret fields.",
        impact="3 recovery phrases exposed to the support team; the users moved their funds, "
               "nothing was stolen.",
        recommendations="Redaction in the logger for any field named like a secret; a test "
                        "that fails if a mnemonic reaches a log.",
    )), "carol", "2026-03-23 14:00")
    w.award(pm, "thumbsup", "alice", "2026-03-26 09:15")


def inc_18(w: ExportWriter) -> None:
    text = incident_report(INCIDENT, Report(
        nature="NFT thumbnails no longer load in the gallery: every card shows the broken "
               "image icon. Token lists and balances are fine.",
        discovered="_No response_",
        impact="N/A",
        evidence="...",
    ))
    w.add_issue("NFT thumbnails not loading in the gallery", text, "grace", "2026-05-30 11:02",
                labels=("incident",), assignees=("carol", "dave"))
    w.edited(18, "grace", "2026-05-30 11:20")


def chg_19(w: ExportWriter) -> None:
    change = change_request(Change(
        summary="Recovery phrase in debug logs (#17): stop logging it and delete the logs "
                "that have it.",
        area="Desktop app: restore flow, logger; support tooling.",
        current="The restore flow logs its input at debug level, phrase included.",
        desired="No secret ever reaches a log; existing `umami-debug.log` files are deleted at "
                "the first start of 1.9.6. Success: restore with debug on, grep the log for any "
                "of the 24 words: nothing.",
        procedure="""\
1. Remove the debug log call, add a redaction filter on `mnemonic`, `password`, `sk`.
2. Delete existing debug logs on first start of 1.9.6.
3. Release 1.9.6 as a forced update.""",
        rollback="Re-publish 1.9.5 as latest; the log deletion cannot be undone and does not "
                 "need to be.",
    ), confidential_reason="Details of a secret leak, public only after the forced update.")
    w.add_issue("CHG: stop logging the recovery phrase (desktop 1.9.6)", change, "bob",
                "2026-03-17 09:00", labels=CHG_LABELS, issue_type="issue", confidential=True,
                assignees=TEAM)
    w.link(17, 19, "bob", "2026-03-17 09:02")
    w.close(19, "bob", "2026-03-17 19:30")


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "umami-export"
    print(build().write(target))
