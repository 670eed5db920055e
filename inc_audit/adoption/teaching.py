"""`inc-audit vocabulary`: the headings a team writes that no section of the schemas answers to.

Every incident the audit would read is read as the audit reads it: its description as an
incident report, its comments that read (or almost read) as a post-mortem, its change tickets
(linked, or mentioning it) as changes. The heads listed are those ``reading.teaching.unknown_heads``
finds: real headings in every markup, bold lines alone, summaries and bold labels
(``**Why it broke:** ...``) that name no section and no other heading the vocabulary knows.
Each is counted once per document, grouped by its key (case, punctuation and numbering aside),
shown as most often written, with ``reading.teaching.guess``: the section its text was read
as, else the one whose headings share most of its words, and how sure (0 to 1).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from inc_audit.audit import is_audited
from inc_audit.config.file import Config
from inc_audit.model import Issue, IssueKey
from inc_audit.reading import teaching
from inc_audit.reading.markdown import Document, parse
from inc_audit.reading.schemas import DocumentSchema
from inc_audit.rules import postmortem
from inc_audit.rules.changes import is_change
from inc_audit.rules.context import Context
from inc_audit.sources.interface import Source

KINDS = ("report", "post-mortem", "change")


@dataclass(frozen=True)
class Unmatched:
    """A heading no section answers to: its kind, as most often written, how many documents
    hold it, and the best guess with its score (None when nothing comes close)."""

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
    """The unmatched heads seen so far, by kind and key, with each spelling's count and the
    best guess made for the key in any document."""

    counts: Counter[tuple[str, str]]
    spellings: dict[tuple[str, str], Counter[str]]
    documents: Counter[str]
    guesses: dict[tuple[str, str], teaching.Guess | None]

    @classmethod
    def empty(cls) -> Tally:
        return cls(Counter(), {}, Counter(), {})


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
        best = tally.guesses.get((kind, key))
        found.append(Unmatched(kind, spelling, number, best.part.name if best else None, best.score if best else 0.0))
    return sorted(found, key=lambda u: (-u.count, u.heading.casefold(), u.heading, KINDS.index(u.kind)))


def documents(
    source: Source, config: Config, as_of: datetime, schemas: dict[str, DocumentSchema]
) -> Iterator[tuple[str, Document]]:
    """Each document the audit reads, with its kind; a change ticket once however many incidents it handled."""
    changes: set[IssueKey] = set()
    for issue in source.candidate_issues(config.incident_labels):
        yield from _documents_of(issue, source, config, as_of, schemas, changes)
        source.release(issue.key)  # what the source read of it is no longer needed


def _documents_of(
    issue: Issue, source: Source, config: Config, as_of: datetime, schemas: dict[str, DocumentSchema],
    changes: set[IssueKey],
) -> Iterator[tuple[str, Document]]:
    if issue.unreadable:
        return
    if is_change(issue.labels, issue.issue_type, config):
        if issue.key not in changes:
            changes.add(issue.key)
            yield "change", parse(issue.description)
        return
    if not is_audited(issue, config):
        return
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
    """Add the document's unmatched heads, each key once, keeping the surest guess for each key."""
    seen: set[str] = set()
    for head in teaching.unknown_heads(schema, document):
        key = schema.vocabulary.key(head.text)
        if not key or key in seen:
            continue
        seen.add(key)
        tally.counts[(kind, key)] += 1
        tally.spellings.setdefault((kind, key), Counter())[head.text.strip()] += 1
        found = teaching.guess(schema, document, head)
        kept = tally.guesses.get((kind, key))
        if found is not None and (kept is None or found.score > kept.score):
            tally.guesses[(kind, key)] = found
