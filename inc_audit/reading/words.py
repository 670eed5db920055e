"""Words as the reading compares them: folded (lower case, no accents), split into tokens,
and reduced to their forms (the word, its English and its French Snowball stem).

A text's tokens and a word's forms are remembered (bounded): the same lines and words come
back from document to document. The vocabulary's own words come stemmed from
``schemas/stems.json`` (``preload``), so the stemmers are made only at the first word no
table holds.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Iterable, Mapping
from typing import Any

_WORD = re.compile(r"[^\W_]+")
_SLASHED = re.compile(r"\b([^\W\d_])\s*/\s*([^\W\d_])\b")  # F/U, N/A: one abbreviation
_ELIDED = re.compile(r"\b([cdjlmnst]|qu)['’](?=\w)")  # French l', d', qu': the article goes
WORD_MEMO = 16_384
_STEMMING = threading.Lock()
_STEMMERS: list[Any] = []


def _stemmers() -> tuple[Any, Any]:
    """The English and French Snowball stemmers, made at the first word no table holds (the
    vocabulary's words come stemmed from schemas/stems.json: reading templates needs none)."""
    if not _STEMMERS:
        import snowballstemmer

        _STEMMERS.extend((snowballstemmer.stemmer("english"), snowballstemmer.stemmer("french")))
    return _STEMMERS[0], _STEMMERS[1]


_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'"})


def fold(text: str) -> str:
    """Lower case without accents: ``Éléments`` and ``elements`` are one word."""
    text = text.lower()
    if text.isascii():
        return text
    text = text.translate(_APOSTROPHES)  # "can’t" as "can't"
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


_TOKENS: dict[str, tuple[str, ...]] = {}
MAX_TOKENS_TEXT = 400  # longer texts are read afresh each time: the memo of texts stays small
TOKENS_MEMO = 4096


def tokens(text: str) -> list[str]:
    """The folded words of a text, with ``F/U`` joined into ``fu`` and French elisions dropped
    (remembered for short texts, bounded: a line is asked for its words by several readings)."""
    if len(text) > MAX_TOKENS_TEXT:
        return _tokens(text)
    found = _TOKENS.get(text)
    if found is None:
        found = tuple(_tokens(text))
        if len(_TOKENS) >= TOKENS_MEMO:
            _TOKENS.clear()
        _TOKENS[text] = found
    return list(found)


def _tokens(text: str) -> list[str]:
    text = fold(text)
    if "/" in text:
        text = _SLASHED.sub(r"\1\2", text)
    if "'" in text or "’" in text:
        text = _ELIDED.sub(" ", text)
    return _WORD.findall(text)


_FORMS: dict[str, frozenset[str]] = {}


def forms(word: str) -> frozenset[str]:
    """A folded word, its English and its French Snowball stem (remembered, bounded)."""
    found = _FORMS.get(word)
    if found is None:
        with _STEMMING:  # a Snowball stemmer keeps its word in itself: one thread at a time
            english, french = _stemmers()
            found = frozenset((word, english.stemWord(word), french.stemWord(word)))
        if len(_FORMS) >= WORD_MEMO:
            _FORMS.clear()
        _FORMS[word] = found
    return found


def preload(table: Mapping[str, Iterable[str]]) -> None:
    """Take the stems of a table (schemas/stems.json: word -> its forms) as already worked out:
    stemming the vocabulary's few hundred words costs more than reading them."""
    for word, known in table.items():
        if len(_FORMS) < WORD_MEMO:
            _FORMS[word] = frozenset((word, *known))


def stem_table(words: Iterable[str]) -> dict[str, list[str]]:
    """The table ``preload`` reads: each word's English and French stems."""
    with _STEMMING:
        english, french = _stemmers()
        return {word: [english.stemWord(word), french.stemWord(word)] for word in words}
