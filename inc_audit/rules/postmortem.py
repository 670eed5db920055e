"""Which comment is the post-mortem, and the rules on it: due (IPM001), complete (IPM002).

Every comment that reads as a post-mortem is a candidate, and so is a post-mortem split over
consecutive comments of one author ("part 2/2": a long paste cut in two). The final report is
the one that answers the most required sections, the last of equals, the incident team's
before anyone else's: a reviewer's questions under bold labels, or a later addendum, do not
replace it. A comment that looks like a post-mortem but cannot be read as one is named, with
why (IPM002), rather than reported as no post-mortem (IPM001).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from inc_audit.findings import Finding
from inc_audit.model import Note
from inc_audit.reading import explain, validity
from inc_audit.reading.markdown import Document, meaningful_text, parse
from inc_audit.reading.memo import Memo
from inc_audit.reading.schemas import DocumentSchema, Part, heading_key
from inc_audit.rules.registry import rule

if TYPE_CHECKING:
    from inc_audit.rules.context import Context

_FENCE = re.compile(r"^ {0,3}(```|~~~)[^\n]*\n(.*?)(?:^ {0,3}\1[ \t]*$|\Z)", re.DOTALL | re.MULTILINE)
_LABEL = re.compile(
    r"^\s*(?:[-*+]|\d+[.)])?\s*(?:\*\*|__)?(?P<label>[^:\n*_]{2,80}?)(?:\*\*|__)?\s*[:：]\s*(?P<rest>.*)$"
)
_QUESTION = re.compile(r"[?？]\s*$")
_LINK = re.compile(r"\[[^\]\n]*\]\([^)\s]+\)|https?://\S+|/uploads/\S+")
ELSEWHERE = (
    "it points to the post-mortem elsewhere (a link or an attachment) instead of holding it: "
    "write its sections in the comment, where the audit and the IPM can read them"
)
_SETEXT = re.compile(r"^ {0,3}(?:=+|-+)\s*$")
# what opens the later part of a split post-mortem: "(2/2)", "2/2 —", "Part two —", "Partie 2 :"
_PART_MARK = re.compile(
    r"\A\s*(?:\(\s*\d\s*/\s*\d\s*\)|\d\s*/\s*\d|(?:part|partie|teil|parte)\s+(?:\d|one|two|three|deux|trois|ii?i?))"
    r"(?:\s*(?:of|/|sur)\s*\d)?\s*(?:[—–:.,)-]\s*|\s+(?=\*\*|__))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Candidate:
    note: Note
    document: Document
    answered: int  # how many required sections hold an answer
    team: bool  # written by the incident team


def answered_sections(schema: DocumentSchema, document: Document) -> int:
    """How many of the schema's required sections a document answers.

    A section answers when it is not empty and is not only questions (a reviewer's
    ``**Root cause:** why did the alert not fire?``).
    """
    return len(_answered_parts(schema, document, schema.required_parts))


def _answered_parts(schema: DocumentSchema, document: Document, parts: Iterable[Part]) -> set[str]:
    instance = schema.instance(document)
    return {part.name for part in parts if _answers(instance.get(part.group, {}).get(part.name) or {})}


def only_questions(text: str) -> bool:
    lines = [line.strip(" \t-*+>") for line in meaningful_text(text).splitlines()]
    lines = [line for line in lines if line]
    return bool(lines) and all(_QUESTION.search(line) for line in lines)


def candidates(notes: Iterable[Note], schema: DocumentSchema, team: frozenset[str]) -> list[Candidate]:
    """Every comment that reads as a post-mortem, oldest first; ``team`` holds lower-case names.

    A post-mortem split over consecutive comments of one author is one more candidate: the
    comments joined, as the last of them (posted when the last part was).
    """
    found = []
    previous: _Part | None = None
    for note in notes:
        if note.system:
            continue
        part = _Part(note, schema)
        if part.could_match and schema.matches(part.document):
            found.append(_candidate(note, part.document, schema, team))
        joined = _joined(previous, part, schema)
        if joined is not None:
            found.append(_candidate(joined.note, joined.document, schema, team))
        previous = joined or part
    return found


def _candidate(note: Note, document: Document, schema: DocumentSchema, team: frozenset[str]) -> Candidate:
    return Candidate(note, document, answered_sections(schema, document), note.author.lower() in team)


class _Part:
    """A comment (or comments joined) that may be part of a post-mortem: parsed only when needed."""

    def __init__(self, note: Note, schema: DocumentSchema, document: Document | None = None) -> None:
        self.note = note
        self.could_match = document is not None or schema.could_match(note.body)
        self._document = document

    @property
    def document(self) -> Document:
        if self._document is None:  # a part's mark opening the comment heads nothing ("(2/2) **Next**")
            self._document = parse(_PART_MARK.sub("", self.note.body, count=1))
        return self._document


def _joined(first: _Part | None, second: _Part, schema: DocumentSchema) -> _Part | None:
    """The two comments as one post-mortem, when they are one split in two: the same author, one
    right after the other, each answering sections the other leaves unanswered ("follow-ups in the
    next comment"), together answering more."""
    if first is None or first.note.author.lower() != second.note.author.lower():
        return None
    body = f"{first.note.body.rstrip()}\n\n{_PART_MARK.sub('', second.note.body, count=1).lstrip()}"
    if not schema.could_match(body):
        return None  # together they name no post-mortem and no two of its sections: no need to parse
    sections = [part for part in schema.parts if part.group == "sections"]
    answered_first = _answered_parts(schema, first.document, sections)
    answered_second = _answered_parts(schema, second.document, sections)
    if not answered_first or not answered_second or answered_first & answered_second:
        return None  # a part answering nothing, or a revision answering again, is no continuation
    note = replace(second.note, body=body, parts=(*first.note.parts, first.note.id))
    document = parse(body)
    answered = answered_sections(schema, document)
    if not schema.matches(document) or answered <= max(
        answered_sections(schema, first.document), answered_sections(schema, second.document)
    ):
        return None
    return _Part(note, schema, document)


def final(found: list[Candidate]) -> Candidate | None:
    """The candidate that answers the most required sections, the incident team's first; of
    equals, the last (a revision replaces its draft, an addendum does not replace the report)."""
    pool = [c for c in found if c.answered] or found
    pool = [c for c in pool if c.team] or pool
    best = max((c.answered for c in pool), default=0)
    return next((c for c in reversed(pool) if c.answered == best), None)


# --- comments that look like a post-mortem but are not read as one ------------------------------


@dataclass(frozen=True)
class NearMiss:
    note: Note
    why: str


def near_misses(notes: Iterable[Note], schema: DocumentSchema, team: frozenset[str]) -> list[NearMiss]:
    """Comments that look like a post-mortem (its headings, or its section names as labels) and
    hold answers, but that the schema cannot read as one; the incident team's first."""
    found = [miss for note in notes if not note.system for miss in _near_miss(note, schema)]
    return [m for m in found if m.note.author.lower() in team] or found


def _near_miss(note: Note, schema: DocumentSchema) -> Iterator[NearMiss]:
    """Why the comment looks like a post-mortem but is not read as one (at most one reason). The
    reason depends only on its text, remembered: comments repeat from incident to incident."""
    text = note.body
    for why in _NEAR_MISSES.get(text, (schema.serial, text), lambda: tuple(_why_near(text, schema))):
        yield NearMiss(note, why)


_NEAR_MISSES: Memo[tuple[str, ...]] = Memo()


def _why_near(text: str, schema: DocumentSchema) -> Iterator[str]:
    """Why a comment's ``text`` looks like a post-mortem but is not read as one, if it does."""
    names = {part.name: part.title for part in schema.parts if part.group == "sections"}
    keys = {key: part.name for part in schema.parts if part.group == "sections" for key in part.keys}
    document = parse(text)
    if schema.matches(document):
        return
    if _names_itself(text, schema) and _LINK.search(text):
        yield ELSEWHERE
        return
    hidden = document.unclosed_comment is not None and document.hidden
    why = explain.why_not(schema, document) if hidden else None
    if why:  # an HTML comment that never closes hides the post-mortem's headings
        yield why
        return
    fenced = "\n".join(m.group(2) for m in _FENCE.finditer(text))
    if fenced and schema.matches(parse(fenced)):
        yield ("its headings are inside a code block, which is not read as markdown: "
               "take the post-mortem out of the ``` fence")
        return
    labels = _labels(text, keys, schema.identify)
    if len(labels) >= 2:
        titles = ", ".join(f"'{names[name]}'" for name in labels)
        yield (f"its sections ({titles}) are written as inline labels, not headings: "
               "put each under its own heading (### Root cause analysis)")
        return
    found = schema.instance(document).get("sections", {})
    answered = [
        part for part in schema.parts
        if part.group == "sections" and part.name in found and _answers(found[part.name])
        and _heading_line(text, found[part.name].get("line"))
    ]
    if len(answered) == 1:
        yield (f"only the section '{answered[0].title}' is recognised: a post-mortem needs the "
               f"heading '{schema.title}' or at least two of its sections as headings")


def _names_itself(text: str, schema: DocumentSchema) -> bool:
    """Whether the comment's first line names the kind: "Post-mortem: [report](...)"."""
    first = next((line for line in meaningful_text(text).splitlines() if line.strip()), "")
    match = _LABEL.match(first)
    label = match.group("label") if match else first
    return heading_key(label) in schema.identify


def points_elsewhere(schema: DocumentSchema, document: Document) -> bool:
    """A post-mortem with none of its sections that links to a document or an attachment."""
    found = schema.instance(document).get("sections", {})
    return not any(part.name in found for part in schema.parts) and bool(_LINK.search(document.text))


def _answers(section: dict[str, object]) -> bool:
    return not section.get("empty", True) and not only_questions(str(section.get("text", "")))


def _heading_line(text: str, line: object) -> bool:
    """Whether ``line`` of ``text`` is a markdown heading (ATX or setext), not a label or bold line."""
    lines = text.replace("\r\n", "\n").split("\n")
    if not isinstance(line, int) or not 0 < line <= len(lines):
        return False
    following = lines[line] if line < len(lines) else ""
    return lines[line - 1].lstrip(" ").startswith("#") or bool(_SETEXT.match(following))


def _labels(text: str, keys: dict[str, str], identify: frozenset[str]) -> list[str]:
    """The sections named as ``Label: answer`` lines (bullets or bold labels), in order."""
    found: dict[str, None] = {}
    for line in text.splitlines():
        match = _LABEL.match(line)
        if not match:
            continue
        key = heading_key(match.group("label"))
        rest = match.group("rest").strip()
        if key in keys and rest and not _QUESTION.search(rest):
            found[keys[key]] = None
    return list(found)


# --- the rules -------------------------------------------------------------------------------


@rule("IPM001")
def missing_post_mortem(ctx: Context) -> Iterator[Finding]:
    if ctx.final_post_mortem is not None or ctx.unreadable_post_mortems:
        return  # a post-mortem, even one that cannot be read, makes the deadline moot
    if ctx.overdue:
        closed = ctx.issue.closed_at
        assert closed is not None
        due = ctx.config.calendar.local_date(ctx.due_after(closed)).isoformat()
        yield ctx.finding("IPM001", f"no post-mortem comment; it was due by {due}")


@rule("IPM002")
def incomplete_post_mortem(ctx: Context) -> Iterator[Finding]:
    if ctx.final_post_mortem is None:
        if ctx.unreadable_post_mortems:
            miss = ctx.unreadable_post_mortems[-1]
            yield ctx.finding(
                "IPM002",
                f"comment {miss.note.id} looks like a post-mortem but cannot be read as one: {miss.why}",
                where=f"note {miss.note.id}",
            )
        return
    note, document = ctx.final_post_mortem
    if points_elsewhere(ctx.post_mortem_schema, document):
        yield ctx.finding("IPM002", f"post-mortem: {ELSEWHERE}", where=f"note {note.id}")
        return
    for problem in validity.problems(ctx.post_mortem_schema, document):
        if problem.part.group == "sections":
            yield ctx.finding(
                "IPM002",
                f"post-mortem: {problem.said}",
                section=problem.part.name,
                line=problem.line,
                where=f"note {note.id}",
            )
