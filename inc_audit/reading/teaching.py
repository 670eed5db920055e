"""Teaching the audit a team's own headings: what a document's headings name nothing, a best
guess for each, and a schema that reads the headings a configuration's ``vocabulary:`` adds.

``inc-audit vocabulary`` lists ``unknown_heads`` with ``guess``; a configuration's
``vocabulary:`` section (concept name -> headings) gives ``taught`` its headings.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from inc_audit.reading.concepts import tokens
from inc_audit.reading.markdown import Document, Heading
from inc_audit.reading.schemas import DocumentSchema, Part

UNKNOWN_FORMS = ("atx", "setext", "bold")  # headings and bold lines: never a line of content


def taught(schema: DocumentSchema, headings: Mapping[str, Iterable[str]]) -> DocumentSchema:
    """``schema`` reading a team's own headings too (concept name -> headings: see
    ``Vocabulary.taught``; an unknown concept is a ``ConfigError``)."""
    return DocumentSchema(schema.schema, schema.origin, schema.vocabulary.taught(headings, schema.origin),
                          schema.templates)


def unknown_heads(schema: DocumentSchema, document: Document) -> list[Heading]:
    """The headings and bold lines of a document that name nothing the schema or the
    vocabulary knows (no section, not the document's title, no other known heading)."""
    return [
        head
        for head in document.heads
        if head.form in UNKNOWN_FORMS
        and schema.match(head) is None
        and not schema.names_itself(head)
        and not schema.other_keys.intersection(schema.vocabulary.head_keys(head.text))
    ]


def guess(schema: DocumentSchema, document: Document, head: Heading) -> tuple[Part, str] | None:
    """The best guess of the section an unknown heading stands for, and why: the section its
    text was recognised as, else the one whose headings share most of its words (by stems)."""
    for name, why in schema.recognised(document).items():
        if f"(line {head.line})" in why:
            return next(p for p in schema.parts if p.name == name), "its text"
    roots = schema.vocabulary.roots
    weak = roots.weak | roots.neutral
    words = [w for w in tokens(head.text) if w not in weak]
    best: tuple[int, Part | None] = (0, None)
    for part in schema.parts:
        wanted = {f for h in part.headings for w in tokens(h) if w not in weak for f in roots.forms(w)}
        shared = sum(1 for w in words if roots.forms(w) & wanted)
        if shared > best[0]:
            best = (shared, part)
    return None if best[1] is None else (best[1], "the words it shares with its headings")
