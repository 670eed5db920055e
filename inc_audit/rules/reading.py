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

import re
from collections.abc import Iterable
from dataclasses import dataclass

from inc_audit.rules.clauses import (
    _CONJUNCTIONS,
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
from inc_audit.rules.reader import Reader
from inc_audit.rules.requests import asks_to_redo
from inc_audit.rules.tone import ironic, objects

__all__ = ["Phrasings", "Reading", "own_words", "phrasings", "read", "sentences"]
_QUOTED = re.compile(r"^[ \t]*(?:>[ \t]?)+(.*)$", re.MULTILINE)  # a quoted line's text
_REFERENCE = re.compile(r"#(\d{1,9})\b")  # an issue named by its number
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
    "another": "names another incident",
}
_SIGN = "a short approving sign"
_RETRACTING = {"deny", "negative", "withdraw", "redo", "conditional", "counterfactual"}


def read(
    text: str, writer: str, people: Iterable[str] = (), p: Phrasings | None = None, incident: int | None = None
) -> Reading:
    """Whether ``writer``'s comment ``text`` approves, the clause that decided, and if not, why.
    ``incident`` is the iid of the incident the comment is on: an approval that names another
    one (``Approved for #512``) approves nothing here; unknown, no approval is read so."""
    p = p or phrasings()
    own = own_words(text, p.quotes)
    tokens = p.lexicon.tokens(own)
    if "@" not in text and _bare_verb(tokens):  # "Approve.", "Valide !": nobody else is addressed
        own = f"I {own.strip()}"
        tokens = p.lexicon.tokens(own)
    found = _read_own(own, set(tokens), writer, people, p, incident)
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
    if not found.reason and own != text and ">" in text and not _doubts(own, tokens, p):
        recorded = _recorded(text, writer, people, p, incident)
        if recorded is not None:  # minutes pasted as a quote: "> - Post-mortem: approved by Alice"
            return recorded
    return found


def _bare_verb(tokens: list[str]) -> bool:
    """Whether a comment is an approving verb's plain form alone, closed as a sentence
    (``Approve.``, ``Valide !``): a finished statement with no one named to do it and nothing
    else said is the writer's own sign-off. Unclosed (``Approve``, as the button's label or a
    note to do it) it stays a request or a promise; ``Please approve.``, ``@bob approve.`` and
    ``Approve?`` ask someone."""
    words = [t for t in tokens if t[:1].isalnum() or t[:1] in "@:+"]
    return words == ["approve"] and "?" not in tokens and any(t in (".", "!") for t in tokens)


def _doubts(own: str, tokens: list[str], p: Phrasings) -> bool:
    """Whether the writer's own words ask or mock (``Is this right?``, an eye-roll): then what
    they quote records nothing of theirs."""
    return any(s.question for s in sentences(own, p)) or bool(p.irony and ironic(own, tokens, p))


def _recorded(text: str, writer: str, people: Iterable[str], p: Phrasings, incident: int | None) -> Reading | None:
    """The writer's own approval recorded in the lines they quote (minutes pasted for the record:
    ``> - Post-mortem of this incident: reviewed, approved by Alice`` written by alice). Quoted
    words are someone else's, so only an approval the quote names the writer as giving counts."""
    quoted = "\n".join(m.group(1) for m in _QUOTED.finditer(text.replace("\r\n", "\n")))
    if not quoted.strip():
        return None
    reader = Reader(p, writer, frozenset(x.lower() for x in people), incident)
    for sentence in sentences(quoted, p):
        for index, clause in enumerate(sentence.clauses):
            span = reader.approval_at(clause.words)
            if span is None or not reader.names_writer(clause.words, *span):
                continue
            if _approval_kind(reader, sentence, index, clause.words, span) == "approve":
                return Reading(True, "records the writer's own approval: " + " ".join(clause.words))
    return None


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


def _read_own(
    own: str, words: set[str], writer: str, people: Iterable[str], p: Phrasings, incident: int | None = None
) -> Reading:
    if not p.openers & words and not _signalled(words, p):
        return Reading(False, "no approval stated")  # most comments: no approving word at all
    refs = frozenset(_REFERENCE.findall(own)) if incident is not None and "#" in own else frozenset()
    reader = Reader(p, writer, frozenset(x.lower() for x in people), incident, refs)
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
            elif kind == "another":  # "Approved for #512." under another incident
                state = Reading(False, "another incident: " + " ".join(clause.words), REASONS[kind])
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


def _kind(reader: Reader, sentence: Sentence, index: int, clause: Clause) -> str:
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
    reader: Reader, sentence: Sentence, index: int, words: tuple[str, ...], span: tuple[int, int]
) -> str:
    if reader.negated(words[: span[0]]):
        return "deny"
    if sentence.blank and index == len(sentence.clauses) - 1:
        return "other"  # a form's field, "Approved by: ____", left to fill in
    if reader.asks(sentence, index):
        return "conditional" if reader.conditional(sentence, index) else "question"
    if reader.elsewhere(words, span[0], span[1]):
        return "other"
    if reader.another_incident(words, span[1]):
        return "another"  # "Approved for #512." under incident #1
    if _has(words[max(0, span[0] - reader.p.modal_window) : span[0]], reader.p.counterfactuals):
        return "counterfactual"  # "Would've approved but...", "j'aurais validé": it was not given
    if reader.deferred(words, span[0]) or _has(words[span[1] :], reader.p.future):
        return "pending"
    if reader.conditional(sentence, index):
        return "conditional"
    if reader.reported(words, span[0], span[1]):
        return "reported"
    return "approve"
