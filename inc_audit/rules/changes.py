"""The change that handled an incident: linked (CHG001), complete (CHG002), mentioned but not
linked (CHG003), or linked but unreadable (CHG004).

A change is an issue with a change label that is not itself an incident. One that mentions
the incident (GitLab then writes ``mentioned in issue #12`` on the incident) exists even when
nobody linked it: CHG001 accepts it and CHG003 asks for the link. A linked issue that could
not be read (another project, no access) may be the change: CHG004 says so, and CHG001 does
not claim there is none.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from inc_audit.config.file import Config
from inc_audit.findings import Finding
from inc_audit.model import IssueKey, LinkedIssue, Note
from inc_audit.reading import validity
from inc_audit.rules.registry import has_any, rule

if TYPE_CHECKING:
    from inc_audit.rules.context import Context

# GitLab's cross-reference system note: "mentioned in " + the mentioning item's reference,
# "issue #12", "issue group/project#12" (incidents and tasks are issues too).
_MENTIONED = re.compile(
    r"^\s*mentioned in (?:issue|incident|task|work item) (?P<project>[\w.\-]+(?:/[\w.\-]+)+)?#(?P<iid>\d+)\s*$",
    re.IGNORECASE,
)


def is_change(labels: Iterable[str], issue_type: str, config: Config) -> bool:
    """A change ticket: a change label on an issue that is not itself an incident.

    The real incident template puts ``Change::Emergency`` on incidents too.
    """
    labels = tuple(labels)
    return (
        has_any(labels, config.change_labels)
        and issue_type != "incident"
        and not has_any(labels, config.incident_labels)
    )


def mentioned_in(notes: Iterable[Note], project: str) -> list[IssueKey]:
    """The issues that mention this one, from GitLab's "mentioned in issue ..." system notes."""
    found: dict[IssueKey, None] = {}
    for note in notes:
        if not note.system:
            continue
        match = _MENTIONED.match(note.body)
        if match:
            found[IssueKey(match.group("project") or project, int(match.group("iid")))] = None
    return list(found)


def _name(issue: LinkedIssue, here: str) -> str:
    return f"#{issue.key.iid}" if issue.key.project == here else str(issue.key)


@rule("CHG001")
def no_linked_change(ctx: Context) -> Iterator[Finding]:
    if not ctx.issue.is_closed or ctx.changes:
        return
    if ctx.reuses_change:
        return
    if ctx.unreadable_links or ctx.mentioned_changes:
        return  # CHG004 or CHG003 says what there is
    labels = " or ".join(f"~{label}" for label in ctx.config.change_labels)
    message = f"closed with no linked change: link the emergency change ({labels})"
    if ctx.is_known_incident:
        message += " or the earlier incident whose change it reuses"
    yield ctx.finding("CHG001", message)


@rule("CHG002")
def incomplete_change(ctx: Context) -> Iterator[Finding]:
    if not ctx.issue.is_closed:
        return
    schema = ctx.config.schema("change")
    here = ctx.issue.key.project
    for change in ctx.changes or ctx.mentioned_changes:
        how = "linked" if change in ctx.changes else "unlinked"
        for problem in validity.check_text(schema, change.description):
            yield ctx.finding(
                "CHG002",
                f"{how} change {_name(change, here)}: {problem.said}",
                section=problem.part.name,
                where=f"{how} {_name(change, here)}",
            )


@rule("CHG003")
def unlinked_change(ctx: Context) -> Iterator[Finding]:
    if not ctx.issue.is_closed or ctx.changes:
        return
    here = ctx.issue.key.project
    for change in ctx.mentioned_changes:
        yield ctx.finding(
            "CHG003",
            f"change {_name(change, here)} mentions this incident but is not linked: "
            f"add it under Linked items (relates to) so the incident shows how it was handled",
            where=f"unlinked {_name(change, here)}",
        )


@rule("CHG004")
def unreadable_change(ctx: Context) -> Iterator[Finding]:
    if not ctx.issue.is_closed or ctx.changes or ctx.reuses_change or ctx.mentioned_changes:
        return
    here = ctx.issue.key.project
    for linked in ctx.unreadable_links:
        yield ctx.finding(
            "CHG004",
            f"linked issue {_name(linked, here)} could not be read ({linked.unreadable}), so whether it is "
            f"the change is unknown: give the token read access to {linked.key.project}, or audit it there",
            where=f"linked {_name(linked, here)}",
        )
