"""Findings that help: what is missing and what came closest, what hides it, why a text is no document."""

from __future__ import annotations

import itertools
import json
from typing import TYPE_CHECKING

from inc_audit.reading.markdown import Document, Heading

if TYPE_CHECKING:
    from inc_audit.reading.schemas import DocumentSchema, Part

MAX_CLOSEST = 200  # heads looked at for the closest heading to a missing section
SHOWN_ACCEPTED = 3


def why_not(schema: DocumentSchema, document: Document) -> str | None:
    """Why a document that looks like this kind cannot be read as one; None when it can."""
    if schema.matches(document):
        return None
    hidden = [h for h in document.hidden if schema.match(h) is not None or schema.names_itself(h)]
    if document.unclosed_comment is not None and hidden:
        return (
            f"an HTML comment opened on line {document.unclosed_comment} is never closed "
            f"and hides '{hidden[0].raw}' (line {hidden[0].line})"
        )
    found = schema.resolve(document)
    if not found:
        return f"no heading or label names a section of the {schema.title}"
    names = ", ".join(f"'{s.heading.raw or s.heading.text}'" for s in found.values())
    wanted = ", ".join(p.title for p in schema.required_parts if p.name not in found)
    return f"only {names} of the {schema.title}'s sections, and no heading names it (missing: {wanted})"


def missing_message(schema: DocumentSchema, part: Part, document: Document) -> str:
    """``no section 'X' (closest: '### Y'; accepted: 'A', 'B', ...)``, or the comment hiding it."""
    for head in document.hidden:
        matched = schema.match(head)
        if matched is not None and matched[0].name == part.name:
            return (
                f"no section '{part.title}': '{head.raw}' (line {head.line}) is inside an HTML comment "
                f"opened on line {document.unclosed_comment} and never closed"
            )
    shown = accepted_examples(part)
    accepted = ", ".join(f"'{h}'" for h in shown)
    more = len(part.headings) - len(shown)
    accepted += f" and {more} more" if more > 0 else ""
    near = closest(schema, part, document)
    where = f"closest: '{near.raw or near.text}' on line {near.line}; " if near else ""
    return f"no section '{part.title}' ({where}accepted: {accepted}){teach(schema, part, near)}"


def teach(schema: DocumentSchema, part: Part, near: Heading | None) -> str:
    """How to have the closest heading read as the part: the configuration's ``vocabulary:``."""
    if near is None or not schema.kind:
        return ""
    return (
        f"; if '{near.text}' is this section, teach it: vocabulary: {{{schema.kind}: {{{part.name}: "
        f"[{json.dumps(near.text, ensure_ascii=False)}]}}}} in the configuration, or run inc-audit vocabulary --write"
    )


def closest(schema: DocumentSchema, part: Part, document: Document) -> Heading | None:
    """The head most like the part's headings that names no part, if one shares a word: a heading,
    a bold line or a label set apart as one, never a plain ``Label: text`` line of prose."""
    wanted: set[str] = set()
    for heading in part.headings:
        wanted |= set(schema.vocabulary.words_of(heading))
    wanted -= schema.vocabulary.qualifiers
    best: tuple[float, int] = (0.0, 0)
    found = None
    for order, head in enumerate(itertools.islice(document.heads, MAX_CLOSEST)):
        if head.form == "plain" or schema.match(head) is not None:  # a heading, never a line of prose
            continue
        words = set(schema.vocabulary.words_of(head.text))
        if not words:
            continue
        score = len(words & wanted) / len(words)
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
