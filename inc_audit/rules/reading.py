"""Whether a comment states an approval, read from the phrasings in ``schemas/approval.json``.

A comment approves for its writer only. Quoted lines (``> ...``), quoted words, code and
struck-through text are someone else's words or withdrawn ones, and are set aside. What is
left is split into sentences and clauses (``clauses``) of canonical words (``lexicon``); a
clause approves when it states an approval that no negation, question, condition, request or
modal verb takes back, and that is not reported as another person's (``approved by @alice``
written by bob). A weak sign (LGTM, a check mark, an assent word with a frame such as ``bon
pour moi``) approves only a short comment that holds no question, condition, negation or
reservation. When a comment says several things, the last clause that decides wins:
``Approved? Not yet`` does not approve, ``Not approved last week; approved now`` does; a
request to redo part of the post-mortem anywhere in it makes it no approval. A comment that
is no approval says why (``Reading.reason``), and whether it takes back its writer's earlier
approval (``Reading.retracts``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from inc_audit.rules.clauses import (
    _ARTICLES,
    _CONJUNCTIONS,
    _PUNCTUATION,
    _SET_ASIDE,
    _STRUCK,
    _STRUCK_MARK,
    _TICKED,
    Clause,
    Sentence,
    _find,
    _has,
    _is,
    _starts_with,
    own_words,
    sentences,
)
from inc_audit.rules.phrasings import Phrasings, phrasings
from inc_audit.rules.requests import asks_to_redo
from inc_audit.rules.tone import ironic, objects

__all__ = ["Phrasings", "Reading", "own_words", "phrasings", "read", "sentences"]
__all__ += ["_SET_ASIDE", "_TICKED"]  # read by tests/test_rules_cpu.py

# --- clauses to a reading ----------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    approves: bool
    why: str
    reason: str = ""
    """Why it is no approval, in a few words (negated, conditional, a question, withdrawn,
    asks for a redo), or "" when it approves or says nothing of approval."""
    retracts: bool = False
    """It takes back its writer's earlier approval: withdrawn, refused, conditioned, objected to."""


REASONS = {
    "deny": "negated",
    "negative": "negated",
    "negation": "negated",
    "conditional": "conditional",
    "pending": "not given yet",
    "question": "a question",
    "withdraw": "withdrawn",
    "redo": "asks for a redo",
    "reported": "reports someone else's approval",
    "reservation": "with a reservation",
    "counterfactual": "counterfactual (would have approved)",
    "irony": "sarcastic",
}
_SIGN = "a short approving sign"
_RETRACTING = {"deny", "negative", "withdraw", "redo", "conditional", "counterfactual"}


