"""The weekly IPM meeting's agenda: what management reviews and approves, prepared from GitLab.

The agenda lists every post-mortem awaiting approval that was posted before the meeting,
each with its link, its author, its answers (one line each: the post-mortem schema's
required sections) and the policy's IPM agenda checklist as task items; then the
post-mortems overdue by the meeting; then who attends (the response team's roles).
Approvals are given on the incidents themselves, where the next audit reads them.

``build`` reads; ``render`` is a pure function of what it read and of the boxes already
ticked in the meeting issue, so a second run gives the same text. A confidential
incident's title, answers and author appear only where ``Shown`` allows: in the
(confirmed confidential) meeting issue for incidents of its own project, on a terminal,
and in CI only when asked (``--confidential-titles show``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from functools import lru_cache

from inc_audit.audit import is_audited
from inc_audit.config import emoji as emoji_names
from inc_audit.config.file import Config
from inc_audit.formats.neutral import neutral, reference, safe_link
from inc_audit.formats.options import WITHHELD, same_project
from inc_audit.reading import schemas
from inc_audit.reading.markdown import Document, meaningful_text
from inc_audit.rules import Context, approval_gap
from inc_audit.rules.owners import team_roles
from inc_audit.sources.interface import Source

MARKER = "<!-- inc-audit:ipm-meeting {date} -->"
WEEKDAYS_FULL = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
ANSWER_CHARS = 240
_TICKED = re.compile(r"^\s*[-*] \[[xX]\] .*<!-- ipm:([\w#/.:\-]+) -->\s*$", re.MULTILINE)


WITHHELD_TEXT = "(withheld: confidential incident)"


@dataclass(frozen=True)
class Shown:
    """Where the agenda is read: whether confidential incidents' text may appear there, and
    for which project's incidents only ("" for any)."""

    confidential: bool = True
    home: str = ""

    def allows(self, ref: str, confidential: bool) -> bool:
        if not confidential:
            return True
        return self.confidential and (not self.home or same_project(ref.rpartition("#")[0], self.home))


@dataclass(frozen=True)
class Answer:
    title: str
    text: str  # one line; "" when the section is missing or empty


@dataclass(frozen=True)
class Review:
    """A post-mortem awaiting approval."""

    ref: str
    title: str
    url: str
    author: str
    posted: date
    gap: str
    answers: tuple[Answer, ...]
    confidential: bool = False


@dataclass(frozen=True)
class Overdue:
    """A closed incident whose post-mortem is due before the meeting and not posted."""

    ref: str
    title: str
    url: str
    closed: date
    due: date
    confidential: bool = False


@dataclass(frozen=True)
class Agenda:
    day: date
    start: datetime
    reviews: tuple[Review, ...] = ()
    overdue: tuple[Overdue, ...] = ()
    ticked: frozenset[str] = field(default=frozenset())

    @property
    def marker(self) -> str:
        return MARKER.format(date=self.day.isoformat())


@lru_cache(maxsize=1)
def policy_checklist() -> tuple[str, ...]:
    return tuple(schemas.read_json(schemas.SCHEMA_DIR / "meeting.json")["checklist"])


def checklist(config: Config) -> tuple[str, ...]:
    return config.meeting.checklist or policy_checklist()


def next_meeting(config: Config, as_of: datetime) -> date:
    """The meeting's day: the first configured weekday on or after the audit's day."""
    today = config.calendar.local_date(as_of)
    return today + timedelta(days=(config.meeting.weekday - today.weekday()) % 7)


def meeting_start(config: Config, day: date) -> datetime:
    hours, minutes = (int(part) for part in config.meeting.time.split(":"))
    return datetime.combine(day, time(hours, minutes), tzinfo=config.calendar.zone)


def build(source: Source, config: Config, as_of: datetime, day: date) -> Agenda:
    start = meeting_start(config, day)
    reviews: list[Review] = []
    overdue: list[Overdue] = []
    for issue in source.candidate_issues(config.incident_labels):
        if is_audited(issue, config):
            context = Context(issue, config, source, as_of)
            review = _review(context, start)
            if review is not None:
                reviews.append(review)
            elif context.final_post_mortem is None:
                overdue.extend(_overdue(context, start))
        source.release(issue.key)  # what the source read of it is no longer needed
    reviews.sort(key=lambda r: (r.posted, r.ref))
    overdue.sort(key=lambda o: (o.due, o.ref))
    home = str(source.describe().get("url") or "")  # links only on the configured GitLab's host
    reviews = [replace(r, url=safe_link(r.url, home)) for r in reviews]
    overdue = [replace(o, url=safe_link(o.url, home)) for o in overdue]
    return Agenda(day, start, tuple(reviews), tuple(overdue))


def _review(context: Context, start: datetime) -> Review | None:
    final = context.final_post_mortem
    if final is None:
        return None
    note, document = final
    if note.created_at >= start:
        return None
    gap = approval_gap(context.approvals(note), context.config)
    if gap is None:
        return None
    issue = context.issue
    return Review(
        ref=str(issue.key),
        title=issue.title,
        url=f"{issue.web_url}#note_{note.id}" if issue.web_url else "",
        author=note.author,
        posted=context.config.calendar.local_date(note.created_at),
        gap=gap,
        answers=tuple(_answers(context, document)),
        confidential=issue.confidential,
    )


def _answers(context: Context, document: Document) -> Iterator[Answer]:
    schema = context.post_mortem_schema
    for part in schema.required_parts:
        if part.group != "sections":
            continue
        section = schema.find(document, part)
        text = "" if section is None or section.is_empty(part.placeholders) else one_line(section.body)
        yield Answer(part.title, text)


