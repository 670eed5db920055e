"""How a parsed document fails its schema (``problems``), with a quick proof that it does not first.

``problems`` turns jsonschema's errors on the parsed document into one ``Problem`` a kind and
part: a section missing, empty, with unticked boxes, or otherwise invalid.

jsonschema costs about a millisecond a document, and most documents are valid: a schema
that takes the quick check (``reading.quick``) proves a valid document so without it, and
jsonschema is imported and asked only when a document fails, to say why.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from inc_audit.reading import explain
from inc_audit.reading.markdown import parse
from inc_audit.reading.quick import QuickCheck, equal
from inc_audit.text import quote, split_quotes

if TYPE_CHECKING:
    import jsonschema

    from inc_audit.reading.markdown import Document
    from inc_audit.reading.schemas import DocumentSchema, Part

__all__ = ["Problem", "QuickCheck", "check_text", "equal", "notes", "problems", "quick_check"]


_QUICK: weakref.WeakKeyDictionary[DocumentSchema, QuickCheck] = weakref.WeakKeyDictionary()


def quick_check(schema: DocumentSchema) -> QuickCheck:
    """The schema's quick check, compiled once per schema."""
    quick = _QUICK.get(schema)
    if quick is None:
        quick = _QUICK[schema] = QuickCheck(schema.schema)
    return quick


def check_text(schema: DocumentSchema, text: str) -> list[Problem]:
    """How the text of a document fails ``schema`` (``problems`` of its parse)."""
    return problems(schema, parse(text))


def notes(schema: DocumentSchema, document: Document) -> list[str]:
    """What a reviewer should know that is no problem: the sections recognised by their text
    rather than their heading (``DocumentSchema.recognised``), in the schema's order."""
    reasons = schema.recognised(document)
    return [reasons[part.name] for part in schema.parts if part.name in reasons]


@dataclass(frozen=True)
class Problem:
    """A way a document fails its schema."""

    kind: str  # "missing", "empty", "unticked" or "invalid"
    part: Part
    said: str
    """The message, marking the document's own text it quotes (``inc_audit.text.quote``)."""
    line: int | None = None

    @property
    def message(self) -> str:
        return split_quotes(self.said)[0]


def problems(schema: DocumentSchema, document: Document) -> list[Problem]:
    """How ``document`` fails ``schema``, one problem a kind and part, in the schema's order of parts."""
    instance = schema.instance(document)
    if quick_check(schema).valid(instance):
        return []  # jsonschema would find no error
    by_name = {(p.group, p.name): p for p in schema.parts}
    found: dict[tuple[str, str], Problem] = {}
    for error in schema.validator.iter_errors(instance):
        for problem in _problems_of(schema, error, instance, by_name, document):
            found.setdefault((problem.kind, problem.part.name), problem)
    order = {p.name: i for i, p in enumerate(schema.parts)}
    return sorted(found.values(), key=lambda p: (order.get(p.part.name, 99), p.kind))


def _problems_of(
    schema: DocumentSchema,
    error: jsonschema.ValidationError,
    instance: dict[str, Any],
    parts: dict[tuple[str, str], Part],
    document: Document,
) -> Iterator[Problem]:
    path = list(error.path)
    if error.validator == "required" and len(path) == 1 and path[0] in ("sections", "checklists"):
        group = str(path[0])
        for name in error.validator_value:
            part = parts.get((group, name))
            if name not in instance[group] and part is not None:
                yield Problem("missing", part, explain.missing_message(schema, part, document))
        return
    if len(path) < 2:
        return
    group, name = str(path[0]), str(path[1])
    part = parts.get((group, name))
    if part is None:
        return
    line = instance[group][name].get("line")
    field = path[2] if len(path) > 2 else None
    if field == "empty":
        note = explain.unclosed_note(document, str(instance[group][name].get("text", "")))
        yield Problem("empty", part, f"section '{part.title}' is empty or holds only template text{note}", line)
    elif field == "unticked":
        count = instance[group][name]["unticked"]
        yield Problem("unticked", part, f"'{part.title}' has {count} unticked box(es)", line)
    else:
        yield Problem("invalid", part, f"section '{part.title}': {quote(error.message)}", line)
