"""GitLab API entries (issues, notes, links, award emoji) made into model values, strictly.

Every field inc-audit reads is checked for the type GitLab documents. Text is repaired
(``text.repair``: a lone surrogate becomes U+FFFD) so that every writer can encode it. A
field of the wrong type, or a timestamp that is malformed or out of range, raises
``Unreadable`` naming the field: the source reports the incident as unreadable instead of
guessing (``bool("false")`` is True, a label string iterates as letters).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

from inc_audit.model import Award, Issue, IssueKey, LinkedIssue, Note, parse_time
from inc_audit.sources.export.source import issue_type_of
from inc_audit.sources.interface import Unreadable
from inc_audit.text import repair

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
FIRST_YEAR, LAST_YEAR = 1970, 8999
"""Timestamps outside these years are corrupt, and deadline arithmetic on them would overflow."""

ISSUE_FIELDS = (
    "id", "iid", "project_id", "title", "description", "labels", "issue_type", "type", "state",
    "created_at", "updated_at", "closed_at", "confidential", "web_url", "user_notes_count",
)
NOTE_FIELDS = ("id", "body", "created_at", "updated_at", "system")
AWARD_FIELDS = ("name", "created_at")
UNREADABLE = "unreadable"
"""An entry's field (never kept from GitLab's answer by ``slim_issue``) saying why a source
could not read the issue."""


# --- fields ----------------------------------------------------------------------------


def kind_of(value: Any) -> str:
    names = {bool: "a boolean", int: "a number", float: "a number", str: "text", list: "a list", dict: "an object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def text(raw: dict[str, Any], name: str) -> str:
    """A text field (missing or null: ""), repaired."""
    value = raw.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Unreadable(f"{name} is {kind_of(value)}, not text")
    return repair(value)


def number(raw: dict[str, Any], name: str) -> int:
    value = raw.get(name)
    if type(value) is not int:
        raise Unreadable(f"{name} is {kind_of(value)}, not a whole number")
    return value


def flag(raw: dict[str, Any], name: str) -> bool:
    value = raw.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise Unreadable(f"{name} is {kind_of(value)}, not true or false")
    return value


def moment(raw: dict[str, Any], name: str) -> datetime | None:
    """A timestamp field (missing or null: None), as aware UTC within the years allowed."""
    value = raw.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Unreadable(f"{name} is {kind_of(value)}, not a timestamp")
    try:
        parsed = parse_time(value)
    except ValueError:
        raise Unreadable(f"{name} {repair(value)[:40]!r} is not a timestamp") from None
    if parsed is None or not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise Unreadable(f"{name} {repair(value)[:40]!r} is out of range")
    return parsed


def username(raw: dict[str, Any], name: str) -> str:
    """The username of a user field ("author", "user"); "unknown" when GitLab gives none."""
    user = raw.get(name)
    if user is None:
        return "unknown"
    if not isinstance(user, dict):
        raise Unreadable(f"{name} is {kind_of(user)}, not a user")
    return text(user, "username") or "unknown"


def labels_of(raw: dict[str, Any]) -> tuple[str, ...]:
    """Label names, whether GitLab gives names or label objects (``with_labels_details``)."""
    value = raw.get("labels")
    if value is None:
        return ()
    if not isinstance(value, list):
        raise Unreadable(f"labels is {kind_of(value)}, not a list")
    names = []
    for label in value:
        name = text(label, "name") if isinstance(label, dict) else label
        if not isinstance(name, str):
            raise Unreadable(f"a label is {kind_of(label)}, not a name")
        if name:
            names.append(repair(name))
    return tuple(names)


def issue_type(raw: dict[str, Any]) -> str:
    kind = text(raw, "issue_type") or text(raw, "type")
    return issue_type_of({"issue_type": kind})


def state(raw: dict[str, Any]) -> str:
    return "closed" if text(raw, "state") == "closed" else "opened"


def _object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Unreadable(f"{what} is {kind_of(value)}, not an object")
    return value


# --- entries -----------------------------------------------------------------------------


def note_from_api(raw: dict[str, Any]) -> Note | None:
    """A ``Note`` as export.py builds it, from a notes endpoint entry (None: no id or time)."""
    entry = _object(raw, "a note")
    try:
        created = moment(entry, "created_at")
        if created is None or entry.get("id") is None:
            return None
        return Note(
            id=number(entry, "id"),
            body=text(entry, "body"),
            author=username(entry, "author"),
            created_at=created,
            system=flag(entry, "system"),
            updated_at=moment(entry, "updated_at"),
        )
    except Unreadable as problem:
        raise Unreadable(f"note {_label(entry)}: {problem}") from None


def notes_from_api(raws: Iterable[Any]) -> list[Note]:
    return [note for note in map(note_from_api, raws) if note is not None]


def issue_from_api(key: IssueKey, raw: dict[str, Any], notes: Iterable[Note]) -> Issue:
    """An ``Issue`` as export.py builds it, from an issues endpoint entry and its notes.

    An entry holding ``UNREADABLE`` (a source that found the issue's answer broken in a way
    no field shows, as GraphQL's connections can be) is unreadable for that reason.
    """
    problem = raw.get(UNREADABLE)
    if isinstance(problem, str):
        raise Unreadable(problem)
    created = moment(raw, "created_at") or EPOCH
    updated = moment(raw, "updated_at") or created
    closed = state(raw) == "closed"
    return Issue(
        key=key,
        title=text(raw, "title"),
        description=text(raw, "description"),
        labels=labels_of(raw),
        issue_type=issue_type(raw),
        state="closed" if closed else "opened",
        author=username(raw, "author"),
        created_at=created,
        updated_at=updated,
        closed_at=(moment(raw, "closed_at") or updated) if closed else None,
        confidential=flag(raw, "confidential"),
        web_url=text(raw, "web_url"),
        notes=tuple(sorted(notes, key=lambda n: (n.created_at, n.id))),
        assignees=assignees_of(raw),
    )


def assignees_of(raw: dict[str, Any]) -> tuple[str, ...]:
    """The assignees' usernames; anything that is not a user entry is left out."""
    found = raw.get("assignees")
    people = found if isinstance(found, list) else []
    return tuple(p["username"] for p in people if isinstance(p, dict) and isinstance(p.get("username"), str))


def assemble(key: IssueKey, raw: Any, notes: Callable[[], Iterable[Note]]) -> Issue:
    """``issue_from_api`` of ``raw`` and ``notes()``, or the issue marked unreadable."""
    try:
        return issue_from_api(key, _object(raw, "the issue"), notes())
    except Unreadable as problem:
        return unreadable_issue(key, raw, str(problem))


def unreadable_issue(key: IssueKey, raw: Any, reason: str) -> Issue:
    """What can be said of an issue GitLab described in a shape inc-audit cannot read.

    Its title and URL are kept when they are text; it counts as confidential unless GitLab
    said plainly that it is not, so that a public report never shows more than it should.
    """
    entry = raw if isinstance(raw, dict) else {}
    title, url = entry.get("title"), entry.get("web_url")
    return Issue(
        key=key,
        title=repair(title) if isinstance(title, str) else "",
        description="",
        labels=(),
        issue_type="incident",
        state="closed" if entry.get("state") == "closed" else "opened",
        author="unknown",
        created_at=EPOCH,
        updated_at=EPOCH,
        confidential=entry.get("confidential") is not False,
        web_url=repair(url) if isinstance(url, str) else "",
        unreadable=reason,
    )


def linked_from_api(key: IssueKey, raw: dict[str, Any]) -> LinkedIssue:
    """A ``LinkedIssue`` from a links endpoint entry."""
    try:
        return LinkedIssue(
            key=key,
            title=text(raw, "title"),
            labels=labels_of(raw),
            description=text(raw, "description"),
            state=state(raw),
            issue_type=issue_type(raw),
            web_url=text(raw, "web_url"),
            confidential=flag(raw, "confidential"),
        )
    except Unreadable as problem:
        raise Unreadable(f"linked issue {key}: {problem}") from None


def award_from_api(raw: Any) -> Award:
    entry = _object(raw, "an award emoji")
    try:
        return Award(name=text(entry, "name"), username=username(entry, "user"),
                     created_at=moment(entry, "created_at"))
    except Unreadable as problem:
        raise Unreadable(f"award emoji {_label(entry)}: {problem}") from None


def iid_of(raw: Any) -> int:
    """The issue number of an issues or links endpoint entry."""
    return number(_object(raw, "an issue entry"), "iid")


def _label(entry: dict[str, Any]) -> str:
    value = entry.get("id")
    return str(value) if type(value) is int else "(no id)"


# --- slimming ----------------------------------------------------------------------------


def _slim(raw: Any, fields: tuple[str, ...], user: str) -> Any:
    """The fields inc-audit reads of an API entry; the rest (avatars, URLs...) is dropped.

    An entry that is not an object is kept as it is, for the converters to report.
    """
    if not isinstance(raw, dict):
        return raw
    kept = {name: raw[name] for name in fields if name in raw}
    person = raw.get(user)
    if isinstance(person, dict):
        kept[user] = {"username": person.get("username")}
    elif person is not None:
        kept[user] = person
    references = raw.get("references")
    if isinstance(references, dict) and "full" in references:
        kept["references"] = {"full": references["full"]}
    return kept


def slim_issue(raw: Any) -> Any:
    """An issues or links endpoint entry, cut to what ``issue_from_api`` and co. read."""
    kept = _slim(raw, ISSUE_FIELDS, "author")
    if isinstance(raw, dict) and isinstance(raw.get("assignees"), list):
        kept["assignees"] = [{"username": a.get("username")} for a in raw["assignees"] if isinstance(a, dict)]
    return kept


def slim_note(raw: Any) -> Any:
    return _slim(raw, NOTE_FIELDS, "author")


def slim_award(raw: Any) -> Any:
    return _slim(raw, AWARD_FIELDS, "user")