class _Reader:
    def __init__(self, p: Phrasings, writer: str, people: frozenset[str]) -> None:
        self.p = p
        self.writer = writer.lower()
        self.people = people
        self.before: tuple[str, ...] = ()
        """The words of the sentence before the one being read."""

    def negated(self, words: Sequence[str]) -> bool:
        words = list(words)
        span = _find(words, self.p.benign_negations)
        while span is not None:
            del words[span[0] : span[1]]
            span = _find(words, self.p.benign_negations)
        return _has(words, self.p.negations) or any(w.endswith(self.p.negation_suffixes) for w in words)

    def approval_at(self, words: Sequence[str]) -> tuple[int, int] | None:
        span = _find(words, self.p.approves)
        based = _find(words, self.p.approves_with_subject)
        if based is not None and (span is None or based[0] < span[0]):
            if self.subject_before(words, based[0]) or _has(words[based[1] : based[1] + 5], self.p.own_sides):
                return based  # "I approve", "Approve from my side"
        return span

    def subject_before(self, words: Sequence[str], start: int) -> bool:
        lead = words[max(0, start - 3) : start]
        return any(_starts_with(lead[i:], self.p.subjects) or _is(lead[i:], self.p.performatives)
                   for i in range(len(lead)))

    def bare_verb(self, words: Sequence[str]) -> bool:
        """``approve`` with no one saying it (please approve, will approve): not a statement."""
        return _find(words, self.p.approves_with_subject) is not None

    def labelled(self, sentence: Sentence, index: int) -> str | None:
        """``Approval: granted`` reads as "approve", ``Approved: no`` as "deny"; a bare "no"
        after a note added in an edit in the same sentence (``approved (edit: no, see below)``)
        as "withdraw"."""
        clause = sentence.clauses[index]
        if not clause.after or clause.after not in _PUNCTUATION or index == 0:
            return None
        edited = any(_is(c.words, self.p.edits) for c in sentence.clauses[:index])
        if edited and _is(clause.words, self.p.negative_answers):
            return "withdraw"  # "(edit: no, see below)", "(Edit: nvm, not yet)"
        label = sentence.clauses[index - 1].words
        if clause.after != ":" or not _is(label, self.p.label_names):
            return None
        if _starts_with(clause.words, self.p.label_yes) and not self.negated(clause.words):
            return "approve"
        if _starts_with(clause.words, self.p.label_no) or _is(clause.words, self.p.negative_answers):
            return "deny"
        return None

    def deferred(self, words: Sequence[str], start: int) -> bool:
        """A modal verb or a request shortly before the approval: not yet an approval."""
        lead = words[max(0, start - self.p.modal_window) : start]
        for i in range(len(lead)):
            if _is(lead[i:], self.p.performatives):
                return False
        return _has(lead, self.p.modals) or any(_is(lead[i:], self.p.modals_adjacent) for i in range(len(lead)))

    def reported(self, words: Sequence[str], start: int, end: int) -> bool:
        """``approved by @alice``, ``Bob approved``: someone else's approval, unless the writer is among them."""
        subject = [w.lstrip("@") for w in words[max(0, start - 2) : start] if w.startswith("@") or w in self.people]
        if subject and self.writer not in subject:
            return True
        tail = words[end:]
        span = _find(tail[:3], self.p.attribution)
        if span is None:
            return False
        named = []
        for word in tail[span[1] :]:
            if word in self.p.self_references:
                return False
            if not (word.startswith("@") or word in self.people):
                break
            named.append(word.lstrip("@"))
        return bool(named) and self.writer not in named

    def elsewhere(self, words: Sequence[str], start: int, end: int) -> bool:
        """The clause approves another object (the hotfix MR; the new alert rule was approved)."""
        around = [*words[:start], *words[end : end + 2]]
        if _has(around, self.p.other_objects) and not _has(around, self.p.own_objects):
            return True
        aux = _find(words[:start], self.p.auxiliaries)
        subject = [w for w in words[: aux[0]] if w not in _ARTICLES] if aux is not None else []
        return bool(subject) and not _has(subject, self.p.own_objects) and not self.named(subject)

    def named(self, words: Sequence[str]) -> bool:
        return any(w.startswith("@") or w in self.people for w in words)

    def asks(self, sentence: Sentence, index: int) -> bool:
        """Whether the approval clause is itself asked: ``Approved?``, ``Is it approved, @alice?``."""
        if not sentence.question:
            return False
        clause = sentence.clauses[index]
        if _starts_with(clause.words, self.p.question_openers):
            return True
        later = [w for c in sentence.clauses[index + 1 :] for w in c.words]
        return all(w.startswith("@") or w in self.people for w in later)

    def conditional(self, sentence: Sentence, index: int) -> bool:
        """A condition in the approval's clause, or opening a clause next to it."""
        if self.condition_in(sentence.clauses[index].words):
            return True
        near = []
        if index + 1 < len(sentence.clauses) and sentence.clauses[index + 1].after in _PUNCTUATION:
            near.append(sentence.clauses[index + 1])
        if index > 0 and sentence.clauses[index].after in _PUNCTUATION:
            near.append(sentence.clauses[index - 1])
        return any(self.condition_in(c.words[:3]) for c in near)

    def withdraws(self, words: Sequence[str]) -> bool:
        """``I withdraw my approval``, ``scratch that``, ``je retire mon ok``."""
        p = self.p
        if _has(words, p.retraction_phrases):
            return True
        if p.retractions and any(w.startswith(p.retractions) for w in words):
            return True
        if not p.retractions_of_approval or not any(w.startswith(p.retractions_of_approval) for w in words):
            return False
        named = _has(words, p.approves) or _has(words, p.weak) or _has(words, p.assent)
        return named or any(w in ("approval", "approve") for w in words)

    def reviewing(self, words: Sequence[str]) -> bool:
        """The review goes on: ``still reading``, ``I'll review it tomorrow``, ``je relis``."""
        p = self.p
        return _has(words, p.reviewing) or (_has(words, p.review_verbs) and _has(words, p.future))

    def at_meeting(self, words: Sequence[str]) -> bool:
        """A proposal to talk the post-mortem over at a meeting (let's discuss it at the IPM),
        blocking nothing: no first, before or until."""
        p = self.p
        return _has(words, p.meetings) and _has(words, p.review_verbs) and not _has(words, p.blocking)

    def assent(self, words: Sequence[str]) -> tuple[int, int] | None:
        """A word of assent made a verdict: ``bon pour moi``, ``all good from my side``,
        ``good to go``, or with nothing but an intensifier (``All good``, ``Totally fine``).
        Alone (``OK``, ``Parfait``) it is as often an acknowledgement, and approves nothing."""
        p = self.p
        span = _find(words, p.assent)
        if span is None:
            return None
        if _has(words, p.assent_frames):
            return span
        intensified = any(_is((w,), p.intensifiers) for w in words)
        rest = [w for w in words if not _is((w,), p.assent) and not _is((w,), p.intensifiers)]
        return span if intensified and not rest else None

    def condition_in(self, words: Sequence[str]) -> bool:
        if _has(words, self.p.conditions):
            return True
        span = _find(words, self.p.conditions_when)
        return span is not None and _has(words[span[1] :], self.p.conditions_followed_by)


