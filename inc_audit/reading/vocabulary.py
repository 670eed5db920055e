"""The words schemas share (schemas/vocabulary.json): heading keys, synonyms, and what is no answer.

Headings are compared as *keys*: lower case, without punctuation, emoji, numbering,
``~label`` references or emphasis, each word mapped through the vocabulary's word map
("outage" reads as "incident"), its ignored words dropped and a plural ``s`` removed. A
heading also matches once the *qualifiers* ("actual", "potential", "customer", ...) are
dropped from both sides, and once a parenthesis is dropped ("Root Cause Analysis (RCA)").

An answer is read line by line: a line is no answer when it is blank, a placeholder,
a non-answer ("TBD - waiting for logs", "will update later"), an unticked box where
the part wants facts, a negative ("None") where the part does not accept one, or the
template's own guidance pasted as text. A section answers when one of its lines does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

from inc_audit.files import shipped_schemas
from inc_audit.reading.bare import BareWords, Denials
from inc_audit.reading.concepts import Concepts, fold, preload, tokens
from inc_audit.reading.deferral import Deferrals
from inc_audit.reading.memo import Memo
from inc_audit.reading.patterns import Patterns

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
WORDS_CACHE_SIZE = 8192  # texts (of at most MAX_LINE characters) and words whose words are remembered
_UNSEEN = object()
MAX_WORD = 40  # longer words are stemmed afresh each time: the memo of words stays small
_PAIR = re.compile(r"\s+(?:/|&|\+|and)\s+|\s*/\s*", re.IGNORECASE)
MAX_LINES = 500
_REASON = re.compile(r"\s*[:;,.(–—-]\s+|\s+[-–—]\s+")
_COMMENT_TEXT = re.compile(r"<!--(.*?)(?:-->|\Z)", re.DOTALL)
_TAIL = r"(?:\s*[:;,.(/–—-]\s*.*)?"

_TASK_LINE = re.compile(r"^(?:[-*+]|\d{1,9}[.)])[ \t]+\[( |x|X|~)\](?:[ \t]+(.*))?$")
_FENCE_LINE = re.compile(r"^(?:`{3,}|~{3,})[^`]*$")
_DELIMITER = re.compile(r"^[|:\- \t]+$")
_REAL_CONTENT = re.compile(r"https?://|\]\(|<img\b|!\[|\b[a-z]+://", re.IGNORECASE)
_HTML_TAG = re.compile(r"<[^>\n]{0,200}>")
_MARKERS = re.compile(r"^(?:[>\s]|#{1,6}\s|[-*+][ \t]+|\d{1,9}[.)][ \t]+)+")
_MARKUP = re.compile(r"[*_`~]+")
_LABEL = re.compile(r"^([^:：]{1,60}?)\s*[:：]\s*(.*)$")
_EDGES = " .:;-*>_`~()[]!"
STEMS = "stems.json"  # beside a vocabulary: its words' stems, worked out once (concepts.preload)
_WIKI_COLOUR = re.compile(r"\{color(?::[^{}]{0,40})?\}", re.IGNORECASE)
MAX_COMPENSATION = 4000  # characters of a plan read for "cannot be undone" and what makes up for it
MIN_STATEMENT = 6  # words: a negative ("no user impact at all") with three words of its own says something
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
    _cache: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict, compare=False, repr=False)
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
            if len(cache) >= CACHE_SIZE:
                cache.clear()
            found = cache[text] = self._keyed(text)
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


@dataclass
class Guidance:
    """A template's own words for a part: hints, examples, the questions it asks."""

    texts: list[frozenset[str]] = field(default_factory=list)
    index: dict[str, list[int]] = field(default_factory=dict)

    def add(self, words: Iterable[str]) -> None:
        bag = frozenset(words)
        if len(bag) < 2:
            return
        number = len(self.texts)
        self.texts.append(bag)
        for word in bag:
            self.index.setdefault(word, []).append(number)

    def echoes(self, words: list[str]) -> bool:
        """Mostly the guidance's words: most of one hint, and little of its own."""
        bag = set(words)
        if not bag:
            return False
        seen = {n for word in bag for n in self.index.get(word, ())}
        for number in seen:
            hint = self.texts[number]
            shared = len(bag & hint)
            if shared >= 2 and shared / len(hint) >= 0.5 and (len(bag) - shared) / len(bag) <= 0.25:
                return True
        return False


