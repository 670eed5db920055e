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

Beside them, words of *areas* (the layers every system has: ``backend``, ``network``,
``config``, ``réseau``) and words that say a thing is *attached* (``attached``, ``ci-jointe``)
qualify without saying what: ``Network problem.``, ``A bug in the backend.`` and ``Screenshots
attached.`` (nothing attached) say nothing either.

A part's question also has words that name only what it asks (``by-concept`` in the
vocabulary, by the part's concept): for an impact, vague quantities, being affected and
complaints (``Some users may be affected.``, ``A few complaints.``, ``Quelques
utilisateurs.``, people being qualifiers there); for follow-ups, improving, fixing or watching
without an object, the practices every team has and care (``Improve monitoring.``, ``Be
more careful.``, ``Monitor, and fix if it happens again.``); for a rollback plan, the words of
going back and of needing to (``Revert.``, ``Rollback if needed.``, ``Si besoin.``). Such a word
says nothing in its part only: ``Monitoring.`` says how an incident was found.

Two classes more: *empty* words name nothing of an incident (vague nouns, judgements,
categories, process: ``situation``, ``factors``, ``limited``, ``third-party``, ``procedures``,
``Reported.``), and *discourse* words only qualify (the handling every incident gets: ``team``,
``investigating``, ``escalated``). A line of a few sentences is read as a short one when nothing
in it as written is specific (``_SPECIFIC``: a number or time, code, an identifier, a link, a
mention or reference, a capitalised name inside a sentence): ``The root cause was a combination
of several contributing factors...`` says nothing, ``... affecting the Tezos indexer`` answers.

