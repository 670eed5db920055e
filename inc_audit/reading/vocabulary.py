"""The words schemas share (schemas/vocabulary.json): heading keys, synonyms, and what is no answer.

Headings are compared as *keys*: lower case, without punctuation, emoji, numbering,
``~label`` references or emphasis, each word mapped through the vocabulary's word map
("outage" reads as "incident"), its ignored words dropped and a plural ``s`` removed. A
heading also matches once the *qualifiers* ("actual", "potential", "customer", ...) are
dropped from both sides, and once a parenthesis is dropped ("Root Cause Analysis (RCA)").

The vocabulary also holds what answers are read by (``reading.answers``): placeholders,
non-answers, deferrals, bare answers, negatives and what makes up for a plan that cannot
roll back.
"""

from __future__ import annotations

import html
import json
import re
import weakref
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from inc_audit.files import shipped_schemas
from inc_audit.reading.bare import BareWords, Denials, Harm
from inc_audit.reading.concepts import Concepts
from inc_audit.reading.deferral import Deferrals
from inc_audit.reading.memo import Memo
from inc_audit.reading.patterns import Patterns
from inc_audit.reading.words import fold, preload, tokens

_EMOJI_CODE = re.compile(r":[a-z0-9_+\-]+:")
_LABEL_REF = re.compile(r'~"([^"]*)"|~(\S+)')
_NUMBERING = re.compile(
    r"^\s*(?:(?:\d+|[ivxlc]+|[a-z]|q\d{1,2}|§\s*\d{1,2})[.)]|§\s*\d{1,2}\s|\(\s*(?:\d+|[a-z])\s*\)|\d+(?:\.\d+)*\s"
    r"|(?:step|étape|etape|paso|passo|schritt|fase|part|partie)\s*\d+\s*[:.)—–-]?)\s*",
    re.IGNORECASE,
)  # 1. / a) / iv. / (2) / 1.2 / Step 3 — : a heading's numbering, never its words
_PARENTHESIS = re.compile(r"\([^)]*\)")
_WORD = re.compile(r"[^\W_]+")
_LEADING = re.compile(r"^[\W_]+")  # emoji, marks and spaces before a heading's numbering
CACHE_SIZE = 262_144  # more than a 1 MiB text can hold headings of 4 characters
CACHE_CHARS = 2_000_000  # and as many characters of texts: a 1 MiB text's heads fit, an audit's keep none for long
KEPT_BETWEEN = 16_384  # texts a key cache keeps from one incident to the next (``between_incidents``)
WORDS_CACHE_SIZE = 8192  # texts (of at most MAX_LINE characters) and words whose words are remembered
_UNSEEN = object()
HARMED = "impact"  # the concept whose words of people say who an incident hurt
MAX_WORD = 40  # longer words are stemmed afresh each time: the memo of words stays small
_PAIR = re.compile(r"\s+(?:/|&|\+|and)\s+|\s*/\s*", re.IGNORECASE)
_COMMENT_TEXT = re.compile(r"<!--(.*?)(?:-->|\Z)", re.DOTALL)
_TAIL = r"(?:\s*[:;,.(/–—-]\s*.*)?"

_HTML_TAG = re.compile(r"<[^>\n]{0,200}>")
_MARKERS = re.compile(r"^(?:[>\s]|#{1,6}\s|[-*+][ \t]+|\d{1,9}[.)][ \t]+)+")
_MARKUP = re.compile(r"[*_`~]+")
_EDGES = " .:;-*>_`~()[]!"
STEMS = "stems.json"  # beside a vocabulary: its words' stems, worked out once (concepts.preload)
MAX_COMPENSATION = 4000  # characters of a plan read for "cannot be undone" and what makes up for it
MAX_LINE = 400  # a line this long is an answer: no placeholder or pasted hint is, and it bounds the work


def _stem(word: str) -> str:
    """A light stemmer, the same on both sides: plural s, and -ed or -ing on longer words."""
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 5 and word.endswith("ed"):
        return word[:-2]
    if len(word) > 2 and word[-1] == "s" and word[-2] != "s":
        return word[:-1]
    return word


def _line_memo() -> Memo[tuple[str, ...]]:
    """Readings of texts of at most ``MAX_LINE`` characters, ``WORDS_CACHE_SIZE`` of them at most."""
    return Memo(entries=WORDS_CACHE_SIZE, chars=WORDS_CACHE_SIZE * MAX_LINE, longest=MAX_LINE)


