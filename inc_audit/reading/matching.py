"""How a document's head is matched to a part of its schema: a listed heading first, then the
concept its words name (``vocabulary.roots``); and whether a head only names the document's
kind. ``schemas.DocumentSchema`` holds what this reads."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from inc_audit.reading import vocabulary as vocab
from inc_audit.reading.lines import split_label
from inc_audit.reading.markdown import Heading

if TYPE_CHECKING:
    from inc_audit.reading.schemas import Part


class Matching:
    """The matching part of ``schemas.DocumentSchema``."""

    vocabulary: vocab.Vocabulary
    identify: frozenset[str]
    other_keys: frozenset[str]
    _by_key: dict[str, Part]
    _by_concept: dict[str, Part]
    _known: frozenset[str]
    _matched: dict[str, Any]

    def _includes_questions(self, head: Heading) -> bool:
        return self._includes(head) or (head.form == "plain" and self.vocabulary.asks(head.text))

    def _includes(self, head: Heading) -> bool:
        if head.form != "plain":
            return True
        strict = bool(head.inline)  # depends on the text and this only: remembered, as labels repeat
        return self._remembered(f"\x03{head.text}\x00{strict}", lambda: self._includes_label(head.text, strict))

    def _includes_label(self, text: str, strict: bool) -> bool:
        return (
            any(key in self._known for key in self.vocabulary.keys(text))
            or self.vocabulary.roots.concept_of(vocab.unnumbered(text), strict=strict) is not None
        )

    def match(self, head: Heading) -> tuple[Part, str] | None:
        """The part a head names, with the answer its heading holds after the label, if any."""
        cache_key = f"{head.form}\x00{head.text}\x00{not head.inline}"  # a label alone is read as a heading
        return self._remembered(cache_key, lambda: self._match(head))

    def _remembered(self, key: str, work: Callable[[], Any]) -> Any:
        """``work()``, a reading of a head's text by this schema, remembered under ``key`` (a prefix
        naming the reading, then the text): bounded, forgotten all at once when full."""
        if key in self._matched:
            return self._matched[key]
        found = work()
        if len(self._matched) > 20000:
            self._matched.clear()
        self._matched[key] = found
        return found

    def _match(self, head: Heading) -> tuple[Part, str] | None:
        """A listed heading first (the whole head, then the label of ``Label: answer``), then the
        concept the label's words name, or the whole head's when it holds no label."""
        part = self._listed(head.text)
        if part is not None:
            return part, ""
        split = None if head.is_label else split_label(head.text)
        text = head.text
        if split is not None and not self.vocabulary.words_of(split[0]):
            text, split = split[1], None  # "Step 1 — What broke": the label is only a number
        if split is not None:
            part = self._listed(split[0])
            if part is not None:
                return part, split[1]
            part = self._by_meaning(split[0])
            return None if part is None else (part, split[1])
        part = self._listed(text) if text is not head.text else None
        part = part or self._by_meaning(text, strict=_strict(head))
        return None if part is None else (part, "")

    def part_named(self, text: str) -> Part | None:
        """The part a heading's text names: by a listed heading, else by the concept its words name
        (remembered: the pre-filter asks it of every line that may be a head, and they repeat)."""
        return self._remembered(f"\x02{text}", lambda: self._listed(text) or self._by_meaning(text))

    def candidate(self, text: str) -> tuple[bool, Part | None]:
        """What the pre-filter reads of a line that may be a head: whether it names the document's
        kind, and the part it names (remembered, as ``part_named``)."""
        return self._remembered(
            f"\x04{text}", lambda: (self.vocabulary.key(text) in self.identify, self.part_named(text))
        )

    def _listed(self, text: str) -> Part | None:
        for key in self.vocabulary.head_keys(text):
            if key in self._by_key:
                return self._by_key[key]
        return None

    def _by_meaning(self, text: str, strict: bool = False) -> Part | None:
        """The part of the concept a heading's words name; none for the vocabulary's other
        headings ("Services affected") or a title naming the kind ("RCA report").
        ``strict``: every word must name it or be neutral."""
        keys = self.vocabulary.head_keys(text)
        if " / " in text and self.identify.intersection(keys):  # "Incident / Ce qui se passe": a pair
            rest = [half for half in text.split(" / ") if self.vocabulary.key(half) not in self.identify]
            if rest and len(rest) < len(text.split(" / ")):
                return self._by_meaning(" / ".join(rest), strict)
        if self.other_keys.intersection(keys) or self.identify.intersection(keys):
            return None
        named = self.vocabulary.roots.concepts_of(vocab.unnumbered(text), strict)
        return next((self._by_concept[c] for c in named if c in self._by_concept), None)

    def names_itself(self, head: Heading) -> bool:
        cache_key = f"{head.form}\x01{head.text}"
        found = self._matched.get(cache_key)
        if found is None:
            found = self._names_itself(head)
            self._matched[cache_key] = found
        return bool(found)

    def _names_itself(self, head: Heading) -> bool:
        if self.vocabulary.key(head.text) in self.identify:
            return True
        split = split_label(head.text) if not head.is_label else None
        return split is not None and self.vocabulary.key(split[0]) in self.identify


def _strict(head: Heading) -> bool:
    """Whether every word of a head must name its section: a label with its answer beside it in
    prose must; a form's question (a table's row) and a label alone on its line above its text
    (``Evidence:``, ``- **Impact**``) are read as headings are."""
    return head.is_label and head.form != "table" and bool(head.inline)