def read(text: str, writer: str, people: Iterable[str] = (), p: Phrasings | None = None) -> Reading:
    """Whether ``writer``'s comment ``text`` approves, the clause that decided, and if not, why."""
    p = p or phrasings()
    own = own_words(text, p.quotes)
    tokens = p.lexicon.tokens(own)
    found = _read_own(own, set(tokens), writer, people, p)
    if found.approves and p.irony:
        sign = ironic(own, tokens, p)
        if sign:  # "Oh sure, approved, because ... is exactly what I asked for 🙄"
            return Reading(False, f"irony: {sign}", REASONS["irony"], retracts=True)
    if found.retracts or (found.approves and found.why != _SIGN):
        return found
    if found.approves:  # a weak sign: "LGTM. Hold on, the numbers don't match" is no approval
        return Reading(False, "an objection", "objects to it", retracts=True) if objects(tokens, p) else found
    if own != text and _struck_approval(text, writer, people, p):
        return Reading(False, "struck through", "withdrawn (struck through)", retracts=True)
    if objects(tokens, p):
        return Reading(False, "an objection", "objects to it", retracts=True)
    return found


def _struck_approval(text: str, writer: str, people: Iterable[str], p: Phrasings) -> bool:
    """Whether the struck-through words of ``text`` held an approval."""
    struck = " ".join(m.group(0) for m in _STRUCK.finditer(text.replace("\r\n", "\n")))
    inner = _STRUCK_MARK.sub(" ", struck)
    return bool(inner.strip()) and _read_own(inner, set(p.lexicon.tokens(inner)), writer, people, p).approves


def _signalled(words: set[str], p: Phrasings) -> bool:
    """A retraction, or a request to redo that names a part of the post-mortem."""
    if p.signals and any(w.startswith(p.signals) for w in words):
        return True
    return bool(p.redo) and any(w.startswith(p.redo) for w in words) and any(w.startswith(p.sections) for w in words)