@dataclass(frozen=True)
class Vocabulary:
    words: dict[str, str]
    ignore: frozenset[str]
    qualifiers: frozenset[str]
    concepts: dict[str, tuple[str, ...]]
    other_headings: tuple[str, ...]
    placeholders: frozenset[str]
    non_answers: Sequence[re.Pattern[str]]
    negatives: Sequence[re.Pattern[str]]
    origin: str = ""
    roots: Concepts = field(default_factory=lambda: Concepts({}), compare=False, repr=False)
    deferrals: Deferrals | None = field(default=None, compare=False, repr=False)
    irreversible: Sequence[re.Pattern[str]] = ()
    unfinished: Sequence[re.Pattern[str]] = ()
    """What says an analysis is not over ("still digging"): no answer where the part says so."""
    cues: Concepts = field(default_factory=lambda: Concepts({}), compare=False, repr=False)
    compensations: Sequence[re.Pattern[str]] = ()
    forward_fixes: Sequence[re.Pattern[str]] = ()
    """Compensations that are only a fix still to be made: they need something ``concrete``."""
    concrete: Sequence[re.Pattern[str]] = ()
    alone: frozenset[str] = frozenset()
    """Words a plan made of a fix still to be made may hold besides it ("if needed", "instead")."""
    questions: frozenset[str] = frozenset()  # "what", "how", "quand": a label of these alone names no section
    bare: BareWords | None = field(default=None, compare=False, repr=False)
    """What says nothing alone: signs, replies ("Yes."), what every incident is ("Bug."), kinds of evidence."""
    denials: Denials | None = field(default=None, compare=False, repr=False)
    """What says nothing really failed ("no real fault", "false alarm"): a reason for a bare "None"."""
    harm: Harm | None = field(default=None, compare=False, repr=False)
    """What says an incident hurt everyone ("all mainnet users"): no bare "None" as its follow-ups."""
    _cache: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict, compare=False, repr=False)
    _cached_chars: list[int] = field(default_factory=lambda: [0], compare=False, repr=False)  # the texts' characters
    _words: Memo[tuple[str, ...]] = field(default_factory=_line_memo, compare=False, repr=False)
    _stems: dict[str, str | None] = field(default_factory=dict, compare=False, repr=False)
    _heads: Memo[tuple[str, ...]] = field(default_factory=_line_memo, compare=False, repr=False)

    def words_of(self, text: str) -> list[str]:
        """The words that name a heading or carry an answer, normalised (remembered for short texts)."""
        return list(self._words.get(text, text, lambda: tuple(self._words_of(text))))

    def _words_of(self, text: str) -> list[str]:
        if "~" in text:
            text = _LABEL_REF.sub(lambda m: m.group(1) or m.group(2), text)
        text = text.lower()
        if ":" in text:
            text = _EMOJI_CODE.sub(" ", text)
        text = _NUMBERING.sub("", _LEADING.sub("", text))
        out = []
        stems = self._stems
        for word in _WORD.findall(text):
            found = stems.get(word, _UNSEEN)  # get, never [], so a clear() in another thread is harmless
            if found is not _UNSEEN:
                stem = cast("str | None", found)
            else:
                stem = self._stem_of(word)
                if len(word) <= MAX_WORD:
                    if len(stems) >= WORDS_CACHE_SIZE:
                        stems.clear()
                    stems[word] = stem
            if stem is not None:
                out.append(stem)
        return out

    def _stem_of(self, word: str) -> str | None:
        """A word as keys and answers compare it: mapped, then stemmed; None when it is ignored."""
        word = self.words.get(word, word)
        return None if word in self.ignore else _stem(word)

    def asks(self, text: str) -> bool:
        """Whether a label is a question word alone ("What:", "How:", "Quand :")."""
        words = tokens(text)
        return len(words) == 1 and words[0] in self.questions

    def key(self, text: str) -> str:
        return self.keyed(text)[0]

    def keys(self, text: str) -> tuple[str, ...]:
        """Every key a heading matches under, best first: whole, without qualifiers, without a parenthesis."""
        return self.keyed(text)[1]

    def head_keys(self, text: str) -> tuple[str, ...]:
        """A head's keys, then those of each half of a pair ("Rollback / Back-out", "Impact & severity");
        remembered for texts of up to ``MAX_LINE`` characters."""
        return self._heads.get(text, text, lambda: self._head_keys(text))

    def _head_keys(self, text: str) -> tuple[str, ...]:
        keys = self.keys(text)
        if not _PAIR.search(text):
            return keys
        halves = tuple(key for half in _PAIR.split(text) if half.strip() for key in self.keys(half))
        return tuple(dict.fromkeys(keys + halves))

    def keyed(self, text: str) -> tuple[str, tuple[str, ...]]:
        """The whole key of ``text`` and every key it matches under, remembered."""
        cache = self._cache
        found = cache.get(text)
        if found is None:
            held = self._cached_chars
            if len(cache) >= CACHE_SIZE or held[0] + len(text) > CACHE_CHARS:
                cache.clear()
                held[0] = 0
            found = cache[text] = self._keyed(text)
            held[0] += len(text)
        return found

    def _keyed(self, text: str) -> tuple[str, tuple[str, ...]]:
        whole = self.words_of(text)
        found: dict[str, None] = {}
        variants = [whole]
        if "(" in text:
            variants.append(self.words_of(_PARENTHESIS.sub(" ", text)))
        for words in variants:
            found["".join(words)] = None
            found["".join(w for w in words if w not in self.qualifiers)] = None
        found.pop("", None)
        return "".join(whole), tuple(found)

    def concept(self, name: str, origin: str) -> tuple[str, ...]:
        if name not in self.concepts:
            from inc_audit.errors import ConfigError

            known = ", ".join(sorted(self.concepts))
            raise ConfigError(f"{origin}: unknown concept {name!r} in x-concepts", f"known concepts: {known}")
        return self.concepts[name]


