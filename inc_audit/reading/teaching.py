"""Teaching the audit a team's own headings: which of a document's headings name nothing, and
a best guess for each.

``inc-audit vocabulary`` (inc_audit/adoption/teaching.py) lists ``unknown_heads`` with their ``guess``;
the headings a team confirms go to the configuration's ``vocabulary:`` section, which
``schemas.load`` adds to the parts they name (reading/taught.py).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from inc_audit.reading.markdown import BOLD_FORMS, HEADING_FORMS, Document, Heading
from inc_audit.reading.schemas import DocumentSchema, Part
from inc_audit.reading.words import tokens

# Headings (Markdown, HTML, wiki), bold lines, <details> summaries, and bold labels
# ("**Why it broke:** ..."): never a plain, bullet or table label, which are everywhere in prose.
UNKNOWN_FORMS = HEADING_FORMS + BOLD_FORMS + ("emphasis",)
BY_TEXT = 1.0  # the score of a guess made from the section's own text


@dataclass(frozen=True)
class Guess:
    """The section an unknown heading most likely stands for, why, and how sure (0 to 1): 1 when its
    text was recognised as that section, else the share of its words that the section's headings hold."""

    part: Part
    why: str
    score: float


def unknown_heads(schema: DocumentSchema, document: Document) -> list[Heading]:
    """The heads of a document that name nothing the schema or the vocabulary knows: no section,
    not the document's title, no other common heading (a timeline), no other kind's section."""
    known = known_keys(schema)
    return [
        head
        for head in document.heads
        if head.form in UNKNOWN_FORMS
        and schema.match(head) is None
        and not schema.names_itself(head)
        and not known.intersection(schema.vocabulary.head_keys(head.text))
    ]


_KNOWN: dict[int, frozenset[str]] = {}


def known_keys(schema: DocumentSchema) -> frozenset[str]:
    """Keys of the headings the vocabulary knows that are no section of this schema (titles,
    timelines, the other kinds' sections), and the schema's own title."""
    found = _KNOWN.get(schema.serial)
    if found is None:
        words = schema.vocabulary
        headings = itertools.chain(words.other_headings, *words.concepts.values())
        found = frozenset(k for heading in headings for k in words.keys(heading)) | schema.identify
        _KNOWN[schema.serial] = found
    return found


def guess(schema: DocumentSchema, document: Document, head: Heading) -> Guess | None:
    """The best guess of the section an unknown heading stands for: the section its text was
    recognised as, else the one whose headings share most of its words (by their stems, in
    English and French, a small typo aside)."""
    for name, why in schema.recognised(document).items():
        if f"(line {head.line})" in why:
            return Guess(next(p for p in schema.parts if p.name == name), "its text", BY_TEXT)
    roots = schema.vocabulary.roots
    weak = roots.weak | roots.neutral
    words = list(dict.fromkeys(w for w in tokens(head.text) if w not in weak))
    best: tuple[int, Part | None] = (0, None)
    for part in schema.parts:
        wanted = {f for h in part.headings for w in tokens(h) if w not in weak for f in roots.forms(w)}
        shared = sum(1 for w in words if roots.forms(w) & wanted)
        if shared > best[0]:
            best = (shared, part)
    if best[1] is None:
        return None
    return Guess(best[1], "the words it shares with its headings", round(best[0] / len(words), 2))
