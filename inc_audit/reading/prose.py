"""Sections of a document written as prose: paragraphs and no heading.

A post-mortem titled as one ("Post-mortem for #520.") whose text is three paragraphs, the
first saying why the balances read zero, the second what users saw and for how long, the
third what the team will change, answers its three questions though no heading names them.
When no head names any required section of a document that names its kind, each paragraph
is read for the *cues* of the missing sections (``cues`` in schemas/vocabulary.json, as
``inference`` reads a section whose heading names nothing): a paragraph is taken for the
section whose cues it holds most, two distinct ones at least, more than for any other; the
one section left may then take the one paragraph left after the ones taken, whatever its
cues (its place says what it is: "We will talk about next steps at some point" is where the
follow-ups belong, and reads as a deferral there). Each section read this way carries its
reason, as the sections ``inference`` recognises do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from inc_audit.reading.markdown import LABEL_LEVEL, Document, Heading, Section, meaningful_text

if TYPE_CHECKING:
    from inc_audit.reading.schemas import DocumentSchema, Part

MIN_WORDS = 5  # words a paragraph needs to be read as a section (a title line is not)
MIN_CUES = 2
MIN_TAKEN = 2  # sections a document's paragraphs must give by their cues before any is read this way
MAX_PARAGRAPHS = 40
SHOWN_CUES = 3


def paragraphs(document: Document) -> list[tuple[int, int]]:
    """Each paragraph's first line and the line after its last (0-based), outside code fences."""
    found: list[tuple[int, int]] = []
    start: int | None = None
    fence = False
    for i, line in enumerate((*document.lines, "")):
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        if line.strip() and start is None:
            start = i
        elif not line.strip() and start is not None and not fence:
            found.append((start, i))
            start = None
    return found[:MAX_PARAGRAPHS]


def read(schema: DocumentSchema, document: Document, missing: Sequence[Part]) -> dict[str, tuple[Section, str]]:
    """The missing required sections the paragraphs hold, each with the reason (see the module)."""
    wanted = {part.name: part.concepts[0] for part in missing if part.concepts}
    if len(wanted) < MIN_TAKEN:
        return {}
    blocks = []
    for start, end in paragraphs(document):
        text = meaningful_text("\n".join(document.lines[start:end]))
        if len(text.split()) >= MIN_WORDS and not schema.titled(text):
            blocks.append((start, end, schema.vocabulary.cues.count(text)))
    taken: dict[str, tuple[int, list[str]]] = {}
    for name, concept in wanted.items():
        best: tuple[int, int, list[str]] | None = None
        for index, (_, _, cues) in enumerate(blocks):
            words = cues.get(concept, set())
            rivals = max((len(cues.get(c, ())) for c in wanted.values() if c != concept), default=0)
            if any(index == i for i, _ in taken.values()):
                continue
            if len(words) >= MIN_CUES and len(words) > rivals and (best is None or len(words) > best[1]):
                best = (index, len(words), sorted(words))
        if best is not None:
            taken[name] = (best[0], best[2])
    if len(taken) < MIN_TAKEN:
        return {}
    left = [name for name in wanted if name not in taken]
    after = max(i for i, _ in taken.values())
    free = [i for i in range(len(blocks)) if i > after]
    if len(left) == 1 and len(free) == 1:
        taken[left[0]] = (free[0], [])
    out = {}
    for name, (index, cue_words) in taken.items():
        start, end, _ = blocks[index]
        head = Heading("", LABEL_LEVEL, start, True, "paragraph", "", "", start + 1)
        title = next(part.title for part in missing if part.name == name)
        shown = ", ".join(cue_words[:SHOWN_CUES])
        how = f"its text reads as one ({shown})" if shown else "it is the one paragraph left"
        why = f"section '{title}' read from the paragraph on line {start + 1}: no heading names it and {how}"
        out[name] = (document.section(head, end + 1), why)
    return out
