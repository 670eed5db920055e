"""The audit issue across runs: its kept state before an audit is published, and one
comment that mentions whoever must act on findings that are new since the last audit.

The kept state is read only from inc-audit's own audit issue, and only when inc-audit
wrote its description last: when GitLab's "changed the description" note names someone
else as the last editor, the state is not trusted (``Tracked.distrusted`` says so), so a
forged state can neither silence a mention (every finding counts as new) nor back-date
a finding (first seen now). An incident the state lists with open violations that the
audit no longer holds (its label and type removed, or an exempt label added) is reported
(INC006) until ``audit_issue.not_incidents`` names it: leaving is not a way to hide.

Mentions are opt-in (``audit_issue.mention``), name only members of the configured roles
(never a name found in issue content, not even an incident's author unless the roles list
them), and go in one comment per audit that found something new: a daily audit never pings
the same people twice for the same finding. The description itself never mentions anyone.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from inc_audit.config.file import Config
from inc_audit.errors import IncAuditError
from inc_audit.findings import AuditResult, Finding, IncidentResult
from inc_audit.formats import state as state_module
from inc_audit.rules.owners import members

_ISSUE_IID = re.compile(r"/-/issues/(\d+)$")
_USERNAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_GROUP_MENTIONS = {"all", "here"}  # GitLab would notify everyone


def settings_of(config: Config) -> Any:
    from inc_audit.publishing.audit_issue import AuditIssueSettings

    return AuditIssueSettings(config.audit_title, config.audit_labels, config.audit_confidential)


@dataclass(frozen=True)
class Tracked:
    """An audit result advanced from the audit issue's state, and what the run distrusted."""

    result: AuditResult
    state: state_module.State
    new: tuple[tuple[IncidentResult, Finding], ...]
    distrusted: tuple[str, ...] = ()
    resolved: int = 0
    """Findings the last audit kept that this one no longer finds (the chat digest says so)."""


def previous_state(gl: Any, project: str, config: Config, as_of: datetime) -> tuple[state_module.State | None, str]:
    """The state the audit issue keeps (the oldest one, which publishing keeps), if any, and
    why it is not trusted ("" when it is): only inc-audit's own issue, whose description
    inc-audit edited last, so neither a copy nor an edit by someone else can forge it."""
    from inc_audit.publishing import ownership
    from inc_audit.publishing.audit_issue import find_audit_issues

    me = ownership.whoami(gl)
    found, _ = find_audit_issues(gl, project, settings_of(config), me.id)
    if not found:
        return None, ""
    iid = int(found[0]["iid"])
    kept = state_module.read(str(found[0].get("description") or ""), as_of)
    editor = ownership.edited_by_others(gl, project, iid, me) if kept is not None else None
    if editor:
        return None, (f"audit issue #{iid}'s description was last edited by {editor}, not by inc-audit: its kept"
                      " state is not trusted (every open finding counts as new, first seen now; no history)")
    return kept, ""


def track(gl: Any, project: str | None, result: AuditResult, config: Config) -> Tracked:
    """``result`` with first-seen moments and history, from the audit issue when publishing;
    with an INC006 finding for each incident that left the audit (``left.with_left``)."""
    from inc_audit.publishing.left import with_left

    previous, why = previous_state(gl, project, config, result.as_of) if gl is not None and project else (None, "")
    if previous is not None and result.complete:
        result = with_left(gl, result, previous, config)
    advanced = state_module.advance(result, previous)
    return Tracked(advanced.result, advanced.state, advanced.new, (why,) if why else (), advanced.resolved)


def mentioned(new: tuple[tuple[IncidentResult, Finding], ...], config: Config) -> dict[str, list[str]]:
    """Configured members who must act on new findings, each with the rules concerned."""
    allowed = {name for name in members(config) if _USERNAME.match(name) and name.lower() not in _GROUP_MENTIONS}
    rules: dict[str, list[str]] = defaultdict(list)
    for _, finding in new:
        for name in finding.owners:
            if name in allowed and finding.rule not in rules[name]:
                rules[name].append(finding.rule)
    return {name: rules[name] for name in sorted(rules)}


def mention_comment(new: tuple[tuple[IncidentResult, Finding], ...], config: Config) -> str | None:
    """The comment that pings owners of new findings; None when mentions are off or no one is due one."""
    if not config.audit_mention:
        return None
    people = mentioned(new, config)
    if not people:
        return None
    named = ", ".join(f"@{name} ({', '.join(codes)})" for name, codes in people.items())
    return f"New violations since the last audit, for {named}: see the description for each one and its due date."


def post_comment(gl: Any, project: str, issue_url: str, body: str, confidential: bool = False) -> None:
    """Add ``body`` as a comment on the audit issue at ``issue_url``; with ``confidential``,
    once the issue is confirmed confidential (made so again if someone made it public)."""
    from inc_audit.errors import PublishError
    from inc_audit.publishing.ownership import confirm_confidential
    from inc_audit.sources.http.session import encode_id, send

    found = _ISSUE_IID.search(issue_url)
    if found is None:
        raise PublishError(f"cannot tell the audit issue's number from {issue_url!r}")
    try:
        if confidential:
            confirm_confidential(gl, project, int(found.group(1)), "audit issue")
        path = f"/projects/{encode_id(project)}/issues/{found.group(1)}/notes"
        send(gl, "post", path, "mentioning who must act on the audit issue", {"body": body})
    except PublishError:
        raise
    except IncAuditError as error:
        raise PublishError(f"{error.message}; the audit issue was written, the comment that mentions who must act"
                           " was not", error.hint) from None
