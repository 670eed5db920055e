"""The audit issue across runs: its kept state before an audit is published, and one
comment that mentions whoever must act on findings that are new since the last audit.

Mentions are opt-in (``audit_issue.mention``), name only members of the configured roles
(never a name found in issue content, not even an incident's author unless the roles list
them), and go in one comment per audit that found something new: a daily audit never pings
the same people twice for the same finding. The description itself never mentions anyone.
"""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime
from typing import Any

from inc_audit.config.file import Config
from inc_audit.findings import AuditResult, Finding, IncidentResult
from inc_audit.formats import state as state_module
from inc_audit.rules.owners import members

_ISSUE_IID = re.compile(r"/-/issues/(\d+)$")
_USERNAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_GROUP_MENTIONS = {"all", "here"}  # GitLab would notify everyone


def settings_of(config: Config) -> Any:
    from inc_audit.publishing.audit_issue import AuditIssueSettings

    return AuditIssueSettings(config.audit_title, config.audit_labels, config.audit_confidential)


def previous_state(gl: Any, project: str, config: Config, as_of: datetime) -> state_module.State | None:
    """The state the audit issue keeps (the oldest one, which publishing keeps), if any: only
    inc-audit's own issue, so a copy someone else opened cannot forge the history."""
    from inc_audit.publishing.audit_issue import find_audit_issues, own_user

    found, _ = find_audit_issues(gl, project, settings_of(config), own_user(gl))
    return state_module.read(str(found[0].get("description") or ""), as_of) if found else None


def track(gl: Any, project: str | None, result: AuditResult, config: Config) -> state_module.Advance:
    """``result`` with first-seen moments and history: from the audit issue when publishing."""
    previous = previous_state(gl, project, config, result.as_of) if gl is not None and project else None
    return state_module.advance(result, previous)


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


def post_comment(gl: Any, project: str, issue_url: str, body: str) -> None:
    """Add ``body`` as a comment on the audit issue at ``issue_url``."""
    from inc_audit.errors import PublishError
    from inc_audit.sources.http.session import encode_id, send

    found = _ISSUE_IID.search(issue_url)
    if found is None:
        raise PublishError(f"cannot tell the audit issue's number from {issue_url!r}")
    path = f"/projects/{encode_id(project)}/issues/{found.group(1)}/notes"
    send(gl, "post", path, "mentioning who must act on the audit issue", {"body": body})