def _read_own(own: str, words: set[str], writer: str, people: Iterable[str], p: Phrasings) -> Reading:
    if not p.openers & words and not _signalled(words, p):
        return Reading(False, "no approval stated")  # most comments: no approving word at all
    reader = _Reader(p, writer, frozenset(x.lower() for x in people))
    state: Reading | None = None
    weak = asked = False
    reserve = ""
    found = sentences(own, p)
    redo: Reading | None = None
    asking = False  # a question or a request came before: "Can you add X? Then approved."
    trailed = False  # the sentence before trailed off: "Approved I guess... not."
    for sentence in found:
        for index, clause in enumerate(sentence.clauses):
            kind = _kind(reader, sentence, index, clause)
            if kind == "approve" and asking and (_starts_with(clause.words, p.then) or clause.after == "and"):
                kind = "conditional"
            if kind == "approve":
                state = Reading(True, " ".join(clause.words))
            elif kind in ("deny", "conditional", "withdraw", "redo", "counterfactual") or (
                kind == "negative" and (asked or state is None or trailed)
            ):
                state = Reading(False, f"{kind}: " + " ".join(clause.words), REASONS[kind], kind in _RETRACTING)
            elif kind == "affirm" and asked:
                state = Reading(True, "answered yes")
            elif kind == "question":
                asked = True
            weak = weak or kind == "weak"
            if not reserve and kind in REASONS and kind != "reported":
                reserve = REASONS[kind]
            if not reserve and reader.condition_in(clause.words):
                reserve = REASONS["conditional"]
            if kind == "redo" and redo is None:
                redo = state
            asking = asking or kind in ("redo", "request", "question") or sentence.question
        if not reserve and sentence.question:
            reserve = REASONS["question"]
        reader.before = sentence.words
        trailed = sentence.trails
    if redo is not None and state is not None and (state.approves or state.reason == REASONS["conditional"]):
        return redo  # "Rewrite the root cause section, otherwise approved": not this version
    if state is not None:
        return state
    count = sum(len(s.words) for s in found)
    if weak and not reserve and count <= p.short_words:
        return Reading(True, _SIGN)
    if weak:
        return Reading(False, "a weak sign, " + (reserve or "in a long comment"), reserve or "too long to be a sign")
    return Reading(False, "no approval stated", reserve)


def _kind(reader: _Reader, sentence: Sentence, index: int, clause: Clause) -> str:
    p, words = reader.p, clause.words
    labelled = reader.labelled(sentence, index)
    if labelled is not None:
        return labelled
    if _is(words, p.negative_answers):
        return "negative"
    if _is(words, p.affirmative_answers):
        return "affirm"
    if reader.withdraws(words):
        return "withdraw"
    refusal = _find(words, p.refusals)
    if refusal is not None:
        return "other" if reader.elsewhere(words, *refusal) else "deny"  # the CHG was rejected
    redo = asks_to_redo(p, reader.before, sentence, words)
    if redo is not None:
        return redo
    if clause.after in ("but",) and _starts_with(words, p.negations):
        return "deny"  # "I approve the RCA but not the follow-ups"
    span = reader.approval_at(words)
    if span is not None:
        return _approval_kind(reader, sentence, index, words, span)
    if reader.bare_verb(words):
        return "pending"
    weak = _find(words, p.weak) or reader.assent(words)
    if weak is not None and not reader.negated(words[: weak[0]]):
        if sentence.question:
            return "question"
        return "reservation" if _has(words[weak[1] :], p.reservations) else "weak"  # good for me except X
    if reader.negated(words):
        return "negation"
    if reader.at_meeting(words):
        return "other"  # "..., but let's discuss the RCA at the IPM": the meeting is where it is talked over
    if clause.after in _CONJUNCTIONS - {"and", "so", "plus"} or _has(words, p.reservations) or reader.reviewing(words):
        return "reservation"
    return "question" if sentence.question and index == len(sentence.clauses) - 1 else "other"


def _approval_kind(
    reader: _Reader, sentence: Sentence, index: int, words: tuple[str, ...], span: tuple[int, int]
) -> str:
    if reader.negated(words[: span[0]]):
        return "deny"
    if sentence.blank and index == len(sentence.clauses) - 1:
        return "other"  # a form's field, "Approved by: ____", left to fill in
    if reader.asks(sentence, index):
        return "conditional" if reader.conditional(sentence, index) else "question"
    if reader.elsewhere(words, span[0], span[1]):
        return "other"
    if _has(words[max(0, span[0] - reader.p.modal_window) : span[0]], reader.p.counterfactuals):
        return "counterfactual"  # "Would've approved but...", "j'aurais validé": it was not given
    if reader.deferred(words, span[0]) or _has(words[span[1] :], reader.p.future):
        return "pending"
    if reader.conditional(sentence, index):
        return "conditional"
    if reader.reported(words, span[0], span[1]):
        return "reported"
    return "approve"
