"""Answers too bare to say anything, read by the classes of their words.

A section's line says nothing of its own when it holds no word at all (``✅``, ``❌``,
``🤷``: a sign is no statement), or when every word it holds is one of these classes
(``bare-answers`` in schemas/vocabulary.json), besides neutral words and words of degree
(``just``, ``minor``, ``petit``):

- *replies*: the words that answer a yes-or-no question (``Yes.``, ``Oui``, ``OK``): no
  section of an incident's documents is answered by them alone;
- *generic*: the words every incident is (``Bug.``, ``An issue.``, ``Un souci.``): they name
  no part of the system and nothing that happened;
- *kinds*: the kinds of evidence (``Logs.``, ``Screenshots``): they say what proof would be,
  and show none.

A single word of any other class says something: ``Monitoring.`` says how it was found,
``Phishing.`` what it was, ``cert-manager (#671)`` what to do. Words are compared by their
forms (the word, its English and French stems), so ``bugs`` and ``erreurs`` need no listing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from inc_audit.reading.concepts import forms, tokens

CLASSES = ("replies", "generic", "kinds")
FILLERS = "degree"  # words that qualify without saying what: "just", "minor", "petit"
MAX_WORDS = 4  # a longer line says something of its own
MAX_CHARS = 60  # a line longer than this holds more than four words of these classes
_SAME = (
    r"(?:{})\s+(?:(?:the|le|la|l'|du|de la|das|el|il|het)\s*)?"
    r"(?:(?:inc|incident|chg|change|issue|ticket|mr|pm|post-?mortem)\s*)?[#!-]?\s*(\d{{1,9}})\s*[.!…]*"
)  # a claim of sameness, then a reference alone: "same as inc #123."
_EMOJI_CODE = re.compile(r":[a-z0-9_+\-]+:")
_SIGNS = re.compile(r"[^\W_]")  # a letter or a digit: a line without one is signs only


@dataclass
class BareWords:
    """The classes of words that say nothing alone, and the neutral words beside them."""

    words: Mapping[str, Iterable[str]]
    neutral: frozenset[str]
    _class: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _sameness: re.Pattern[str] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        for name in (*CLASSES, FILLERS):
            for entry in self.words.get(name, ()):
                for word in tokens(str(entry)):
                    for form in forms(word):
                        self._class.setdefault(form, name)
        phrases = sorted({str(p).strip().lower() for p in self.words.get("sameness", ())} - {""}, key=len, reverse=True)
        if phrases:
            self._sameness = re.compile(_SAME.format("|".join(map(re.escape, phrases))))

    def kind(self, word: str) -> str:
        """A folded word's class: one of ``CLASSES``, ``FILLERS``, "neutral" or "" (it says something)."""
        if word in self._class:
            return self._class[word]
        if word in self.neutral:
            return "neutral"
        return next((self._class[form] for form in sorted(forms(word)) if form in self._class), "")

    def reference_only(self, line: str) -> str | None:
        """The number a line only says it is the same as (``Same as INC #123.``, ``Idem #388``,
        ``Comme le CHG #413``), or None: a claim of sameness with nothing of its own."""
        if self._sameness is None or not any(c.isdigit() for c in line) or len(line) > MAX_CHARS:
            return None
        found = self._sameness.fullmatch(line)
        return found.group(1) if found else None

    def says_nothing(self, line: str) -> bool:
        """Whether a line (lower-cased, without markup) is signs only, or words of these classes only."""
        if not signs_only(line):
            if len(line) > MAX_CHARS:
                return False
            words = tokens(line)
            if len(words) > MAX_WORDS:
                return False
            found = [self.kind(word) for word in words]
            return all(found) and any(kind in CLASSES for kind in found)
        return True


def signs_only(line: str) -> bool:
    """Whether a line holds no letter or digit once emoji shortcodes (``:white_check_mark:``) are set aside."""
    if ":" in line:
        line = _EMOJI_CODE.sub(" ", line)
    return not _SIGNS.search(line)


@dataclass
class Denials:
    """What says nothing really failed (``there was no real fault``, ``false alarm``,
    ``fausse alerte``): the reason a bare "None" as the impact may stand on, given in another
    section. A negation before a word of what every incident is, ending its clause; or a word
    of unreality before an alarm or a fault."""

    bare: BareWords
    negations: frozenset[str]
    unreal: frozenset[str]
    alarms: frozenset[str]

    def denies_fault(self, text: str) -> bool:
        for clause in _CLAUSE.split(text[:MAX_DENIAL].lower()):
            words = tokens(clause)
            for index, word in enumerate(words):
                if word in self.negations and self._ends_on_fault(words[index + 1 :]):
                    return True
                if word in self.unreal and index + 1 < len(words):
                    following = words[index + 1]
                    if following in self.alarms or self.bare.kind(following) == "generic":
                        return True
        return False

    def _ends_on_fault(self, words: list[str]) -> bool:
        """``real fault``, ``a bug``: the clause ends on a fault word, within three words."""
        return 0 < len(words) <= MAX_DENIED and self.bare.kind(words[-1]) == "generic"


_CLAUSE = re.compile(r"[.;:!?,()—–]+|\s-\s")
MAX_DENIED = 3  # words after a negation, the fault word last: "no real fault", "pas de vrai problème"
MAX_DENIAL = 4000  # characters of a section read for a denial
