"""One comment of the audit's bot user on each incident with open findings (``notify.incident_comment``).

The comment says what is missing, who must act and by when, and links the audit issue. It
is the bot's own: written by the bot user (the token's, ``GET /user``) and carrying
``BOT_MARKER``; a comment someone else wrote is never edited and never taken for it, however
it looks. The same comment is edited as the findings change, never a second one, and says
so when everything is resolved. A hidden fingerprint of the findings rides in it: when they
did not change, the incident is not touched (no edit, no notification). The rules never
read the bot's comment as a post-mortem or an approval (``Config.is_bot_comment``).

Mentions follow the audit issue's (``audit_issue.mention``, ``tracking.mentioned``): only
configured members, only for findings new since the last audit. Text from the incident's
findings goes through ``neutral``: no quick action, no cross-reference, no markup; nothing
from other incidents is written.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from inc_audit.config.file import BOT_MARKER, Config
from inc_audit.errors import IncAuditError
from inc_audit.findings import Finding, IncidentResult
from inc_audit.formats import state as state_module
from inc_audit.formats import view
from inc_audit.formats.neutral import neutral, safe_link
from inc_audit.model import Issue, IssueKey
from inc_audit.publishing.tracking import mentioned
from inc_audit.sources.http.session import encode_id, send, token_user

_FINGERPRINT = re.compile(r"<!-- inc-audit:findings ([0-9a-f]{16}) -->")
RESOLVED = "**Incident policy audit:** every finding on this incident is resolved. :white_check_mark:"


@dataclass(frozen=True)
class Existing:
    """The bot's comment on an incident, as the audit read it."""

    note_id: int
    fingerprint: str | None


@dataclass(frozen=True)
class Write:
    key: IssueKey
    note_id: int | None  # None: a new comment
    body: str

    def describe(self) -> str:
        what = "comment on" if self.note_id is None else f"edit comment {self.note_id} on"
        return f"{what} {self.key}"


def bot_user(gl: Any) -> str:
    """The token's user name: the bot user whose comments the rules leave aside."""
    user = token_user(gl)
    name = user.get("username") if isinstance(user, dict) else None
    if not isinstance(name, str) or not name:
        raise IncAuditError("GitLab did not say who the token's user is (GET /user)",
                            "set notify.bot_user, or check --gitlab-url")
    return name


def existing(issue: Issue, config: Config) -> Existing | None:
    """The bot's comment on ``issue`` (the oldest, should there be several), or None."""
    mine = sorted((n for n in issue.notes if not n.system and config.is_bot_comment(n.body, n.author)),
                  key=lambda n: (n.created_at, n.id))
    if not mine:
        return None
    found = _FINGERPRINT.search(mine[0].body)
    return Existing(mine[0].id, found.group(1) if found else None)


def fingerprint(incident: IncidentResult) -> str:
    """What the comment says, as a short hash: the findings' identities, owners and due dates."""
    parts = sorted(
        "\x1f".join((state_module.identity(incident, f), f.message, ",".join(f.owners), str(f.due or "")))
        for f in incident.findings
    )
    return hashlib.sha256("\x1e".join(parts).encode()).hexdigest()[:16]


def body(incident: IncidentResult, new: list[Finding], config: Config, audit_url: str) -> str:
    """The comment: the findings, who must act and by when, the link to the audit issue."""
    head = [BOT_MARKER, f"<!-- inc-audit:findings {fingerprint(incident)} -->"]
    if not incident.findings:
        return "\n".join([*head, RESOLVED]) + "\n"
    lines = [
        *head,
        f"**Incident policy audit:** {len(incident.findings)} finding(s) open on this incident.",
        "",
        "| Rule | What is missing | Who must act | Due |",
        "|---|---|---|---|",
    ]
    for finding in view.sorted_findings(incident):
        due = finding.due.isoformat() if finding.due else ""
        lines.append(f"| {finding.rule} {finding.severity} | {neutral(finding.message)} | "
                     f"{neutral(view.owners_text(finding))} | {due} |")
    people = mentioned(tuple((incident, f) for f in new), config) if config.audit_mention else {}
    if people:
        named = ", ".join(f"@{name} ({', '.join(codes)})" for name, codes in people.items())
        lines += ["", f"New since the last audit, for {named}."]
    link = safe_link(audit_url)
    lines += ["", f"Every finding and its due date: [the audit issue]({link})." if link else
              "Every finding and its due date: the audit issue."]
    lines.append("This comment is edited as the findings change; it is not a post-mortem or an approval.")
    return "\n".join(lines) + "\n"


def plan(
    incidents: tuple[IncidentResult, ...],
    comments: dict[IssueKey, Existing],
    new: tuple[tuple[IncidentResult, Finding], ...],
    config: Config,
    audit_url: str,
) -> list[Write]:
    """The writes: a comment for an incident with findings and none yet; an edit where the
    findings changed (or all are resolved); nothing where they did not."""
    fresh: dict[IssueKey, list[Finding]] = {}
    for incident, finding in new:
        fresh.setdefault(incident.key, []).append(finding)
    writes = []
    for incident in incidents:
        if incident.location:
            continue  # the configuration (waivers), not an incident
        found = comments.get(incident.key)
        if found is None and not incident.findings:
            continue
        if found is not None and found.fingerprint == fingerprint(incident):
            continue
        text = body(incident, fresh.get(incident.key, []), config, audit_url)
        writes.append(Write(incident.key, found.note_id if found else None, text))
    return writes


def apply(gl: Any, writes: list[Write]) -> list[str]:
    """Carry out the writes; each failure is a warning line returned, never raised."""
    warnings = []
    for write in writes:
        base = f"/projects/{encode_id(write.key.project)}/issues/{write.key.iid}/notes"
        try:
            if write.note_id is None:
                send(gl, "post", base, f"commenting on incident {write.key}", {"body": write.body})
            else:
                send(gl, "put", f"{base}/{write.note_id}", f"editing the comment on {write.key}", {"body": write.body})
        except IncAuditError as error:
            warnings.append(f"could not {write.describe()}: {error.message}")
    return warnings