def one_line(body: str) -> str:
    """A section's text as one line, cut at ``ANSWER_CHARS``."""
    text = " ".join(meaningful_text(body).split())
    return text if len(text) <= ANSWER_CHARS else text[: ANSWER_CHARS - 1].rstrip() + "…"


def _overdue(context: Context, start: datetime) -> Iterator[Overdue]:
    issue = context.issue
    if not issue.is_closed or issue.closed_at is None:
        return
    due = context.due_after(issue.closed_at)
    if due < start:
        calendar = context.config.calendar
        yield Overdue(str(issue.key), issue.title, issue.web_url,
                      calendar.local_date(issue.closed_at), calendar.local_date(due), issue.confidential)


def ticked_in(description: str | None) -> frozenset[str]:
    """The agenda's task items already ticked in the meeting issue, by their hidden keys."""
    return frozenset(_TICKED.findall(description or ""))


def render(agenda: Agenda, config: Config, shown: Shown | None = None) -> str:
    """The meeting issue's description (or the agenda printed), as ``shown`` allows."""
    shown = shown or Shown()
    when = f"{WEEKDAYS_FULL[agenda.day.weekday()]} {agenda.day.isoformat()} {config.meeting.time}"
    lines = [agenda.marker, f"## IPM meeting, {when} ({neutral(config.calendar.timezone)})", ""]
    lines += _people(config) + [_how_to_approve(config), ""]
    lines += [f"### Post-mortems awaiting approval ({len(agenda.reviews)})", ""]
    if not agenda.reviews:
        lines += ["None: every post-mortem posted before the meeting is approved.", ""]
    for review in agenda.reviews:
        lines += _review_block(review, agenda, config, shown)
    lines += [f"### Post-mortems overdue ({len(agenda.overdue)})", ""]
    if not agenda.overdue:
        lines += ["None.", ""]
    else:
        lines += ["| Incident | Closed | Post-mortem due |", "|---|---|---|"]
        lines += [f"| {_link(o.ref, o.url)} {neutral(_title(o.title, o.ref, o.confidential, shown))} | {o.closed} "
                  f"| {o.due} |" for o in agenda.overdue]
        lines.append("")
    return "\n".join(lines)


def _people(config: Config) -> list[str]:
    roles = team_roles(config, "response_team")  # the accountable role, which chairs, first
    if not roles:
        return ["Attendees: the incident response team (no roles configured).", ""]
    chair = roles[0]
    lines = [f"Chair: {_role(chair)} {_name(config.roles[chair].primary, config)}.", "", "Attendees:", ""]
    for name in roles:
        role = config.roles[name]
        backups = f" (backup: {', '.join(neutral(b) for b in role.backups)})" if role.backups else ""
        lines.append(f"- {_role(name)}: {_name(role.primary, config)}{backups}")
    return [*lines, ""]


def _role(name: str) -> str:
    return name.replace("_", " ")


def _name(username: str, config: Config) -> str:
    return f"@{username}" if config.meeting.mention else neutral(username)


def _how_to_approve(config: Config) -> str:
    emoji = " or ".join(f":{_emoji(e)}:" for e in _distinct_emoji(config.approval_emoji))
    return (
        f"Approve each post-mortem on its incident: award {emoji} to the post-mortem comment, "
        'or reply with a comment that says so plainly ("Approved."). The next audit reads the approvals there.'
    )


def _distinct_emoji(names: tuple[str, ...]) -> list[str]:
    """One name per emoji: the configuration's list also holds GitLab's aliases (+1 for thumbsup)."""
    shown: list[str] = []
    for name in names:
        if not any(name in emoji_names.names_of(other) for other in shown):
            shown.append(name)
    return shown


def _title(title: str, ref: str, confidential: bool, shown: Shown) -> str:
    return title if shown.allows(ref, confidential) else WITHHELD


def _review_block(review: Review, agenda: Agenda, config: Config, shown: Shown) -> list[str]:
    allowed = shown.allows(review.ref, review.confidential)
    author = neutral(review.author) if allowed else "its author"
    gap = neutral(review.gap) if allowed else WITHHELD_TEXT
    lines = [
        f"#### {_link(review.ref, review.url)} {neutral(_title(review.title, review.ref, review.confidential, shown))}",
        "",
        f"Post-mortem by {author}, posted {review.posted}. Not yet approved: {gap}.",
        "",
    ]
    for answer in review.answers:
        text = (neutral(answer.text) if allowed else WITHHELD_TEXT) if answer.text else "*(missing)*"
        lines.append(f"- **{neutral(answer.title)}:** {text}")
    lines.append("")
    for index, item in enumerate(checklist(config), start=1):
        key = f"{review.ref}:{index}"
        box = "x" if key in agenda.ticked else " "
        lines.append(f"- [{box}] {neutral(item)} <!-- ipm:{key} -->")
    return [*lines, ""]


def _link(ref: str, url: str) -> str:
    return f"[{reference(ref)}]({url})" if url else reference(ref)


def _emoji(name: str) -> str:
    """An emoji name from the config, as GitLab writes it (``white_check_mark``), else neutral."""
    return name if name.replace("_", "").replace("-", "").replace("+", "").isalnum() else neutral(name)


def with_ticks(agenda: Agenda, description: str | None) -> Agenda:
    """The agenda keeping the boxes already ticked in the meeting issue."""
    return Agenda(agenda.day, agenda.start, agenda.reviews, agenda.overdue, ticked_in(description))


def title(config: Config, day: date) -> str:
    return config.meeting.title.replace("{date}", day.isoformat())


def parse_day(value: str | None) -> date | None:
    if not value:
        return None
    return date.fromisoformat(value.strip())

