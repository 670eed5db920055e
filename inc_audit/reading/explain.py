"""Findings that help: what is missing and what came closest, what hides it, why a text is no document."""

from __future__ import annotations

import itertools
import json
from typing import TYPE_CHECKING

from inc_audit.reading.markdown import BOLD_FORMS, HEADING_FORMS, Document, Heading
from inc_audit.reading.words import tokens
from inc_audit.text import quote

if TYPE_CHECKING:
    from inc_audit.reading.schemas import DocumentSchema, Part

MAX_CLOSEST = 200  # heads looked at for the closest heading to a missing section
SHOWN_ACCEPTED = 3
CLOSEST_FORMS = HEADING_FORMS + BOLD_FORMS + ("table",)  # headings, never a line of content
RUN = "or run `inc-audit vocabulary`"
TEACH = f"add it under vocabulary: in .inc-audit.yml, {RUN}"


def why_not(schema: DocumentSchema, document: Document) -> str | None:
    """Why a document that looks like this kind cannot be read as one; None when it can."""
    if schema.matches(document):
        return None
    hidden = [h for h in document.hidden if schema.match(h) is not None or schema.names_itself(h)]
    if document.unclosed_comment is not None and hidden:
        return (
            f"an HTML comment opened on line {document.unclosed_comment} is never closed "
            f"and hides '{quote(hidden[0].raw)}' (line {hidden[0].line})"
        )
    found = schema.resolve(document)
    if not found:
        return f"no heading or label names a section of the {schema.title}"
    names = ", ".join(f"'{quote(s.heading.raw or s.heading.text)}'" for s in found.values())
    wanted = ", ".join(p.title for p in schema.required_parts if p.name not in found)
    return f"only {names} of the {schema.title}'s sections, and no heading names it (missing: {wanted})"


def missing_message(schema: DocumentSchema, part: Part, document: Document) -> str:
    """``no section 'X' (closest: '### Y'; accepted: 'A', 'B', ...)``, or the comment hiding it."""
    for head in document.hidden:
        matched = schema.match(head)
        if matched is not None and matched[0].name == part.name:
            return (
                f"no section '{part.title}': '{quote(head.raw)}' (line {head.line}) is inside an HTML comment "
                f"opened on line {document.unclosed_comment} and never closed"
            )
    shown = accepted_examples(part)
    accepted = ", ".join(f"'{h}'" for h in shown)
    more = len(part.headings) - len(shown)
    accepted += f" and {more} more" if more > 0 else ""
    near = closest(schema, part, document)
    where = f"closest: '{quote((near.raw or near.text).strip())}' on line {near.line}; " if near else ""
    return f"no section '{part.title}' ({where}accepted: {accepted}; {teach(schema, part, near)})"


def teach(schema: DocumentSchema, part: Part, near: Heading | None) -> str:
    """How to have the closest heading read as the part: the configuration's ``vocabulary:``."""
    if near is None or not schema.kind:
        return f"for a heading of your own, {TEACH}"
    heading = json.dumps(quote(near.text), ensure_ascii=False)
    snippet = f"vocabulary: {{{schema.kind}: {{{part.name}: [{heading}]}}}}"
    return f"if it is this section, teach it: {snippet} in the configuration (.inc-audit.yml), " + RUN


def closest(schema: DocumentSchema, part: Part, document: Document) -> Heading | None:
    """The heading most like the part's headings (their words, by their stems) that names no
    part, if one shares a word: a heading or bold line, never a label in the text."""
    roots = schema.vocabulary.roots
    weak = roots.weak | roots.neutral
    wanted: set[str] = set()
    for heading in part.headings:
        for word in tokens(heading):
            if word not in weak:
                wanted |= roots.forms(word)
    best: tuple[float, int] = (0.0, 0)
    found = None
    for order, head in enumerate(itertools.islice(document.heads, MAX_CLOSEST)):
        if head.form not in CLOSEST_FORMS or schema.match(head) is not None or schema.names_itself(head):
            continue
        words = [w for w in tokens(head.text) if w not in weak]
        if not words:
            continue
        score = sum(1 for w in words if roots.forms(w) & wanted) / len(words)
        if score > best[0]:
            best, found = (score, -order), head
    return found


def unclosed_note(document: Document, text: str) -> str:
    """Where an HTML comment that never closes swallows the section's answer."""
    start = document.unclosed_comment
    opened = text.rfind("<!--")
    if start is None or opened < 0 or "-->" in text[opened:]:
        return ""
    return f" (an HTML comment opened on line {start} is never closed and hides the rest)"


def accepted_examples(part: Part) -> list[str]:
    """The template's own heading, then the shortest others: what a writer can pick from."""
    first = part.headings[0]
    # the schema's order among headings of one length (a set's order would change with the hash seed)
    others = sorted((h for h in dict.fromkeys(part.headings[1:]) if h != first), key=len)
    return [first, *others[: SHOWN_ACCEPTED - 1]]
