"""Whether the post-mortem is approved (IPM003), and when it is not, exactly why.

An approval is a comment posted after the post-mortem whose words approve (``reading``), or
one of ``approval_emoji`` awarded to the post-mortem comment, by a member of an approver
role who is not its author. The response team note of the policy applies: the product
manager's backup who is also the development lead needs a development-lead backup too.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING

from inc_audit.config import emoji as emoji_names
from inc_audit.config.file import Config
from inc_audit.findings import Finding
from inc_audit.model import Note
from inc_audit.rules import standing
from inc_audit.rules.registry import rule

if TYPE_CHECKING:
    from inc_audit.rules.context import Context


def _title(role: str) -> str:
    return role.replace("_", " ")


def members(config: Config) -> list[str]:
    """Everyone who may approve: the approver roles' primaries and backups."""
    roles = config.roles
    return sorted({m for n in config.approvers for m in (roles[n].primary, *roles[n].backups)})


def roles_text(config: Config) -> str:
    parts = []
    for name in config.approvers:
        role = config.roles[name]
        backups = f", or {' or '.join(role.backups)} as backup" if role.backups else ""
        parts.append(f"{_title(name)}: {role.primary}{backups}")
    return "; ".join(parts)


def backup_clause(approvers: set[str], config: Config) -> str | None:
    """The policy's note on the response team, asked once the approvals fall short (``gap``):
    a backup approved who is also another role's primary, and that role's backup did not."""
    roles = config.roles
    primaries = {role.primary: name for name, role in roles.items()}
    for name in config.approvers:
        for backup in roles[name].backups:
            other = primaries.get(backup)
            if backup in approvers and other is not None and other != name:
                return (
                    f"only {backup} approved, as {_title(name)} backup while also "
                    f"{_title(other)}: a {_title(other)} backup "
                    f"({', '.join(roles[other].backups) or 'none configured'}) must approve as well"
                )
    return None


def _satisfied(approvers: set[str], config: Config) -> bool:
    """A primary of an approver role approved, or a backup the response team note lets stand alone."""
    roles = config.roles
    primaries = {role.primary: name for name, role in roles.items()}
    for name in config.approvers:
        role = roles[name]
        if role.primary in approvers:
            return True
        for backup in role.backups:
            other = primaries.get(backup)
            if backup in approvers and (other is None or other == name or set(roles[other].backups) & approvers):
                return True
    return False


def gap(approvers: set[str], config: Config) -> str | None:
    """Why the approvals fall short of the policy, or None when they suffice."""
    if not config.roles:
        return None if approvers else "no one but its author approved it"
    if _satisfied(approvers, config):
        return None
    clause = backup_clause(approvers, config)
    if clause is not None:
        return clause
    return f"no approval from {' or '.join(members(config)) or 'an approver'}"


def _people(names: Iterable[str]) -> str:
    names = sorted(set(names))
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _day(moment: datetime | None) -> str:
    return moment.date().isoformat() if moment is not None else "an unknown date"


def why_unapproved(ctx: Context, note: Note) -> str | None:
    """Each reason the post-mortem ``note`` is not approved, named, or None when it is."""
    config = ctx.config
    valid = ctx.approvals(note)
    if gap(valid, config) is None:
        return None
    clause = backup_clause(valid, config) if config.roles else None
    reasons = [clause] if clause else []
    outsiders = sorted(valid - set(members(config))) if config.roles else []
    if outsiders:
        lead = "also approved by" if clause else "approved only by"
        reasons.append(f"{lead} {_people(outsiders)}, outside the approver roles ({roles_text(config)})")
    if _author_approved(ctx, note):
        reasons.append(f"its author {ctx.who(note.author)} approved it, and no one may approve their own post-mortem")
    reasons.extend(_too_early(ctx, note, valid))
    reasons.extend(_not_read_as_approval(ctx, note, valid))
    if not reasons:
        reasons.append("no one has approved it")
    if clause:
        return "; ".join(reasons)
    who = settlers(config, ctx.who(note.author)) if config.roles else "anyone but its author"
    emoji = " or ".join(f":{name}:" for name in _distinct_emoji(config.approval_emoji))
    return "; ".join(reasons) + f": it needs an approval from {who} after it is posted (a comment, or {emoji})"


def settlers(config: Config, author: str) -> str:
    """Who can still approve, never the post-mortem's own ``author``: each approver role's
    primary and backups, a backup who is also another role's primary together with that
    role's backup (the policy's note on the response team)."""
    roles = config.roles
    primaries = {role.primary: name for name, role in roles.items()}
    options: list[str] = []
    for name in config.approvers:
        role = roles[name]
        for person in (role.primary, *role.backups):
            if person == author or person in options:
                continue
            other = primaries.get(person)
            if person == role.primary or other is None or other == name:
                options.append(person)
                continue
            also = [b for b in roles[other].backups if b not in (author, person)]
            if also:
                options.append(
                    f"{person} together with {' or '.join(also)} "
                    f"(the response team note: {person} is also {_title(other)})"
                )
    return " or ".join(options) or "an approver other than its author (none is configured)"