@dataclass(frozen=True)
class AnswerRules:
    """How one part's answer is read."""

    placeholders: frozenset[str]
    negative_ok: bool
    open_tasks_ok: bool
    guidance: Guidance
    negative_reason_ok: bool = False
    needs_compensation: bool = False  # a plan that says it cannot be undone must say what makes up for it
    unfinished_is_no_answer: bool = False  # an analysis that says it is not over answers nothing


def answers(text: str, rules: AnswerRules, vocabulary: Vocabulary) -> bool:
    """Whether any line of ``text`` (comments and quick actions already removed) answers.

    Only the first ``MAX_LINES`` lines that hold something are read: a section longer than
    that counts as answered, which bounds the work on absurd input.
    """
    if rules.unfinished_is_no_answer and vocabulary.unfinished:
        if any(p.search(fold(text[:MAX_COMPENSATION])) for p in vocabulary.unfinished):
            return False
    if rules.needs_compensation and forward_only(fold(text[:MAX_COMPENSATION]), vocabulary):
        return False  # "We'll roll forward.": no way back, and nothing concrete to fix forward with
    if rules.needs_compensation and vocabulary.irreversible:
        head = fold(text[:MAX_COMPENSATION])
        first = normalise(next((line for line in text.split("\n") if line.strip()), ""))
        if any(p.search(head) for p in vocabulary.irreversible) or _fullmatches(vocabulary.negatives, first):
            return compensated(head, vocabulary)  # "None really. We'll hotfix forward.": no way back
    return _any_line_answers(text, rules, vocabulary)


def compensated(text: str, vocabulary: Vocabulary) -> bool:
    """Whether a plan that cannot roll back names what makes up for it. A fix still to be made
    ("we'll fix forward if needed") counts only with something concrete beside it (a version,
    a merge request, code, a fix already prepared)."""
    found = [m.group(0) for p in vocabulary.compensations for m in p.finditer(text)]
    if not found:
        return False
    if vocabulary.forward_fixes and all(any(f.fullmatch(m) for f in vocabulary.forward_fixes) for m in found):
        return any(p.search(text) for p in vocabulary.concrete)
    return True


def forward_only(text: str, vocabulary: Vocabulary) -> bool:
    """Whether a plan holds nothing but a fix still to be made: every compensation it names is
    one of ``forward_fixes``, nothing ``concrete`` stands beside it, and its other words are
    neutral, of degree or ``alone`` ("we'll hotfix forward if needed")."""
    if not vocabulary.forward_fixes:
        return False
    found = [m.group(0) for p in vocabulary.compensations for m in p.finditer(text)]
    if not found or not all(any(f.fullmatch(m) for f in vocabulary.forward_fixes) for m in found):
        return False
    if any(p.search(text) for p in vocabulary.concrete):
        return False
    rest = text
    for match in found:
        rest = rest.replace(match, " ")
    bare = vocabulary.bare
    return all(
        word in vocabulary.alone or (bare is not None and bare.kind(word) in ("neutral", "degree"))
        for word in tokens(rest)
    )


def _any_line_answers(text: str, rules: AnswerRules, vocabulary: Vocabulary) -> bool:
    read = 0
    seen: set[str] = set()
    for line in text.split("\n"):
        line = line.strip()
        if not line or line in seen:
            continue
        if _line_answers(line, rules, vocabulary):
            return True
        seen.add(line)
        read += 1
        if read >= MAX_LINES:
            return True
    return False