def unnumbered(text: str) -> str:
    """A heading's text without what leads it: emoji, marks and numbering (``Step 1 — Why`` as ``Why``)."""
    return _NUMBERING.sub("", _LEADING.sub("", text)) or text


def normalise(text: str) -> str:
    """A line as the answer patterns read it: lower case, no markup, list or quote markers."""
    if "<" in text:
        text = _HTML_TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)  # "<p>&nbsp;</p>" says nothing
    text = _MARKERS.sub("", text.strip())
    if "*" in text or "_" in text or "`" in text or "~" in text:
        text = _MARKUP.sub("", text)
    return " ".join(text.lower().split())


def placeholder_key(text: str) -> str:
    return normalise(text).strip(_EDGES)


def build(raw: dict[str, Any], origin: str, compile_now: bool = True) -> Vocabulary:
    """The vocabulary of a vocabulary.json's mapping; its answer patterns compiled now (a
    mistake in one is the configuration's, ``re.error``) or, ``compile_now`` False, at their
    first use (the shipped vocabulary's, held valid by tests/test_startup.py)."""
    made: list[Patterns] = []

    def patterns(name: str) -> Patterns:
        made.append(Patterns(p.replace("{tail}", _TAIL) for p in raw.get(name, ())))
        return made[-1]

    neutral = frozenset(map(str, raw.get("neutral", ()))) | frozenset(map(str, raw.get("ignore", ())))
    roots = Concepts(
        roots={str(name): tuple(map(str, words)) for name, words in raw.get("roots", {}).items()},
        abbreviations={str(k): str(v) for k, v in raw.get("abbreviations", {}).items()},
        neutral=neutral,
        weak=frozenset(map(str, raw.get("qualifiers", ()))) | frozenset(map(str, raw.get("generic", ()))),
        forward=frozenset(map(str, raw.get("forward", {}).get("words", ()))),
        actors=frozenset(map(str, raw.get("forward", {}).get("actors", ()))),
        forward_concept=raw.get("forward", {}).get("concept"),
    )
    deferrals = {k: v for k, v in raw.get("deferrals", {}).items() if not k.startswith("$")}
    bare = {k: v for k, v in raw.get("bare-answers", {}).items() if not k.startswith("$")}
    bare_words = BareWords(bare, frozenset(fold(w) for w in neutral)) if bare else None
    vocabulary = Vocabulary(
        words={str(k).lower(): str(v).lower() for k, v in raw.get("words", {}).items()},
        ignore=frozenset(w.lower() for w in raw.get("ignore", ())),
        qualifiers=frozenset(w.lower() for w in raw.get("qualifiers", ())),
        concepts={name: tuple(headings) for name, headings in raw.get("concepts", {}).items()},
        other_headings=tuple(raw.get("other-headings", ())),
        placeholders=frozenset(placeholder_key(p) for p in raw.get("placeholders", ())),
        non_answers=patterns("non-answers"),
        negatives=patterns("negative-answers"),
        origin=origin,
        roots=roots,
        deferrals=Deferrals(deferrals, neutral) if deferrals else None,
        irreversible=patterns("irreversible"),
        unfinished=patterns("unfinished"),
        cues=Concepts({str(k): tuple(map(str, v)) for k, v in raw.get("cues", {}).items() if not k.startswith("$")}),
        compensations=patterns("compensations"),
        forward_fixes=_made(made, raw.get("forward-fixes", {}).get("fixes", ())),
        concrete=_made(made, raw.get("forward-fixes", {}).get("concrete", ())),
        alone=frozenset(t for w in raw.get("forward-fixes", {}).get("alone", ()) for t in tokens(str(w))),
        questions=frozenset(word for entry in raw.get("question-words", ()) for word in tokens(str(entry))),
        bare=bare_words,
        denials=_denials(bare_words, bare),
        harm=_harm(bare_words, bare),
    )
    for each in made if compile_now else ():
        each.compiled  # noqa: B018 - compiled now, to refuse a broken pattern at once
    _BUILT.append(weakref.ref(vocabulary))
    return vocabulary


