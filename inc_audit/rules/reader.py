"""One clause of a comment read for what it says of an approval: who says it, whether a
negation, modal, condition or question takes it back, whether it is someone else's or for
another object or incident, and whether the writer's own approval is recorded in it
(``approved by Alice`` in minutes Alice pastes). ``reading`` puts the clauses together.
"""

from __future__ import annotations

from collections.abc import Sequence

from inc_audit.rules.clauses import (
    _ARTICLES,
    _PUNCTUATION,
    Sentence,
    _find,
    _has,
    _is,
    _starts_with,
)
from inc_audit.rules.phrasings import Phrasings

PURPOSE_WINDOW = 4  # words after "approved for" read for what it approves ("the CHG rollout")


class Reader:
    def __init__(
        self,
        p: Phrasings,
        writer: str,
        people: frozenset[str],
        incident: int | None = None,
        refs: frozenset[str] = frozenset(),
    ) -> None:
        self.p = p
        self.writer = writer.lower()
        self.people = people
        self.incident = incident
        self.refs = refs
        """The numbers the comment names as issues (``#512``)."""
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
        if span is None:  # the noun given as the writer's: "Accord de ma part", "Approval from my end"
            noun = _find(words, (("approval",),))
            if noun is not None and _has(words[noun[1] : noun[1] + 4], self.p.own_sides):
                return noun
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
        if _is(words[end : end + 1], self.p.purposes):  # what it is approved for: "for the CHG rollout"
            purpose = words[end : end + 1 + PURPOSE_WINDOW]
            if _has(purpose, self.p.other_objects + self.p.purpose_objects) and not _has(purpose, self.p.own_objects):
                return True
        if _has(around, self.p.other_objects) and not _has(around, self.p.own_objects):
            return True
        aux = _find(words[:start], self.p.auxiliaries)
        subject = [w for w in words[: aux[0]] if w not in _ARTICLES] if aux is not None else []
        return bool(subject) and not _has(subject, self.p.own_objects) and not self.named(subject)

    def another_incident(self, words: Sequence[str], end: int) -> bool:
        """``Approved for #512`` under another incident: the approval names what it is for, and
        that is not this incident (a reference right after one of ``approved_for``)."""
        if self.incident is None or not self.refs:
            return False
        tail = [w for w in words[end : end + 4] if w not in self.p.issue_words]
        if len(tail) < 2 or not _is(tail[:1], self.p.approved_for):
            return False
        return tail[1] in self.refs and tail[1] != str(self.incident)

    def names_writer(self, words: Sequence[str], start: int, end: int) -> bool:
        """``approved by Alice``, ``Alice approved`` where Alice writes: the writer's own approval."""
        if any(w.lstrip("@") == self.writer for w in words[max(0, start - 2) : start]):
            return True
        span = _find(words[end : end + 3], self.p.attribution)
        return span is not None and any(w.lstrip("@") == self.writer for w in words[end + span[1] : end + span[1] + 3])

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