def _line_answers(line: str, rules: AnswerRules, vocabulary: Vocabulary, nested: bool = False) -> bool:
    text = line.strip()
    if "{" in text:  # wiki markup's colours wrap text and say nothing: {color:red}TBD{color}
        text = _WIKI_COLOUR.sub("", text).strip()
    if not text or _FENCE_LINE.match(text) or _DELIMITER.match(text):
        return False
    task = _TASK_LINE.match(text) if "[" in text else None
    if task:
        if task.group(1) == " " and not rules.open_tasks_ok:
            return False
        text = (task.group(2) or "").strip()
    if len(text) > MAX_LINE or (_may_link(text) and _REAL_CONTENT.search(text)):
        return True
    norm = normalise(text)
    if not norm or norm.strip(_EDGES) in rules.placeholders or norm in rules.placeholders:
        return False
    if _fullmatches(vocabulary.non_answers, norm):
        return False
    if vocabulary.bare is not None and (vocabulary.bare.says_nothing(norm) or vocabulary.bare.reference_only(norm)):
        return False  # "✅", "Yes.", "Bug.", "Logs.", "Same as INC #123." (the document may tie it: schemas)
    if vocabulary.deferrals is not None and vocabulary.deferrals.defers(norm):
        return False
    if _fullmatches(vocabulary.negatives, norm):
        if rules.needs_compensation:  # "no rollback needed: redeploy 2.3.0" says what to do
            return compensated(fold(norm), vocabulary)
        return rules.negative_ok or (rules.negative_reason_ok and _gives_reason(norm))
    if rules.guidance.echoes(vocabulary.words_of(norm)):
        return False
    label = _LABEL.match(norm)
    if label and not nested:
        rest = label.group(2).strip()
        return bool(rest) and _line_answers(rest, rules, vocabulary, nested=True)
    return True


def _fullmatches(patterns: Sequence[re.Pattern[str]], norm: str) -> bool:
    for pattern in patterns:
        if pattern.fullmatch(norm):
            return True
    return False


def _may_link(text: str) -> bool:
    """Whether ``_REAL_CONTENT`` may find something: each of its forms holds one of these."""
    return "://" in text or "](" in text or "![" in text or "<" in text


def _gives_reason(norm: str) -> bool:
    """``none, it was a user error``: a negative followed by a reason of a few words; or a
    sentence that goes on past its negative (``no user can pair the wallet until...``)."""
    parts = _REASON.split(norm, maxsplit=1)
    return (len(parts) == 2 and len(parts[1].split()) >= 3) or len(norm.split()) >= MIN_STATEMENT


def unnumbered(text: str) -> str:
    """A heading's text without what leads it: emoji, marks and numbering (``Step 1 — Why`` as ``Why``)."""
    return _NUMBERING.sub("", _LEADING.sub("", text)) or text


def normalise(text: str) -> str:
    """A line as the answer patterns read it: lower case, no markup, list or quote markers."""
    if "<" in text:
        text = _HTML_TAG.sub(" ", text)
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
    )
    for each in made if compile_now else ():
        each.compiled  # noqa: B018 - compiled now, to refuse a broken pattern at once
    return vocabulary


def _denials(bare: BareWords | None, words: dict[str, Any]) -> Denials | None:
    if bare is None or not words.get("negations"):
        return None

    def folded(name: str) -> frozenset[str]:
        return frozenset(t for entry in words.get(name, ()) for t in tokens(str(entry)))

    return Denials(bare, folded("negations"), folded("unreal"), folded("alarms"))


def bare_negative(text: str, vocabulary: Vocabulary) -> bool:
    """Whether a section's text is one negative and nothing else ("None.", "No impact.", "Aucun.")."""
    lines = [normalise(line) for line in text.split("\n") if line.strip()]
    lines = [line for line in lines if line]
    return len(lines) == 1 and _fullmatches(vocabulary.negatives, lines[0]) and not _gives_reason(lines[0])


def references_only(text: str, vocabulary: Vocabulary) -> frozenset[str]:
    """The numbers a section's text only claims to be the same as ("Same as INC #123."): each of
    its lines such a claim; empty when one line says anything else."""
    bare = vocabulary.bare
    lines = [normalise(line) for line in text.split("\n") if line.strip()]
    found = [bare.reference_only(line) for line in lines if line] if bare is not None else []
    return frozenset(n for n in found if n) if found and all(found) else frozenset()


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
