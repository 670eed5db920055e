"""Whether a section's text answers its part, line by line (``answers``).

A line is no answer when it is blank, a placeholder, a non-answer ("TBD - waiting for
logs", "will update later"), a deferral however phrased, too bare to say anything ("✅",
"Yes.", "Bug.", "Same as INC #123."), an unticked box where the part wants facts, a
negative ("None") where the part does not accept one or wants its reason, or the template's
own guidance pasted as text. A section answers when one of its lines does. A rollback plan
that cannot roll back, or that is only a fix still to be made, answers only with what makes
up for it (``compensated``, ``forward_only``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from inc_audit.reading import letters
from inc_audit.reading.markdown import _QUICK_ACTION, meaningful_text
from inc_audit.reading.memo import Memo
from inc_audit.reading.patterns import Patterns
from inc_audit.reading.vocabulary import (
    _EDGES,
    HARMED,
    MAX_COMPENSATION,
    MAX_LINE,
    Vocabulary,
    normalise,
)
from inc_audit.reading.words import fold, tokens

MAX_LINES = 500
MAX_SENTENCES = 8  # sentences after a negative read for an answer of their own
MIN_REASON = 3  # words after a negative's separator that give its reason (two, when one names something)
MIN_STATEMENT = 6  # words: a negative ("no user impact at all") with three words of its own says something
if TYPE_CHECKING:
    from inc_audit.reading.markdown import Section
    from inc_audit.reading.schemas import Part

_REASON = re.compile(r"\s*[:;,.–—-]\s+|\s*\(\s*|\s+[-–—]\s+")
_TASK_LINE = re.compile(r"^(?:[-*+]|\d{1,9}[.)])[ \t]+\[( |x|X|~)\](?:[ \t]+(.*))?$")
_FENCE_LINE = re.compile(r"^(?:`{3,}|~{3,})[^`]*$")
_DELIMITER = re.compile(r"^[|:\- \t]+$")
_REAL_CONTENT = re.compile(r"https?://|\]\(|<img\b|!\[|\b[a-z]+://", re.IGNORECASE)
_LABEL = re.compile(r"^([^:：]{1,60}?)\s*[:：]\s*(.*)$")
_WIKI_COLOUR = re.compile(r"\{color(?::[^{}]{0,40})?\}", re.IGNORECASE)


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
    open_task_defers: bool = False  # an unticked step that only defers ("write rollback plan") is a to-do, no step
    concepts: tuple[str, ...] = ()  # what the part asks: its words that name only that say nothing (bare.py)
    _read: dict[int, tuple[Vocabulary, Memo[bool]]] = field(default_factory=dict, init=False, compare=False, repr=False)

    def lines(self, vocabulary: Vocabulary) -> Memo[bool]:
        """Whether each line read for this part under ``vocabulary`` answers: a pure function of
        the line, remembered while it fits."""
        held = self._read.get(id(vocabulary))
        if held is None or held[0] is not vocabulary:  # held keeps its vocabulary alive: the id stays its own
            if len(self._read) >= MAX_VOCABULARIES:
                self._read.clear()
            held = self._read[id(vocabulary)] = (vocabulary, Memo(entries=4096, chars=LINES_CHARS, longest=MAX_LINE))
        return held[1]


MAX_VOCABULARIES = 8  # vocabularies a part's lines are remembered for
LINES_CHARS = 256_000  # characters of the lines a part remembers, under one vocabulary: its memory stays small


def answers(text: str, rules: AnswerRules, vocabulary: Vocabulary) -> bool:
    """Whether any line of ``text`` (comments and quick actions already removed) answers.

    Only the first ``MAX_LINES`` lines that hold something are read: a section longer than
    that counts as answered, which bounds the work on absurd input. An e-mail's sign-off and
    the earlier message quoted below it are not the section's (``letters``). What each line
    reads to is remembered (``AnswerRules.lines``): lines repeat across sections and incidents.
    """
    text = letters.body(text)
    if rules.unfinished_is_no_answer and vocabulary.unfinished:
        if _searches(vocabulary.unfinished, fold(text[:MAX_COMPENSATION])):
            return False
    if rules.needs_compensation:
        head = fold(text[:MAX_COMPENSATION])
        if forward_only(head, vocabulary, rules.concepts):
            return False  # "We'll roll forward.": no way back, and nothing concrete to fix forward with
        if vocabulary.irreversible:
            first = normalise(next((line for line in text.split("\n") if line.strip()), ""))
            if _searches(vocabulary.irreversible, head) or _fullmatches(vocabulary.negatives, first):
                return compensated(head, vocabulary)  # "None really. We'll hotfix forward.": no way back
    return _any_line_answers(text, rules, vocabulary)


def compensated(text: str, vocabulary: Vocabulary) -> bool:
    """Whether a plan that cannot roll back names what makes up for it. A fix still to be made
    ("we'll fix forward if needed") counts only with something concrete beside it (a version,
    a merge request, code, a fix already prepared)."""
    found = [m.group(0) for p in vocabulary.compensations for m in p.finditer(text)]
    if not found:
        return False
    if vocabulary.forward_fixes and all(_fullmatches(vocabulary.forward_fixes, m) for m in found):
        return _searches(vocabulary.concrete, text)
    return True


def forward_only(text: str, vocabulary: Vocabulary, concepts: Iterable[str] = ()) -> bool:
    """Whether a plan holds nothing but a fix still to be made: every compensation it names is
    one of ``forward_fixes``, nothing ``concrete`` stands beside it, and its other words are
    neutral, of degree, ``alone`` or words that say nothing in a part of ``concepts`` ("we'll
    hotfix forward if needed", "we'll roll forward with a fix if anything breaks")."""
    if not vocabulary.forward_fixes:
        return False
    found = [m.group(0) for p in vocabulary.compensations for m in p.finditer(text)]
    if not found or not all(_fullmatches(vocabulary.forward_fixes, m) for m in found):
        return False
    if _searches(vocabulary.concrete, text):
        return False
    rest = text
    for match in found:
        rest = rest.replace(match, " ")
    bare = vocabulary.bare
    return all(
        word in vocabulary.alone or (bare is not None and bare.kind(word, concepts) in _NOTHING_BESIDE)
        for word in tokens(rest)
    )


_NOTHING_BESIDE = ("neutral", "degree", "vague", "beside")  # words a fix still to be made may stand with


def _any_line_answers(text: str, rules: AnswerRules, vocabulary: Vocabulary) -> bool:
    read = 0
    seen: set[str] = set()
    lines = rules.lines(vocabulary)
    for line in text.split("\n"):
        line = line.strip()
        if not line or line in seen:
            continue
        if lines.get(line, line, lambda: _line_answers(line, rules, vocabulary)):  # noqa: B023 - called at once
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
        if task.group(1) == " " and rules.open_task_defers and vocabulary.deferrals is not None:
            if vocabulary.deferrals.defers(f"todo {normalise(text)}"):
                return False  # "- [ ] write rollback plan (@dave)": the box says it is still to do
    if len(text) > MAX_LINE or (_may_link(text) and _REAL_CONTENT.search(text)):
        return True
    norm = normalise(text)
    if not norm or norm.strip(_EDGES) in rules.placeholders or norm in rules.placeholders:
        return False
    if _fullmatches(vocabulary.non_answers, norm):
        return False
    bare = vocabulary.bare
    if bare is not None and (bare.says_nothing(norm, rules.concepts, text) or bare.reference_only(norm)):
        return False  # "✅", "Yes.", "Bug.", "Some users.", "Revert.", "Same as INC #123." (the document may tie it)
    if vocabulary.deferrals is not None and vocabulary.deferrals.defers(norm):
        return False
    if rules.needs_compensation and vocabulary.deferrals is not None and vocabulary.deferrals.claims_ease(norm):
        return False  # "Rollback is straightforward.": a way back said to exist, none given
    if _fullmatches(vocabulary.negatives, norm):
        if rules.needs_compensation:  # "no rollback needed: redeploy 2.3.0" says what to do
            return compensated(fold(norm), vocabulary)
        if rules.negative_ok or (rules.negative_reason_ok and _gives_reason(norm, vocabulary)):
            return True
        return not nested and _goes_on(text, rules, vocabulary)  # "No logs left: ... The only trace is PD-4471."
    if rules.guidance.echoes(vocabulary.words_of(norm)):
        return False
    label = _LABEL.match(norm)
    if label and not nested:
        rest = label.group(2).strip()
        return bool(rest) and _line_answers(rest, rules, vocabulary, nested=True)
    return True


_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")


def _goes_on(text: str, rules: AnswerRules, vocabulary: Vocabulary) -> bool:
    """Whether a line that opens on a negative goes on, in a sentence of its own, to say where the
    answer is or what it is ("No logs left: the pod was recycled. The only trace is PD-4471.")."""
    rest = _SENTENCE.split(text)[1:]
    return any(_line_answers(sentence, rules, vocabulary, nested=True) for sentence in rest[:MAX_SENTENCES])


def _fullmatches(patterns: Sequence[re.Pattern[str]], norm: str) -> bool:
    if isinstance(patterns, Patterns):
        return patterns.fullmatch_any(norm)  # all at once, as one alternation
    for pattern in patterns:
        if pattern.fullmatch(norm):
            return True
    return False


def _searches(patterns: Sequence[re.Pattern[str]], text: str) -> bool:
    if isinstance(patterns, Patterns):
        return patterns.search_any(text)  # all at once, as one alternation
    return any(pattern.search(text) for pattern in patterns)


def _may_link(text: str) -> bool:
    """Whether ``_REAL_CONTENT`` may find something: each of its forms holds one of these."""
    return "://" in text or "](" in text or "![" in text or "<" in text


def _gives_reason(norm: str, vocabulary: Vocabulary) -> bool:
    """``none, it was a user error``: a negative followed by a reason of a few words, or of two
    when one of them names something (``no user impact (testnet only)``, not ``(so far)``); or a
    sentence that goes on past its negative (``no user can pair the wallet until...``)."""
    parts = _REASON.split(norm, maxsplit=1)
    if len(norm.split()) >= MIN_STATEMENT:
        return True
    if len(parts) < 2:
        return False
    reason = parts[1].strip(_EDGES + ")")
    words = reason.split()
    if len(words) >= MIN_REASON:
        return True
    return len(words) == MIN_REASON - 1 and _names_something(reason, vocabulary)


def _names_something(reason: str, vocabulary: Vocabulary) -> bool:
    """Whether a short reason holds a word of its own, and is neither a deferral nor a non-answer."""
    bare, deferrals = vocabulary.bare, vocabulary.deferrals
    if (deferrals is not None and deferrals.defers(reason)) or _fullmatches(vocabulary.non_answers, reason):
        return False
    if _fullmatches(vocabulary.negatives, reason):
        return False
    return bare is not None and any(bare.kind(word) == "" for word in tokens(reason))


def bare_negative(text: str, vocabulary: Vocabulary) -> bool:
    """Whether a section's text is one negative and nothing else ("None.", "No impact.", "Aucun.")."""
    lines = [normalise(line) for line in text.split("\n") if line.strip()]
    lines = [line for line in lines if line]
    return len(lines) == 1 and _fullmatches(vocabulary.negatives, lines[0]) and not _gives_reason(lines[0], vocabulary)


def references_only(text: str, vocabulary: Vocabulary) -> frozenset[str]:
    """The numbers a section's text only claims to be the same as ("Same as INC #123."): each of
    its lines such a claim; empty when one line says anything else."""
    bare = vocabulary.bare
    lines = [normalise(line) for line in text.split("\n") if line.strip()]
    found = [bare.reference_only(line) for line in lines if line] if bare is not None else []
    return frozenset(n for n in found if n) if found and all(found) else frozenset()


def read_across(
    parts: Sequence[Part],
    found: dict[str, dict[str, Any]],
    resolved: Mapping[str, Section],
    text: str,
    vocabulary: Vocabulary,
) -> None:
    """What one section's answer owes to the rest of the document, set in ``found`` (the parsed
    sections, by part name): a bare claim of sameness the document ties itself to, and a bare
    negative another section gives the reason of, answer; a bare "None" as the follow-ups of an
    incident that hurt everyone does not."""
    _explained_elsewhere(parts, found, resolved, vocabulary)
    _tied_elsewhere(found, resolved, text, vocabulary)
    _belied_elsewhere(parts, found, resolved, vocabulary)


def _tied_elsewhere(
    found: dict[str, dict[str, Any]], resolved: Mapping[str, Section], text: str, vocabulary: Vocabulary
) -> None:
    """A section that only says it is the same as another incident or change ("Same as CHG
    #413.") answers when the document names that reference in words of its own outside such
    claims (a summary: "Same procedure as CHG #413: raise the limit..."): the document ties
    itself to it. Alone, or beside a ``/relate`` of it (a link between issues, no statement),
    it says nothing of this one."""
    claims = {
        name: numbers
        for name, section in resolved.items()
        if found.get(name, {}).get("empty")
        and (numbers := references_only(meaningful_text(section.answer), vocabulary))
    }
    if not claims:
        return
    rest = _QUICK_ACTION.sub(" ", text)  # "/relate #123" links the issues and says nothing of them
    for name in claims:
        rest = rest.replace(resolved[name].answer.strip(), " ")
    for name, numbers in claims.items():
        if all(re.search(rf"[#!]{number}\b", rest) for number in numbers):
            found[name]["empty"] = False


def _explained_elsewhere(
    parts: Sequence[Part], found: dict[str, dict[str, Any]], resolved: Mapping[str, Section], vocabulary: Vocabulary
) -> None:
    """A bare negative where the part wants its reason ("None" as the actual impact) answers
    when another section of the document gives it: it says nothing really failed ("there was
    no real fault", "false alarm")."""
    denials = vocabulary.denials
    if denials is None:
        return
    for part in parts:
        described = found.get(part.name)
        if not described or not described["empty"] or not part.negative_reason_ok or part.negative_ok:
            continue
        others = (meaningful_text(section.answer) for name, section in resolved.items() if name != part.name)
        if bare_negative(meaningful_text(resolved[part.name].answer), vocabulary) and any(
            denials.denies_fault(other) for other in others
        ):
            described["empty"] = False


def _belied_elsewhere(
    parts: Sequence[Part], found: dict[str, dict[str, Any]], resolved: Mapping[str, Section], vocabulary: Vocabulary
) -> None:
    """A bare negative where the part takes one ("None" as the follow-ups) but not after harm
    (``x-negative-unless-harm``) answers nothing when the document's impact says the incident
    hurt everyone ("46 minutes of stale balances for all mainnet users"): nothing to change
    after that needs its reason. After a fault nobody saw ("no user reported it") it stands."""
    harm = vocabulary.harm
    if harm is None:
        return
    impacts = [p.name for p in parts if HARMED in p.concepts and p.name in resolved]
    for part in parts:
        described = found.get(part.name)
        if not described or described["empty"] or not part.negative_unless_harm:
            continue
        if bare_negative(meaningful_text(resolved[part.name].answer), vocabulary) and any(
            harm.hurt_everyone(meaningful_text(resolved[name].answer)) for name in impacts if name != part.name
        ):
            described["empty"] = True