_BUILT: list[weakref.ref[Vocabulary]] = []


def between_incidents() -> None:
    """Told once an incident is judged: each vocabulary's key cache that holds more than
    ``KEPT_BETWEEN`` texts is emptied. Within an incident it holds up to ``CACHE_SIZE`` (every
    head of a 1 MiB document, keyed once for the three schemas); between incidents it keeps
    what recurs (a team's template headings) without growing with the audit."""
    for made in list(_BUILT):
        vocabulary = made()
        if vocabulary is None:
            _BUILT.remove(made)
        elif len(vocabulary._cache) > KEPT_BETWEEN:
            vocabulary._cache.clear()
            vocabulary._cached_chars[0] = 0


def _denials(bare: BareWords | None, words: dict[str, Any]) -> Denials | None:
    if bare is None or not words.get("negations"):
        return None

    def folded(name: str) -> frozenset[str]:
        return frozenset(t for entry in words.get(name, ()) for t in tokens(str(entry)))

    return Denials(bare, folded("negations"), folded("unreal"), folded("alarms"))


def _harm(bare: BareWords | None, words: dict[str, Any]) -> Harm | None:
    if bare is None or not words.get("every"):
        return None
    everyone = sorted({" ".join(tokens(str(p))) for p in words.get("everyone", ())} - {""}, key=len, reverse=True)
    pattern = re.compile(r"\b(?:{})\b".format("|".join(map(re.escape, everyone)))) if everyone else None
    every = frozenset(t for entry in words.get("every", ()) for t in tokens(str(entry)))
    negations = frozenset(t for entry in words.get("negations", ()) for t in tokens(str(entry)))
    many = words.get("many", 0)
    days = words.get("days", 0)
    long = frozenset(t for entry in words.get("long", ()) for t in tokens(str(entry)))
    return Harm(
        every, pattern, bare.beside(HARMED), negations, many if isinstance(many, int) else 0,
        long, days if isinstance(days, int) else 0,
    )


def _made(made: list[Patterns], sources: Iterable[str]) -> Patterns:
    made.append(Patterns(sources))
    return made[-1]


@lru_cache(maxsize=8)
def load(path: str) -> Vocabulary:
    from inc_audit.errors import ConfigError

    try:
        stems = Path(path).parent / STEMS
        if stems.is_file():
            preload(json.loads(stems.read_text(encoding="utf-8")).get("stems", {}))
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        return build(raw, path, compile_now=Path(path).parent.resolve() != shipped_schemas().resolve())
    except OSError as error:
        raise ConfigError(f"cannot read vocabulary {path}: {error.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError, TypeError) as error:
        raise ConfigError(f"{path}: not a valid vocabulary ({error})") from None
    except re.error as error:
        raise ConfigError(f"{path}: a pattern is not a valid regular expression ({error})") from None


def template_guidance(text: str) -> Iterator[str]:
    """A template's words: its comments' text and its plain lines."""
    for match in _COMMENT_TEXT.finditer(text):
        yield from match.group(1).strip().rstrip("!").splitlines()
    for line in _COMMENT_TEXT.sub("", text).splitlines():
        if line.strip() and not line.lstrip().startswith(("/", "@", "[[")):
            yield line
