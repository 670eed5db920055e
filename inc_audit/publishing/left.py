"""Incidents that left the audit (INC006): listed with open violations by the audit issue's
kept state, no longer held by this audit. Removing an incident's label and type, or adding
an exempt label, is not a way to hide it: it is reported until the configuration lets it
go (``audit_issue.not_incidents``)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from inc_audit.config.file import Config
from inc_audit.errors import IncAuditError
from inc_audit.findings import RULES, AuditResult, Finding, IncidentResult
from inc_audit.formats import state as state_module
from inc_audit.model import IssueKey
from inc_audit.rules.changes import is_change
from inc_audit.rules.owners import team_roles
from inc_audit.rules.registry import has_any

LEFT = "INC006"


def with_left(gl: Any, result: AuditResult, previous: state_module.State, config: Config) -> AuditResult:
    """``result`` with an INC006 finding for each incident ``previous`` lists with open
    violations that this audit no longer holds, unless the config lets it go."""
    held = {str(incident.key).lower() for incident in result.incidents}
    scope = [str(value).lower() for value in (result.source.get("project"), result.source.get("group")) if value]
    left = []
    for ref in previous.open:
        project, _, iid = ref.rpartition("#")
        if ref.lower() in held or ref.lower() in config.not_incidents or ref.lower() in config.own_issues:
            continue
        if scope and not any(project.lower() == s or project.lower().startswith(s + "/") for s in scope):
            continue  # another project's incident: this audit does not cover it
        left.extend(_left(gl, IssueKey(project, int(iid)), config))
    if not left:
        return result
    incidents = tuple(sorted((*result.incidents, *left), key=lambda i: (i.key.project, i.key.iid)))
    return replace(result, incidents=incidents)


def _left(gl: Any, key: IssueKey, config: Config) -> list[IncidentResult]:
    from inc_audit.sources.http.session import encode_id, get_json

    try:
        raw = get_json(gl, f"/projects/{encode_id(key.project)}/issues/{key.iid}", f"reading {key}",
                       absent=(403, 404))
    except IncAuditError:
        raw = None
    raw = raw if isinstance(raw, dict) else {}
    labels = tuple(label for label in raw.get("labels") or () if isinstance(label, str))
    kind = str(raw.get("issue_type") or "").lower()
    exempt = has_any(labels, config.exempt_labels)
    if raw and (kind == "incident" or has_any(labels, config.incident_labels)) and not exempt \
            and not is_change(labels, kind, config):
        return []  # still an incident: the audit holds it, or a shard does
    if not raw:
        how = "can no longer be read (deleted, moved or hidden from the token)"
    elif exempt:
        how = "carries an exempt label now"
    elif is_change(labels, kind, config):
        how = "is a change ticket now"
    else:
        how = "carries neither an incident label nor the Incident type now"
    message = (f"listed with open violations by the last audit, it {how}: it left the audit. Restore its label "
               "and type, or name it under audit_issue.not_incidents in the configuration if it is no incident")
    owners = tuple(dict.fromkeys(config.roles[role].primary for role in team_roles(config, "response_team")))
    finding = Finding(LEFT, RULES[LEFT].severity, message, where="gitlab", owners=owners, party="response_team")
    return [IncidentResult(key=key, title=str(raw.get("title") or ""), web_url=str(raw.get("web_url") or ""),
                           state=str(raw.get("state") or "unknown"), confidential=raw.get("confidential") is not False,
                           findings=(finding,))]
