"""A comment's own words, in sentences and clauses of canonical words (``lexicon``), and
how the phrasings of ``schemas/approval.json`` are found in them.

Quoted lines (``> ...``), quoted words, code, struck-through text, HTML comments and
unticked boxes are someone else's words, withdrawn ones or a form left to fill in: they are
set aside before anything is read (``own_words``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from inc_audit.rules.phrasings import Phrasings

_FENCE = re.compile(r"^ {0,3}(```|~~~).*?(^ {0,3}\1[^\n]*$|\Z)", re.DOTALL | re.MULTILINE)
_INLINE_CODE = re.compile(r"(`+)(?:(?!\1).)+?\1", re.DOTALL)
_STRUCK = re.compile(r"~~.+?~~|<(del|s|strike)>.*?</\1>", re.DOTALL | re.IGNORECASE)
_STRUCK_MARK = re.compile(r"~~|</?(?:del|s|strike)>", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?(?:-->|\Z)", re.DOTALL)
_QUOTED_LINE = re.compile(r"^[ \t]*>.*$", re.MULTILINE)
_UNTICKED = re.compile(r"^[ \t]*(?:[-*+]|\d+[.)])[ \t]+\[ \].*$", re.MULTILINE)
_TICKED = re.compile(r"^([ \t]*(?:[-*+]|\d+[.)])[ \t]+)\[[xX~]\]", re.MULTILINE)
_QUOTE_BLOCK = re.compile(r"^ {0,3}>>>[ \t]*$.*?^ {0,3}>>>[ \t]*$", re.DOTALL | re.MULTILINE)
_SENTENCE_END = re.compile(r"(?<=[.!?;])(?=\s|$)|\n+")
_FORM_BLANK = re.compile(r"\[\s*\]|<[^>\n]*>|_{2,}|\.{3,}|…")
_BLANK = re.compile(r":[\s*\-]*$")
_SHORTCODE = re.compile(r":[a-z0-9_+\-]+:$")  # an emoji (:tada:), not a label left blank
_BULLET = re.compile(r"^(?:[*+\-]\s+|#+\s*|\d+[.)]\s+)+")
# What ``own_words`` sets aside, in order, each with the text one of its matches must hold:
# a text without it is left as it is, so the pattern need not run.
_SET_ASIDE = (
    (_COMMENT, ("<!--",)),
    (_FENCE, ("```", "~~~")),
    (_QUOTE_BLOCK, (">>>",)),
    (_QUOTED_LINE, (">",)),
    (_UNTICKED, ("[ ]",)),
    (_INLINE_CODE, ("`",)),
    (_STRUCK, ("~~", "<")),
)
_CLAUSE_MARK = {",", ":", "—", "–", "-", "(", ")", "/"}


# --- text to clauses ---------------------------------------------------------------------------


def own_words(text: str, quotes: Sequence[tuple[str, str]] = ()) -> str:
    """The writer's own words: no quoted lines or words, code, struck-through text, comments or
    unticked boxes (``- [ ] Approved`` is a box left to tick, not a statement)."""
    text = text.replace("\r\n", "\n").replace("\ufe0f", "")
    for pattern, needs in _SET_ASIDE:
        if any(literal in text for literal in needs):
            text = pattern.sub(" ", text)
    if "[" in text:
        text = _TICKED.sub(r"\1", text)
    if "@" in text:
        text = _ADDRESS.sub("", text)  # "@dave approved": said to dave, GitLab's way to notify him
    for opening, closing in quotes:
        if opening in text and closing in text:
            text = _quoted(opening, closing).sub(" ", text)
    return text


_ADDRESS = re.compile(
    r"^[ \t]*(?:cc:?[ \t]*)?(?:@[\w.-]+(?:[ \t]*[,;–—-]|[ \t]*:(?![\w+-]+:))?[ \t]*)+", re.MULTILINE | re.IGNORECASE
)
"""Mentions that open a line: whom it is said to, not who says or did it."""


@lru_cache(maxsize=64)
def _quoted(opening: str, closing: str) -> re.Pattern[str]:
    return re.compile(r"(?<!\w)" + re.escape(opening) + r"[^\n]*?" + re.escape(closing) + r"(?!\w)")


@dataclass(frozen=True)
class Clause:
    words: tuple[str, ...]
    after: str  # what separates it from the clause before: "", "," (punctuation) or the conjunction


@dataclass(frozen=True)
class Sentence:
    clauses: tuple[Clause, ...]
    question: bool
    words: tuple[str, ...]
    blank: bool = False  # ends in a label left to fill in: "Approved by: ____"
    trails: bool = False  # ends trailing off ("Approved I guess..."): a bare "not" after it answers it


_ARTICLES = {"the", "a", "an", "our", "my", "your", "their", "its", "final", "whole", "updated", "new", "revised"}
_PUNCTUATION = (",", ":")
_DETERMINERS = {"the", "a", "an", "this", "that", "it", "your", "our", "my", "these", "those", "some", "its"}
_CONJUNCTIONS = {"and", "but", "so", "however", "though", "although", "while", "whereas", "plus"}


def sentences(text: str, p: Phrasings) -> list[Sentence]:
    found = []
    for chunk in _SENTENCE_END.split(text):
        trails = chunk.rstrip().rstrip("*_ )").endswith(("..", "…"))  # before the dots go as a form's blank
        chunk = _FORM_BLANK.sub(" ", _BULLET.sub("", chunk.strip())).strip()
        tokens = p.lexicon.tokens(chunk)
        words = tuple(t for t in tokens if t not in _CLAUSE_MARK and t not in "*_#.!?;\"'")
        if not words:
            continue
        ends_open = not chunk.rstrip("*_ )").endswith((".", "!"))
        question = chunk.rstrip("*_ )").endswith("?") or (ends_open and _starts_with(words, p.question_openers))
        blank = bool(_BLANK.search(_SHORTCODE.sub("", chunk) if chunk.endswith(":") else chunk))
        found.append(Sentence(tuple(_clauses(tokens)), question, words, blank, trails))
    return found


def _clauses(tokens: list[str]) -> list[Clause]:
    clauses: list[Clause] = []
    current: list[str] = []
    after = ""
    for token in tokens:
        if token in _CLAUSE_MARK or token in _CONJUNCTIONS:
            if current:
                clauses.append(Clause(tuple(current), after))
                current, after = [], ""
            after = token if token in _CONJUNCTIONS else (after or (":" if token == ":" else ","))
        elif token not in "*_#.!?;\"'":
            current.append(token)
    if current:
        clauses.append(Clause(tuple(current), after))
    return clauses


_INDEXES: dict[int, tuple[tuple[tuple[str, ...], ...], dict[str, tuple[tuple[str, ...], ...]]]] = {}


def _index(phrases: tuple[tuple[str, ...], ...]) -> dict[str, tuple[tuple[str, ...], ...]]:
    """The phrases by their first word, longest first; kept by the list's identity (hashing
    a long tuple of phrases on every look-up costs more than the look-up)."""
    kept = _INDEXES.get(id(phrases))
    if kept is not None and kept[0] is phrases:
        return kept[1]
    index: dict[str, list[tuple[str, ...]]] = {}
    for phrase in phrases:
        index.setdefault(phrase[0], []).append(phrase)
    built = {first: tuple(sorted(found, key=len, reverse=True)) for first, found in index.items()}
    if len(_INDEXES) > 512:
        _INDEXES.clear()
    _INDEXES[id(phrases)] = (phrases, built)  # holds ``phrases``: its id stays its own
    return built


def _find(words: Sequence[str], phrases: tuple[tuple[str, ...], ...], start: int = 0) -> tuple[int, int] | None:
    """The first place (start, end) a phrase occurs in ``words`` from ``start``."""
    index = _index(phrases)
    if not index:
        return None
    get = index.get
    for i in range(start, len(words)):
        found = get(words[i])
        if found:
            for phrase in found:
                if len(phrase) == 1 or tuple(words[i : i + len(phrase)]) == phrase:
                    return i, i + len(phrase)
    return None


def _has(words: Sequence[str], phrases: tuple[tuple[str, ...], ...]) -> bool:
    return _find(words, phrases) is not None


def _starts_with(words: Sequence[str], phrases: tuple[tuple[str, ...], ...]) -> bool:
    return any(tuple(words[: len(p)]) == p for p in _index(phrases).get(words[0] if words else "", ()))


def _is(words: Sequence[str], phrases: tuple[tuple[str, ...], ...]) -> bool:
    return tuple(words) in _index(phrases).get(words[0] if words else "", ())