A single word of any other class says something: ``Monitoring.`` says how it was found,
``Phishing.`` what it was, ``cert-manager (#671)`` what to do. Words are compared by their
forms (the word, its English and French stems), so ``bugs`` and ``erreurs`` need no listing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from inc_audit.reading.words import forms, tokens

CLASSES = ("replies", "generic", "kinds", "empty")
# words that qualify without saying what: "minor", "backend", "attached", "team"
FILLERS = ("degree", "areas", "attached", "discourse")
BY_CONCEPT = "by-concept"  # concept -> {"vague": words that say nothing there, "beside": words that qualify them}
VAGUE = "vague"  # a word that names only what a part's question asks
BESIDE = "beside"
MAX_WORDS = 8  # a longer line says something of its own
MAX_CHARS = 80  # a line longer than this holds more than eight words of these classes
MAX_LONG_WORDS = 60  # a paragraph of a few sentences may still say nothing specific
MAX_LONG_CHARS = 400
MAX_LONG_SENTENCES = 4
MAX_SEEN = 16_384  # words (with the concepts they were read for) whose class is remembered
_SPECIFIC = re.compile(
    r"\d|`|[@#!$%]\w|\w[_/.:=]\w|[a-z][A-Z]|https?:|"  # a number or time, code, a mention or ref, an identifier, a link
    r"(?<=[\w,)\]] )(?!I\b)[A-Z]"  # a name: a capitalised word inside a sentence ("the Umami app")
)
_SENTENCE_END = re.compile(r"[.!?…](?:\s|$)")
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
    _by_concept: dict[str, dict[str, str]] = field(default_factory=dict, init=False, repr=False)
    _sameness: re.Pattern[str] | None = field(default=None, init=False, repr=False)
    _seen: dict[tuple[str, tuple[str, ...]], str] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in (*CLASSES, *FILLERS):
            _add_forms(self._class, self.words.get(name, ()), name)
        by_concept = self.words.get(BY_CONCEPT, {})
        if isinstance(by_concept, Mapping):
            for concept, classes in by_concept.items():
                if isinstance(classes, Mapping) and not str(concept).startswith("$"):
                    found = self._by_concept[str(concept)] = {}
                    for name in (VAGUE, BESIDE):
                        _add_forms(found, classes.get(name, ()), name)
        phrases = sorted({str(p).strip().lower() for p in self.words.get("sameness", ())} - {""}, key=len, reverse=True)
        if phrases:
            self._sameness = re.compile(_SAME.format("|".join(map(re.escape, phrases))))

    def kind(self, word: str, concepts: Iterable[str] = ()) -> str:
        """A folded word's class: one of ``CLASSES``, ``FILLERS``, "neutral" or "" (it says
        something); in a part of one of ``concepts``, ``VAGUE`` or ``BESIDE`` first (remembered)."""
        key = (word, concepts if isinstance(concepts, tuple) else tuple(concepts))
        found = self._seen.get(key)
        if found is None:
            found = self._kind(word, key[1])
            if len(self._seen) >= MAX_SEEN:
                self._seen.clear()
            self._seen[key] = found
        return found

    def _kind(self, word: str, concepts: tuple[str, ...]) -> str:
        for concept in concepts:
            own = self._by_concept.get(concept)
            if own:
                found = own.get(word) or next((own[f] for f in sorted(forms(word)) if f in own), "")
                if found:
                    return found
        if word in self._class:
            return self._class[word]
        if word in self.neutral:
            return "neutral"
        return next((self._class[form] for form in sorted(forms(word)) if form in self._class), "")

    def reference_only(self, line: str) -> str | None:
        """The number a line only says it is the same as (``Same as INC #123.``, ``Idem #388``,
        ``Comme le CHG #413``), or None: a claim of sameness with nothing of its own."""
        if self._sameness is None or len(line) > MAX_CHARS or not any(map(str.isdigit, line)):
            return None
        found = self._sameness.fullmatch(line)
        return found.group(1) if found else None

    def says_nothing(self, line: str, concepts: Iterable[str] = (), original: str = "") -> bool:
        """Whether a line (lower-cased, without markup) is signs only, or words of these classes
        only, one at least of ``CLASSES`` or vague in a part of one of ``concepts``. A longer line
        (a few sentences) is read so too when its ``original`` text (as written) holds nothing
        specific: no number or time, code, identifier, link, mention or reference, and no name."""
        if not signs_only(line):
            words = tokens(line)
            if len(line) > MAX_CHARS or len(words) > MAX_WORDS:
                if not self._may_be_empty(original, line, words):
                    return False
            concepts = concepts if isinstance(concepts, tuple) else tuple(concepts)
            says = False
            for word in words:  # a word that says something ends the reading: the line does too
                kind = self.kind(word, concepts)
                if not kind:
                    return False
                says = says or kind in CLASSES or kind == VAGUE
            return says
        return True

    @staticmethod
    def _may_be_empty(original: str, line: str, words: list[str]) -> bool:
        """Whether a line too long for a bare answer may still say nothing specific: a few
        sentences at most, and nothing in the text as written that names something."""
        if not original or len(line) > MAX_LONG_CHARS or len(words) > MAX_LONG_WORDS:
            return False
        if len(_SENTENCE_END.findall(original)) > MAX_LONG_SENTENCES:
            return False
        return not _SPECIFIC.search(original)

    def beside(self, concept: str) -> frozenset[str]:
        """The forms of the words that qualify the vague ones in a part of ``concept`` (people, for an impact)."""
        return frozenset(form for form, name in self._by_concept.get(concept, {}).items() if name == BESIDE)


def _add_forms(into: dict[str, str], entries: Iterable[object], name: str) -> None:
    for entry in entries:
        for word in tokens(str(entry)):
            for form in forms(word):
                into.setdefault(form, name)


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


_CLAUSE = re.compile(r"[.;:!?()—–]+|,(?!\d{3}\b)|\s-\s")  # "4,100 users" is one number
_COUNT = re.compile(r"(?<![\w.,])(\d{1,3}(?:[,\u202f\u00a0 ]\d{3})+|\d{1,7})(?![\w.,]\d)")
MAX_DENIED = 3  # words after a negation, the fault word last: "no real fault", "pas de vrai problème"
MAX_DENIAL = 4000  # characters of a section read for a denial


@dataclass
class Harm:
    """What says an incident hurt everyone it could: a word of all (``all``, ``every``, ``tous``)
    before a word of people within three words (``all mainnet users``, ``every Ledger user``), or
    a word of everyone (``everyone``, ``tout le monde``), in a clause with no negation (``not all
    users``, ``no user reported it``). After such an incident a bare "None" as the follow-ups
    says nothing is to change, and needs its reason."""

    every: frozenset[str]
    everyone: re.Pattern[str] | None
    people: frozenset[str]  # the forms of the words of people
    negations: frozenset[str]
    many: int = 0  # a count of people this large says a population was hit ("4,100 mainnet sessions"); 0: none
    long: frozenset[str] = frozenset()  # units of days or longer: "for 5 days" of harm is no small thing
    days: int = 0  # a count of ``long`` units this large, in a clause with no negation; 0: none

    def hurt_everyone(self, text: str) -> bool:
        for clause in _CLAUSE.split(text[:MAX_DENIAL].lower()):
            words = tokens(clause)
            if self.days and self._lasts(clause):
                return True
            if not words or any(word in self.negations for word in words):
                continue
            if self.everyone is not None and self.everyone.search(" ".join(words)):
                return True
            for index, word in enumerate(words):
                if word in self.every and any(forms(w) & self.people for w in words[index + 1 : index + 4]):
                    return True
            if self.many and self._counts_many(clause):
                return True
        return False

    def _lasts(self, clause: str) -> bool:
        """A count of at least ``days`` before a unit of ``long`` (``for 5 days``, ``pendant 3 jours``):
        harm that lasted days, whoever it hit ("could not sign for 5 days"), unless it is denied
        right before (``not 5 days``, ``no 3-day outage``)."""
        for found in _COUNT.finditer(clause):
            if int(re.sub(r"\D", "", found.group(1))) >= self.days:
                before = tokens(clause[: found.start()])[-2:]
                if any(w in self.long for w in tokens(clause[found.end() :])[:1]) and self.negations.isdisjoint(before):
                    return True
        return False

    def _counts_many(self, clause: str) -> bool:
        """A count of at least ``many`` before a word of people within three words (``about 4,100
        active mainnet sessions``, ``1 200 utilisateurs``): not one person's mistake but a population."""
        for found in _COUNT.finditer(clause):
            if int(re.sub(r"\D", "", found.group(1))) >= self.many:
                if any(forms(w) & self.people for w in tokens(clause[found.end() :])[:3]):
                    return True
        return False
