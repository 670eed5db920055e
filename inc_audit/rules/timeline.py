"""An incident's milestones for the policy's health figures: filed, closed, post-mortem
posted, post-mortem approved. Read from what the rules read (the issue, its comments, the
final post-mortem's approving comments and award emoji), through the same ``Context``."""

from __future__ import annotations

from datetime import datetime

from inc_audit.findings import Finding, Timeline
from inc_audit.model import Note
from inc_audit.rules import approval
from inc_audit.rules.context import Context
from inc_audit.sources.interface import Unreadable


def milestones(context: Context, findings: tuple[Finding, ...]) -> Timeline:
    """The incident's milestones; the approval only for a post-mortem no IPM003 finding holds."""
    issue, config = context.issue, context.config
    final = context.final_post_mortem
    posted = final[0].created_at if final is not None else None
    approved = None
    if final is not None and not any(f.rule == "IPM003" for f in findings) and "IPM003" not in config.ignore:
        try:
            approved = _approved_at(context, final[0])
        except Unreadable:
            approved = None
    return Timeline(issue.created_at, issue.closed_at, posted, approved)


def _approved_at(context: Context, note: Note) -> datetime | None:
    """When the last approval the post-mortem needed came: each approver's first, the latest of them."""
    author = context.who(note.author)
    first: dict[str, datetime] = {}
    for later in context.approving_after(note.created_at):
        name = context.who(later.author)
        if name != author:
            first[name] = min(later.created_at, first.get(name, later.created_at))
    if approval.gap(set(first), context.config) is not None:
        for award in context.approval_emoji(note, context.source.note_awards(context.issue.key, note.id)):
            name = context.who(award.username)
            if name != author and award.created_at is not None:
                first[name] = min(award.created_at, first.get(name, award.created_at))
    return max(first.values()) if first else None
