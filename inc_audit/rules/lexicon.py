"""Words to their meaning: how an approval comment's words are read before its phrasings are.

A comment is read word by word into canonical English words, so that one phrasing covers
every way of writing it (``schemas/approval.json``'s ``lexicon``):

- case, curly apostrophes and accents are set aside (``Validé`` and ``valide`` differ only
  where the form of a verb says something, below);
- a French elision is its own word (``j'approuve`` is ``j'`` and ``approuve``);
- a word that starts with an approving root (``approv``, ``approuv``, ``valid``, ``accept``)
  is read by its ending: a participle (``approved``, ``validé``, ``accepted``) states an
  approval, a plain verb (``approve``, ``je valide``) needs someone saying it, a future
  (``validerai``) or conditional (``approuverais``) is no approval yet, an infinitive
  (``valider``) is one still to give, a noun (``approbation``, ``validation``) is ``approval``;
- a word of another language's grammar reads as its English equivalent (``pas`` is
  ``not``, ``si`` is ``if``, ``je`` is ``i``): the phrasings' negations, conditions and
  modal verbs then apply to it.

The phrasings themselves are read the same way, so a French phrase in the data matches
however it is written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

TOKEN = re.compile(r"@[\w.\-]+|:[a-z0-9_+\-]+:|\+1|[^\W_][\w'’\-]*|[^\w\s]", re.IGNORECASE)
_ELISION = re.compile(r"^(qu|[jlncdmts])'(?=\w)")


def plain_letters(word: str) -> str:
    """``word`` without its accents (``côté`` is ``cote``)."""
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(c for c in decomposed if not unicodedata.combining(c)) or word


@dataclass(eq=False)
class Lexicon:
    """The approving roots and their endings, and the words read as English ones."""

    stems: tuple[str, ...] = ()
    forms: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # ending -> canonical words
    not_forms: frozenset[str] = frozenset()
    words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    _seen: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Lexicon:
        forms: dict[str, tuple[str, ...]] = {}
        for canonical, endings in (data.get("forms") or {}).items():
            for ending in endings:
                forms[str(ending)] = tuple(str(canonical).split())
        words = {}
        for word, meaning in (data.get("words") or {}).items():
            key = str(word).lower().replace("’", "'")
            words[key] = tuple(str(meaning).split())
            if len(plain_letters(key)) > 2:  # not "a" for "à", "ou" for "où": other words
                words.setdefault(plain_letters(key), words[key])
        return cls(
            stems=tuple(sorted((str(s) for s in data.get("stems", ())), key=len, reverse=True)),
            forms=forms,
            not_forms=frozenset(str(w).lower() for w in data.get("not_forms", ())),
            words=words,
        )

    def tokens(self, text: str) -> list[str]:
        """``text``'s words and marks, each read into its canonical words."""
        return [word for token in TOKEN.findall(text) for word in self.read(token)]

    def read(self, token: str) -> tuple[str, ...]:
        """One token as canonical words (most tokens: itself in lower case, without accents)."""
        found = self._seen.get(token)
        if found is None:
            found = self._read(token.lower().replace("’", "'"))
            if len(self._seen) > 20000:
                self._seen.clear()
            self._seen[token] = found
        return found

    def _read(self, word: str) -> tuple[str, ...]:
        meaning = self.words.get(word)
        if meaning is not None:
            return meaning
        elision = _ELISION.match(word)
        if elision is not None and elision.end() < len(word):
            return self._read(word[: elision.end()]) + self._read(word[elision.end() :])
        if word not in self.not_forms:
            for stem in self.stems:
                if word.startswith(stem):
                    form = self.forms.get(word[len(stem) :])
                    if form is not None:
                        return form
                    break
        plain = plain_letters(word)
        if plain != word:
            return self.words.get(plain, (plain,))
        return (word,)

    def phrase(self, text: str) -> tuple[str, ...]:
        return tuple(self.tokens(text))

    def phrases(self, values: Iterable[str]) -> tuple[tuple[str, ...], ...]:
        found = {self.phrase(v) for v in values}
        return tuple(sorted((p for p in found if p), key=len, reverse=True))
