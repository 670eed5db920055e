"""Sections recognised by their text and their place, when no heading names them.

A post-mortem headed ``Impact`` / ``Analysis`` / ``Follow-ups`` has no heading for its
root cause, yet its ``Analysis`` explains why the migration dropped the table: a reviewer
reads it as the root cause. When a required section is missing, the sections beside the
ones found (heads of the same level) that name no section, or name one another head already
answers ("What could go wrong" beside "What happened"), are read for the *cues* of the
missing one (``cues`` in schemas/vocabulary.json: "because", "due to", "parce que" say
why; "users", "cannot", "lost" say what it did to people), their heading's words included
unless the heading is one of the vocabulary's other headings ("Affected services").

A candidate is taken when its cues for the missing section outnumber those for any other
missing one and reach two distinct cue words; one is enough when exactly one section is
missing and exactly one sibling is left. A
sibling that names an optional section ("What went wrong" read as the summary) is taken
over the same way: a retro's ``Summary`` that gives the figures of what users lost is its
actual impact. Each recognition is kept with the reason, which
the reports show as a note (``validity.notes``), so a reviewer can see why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from inc_audit.reading.markdown import BOLD_FORMS, HEADING_FORMS, Document, Heading, meaningful_text

if TYPE_CHECKING:
    from inc_audit.reading.concepts import Concepts
    from inc_audit.reading.schemas import DocumentSchema, Part

INFERRED_FORMS = HEADING_FORMS + BOLD_FORMS  # heads whose words may be read for cues: headings, bold lines, summaries
# labels alone on their line, their text below them ("Context:", "- **Context**"), and a form table's rows
_ALONE_FORMS = ("plain", "bullet")
# a question word alone: "What:", "1. **What**", "## Quoi", a panel titled "Quoi"
_QUESTION_FORMS = ("plain", "bold", "emphasis", "bullet", "summary", *HEADING_FORMS)
MIN_LABELS = 2  # labels naming sections beside a bare question label ("What:") that make it a form's question
MIN_WORDS = 3  # words a candidate's text needs to read as a section's answer
MAX_TEXT = 3000  # characters of a candidate read for cues
SHOWN_CUES = 3


@dataclass(frozen=True)
class Inferred:
    """A required part recognised by a section's text: the head's index and the reason."""

    part: str
    index: int
    why: str


def resolve_missing(
    schema: DocumentSchema,
    document: Document,
    heads: list[Heading],
    ends: list[int],
    best: dict[str, tuple[int, int, str]],
) -> dict[str, str]:
    """Required sections no heading names, recognised by a sibling section's text; ``best``
    (part -> tier, head index, inline answer) takes them in, and the reasons are returned by part."""
    missing = [p for p in schema.required_parts if p.group == "sections" and p.name not in best]
    if not missing:
        return {}
    required = {p.name for p in schema.required_parts}
    found = {name: index for name, (_, index, _) in best.items() if name in required}

    def matched(head: Heading) -> Part | None:
        found_part = schema.match(head)
        return None if found_part is None else found_part[0]

    def known(head: Heading) -> bool:
        return bool(schema.other_keys.intersection(schema.vocabulary.head_keys(head.text)))

    def asks(head: Heading) -> bool:
        return head.form in _QUESTION_FORMS and schema.vocabulary.asks(head.text)

    reasons = {}
    for item in infer(document, heads, ends, found, missing, matched, schema.vocabulary.cues, known, asks,
                      schema.names_itself):
        for name in [name for name, (_, index, _) in best.items() if index == item.index]:
            del best[name]  # an optional section taken over ("What went wrong" as the root cause)
        best[item.part] = (3, item.index, "")
        reasons[item.part] = item.why
    return reasons


def infer(
    document: Document,
    heads: Sequence[Heading],
    ends: Sequence[int],
    found: dict[str, int],
    missing: Sequence[Part],
    matched: Callable[[Heading], Part | None],
    cues: Concepts,
    known: Callable[[Heading], bool] = lambda head: False,
    asks: Callable[[Heading], bool] = lambda head: False,
    titles: Callable[[Heading], bool] = lambda head: False,
) -> list[Inferred]:
    """The missing parts that a sibling of the found sections holds, by its text."""
    if not missing or not found:
        return []
    levels = {heads[index].level for index in found.values()}
    taken = set(found.values())
    free: list[int] = []
    optional: list[int] = []
    for index, head in enumerate(heads):
        alone = head.form in _ALONE_FORMS and not head.inline
        in_form = head.is_label and sum(heads[i].form == head.form for i in found.values()) >= MIN_LABELS
        readable = head.form in INFERRED_FORMS or head.form == "table" or alone or in_form or asks(head)
        if index in taken or head.level not in levels or not readable or (in_form and titles(head)):
            continue  # ("Post-mortem: contacts wiped" titles the form it heads)
        if len(meaningful_text(document.section(head, ends[index]).answer).split()) < MIN_WORDS:
            continue  # nothing, or a form's header row ("Question | Answer")
        part = matched(head)
        if part is None or (part.name in found and found[part.name] != index):
            free.append(index)  # names nothing, or a section another head already answers
        elif not part.required:
            optional.append(index)
    if not free and not optional:
        return []
    wanted = {part.name: part.concepts[0] for part in missing if part.concepts}
    counts = {index: _cues(document, heads[index], ends[index], cues, known(heads[index])) for index in free + optional}
    out: list[Inferred] = []
    for part in missing:
        concept = wanted.get(part.name)
        if concept is None:
            continue
        best = None
        for index in free + optional:
            if any(index == chosen.index for chosen in out):
                continue
            words = counts[index].get(concept, set())
            rivals = max((len(counts[index].get(c, ())) for c in wanted.values() if c != concept), default=0)
            alone = len(missing) == 1 and len(free) + len(optional) == 1  # the one section left
            enough = 1 if alone else 2
            if len(words) >= enough and len(words) > rivals and (best is None or len(words) > best[1]):
                best = (index, len(words), sorted(words))
        if best is not None:
            head = heads[best[0]]
            shown = ", ".join(best[2][:SHOWN_CUES])
            why = (
                f"section '{part.title}' read from '{head.raw.strip() or head.text}' (line {head.line}): "
                f"its heading names no section and its text reads as one ({shown})"
            )
            out.append(Inferred(part.name, best[0], why))
    if not out and len(missing) == 1 and len(free) == 1 and not optional:
        out.extend(_question(heads, free[0], found, missing[0], asks))
    return out


def _question(
    heads: Sequence[Heading], index: int, found: dict[str, int], part: Part, asks: Callable[[Heading], bool]
) -> list[Inferred]:
    """The one section left, when its label is a question word alone ("What:", "Quand :") and the
    other labels of its form name every other section: the form's structure says which it answers."""
    head = heads[index]
    if not asks(head) or sum(heads[i].form == head.form for i in found.values()) < MIN_LABELS:
        return []
    why = (
        f"section '{part.title}' read from the label '{head.text}:' (line {head.line}): "
        "its label is a question word alone and the labels beside it name every other section"
    )
    return [Inferred(part.name, index, why)]


def asks_for_missing(schema: DocumentSchema, document: Document, best: dict[str, tuple[int, int, str]]) -> bool:
    """Whether exactly one required section is missing and a plain label is a question word alone:
    the labels are then read again with it (it names no section, so it is otherwise left out)."""
    missing = [p for p in schema.required_parts if p.group == "sections" and p.name not in best]
    return (
        len(missing) == 1
        and len(best) >= MIN_LABELS
        and any(head.form == "plain" and schema.vocabulary.asks(head.text) for head in document.heads)
    )


def _cues(document: Document, head: Heading, end: int, cues: Concepts, known: bool) -> dict[str, set[str]]:
    """The cue words of a section's text, and of its heading unless the heading names something
    else that is known ("Affected services" lists services, "Reporter" names a person)."""
    text = meaningful_text(document.section(head, end).answer)[:MAX_TEXT]
    return cues.count(text if known else f"{head.text}\n{text}")
