"""How a document's sections are found: each part's best head (its form's tier, a title giving
way to a head with text of its own, ties settled for the required part), a form of labels alone
or of ``Label: answer`` lines read as heads, missing sections recognised by their text
(``inference``) or, in a document of paragraphs, by each paragraph's (``prose``), and a report
forwarded whole in an e-mail's quote read from the quote. ``schemas.DocumentSchema`` holds
what this reads."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import replace
from typing import TYPE_CHECKING, cast

from inc_audit.reading import inference, outline, prose
from inc_audit.reading import vocabulary as vocab
from inc_audit.reading.markdown import FORM_TIERS, Document, Heading, Section, meaningful_text, parse

if TYPE_CHECKING:
    from inc_audit.reading.schemas import DocumentSchema, Part

MIN_QUOTED = 3  # quoted lines that may hold a document forwarded whole
MIN_QUOTED_PARTS = 2  # required sections the quoted text must hold to be read as the document
MIN_ALONE = 2  # labels alone on their line naming sections that make every such line a head


def _alone(head: Heading) -> bool:
    """A plain label alone on its line, its text below it (``Analysis`` then a paragraph)."""
    return head.form == "plain" and not head.inline


_TAGS = re.compile(r"<[^<>]*>")  # a <details> line between a title and its first head is no text


def _holds_only_heads(document: Document, heads: list[Heading], index: int) -> bool:
    """Whether no text stands between a head and the next one (a title over the others, or a
    head left empty): another head naming the same section is preferred to it."""
    if index + 1 >= len(heads):
        return False
    head = heads[index]
    start, stop = max(head.line, head.body_line - 1), heads[index + 1].line - 1  # 0-based: after the head (and
    # a setext underline); 1-based: the next head's line
    return not any(  # a line without "<" holds no tag: its text is its own
        line.strip() and ("<" not in line or _TAGS.sub("", line).strip()) for line in document.lines[start:stop]
    )


def _without_empty_heads(document: Document, section: Section) -> Section:
    """A section whose body holds only heads with nothing under them (``2. Actions`` over the empty
    ``2.1 Short term`` and ``2.2 Long term``) holds nothing."""
    if not section.body.strip() or section.heading.inline:
        return section
    first = section.heading.line + 1
    heads = {h.line for h in document.heads if first <= h.line < section.end_line and not h.inline}
    if not heads:
        return section
    start = max(section.heading.body_line, first)
    rest = [line for n, line in enumerate(document.lines[start - 1 : section.end_line - 1], start) if n not in heads]
    return section if meaningful_text("\n".join(rest)).strip() else replace(section, body="")



class Resolving:
    """The resolving part of ``schemas.DocumentSchema``."""

    vocabulary: vocab.Vocabulary
    parts: tuple[Part, ...]
    reads_quoted: bool
    _id: int

    def _schema(self) -> DocumentSchema:
        return cast("DocumentSchema", self)

    if TYPE_CHECKING:  # what DocumentSchema and Matching give it

        @property
        def required_parts(self) -> tuple[Part, ...]: ...

        def match(self, head: Heading) -> tuple[Part, str] | None: ...

        def is_named(self, document: Document) -> bool: ...

        def _includes(self, head: Heading) -> bool: ...

        def _includes_questions(self, head: Heading) -> bool: ...

    def resolve(self, document: Document) -> dict[str, Section]:
        """Every part's section, each ending where the next part found begins."""
        key = ("resolved", self._id)
        cached = document.cache.get(key)
        if cached is None:
            cached = self._resolve(document)
            if self.reads_quoted and not self._holds_required(cached) and document.text.count("\n>") >= MIN_QUOTED:
                quoted = parse(outline.unquoted_text(document.text))  # "Forwarding the thread." over the report
                found = self._resolve(quoted)
                if self._holds_required(found, MIN_QUOTED_PARTS):
                    cached = found
                    document.cache[("inferred", self._id)] = quoted.cache.get(("inferred", self._id)) or {}
            document.cache[key] = cached
        return cached  # type: ignore[return-value]

    def _holds_required(self, found: dict[str, Section], least: int = 1) -> bool:
        return sum(1 for part in self.required_parts if part.name in found) >= least

    def _resolve(self, document: Document) -> dict[str, Section]:
        heads, ends = document.extents(self._includes)
        best = self._best(heads, document)
        if inference.asks_for_missing(self._schema(), document, best):  # "What:" among labels that name sections
            heads, ends = document.extents(self._includes_questions)
            best = self._best(heads, document)
        elif self._missing(best) and sum(1 for _, i, _ in best.values() if _alone(heads[i])) >= MIN_ALONE:
            heads, ends = document.extents(self._includes_alone)  # a form of lines alone: each one heads
            best = self._best(heads, document)
        elif self._missing(best) and sum(1 for _, i, _ in best.values() if heads[i].form == "plain") >= MIN_ALONE:
            heads, ends = document.extents(lambda head: True)  # a form of "Label: answer" lines: each one heads
            best = self._best(heads, document)
        reasons = inference.resolve_missing(self._schema(), document, heads, ends, best)
        document.cache[("inferred", self._id)] = reasons
        starts = sorted(heads[index].line for _, index, _ in best.values())
        found = {}
        for name, (_, index, inline) in best.items():
            head, end = heads[index], ends[index]
            later = bisect_right(starts, head.line)
            if later < len(starts) and head.form != "table":
                end = min(end, starts[later])
            if inline:
                head = replace(head, inline=inline)
            found[name] = _without_empty_heads(document, document.section(head, end))
        missing = [p for p in self.required_parts if p.group == "sections" and p.name not in found]
        if len(missing) == len([p for p in self.required_parts if p.group == "sections"]) and self.is_named(document):
            for name, (section, why) in prose.read(self._schema(), document, missing).items():
                found[name] = section  # paragraphs and no heading: each read by its text
                reasons[name] = why
        return found

    def _best(self, heads: list[Heading], document: Document) -> dict[str, tuple[int, int, str]]:
        """Each part named by a head: the strongest form's tier, the head's index, its inline answer.
        A head with text of its own beats one that only holds other heads, whatever their forms
        (``## Signalement d'incident`` over the report, beside ``<summary>Découverte``)."""
        best: dict[str, tuple[int, int, str]] = {}
        titles: set[int] = set()
        for index, head in enumerate(heads):
            matched = self.match(head)
            if matched is None:
                continue
            part, inline = matched
            tier = FORM_TIERS.get(head.form, 2)
            title = not inline and _holds_only_heads(document, heads, index)
            if title:
                titles.add(index)
            kept = best.get(part.name)
            over_title = kept is not None and kept[1] in titles and not title
            if kept is None or over_title or (tier < kept[0] and (title or kept[1] not in titles)):
                best[part.name] = (tier, index, inline)
        self._settle_ties(heads, best, titles)
        return best

    def _missing(self, best: dict[str, tuple[int, int, str]]) -> bool:
        return any(p.group == "sections" and p.name not in best for p in self.required_parts)

    def _includes_alone(self, head: Heading) -> bool:
        return self._includes(head) or _alone(head)

    def _settle_ties(self, heads: list[Heading], best: dict[str, tuple[int, int, str]], titles: set[int]) -> None:
        """A required part that no head names, or only a title holding other heads does, goes to a
        head that names its concept as much as the optional part it was given (``Origine du
        signalement``: a cause as much as a detection, in a report whose cause is optional)."""
        held = {index: name for name, (_, index, _) in best.items()}
        for part in self.required_parts:
            kept = best.get(part.name)
            if part.group != "sections" or not part.concepts or (kept is not None and kept[1] not in titles):
                continue
            for index, head in enumerate(heads):
                holder = held.get(index)
                if index in titles or (holder is not None and self._part(holder).required):
                    continue
                if part.concepts[0] in self.vocabulary.roots.concepts_of(vocab.unnumbered(head.text))[1:]:
                    if holder is not None:
                        del best[holder]
                    best[part.name] = (FORM_TIERS.get(head.form, 2), index, "")
                    held[index] = part.name
                    break

    def _part(self, name: str) -> Part:
        return next(p for p in self.parts if p.name == name)

    def recognised(self, document: Document) -> dict[str, str]:
        """The sections recognised by their text rather than their heading, with the reason."""
        self.resolve(document)
        return document.cache.get(("inferred", self._id)) or {}  # type: ignore[return-value]
