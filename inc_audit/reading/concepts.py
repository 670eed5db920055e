"""Headings read by their concepts: root words, their inflections in English and French, and typos.

A heading nobody listed ("Blast radius", "Cause profonde", "Lessons and next moves") is
read word by word. Each word is lower-cased, stripped of accents, expanded when it is a
known abbreviation ("RC", "F/U", "Desc."), and reduced to its forms: itself, its English
and its French Snowball stem. A word whose forms meet the forms of one of a concept's root
words (``roots`` in schemas/vocabulary.json) names that concept; so does a word one edit
(a letter missing, extra, changed or two swapped) from a root word of five letters or more,
or whose stem is one edit from a root's stem of six letters or more.

The heading names the concept most of its words name (a word that is also a qualifier,
such as "summary" or "description", counts half; ties go to the word that comes first),
provided it holds few words that name nothing: a sentence that happens to hold a root word
is no heading. Function words of both languages, question words and numbers are neutral.

Every word's forms and every text's reading are remembered (bounded), so a heading costs
a dictionary look-up once it has been read.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from inc_audit.reading.memo import Memo
from inc_audit.reading.words import WORD_MEMO, fold, forms, stem_table, tokens

MIN_TYPO = 5  # words shorter than this are never read as a typo of a root word
MIN_DROPPED_TWO = 8  # a root word this long is still read with two of its letters left out ("Rolbak")
MAX_WORDS = 12  # a head of more words than this is a sentence, never a concept's name
STEMS_COMMENT = (
    "The English and French Snowball stems of the words of vocabulary.json, worked out once: "
    "regenerate with python -m inc_audit.reading.concepts (tests/test_meaning.py checks it)."
)

class Prefixes:
    """A quick test of whether a word may have a form among some forms, before stemming it.

    A Snowball stem is the word with an ending removed (English turns a last "y" into "i"),
    so a word whose forms meet a set of forms starts with the first four letters of one of
    them, or with one of them whole when it is shorter; and a typo read on a word keeps its
    first two letters. Most words of a text start like no root word and are never stemmed.
    """

    def __init__(self) -> None:
        self.four: set[str] = set()
        self.short: set[str] = set()
        self.two: set[str] = set()

    def add(self, form: str, typos: bool = False) -> None:
        if len(form) >= 4:
            self.four.add(form[:4])
        else:
            self.short.add(form)
        if typos:
            self.two.add(form[:2])

    def may_meet(self, word: str) -> bool:
        if word[:4] in self.four or (len(word) >= MIN_TYPO and word[:2] in self.two):
            return True
        # a stem shorter than four letters comes from a short word ("why" -> "whi", "log" -> "log")
        if not 0 < len(word) <= 7:
            return False
        short = self.short  # a word of fewer than three letters is its own longer prefixes: asked again, harmlessly
        return word[:1] in short or word[:2] in short or word[:3] in short


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _dropped_two(word: str) -> set[str]:
    """A long root word with two of its letters left out, its first three kept ("rolbak" for
    "rollback"; "station" is not "situation")."""
    return {
        word[:i] + word[i + 1 : j] + word[j + 1 :] for i in range(3, len(word)) for j in range(i + 1, len(word))
    }


def vocabulary_words(raw: Mapping[str, object]) -> list[str]:
    """Every folded word a vocabulary stems when it is loaded: its roots, abbreviations, cues,
    the words deferrals are made of and those of bare answers (theirs by concept too)."""
    found: set[str] = set()
    for name in ("roots", "cues", "deferrals", "bare-answers"):
        _listed_words(raw.get(name), found, depth=3)
    abbreviations = raw.get("abbreviations")
    if isinstance(abbreviations, dict):
        found.update(word for value in abbreviations.values() for word in tokens(str(value)))
    return sorted(found)


def _listed_words(groups: object, found: set[str], depth: int) -> None:
    """The words of a group's lists, and of the lists of the groups it holds (``depth`` levels)."""
    if isinstance(groups, dict) and depth > 0:
        for key, words in groups.items():
            if str(key).startswith("$"):
                continue
            if isinstance(words, list):
                found.update(word for entry in words for word in tokens(str(entry)))
            else:
                _listed_words(words, found, depth - 1)


def _typo_form(form: str, word: str) -> bool:
    """Whether a form is compared for typos: a word of ``MIN_TYPO`` letters, or a longer stem
    (short stems of different words are often one letter apart: "refer", "reper")."""
    return len(form) >= (MIN_TYPO if form == word else MIN_TYPO + 1)


