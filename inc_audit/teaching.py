"""`inc-audit vocabulary`: the headings a team writes that no section of the schemas answers to.

Every incident the audit would read is read as the audit reads it: its description as an
incident report, its comments that read (or almost read) as a post-mortem, its change tickets
(linked, or mentioning it) as changes. A head is listed when the kind's schema matches it to
no section and the vocabulary knows it as no other common heading (a title, a timeline):
real headings, bold lines alone, and bold labels (``**Why it broke:** ...``); plain, bullet
and table labels are everywhere in prose and are left out. Each is counted once per
document, grouped by its key (case, punctuation and numbering aside), shown as most often
written, with the section whose headings come closest and how close (0 to 1).
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher

from inc_audit.audit import is_audited
from inc_audit.config.file import Config
from inc_audit.model import Issue, IssueKey
from inc_audit.reading.markdown import Document, parse
from inc_audit.reading.schemas import DocumentSchema, Part
from inc_audit.rules import postmortem
from inc_audit.rules.changes import is_change
from inc_audit.rules.context import Context
from inc_audit.sources.interface import Source

KINDS = ("report", "post-mortem", "change")
SHOWN_LABELS = ("emphasis",)  # the label forms listed beside real headings and bold lines


@dataclass(frozen=True)
class Unmatched:
    """A heading no section answers to: its kind, as most often written, how many documents
    hold it, and the closest section with its score (None when nothing comes close)."""

    kind: str
    heading: str
    count: int
    guess: str | None
    score: float

    def as_json(self) -> dict[str, object]:
        return {"kind": self.kind, "heading": self.heading, "count": self.count,
                "guess": self.guess, "score": self.score}


@dataclass
class Tally:
    """The unmatched heads seen so far, by kind and key, with each spelling's count."""

    counts: Counter[tuple[str, str]]
    spellings: dict[tuple[str, str], Counter[str]]
    documents: Counter[str]

    @classmethod
    def empty(cls) -> Tally:
        return cls(Counter(), {}, Counter())


def scan(source: Source, config: Config, as_of: datetime) -> list[Unmatched]:
    """Every unmatched heading of the source's incidents, change tickets and post-mortems,
    ordered by count (most first), then text, then kind."""
    schemas = {kind: config.schema(kind) for kind in KINDS}
    tally = Tally.empty()
    for kind, document in documents(source, config, as_of, schemas):
        tally.documents[kind] += 1
        count(tally, kind, document, schemas[kind])
    found = []
    for (kind, key), number in tally.counts.items():
        spelling = min(tally.spellings[(kind, key)].items(), key=lambda item: (-item[1], item[0]))[0]
        part, score = closest(spelling, schemas[kind])
        found.append(Unmatched(kind, spelling, number, part.name if part else None, score))
    return sorted(found, key=lambda u: (-u.count, u.heading.casefold(), u.heading, KINDS.index(u.kind)))


def documents(
    source: Source, config: Config, as_of: datetime, schemas: dict[str, DocumentSchema]
) -> Iterator[tuple[str, Document]]:
    """Each document the audit reads, with its kind; a change ticket once however many incidents it handled."""
    changes: set[IssueKey] = set()
    for issue in source.candidate_issues(config.incident_labels):
        if issue.unreadable:
            continue
        if is_change(issue.labels, issue.issue_type, config):
            if issue.key not in changes:
                changes.add(issue.key)
                yield "change", parse(issue.description)
            continue
        if not is_audited(issue, config):
            continue
        yield "report", parse(issue.description)
        ctx = Context(issue, config, source, as_of)
        for note_text in post_mortems(issue, ctx, schemas["post-mortem"]):
            yield "post-mortem", parse(note_text)
        for change in (*ctx.changes, *ctx.mentioned_changes):
            if change.key not in changes:
                changes.add(change.key)
                yield "change", parse(change.description)


def post_mortems(issue: Issue, ctx: Context, schema: DocumentSchema) -> list[str]:
    """The comments read as a post-mortem, and those that look like one but are not read as one."""
    near = postmortem.near_misses(issue.notes, schema, ctx.team)
    notes = {id(note): note for note in (*(c.note for c in ctx.candidates), *(m.note for m in near))}
    return [note.body for note in sorted(notes.values(), key=lambda n: (n.created_at, n.id))]


def count(tally: Tally, kind: str, document: Document, schema: DocumentSchema) -> None:
    """Add the document's unmatched heads, each key once."""
    known = known_keys(schema)
    seen: set[str] = set()
    for head in document.heads:
        if head.is_label and head.form not in SHOWN_LABELS:
            continue
        key = schema.vocabulary.key(head.text)
        if not key or key in seen or key in known or schema.match(head) is not None or schema.names_itself(head):
            continue
        seen.add(key)
        tally.counts[(kind, key)] += 1
        tally.spellings.setdefault((kind, key), Counter())[head.text.strip()] += 1


_KNOWN: dict[int, frozenset[str]] = {}


def known_keys(schema: DocumentSchema) -> frozenset[str]:
    """Keys of headings the vocabulary knows that are no section of this schema (titles,
    timelines, the other kinds' sections) and the schema's own title."""
    found = _KNOWN.get(schema.serial)
    if found is None:
        words = schema.vocabulary
        headings = itertools.chain(words.other_headings, *words.concepts.values())
        found = frozenset(k for heading in headings for k in words.keys(heading)) | schema.identify
        _KNOWN[schema.serial] = found
    return found


def closest(text: str, schema: DocumentSchema) -> tuple[Part | None, float]:
    """The section whose headings come closest to ``text``, and how close (0 to 1, two decimals):
    the share of words the two headings hold in common, a word with a small typo counting as held."""
    words = schema.vocabulary
    mine = list(dict.fromkeys(words.words_of(text)))
    best: tuple[Part | None, float] = (None, 0.0)
    for part in schema.parts:
        for heading in part.headings:
            theirs = list(dict.fromkeys(words.words_of(heading)))
            shared = sum(1 for word in mine if any(_alike(word, other) for other in theirs))
            total = len(mine) + len(theirs) - shared
            score = round(shared / total, 2) if total else 0.0
            if score > best[1]:
                best = (part, score)
    return best


def _alike(one: str, other: str) -> bool:
    """The same word, or one with a small typo: only for words of four letters or more."""
    if one == other:
        return True
    if min(len(one), len(other)) < 4 or abs(len(one) - len(other)) > 2:
        return False
    return SequenceMatcher(None, one, other, autojunk=False).ratio() >= 0.8