def _second_backups(config: Config) -> set[str]:
    """The backups the response team note asks for besides an approver role's backup."""
    roles = config.roles
    primaries = {role.primary: name for name, role in roles.items()}
    return {b for name in config.approvers for backup in roles[name].backups
            if primaries.get(backup, name) != name for b in roles[primaries[backup]].backups}


def _not_read_as_approval(ctx: Context, note: Note, valid: set[str]) -> Iterator[str]:
    """What each approver who commented after the post-mortem wrote, when it is not an
    approval that stands: the start of the comment, and why it is not one."""
    config = ctx.config
    author = ctx.who(note.author)
    wanted = set(members(config)) | _second_backups(config) if config.roles else None
    last: dict[str, tuple[Note, str]] = {}
    for comment in ctx.issue.notes:
        if comment.system or comment.created_at <= note.created_at:
            continue
        who = ctx.who(comment.author)
        if who == author or who in valid or (wanted is not None and who not in wanted):
            continue
        found = ctx.reading(comment)
        if found.approves:
            last.pop(who, None)
        elif found.reason or who not in last or not last[who][1]:
            last[who] = (comment, found.reason)
    took_back = standing.withdrawn(ctx.steps.get(note.id, ()))
    for who in sorted(last):
        comment, reason = last[who]
        why = f"not an approval: {reason}" if reason else "no approval in it"
        if who in took_back and reason:
            yield f"{who} approved, then took it back: {quote(comment.body)} (comment {comment.id}, {reason})"
        else:
            yield f"{who} wrote {quote(comment.body)} (comment {comment.id}), {why}"


def quote(text: str, limit: int = 60) -> str:
    """The start of a comment on one line, in double quotes, at most ``limit`` characters."""
    line = " ".join(next((ln for ln in text.splitlines() if ln.strip()), "").split())
    line = "".join(c for c in line if c.isprintable())
    if len(line) > limit:
        line = line[: limit - 1].rstrip() + "\u2026"
    return '"' + line.replace('"', "'") + '"'


def _distinct_emoji(names: Iterable[str]) -> list[str]:
    """One name per emoji: the configured list also holds GitLab's aliases (+1 for thumbsup)."""
    shown: dict[str, str] = {}
    for name in names:
        shown.setdefault(emoji_names.gitlab_name(name) or name, name)
    return list(shown.values())


def _author_approved(ctx: Context, note: Note) -> bool:
    author = ctx.who(note.author)
    if any(ctx.who(c.author) == author for c in ctx.approving_after(note.created_at)):
        return True
    return author in ctx.emoji_approvers(note, ctx.source.note_awards(ctx.issue.key, note.id))


def _too_early(ctx: Context, note: Note, valid: set[str]) -> Iterator[str]:
    """Approvals given before the final post-mortem: before any, or to a draft it replaced."""
    drafts = [c.note for c in ctx.candidates if c.note.created_at < note.created_at and c.note.id != note.id]
    told: set[str] = set(valid) | {ctx.who(note.author)}
    for comment in ctx.approving_comments:
        who = ctx.who(comment.author)
        if comment.created_at >= note.created_at or who in told:
            continue
        told.add(who)
        earlier = [d for d in drafts if d.created_at < comment.created_at]
        if earlier:
            yield (
                f"{who} approved an earlier draft (comment {earlier[-1].id}) on {_day(comment.created_at)}, "
                f"which comment {note.id} replaced"
            )
        else:
            yield (
                f"{who} approved on {_day(comment.created_at)}, before the post-mortem was posted "
                f"on {_day(note.created_at)}"
            )
    for draft in drafts:
        awards = ctx.approval_emoji(draft, ctx.source.note_awards(ctx.issue.key, draft.id))
        for who in sorted({ctx.who(a.username) for a in awards} - told - {ctx.who(draft.author)}):
            told.add(who)
            yield (
                f"{who} approved an earlier draft (comment {draft.id}) with an emoji, which comment {note.id} replaced"
            )


@rule("IPM003")
def unapproved_post_mortem(ctx: Context) -> Iterator[Finding]:
    if ctx.final_post_mortem is None:
        return
    note, _ = ctx.final_post_mortem
    started = max(filter(None, (ctx.issue.closed_at, note.created_at)))
    if not ctx.passed(ctx.due_after(started)):
        return
    why = ctx.why_unapproved(note)
    if why:
        yield ctx.finding("IPM003", f"post-mortem not approved: {why}", where=f"note {note.id}")