def within_one(one: str, two: str) -> bool:
    """Whether two words are at most one edit apart (insertion, deletion, substitution or swap)."""
    if one == two:
        return True
    if abs(len(one) - len(two)) > 1:
        return False
    if len(one) > len(two):
        one, two = two, one
    start = 0
    while start < len(one) and one[start] == two[start]:
        start += 1
    if len(one) < len(two):
        return one[start:] == two[start + 1 :]
    if one[start + 1 :] == two[start + 1 :]:
        return True
    return (
        start + 1 < len(one)
        and one[start] == two[start + 1]
        and one[start + 1] == two[start]
        and one[start + 2 :] == two[start + 2 :]
    )


@dataclass
class Concepts:
    """The concepts' root words, and what a heading's words name."""

    roots: Mapping[str, Iterable[str]]
    abbreviations: Mapping[str, str] = field(default_factory=dict)
    neutral: frozenset[str] = frozenset()
    weak: frozenset[str] = frozenset()
    forward: frozenset[str] = frozenset()
    """Words of the future or of obligation: a heading that names nothing else but holds one and one
    of the ``actors`` (we, nous, on) names ``forward_concept`` (What should we change?)."""
    actors: frozenset[str] = frozenset()
    forward_concept: str | None = None
    _single: dict[str, set[str]] = field(default_factory=dict, init=False, repr=False)
    _multi: list[tuple[tuple[frozenset[str], ...], str]] = field(default_factory=list, init=False, repr=False)
    _near: dict[str, set[str]] = field(default_factory=dict, init=False, repr=False)
    _dropped: dict[str, set[str]] = field(default_factory=dict, init=False, repr=False)
    _prefixes: Prefixes = field(default_factory=Prefixes, init=False, repr=False)
    _first: dict[str, list[int]] = field(default_factory=dict, init=False, repr=False)
    _first_prefixes: Prefixes = field(default_factory=Prefixes, init=False, repr=False)
    _named: dict[str, frozenset[str]] = field(default_factory=dict, init=False, repr=False)
    _tails: tuple[str, ...] = field(default=(), init=False, repr=False)
    _read: Memo[tuple[tuple[str, ...], int]] = field(default_factory=lambda: Memo(longest=400), init=False, repr=False)

    def __post_init__(self) -> None:
        self.neutral = frozenset(fold(w) for w in self.neutral)
        self.weak = frozenset(fold(w) for w in self.weak)
        self.forward = frozenset(fold(w) for w in self.forward)
        self.actors = frozenset(fold(w) for w in self.actors)
        self._tails = tuple(sorted((w for w in self.weak if len(w) >= 4 and w.isalpha()), key=len, reverse=True))
        self.abbreviations = {fold(k): fold(v) for k, v in self.abbreviations.items()}
        for concept, words in self.roots.items():
            for root in words:
                parts = [part for part in tokens(root) if part not in self.neutral] or tokens(root)
                if len(parts) > 1:
                    sequence = tuple(forms(p) for p in parts)
                    for form in sequence[0]:
                        self._first.setdefault(form, []).append(len(self._multi))
                        self._first_prefixes.add(form)
                    self._multi.append((sequence, concept))
                    continue
                for form in forms(parts[0]) if parts else ():
                    if form != parts[0] and form in self.neutral:
                        continue  # a root whose stem is a grammar word ("lésés" stems to "les")
                    self._single.setdefault(form, set()).add(concept)
                    typos = _typo_form(form, parts[0])
                    self._prefixes.add(form, typos)
                    if typos:
                        for key in (form, *_deletes(form)):
                            self._near.setdefault(key, set()).add(form)
                    if form == parts[0] and len(form) >= MIN_DROPPED_TWO and form.isalpha():
                        for key in _dropped_two(form):
                            self._dropped.setdefault(key, set()).add(form)

    def forms(self, word: str) -> frozenset[str]:
        return forms(word)

    def named_by(self, word: str) -> frozenset[str]:
        """The concepts one folded word names: by its forms, else by a form one edit from a root's."""
        found = self._named.get(word)
        if found is None:
            found = self._named_by(word)
            if len(self._named) >= WORD_MEMO:
                self._named.clear()
            self._named[word] = found
        return found

    def _named_by(self, word: str) -> frozenset[str]:
        if not self._prefixes.may_meet(word):
            return frozenset()
        forms = self.forms(word)
        hits: set[str] = set()
        for form in forms:
            hits |= self._single.get(form, set())
        if hits or word in self.neutral or word.isdigit():
            return frozenset(hits)
        compound = self._compound(word)
        if compound:
            return compound
        for form in forms:
            if not _typo_form(form, word):
                continue
            for key in (form, *_deletes(form)):
                for root in self._near.get(key, ()):
                    if within_one(form, root):
                        hits |= self._single[root]
        if not hits:
            for root in self._dropped.get(word, ()):
                hits |= self._single[root]
        return frozenset(hits)

    def _compound(self, word: str) -> frozenset[str]:
        """A compound that ends with a generic or qualifying word (``Terugdraaiplan``,
        ``Ursachenanalyse``): what its first part names, when that part is five letters or more."""
        for tail in self._tails:
            if word.endswith(tail) and len(word) - len(tail) >= MIN_TYPO:
                return self.named_by(word[: -len(tail)])
        return frozenset()

    def count(self, text: str) -> dict[str, set[str]]:
        """The words of a text that name each concept, by their forms only (no typos): the cues
        a section's text holds."""
        found: dict[str, set[str]] = {}
        for word in set(tokens(text)):
            if word in self.neutral or word.isdigit() or not self._prefixes.may_meet(word):
                continue
            for form in self.forms(word):
                for concept in self._single.get(form, ()):
                    found.setdefault(concept, set()).add(word)
        words = tokens(text) if self._multi else []
        matched: set[int] = set()  # each root phrase counts at its first place, as a word does once
        for start, word in enumerate(words):
            if not self._first_prefixes.may_meet(word):
                continue
            for number in sorted({n for form in self.forms(word) for n in self._first.get(form, ())} - matched):
                sequence, concept = self._multi[number]
                end = start + len(sequence)
                if end <= len(words) and all(sequence[k] & self.forms(words[start + k]) for k in range(len(sequence))):
                    matched.add(number)
                    found.setdefault(concept, set()).add(" ".join(words[start:end]))
        return found

    def concept_of(self, text: str, strict: bool = False) -> str | None:
        """The concept a heading names, or None (remembered). ``strict``: only when every word
        names it or is neutral, as for a ``Label: answer`` line in prose."""
        named = self.concepts_of(text, strict)
        return named[0] if named else None

    def concepts_of(self, text: str, strict: bool = False) -> tuple[str, ...]:
        """The concepts a heading names equally, the one ``concept_of`` gives first: ``Origine du
        signalement`` names a cause and a detection as much, and a report has only the detection."""
        concepts, unknown = self._read.get(text, text, lambda: self._concept_of(text))
        return () if strict and unknown else concepts

    def _concept_of(self, text: str) -> tuple[tuple[str, ...], int]:
        words: list[str] = []
        for word in tokens(text):
            expanded = self.abbreviations.get(word)
            words.extend(expanded.split() if expanded else (word,))
        if len(words) > MAX_WORDS:
            return (), len(words)
        scores: dict[str, float] = {}
        first: dict[str, int] = {}
        hits = unknown = 0
        taken = self._multi_hits(words, scores, first)
        for position, word in enumerate(words):
            if position in taken:
                hits += 1
                continue
            named = self.named_by(word)
            if named:
                hits += 1
                for concept in named:
                    scores[concept] = scores.get(concept, 0.0) + (0.5 if word in self.weak else 1.0)
                    first.setdefault(concept, position)
            elif word not in self.neutral and word not in self.weak and not word.isdigit():
                unknown += 1
        if not scores and self.forward_concept is not None and unknown <= 2:
            if not self.forward.isdisjoint(words) and not self.actors.isdisjoint(words):
                return (self.forward_concept,), unknown
        if not scores or unknown > 2 * hits + 1:
            return (), unknown
        ranked = sorted(scores, key=lambda c: (-scores[c], first[c], c))
        return tuple(c for c in ranked if scores[c] == scores[ranked[0]]), unknown

    def _multi_hits(self, words: list[str], scores: dict[str, float], first: dict[str, int]) -> set[int]:
        """Root phrases ("retour d'expérience"), their words consecutive but for neutral ones."""
        taken: set[int] = set()
        if not self._multi:
            return taken
        content = [i for i, w in enumerate(words) if w not in self.neutral]
        for start, index in enumerate(content):
            word = words[index]
            if not self._first_prefixes.may_meet(word):
                continue
            for number in {n for form in self.forms(word) for n in self._first.get(form, ())}:
                sequence, concept = self._multi[number]
                at = content[start : start + len(sequence)]
                if len(at) == len(sequence) and all(sequence[k] & self.forms(words[i]) for k, i in enumerate(at)):
                    taken.update(at)
                    scores[concept] = scores.get(concept, 0.0) + len(sequence)
                    first.setdefault(concept, at[0])
        return taken


if __name__ == "__main__":  # python -m inc_audit.reading.concepts: rewrite schemas/stems.json
    import json
    import sys
    from pathlib import Path

    folder = Path(sys.argv[1] if len(sys.argv) > 1 else "schemas")
    raw = json.loads((folder / "vocabulary.json").read_text(encoding="utf-8"))
    rows = [f"    {json.dumps(w, ensure_ascii=False)}: {json.dumps(f, ensure_ascii=False)}"
            for w, f in stem_table(vocabulary_words(raw)).items()]
    text = f'{{\n  "$comment": {json.dumps(STEMS_COMMENT)},\n  "stems": {{\n' + ",\n".join(rows) + "\n  }\n}\n"
    (folder / "stems.json").write_text(text, encoding="utf-8")
