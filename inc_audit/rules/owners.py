"""Who must act on a finding, and from when it is due, after the policy's RACI chart.

The chart is data, ``schemas/owners.json``: each rule code names a party (the incident's
author, the response team, the approvers) and the moments its obligation starts from.
People come from the configuration only, never from issue content: the author is the one
exception, and is named (never mentioned) unless the configuration lists them too.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from inc_audit.config.file import Config
from inc_audit.findings import Finding
from inc_audit.model import Issue
from inc_audit.reading import schemas


@lru_cache(maxsize=1)
def chart() -> dict[str, Any]:
    return schemas.read_json(schemas.SCHEMA_DIR / "owners.json")


def party_title(party: str) -> str:
    return str(chart()["parties"].get(party, {}).get("title", party.replace("_", " ")))


def members(config: Config) -> set[str]:
    """Every username the configuration names in a role, primary or backup."""
    return {name for role in config.roles.values() for name in (role.primary, *role.backups)}


def team_roles(config: Config, party: str) -> tuple[str, ...]:
    """The roles a party stands for, the accountable one first."""
    if party == "approvers":
        return tuple(r for r in config.approvers if r in config.roles)
    if party != "response_team":
        return ()
    roles = [r for r in (config.meeting.attendees or tuple(config.roles)) if r in config.roles]
    accountable = chart()["parties"]["response_team"].get("accountable")
    if accountable in roles:
        roles.remove(accountable)
        roles.insert(0, accountable)
    return tuple(roles)


def owners_of(party: str, issue: Issue, config: Config) -> tuple[str, ...]:
    if party == "author":
        return (issue.author,) if issue.author else ()
    return tuple(dict.fromkeys(config.roles[role].primary for role in team_roles(config, party)))


def _anchor(name: str, issue: Issue, finding: Finding) -> datetime | None:
    if name == "opened":
        return issue.created_at
    if name == "closed":
        return issue.closed_at if issue.is_closed else None
    if name == "posted":
        note = next((n for n in issue.notes if n.id == finding.note_id), None)
        return note.created_at if note else None
    return None


def due_of(spec: dict[str, Any], issue: Issue, finding: Finding, config: Config) -> date | None:
    """From when ``finding`` is due: the latest of its start moments, plus the grace period."""
    moments = [m for m in (_anchor(name, issue, finding) for name in spec.get("after", ())) if m]
    if not moments:
        return None
    start = max(moments)
    if spec.get("grace"):
        start = config.calendar.add(start, config.due_days)
    return config.calendar.local_date(start)


def annotate(issue: Issue, findings: Iterable[Finding], config: Config) -> tuple[Finding, ...]:
    """``findings`` with who must act on each and from when it is due."""
    rules = chart()["rules"]
    annotated = []
    for finding in findings:
        entry = rules.get(finding.rule)
        if entry is None:
            annotated.append(finding)
            continue
        party = str(entry["party"])
        annotated.append(
            replace(
                finding,
                owners=owners_of(party, issue, config),
                party=party,
                due=due_of(entry.get("due", {}), issue, finding, config),
            )
        )
    return tuple(annotated)
