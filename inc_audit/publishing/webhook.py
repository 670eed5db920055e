"""The chat digest (``notify.webhook``): a Slack or Mattermost incoming webhook.

The digest says what changed since the last audit: new violations, deadlines falling due
within ``notify.deadline_days``, what is overdue, how many findings were resolved, and
links the audit issue. Nothing is sent when the findings did not change. A confidential
incident appears by its reference only, unless ``notify.titles`` allows its title.

The webhook's URL is a secret: the configuration names the CI/CD variable that holds it,
never the URL, and no message ever prints it. Sending is best effort: a failure is
retried within the retry budget, then becomes one warning; it never fails or blocks the
audit or the publication.

Payloads, as each service documents its incoming webhooks:
Slack: ``text`` (the notification's fallback) and ``blocks`` (at most 50; ``section``
blocks of ``mrkdwn`` text of at most 3000 characters, ``header`` of ``plain_text``);
Mattermost: ``text`` (Markdown) and ``attachments``, each with its required ``fallback``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import requests

from inc_audit.config.file import Config
from inc_audit.findings import AuditResult, Finding, IncidentResult

SECTION_LIMIT = 3000
MAX_LINES = 15  # per part of the digest; the audit issue has the rest
RETRYABLE = {408, 425, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class Digest:
    title: str
    parts: tuple[tuple[str, tuple[str, ...]], ...]  # (heading, lines)
    link: str
    agenda: str = ""  # the next IPM meeting's issue, when inc-audit prepared one

    def plain(self) -> str:
        counts = ", ".join(f"{heading.lower()}: {len(lines)}" for heading, lines in self.parts)
        return f"{self.title} ({counts})"


def digest(result: AuditResult, new: tuple[tuple[IncidentResult, Finding], ...], resolved: int,
           config: Config, audit_url: str) -> Digest | None:
    """What to tell the chat; None when nothing changed since the last audit."""
    if not new and not resolved:
        return None
    today = result.today
    soon = today + timedelta(days=config.notify.deadline_days)
    due_soon, overdue = [], []
    for incident in result.incidents:
        if incident.location:
            continue
        for finding in incident.findings:
            if finding.due is None:
                continue
            if finding.due < today:
                overdue.append((incident, finding))
            elif finding.due <= soon:
                due_soon.append((incident, finding))
    parts = [
        ("New violations", _lines(new, result, config)),
        (f"Due within {config.notify.deadline_days} day(s)", _lines(due_soon, result, config)),
        ("Overdue", _lines(overdue, result, config)),
    ]
    if resolved:
        parts.append(("Resolved since the last audit", (f"{resolved} finding(s)",)))
    summary = result.summary()
    title = (f"Incident policy audit: {summary['violations']} open violation(s) in "
             f"{summary['incidents_with_violations']} incident(s)")
    return Digest(title, tuple((h, lines) for h, lines in parts if lines), audit_url)


def _lines(pairs: list[tuple[IncidentResult, Finding]] | tuple[tuple[IncidentResult, Finding], ...],
           result: AuditResult, config: Config) -> tuple[str, ...]:
    ordered = sorted(pairs, key=lambda p: (p[1].due or date.max, p[0].key.project, p[0].key.iid, p[1].rule))
    lines = []
    for incident, finding in ordered[:MAX_LINES]:
        name = str(incident.key)
        if incident.title and (not incident.confidential or config.notify.titles):
            name += f" {incident.title}"
        who = ", ".join(finding.owners) or "no one configured"
        due = f", due {finding.due.isoformat()}" if finding.due else ""
        lines.append(f"{name}: {finding.rule} ({who}{due})")
    if len(ordered) > MAX_LINES:
        lines.append(f"and {len(ordered) - MAX_LINES} more in the audit issue")
    return tuple(lines)


def _escape(text: str) -> str:
    """Slack and Mattermost read ``&``, ``<`` and ``>`` as markup (``<!channel>`` pings everyone)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("@", "@\u200b")


def slack(found: Digest) -> dict[str, Any]:
    blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": found.title[:150]}}]
    for heading, lines in found.parts:
        text = f"*{_escape(heading)}*\n" + "\n".join(f"• {_escape(line)}" for line in lines)
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:SECTION_LIMIT]}})
    links = [f"<{url}|{name}>" for url, name in ((found.link, "The audit issue"), (found.agenda, "The IPM agenda"))
             if url]
    if links:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": " · ".join(links)}})
    return {"text": _escape(found.plain()), "blocks": blocks[:50]}


def mattermost(found: Digest) -> dict[str, Any]:
    fields = [{"short": False, "title": heading, "value": "\n".join(f"- {_escape(line)}" for line in lines)}
              for heading, lines in found.parts]
    attachment: dict[str, Any] = {"fallback": _escape(found.plain()), "color": "#dd2b0e", "title": found.title,
                                  "fields": fields}
    if found.link:
        attachment["title_link"] = found.link
    links = [f"[{name}]({url})" for url, name in ((found.link, "the audit issue"), (found.agenda, "the IPM agenda"))
             if url]
    text = f"**{_escape(found.title)}**" + "".join(f" · {link}" for link in links)
    return {"text": text, "attachments": [attachment]}


PAYLOADS: dict[str, Callable[[Digest], dict[str, Any]]] = {"slack": slack, "mattermost": mattermost}


def agenda_url(gl: Any, project: str, config: Config, result: AuditResult) -> str:
    """The next IPM meeting's issue, when inc-audit prepared one (``inc-audit agenda``); else ""."""
    from inc_audit.errors import IncAuditError
    from inc_audit.publishing.agenda import next_meeting
    from inc_audit.publishing.meeting import find_meeting_issues

    try:
        found = find_meeting_issues(gl, config.meeting.project or project, config, next_meeting(config, result.as_of))
    except IncAuditError:
        return ""
    return str(found[0].get("web_url") or "") if found else ""


def send(config: Config, found: Digest, budget: float, timeout: float = 10.0,
         environ: dict[str, str] | None = None) -> str:
    """Post the digest; what happened, in one line that never holds the URL."""
    variable = config.notify.webhook or ""
    url = (environ if environ is not None else os.environ).get(variable, "").strip()
    if not url:
        return f"warning: notify.webhook names ${variable}, which is not set: no chat digest sent"
    if not url.startswith(("https://", "http://")):
        return f"warning: ${variable} does not hold an http(s) address: no chat digest sent"
    payload = PAYLOADS[config.notify.service](found)
    deadline = time.monotonic() + budget
    pause = 0.5
    while True:
        try:
            answer = requests.post(url, json=payload, timeout=timeout, allow_redirects=False)
            problem = None if answer.status_code < 300 else f"HTTP {answer.status_code}"
            retry = answer.status_code in RETRYABLE
        except requests.RequestException as error:
            problem, retry = f"no answer ({type(error).__name__})", True
        if problem is None:
            return f"chat digest sent to {config.notify.service} (${variable})"
        if not retry or time.monotonic() + pause > deadline:
            return f"warning: the chat digest could not be sent to ${variable}: {problem}; the audit stands"
        time.sleep(pause)
        pause = min(pause * 2, 8.0)
