"""The approval phrasings of ``schemas/approval.json``, read once as word tuples.

``inc_audit.rules.reading`` reads a comment's clauses against them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from inc_audit.errors import ConfigError
from inc_audit.reading.schemas import SCHEMA_DIR, read_json
from inc_audit.rules.lexicon import TOKEN, Lexicon

__all__ = ["TOKEN", "Lexicon", "Phrasings", "phrasings"]


def _stems(lexicon: Lexicon, values: Iterable[str]) -> tuple[str, ...]:
    """Roots matched at the start of a word, read without accents."""
    return tuple(sorted({w for v in values for w in lexicon.phrase(str(v))}, key=len, reverse=True))


@dataclass(frozen=True)
class Phrasings:
    """The phrasings of ``schemas/approval.json``, as word tuples."""

    approves: tuple[tuple[str, ...], ...]
    approves_with_subject: tuple[tuple[str, ...], ...]
    subjects: tuple[tuple[str, ...], ...]
    performatives: tuple[tuple[str, ...], ...]
    weak: tuple[tuple[str, ...], ...]
    short_words: int
    refusals: tuple[tuple[str, ...], ...]
    negations: tuple[tuple[str, ...], ...]
    negation_suffixes: tuple[str, ...]
    benign_negations: tuple[tuple[str, ...], ...]
    negative_answers: tuple[tuple[str, ...], ...]
    affirmative_answers: tuple[tuple[str, ...], ...]
    question_openers: tuple[tuple[str, ...], ...]
    conditions: tuple[tuple[str, ...], ...]
    conditions_when: tuple[tuple[str, ...], ...]
    conditions_followed_by: tuple[tuple[str, ...], ...]
    modals: tuple[tuple[str, ...], ...]
    modals_adjacent: tuple[tuple[str, ...], ...]
    modal_window: int
    other_objects: tuple[tuple[str, ...], ...]
    own_objects: tuple[tuple[str, ...], ...]
    auxiliaries: tuple[tuple[str, ...], ...]
    label_names: tuple[tuple[str, ...], ...]
    label_yes: tuple[tuple[str, ...], ...]
    label_no: tuple[tuple[str, ...], ...]
    reservations: tuple[tuple[str, ...], ...]
    attribution: tuple[tuple[str, ...], ...]
    self_references: frozenset[str]
    quotes: tuple[tuple[str, str], ...]
    lexicon: Lexicon
    assent: tuple[tuple[str, ...], ...]
    """Words of assent (good, fine, ok, bon): a weak sign with a frame, or on their own."""
    assent_frames: tuple[tuple[str, ...], ...]
    """What makes an assent word a verdict on the post-mortem: for me, from my side, to go."""
    intensifiers: tuple[tuple[str, ...], ...]
    retractions: tuple[str, ...]
    """Roots that take an approval back (withdraw, retract, revoke)."""
    retraction_phrases: tuple[tuple[str, ...], ...]
    retractions_of_approval: tuple[str, ...]
    """Roots that take back only when an approval is named (je retire mon ok)."""
    objections: tuple[tuple[str, ...], ...]
    gaps: tuple[tuple[str, ...], ...]
    """What objects only when a part of the post-mortem is named (the impact is missing)."""
    redo: tuple[str, ...]
    """Roots of a request to redo part of the post-mortem (rewrite, revoir)."""
    amend: tuple[str, ...]
    """Roots of a request to amend part of it (add, complete, clarify): a redo only when it blocks."""
    blocking: tuple[tuple[str, ...], ...]
    """What makes an amendment block the approval: first, before, until, avant."""
    redo_requests: tuple[tuple[str, ...], ...]
    redo_phrases: tuple[tuple[str, ...], ...]
    """Phrases that ask for more work by themselves (needs more work, est à reprendre)."""
    sections: tuple[str, ...]
    """Roots naming a part of the post-mortem (impact, root cause, timeline)."""
    minor: tuple[tuple[str, ...], ...]
    """Words that make a request minor, not a redo (nit, typo, whenever)."""
    own_sides: tuple[tuple[str, ...], ...]
    """What says a bare verb is the writer's: approve from my side, valide pour moi."""
    then: tuple[tuple[str, ...], ...]
    """Words opening an approval that follows a question or request (then, alors): it depends on them."""
    reviewing: tuple[tuple[str, ...], ...]
    """The review still going on: still reading, je relis."""
    review_verbs: tuple[tuple[str, ...], ...]
    future: tuple[tuple[str, ...], ...]
    """Words of the future: with a reviewing verb, or after an approval, not yet given."""
    meetings: tuple[tuple[str, ...], ...] = ()
    """Meetings where a post-mortem is talked over (the IPM, the weekly): a clause proposing to
    discuss it there takes nothing back."""
    counterfactuals: tuple[tuple[str, ...], ...] = ()
    """A modal of the past just before the approving word (would have, could have): it was not given."""
    edits: tuple[tuple[str, ...], ...] = ()
    """Notes added when editing a comment (edit:, update:, PS:): a bare "no" after one takes it back."""
    irony: tuple[tuple[str, ...], ...] = ()
    """Signs the writer means the opposite (an eye-roll, yeah right): an approval beside one is mocked."""
    suggestions: tuple[tuple[str, ...], ...] = ()
    """What makes a request a suggestion (would be nice, nice to have): minor unless blocking or insisted on."""
    insisted: tuple[tuple[str, ...], ...] = ()
    """What insists on a request (please, merci de): a suggestion with one is a request."""
    contrasts: tuple[tuple[str, ...], ...] = ()
    """What sends a request's work elsewhere (rather than, plutôt que): before this document, no redo of it."""
    places: tuple[tuple[str, ...], ...] = ()
    """Words for this document besides ``own_objects`` (here, document, ici)."""
    within: tuple[tuple[str, ...], ...] = ()
    """Prepositions of place (in, dans) before this document."""
    approved_for: tuple[tuple[str, ...], ...] = ()
    """What names what an approval is for (approved for #512): another incident's number after
    one approves nothing here."""
    issue_words: frozenset[str] = frozenset()
    """Words that may stand between it and the number (incident, INC, the)."""
    purposes: tuple[tuple[str, ...], ...] = ()
    """What an approval is for when it names it (approved for the CHG rollout): one of
    ``other_objects`` in the words after it approves that, not the post-mortem."""
    purpose_objects: tuple[tuple[str, ...], ...] = ()
    """What else an approval may be for, named only after ``purposes`` (sending, the customer e-mail)."""

    @cached_property
    def openers(self) -> frozenset[str]:
        """The first words of every phrase that can approve or refuse: a comment with none cannot."""
        refusals = [p for p in self.refusals if len(p) == 1]  # "Rejected: ...", not "not" everywhere
        phrases = (*self.approves, *self.approves_with_subject, *self.weak, *self.assent, *refusals)
        return frozenset(p[0] for p in phrases)

    @cached_property
    def objection_openers(self) -> frozenset[str]:
        """The first words of every objection and gap: a comment with none objects to nothing."""
        return frozenset(p[0] for p in (*self.objections, *self.gaps))

    @cached_property
    def signals(self) -> tuple[str, ...]:
        """Roots that make a comment worth reading even with no approving word: retractions."""
        return (*self.retractions, *self.retractions_of_approval)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Phrasings:
        when = data.get("conditions_when_followed") or {}
        labels = data.get("labels") or {}
        assent = data.get("assent") or {}
        retract = data.get("retractions") or {}
        redo = data.get("redo") or {}
        still = data.get("still_reviewing") or {}
        lexicon = Lexicon.from_json(data.get("lexicon") or {})
        _phrases = lexicon.phrases
        return cls(
            approves=_phrases(data.get("approves", ())),
            approves_with_subject=_phrases(data.get("approves_with_subject", ())),
            subjects=_phrases(data.get("subjects", ())),
            performatives=_phrases(data.get("performatives", ())),
            weak=_phrases(data.get("weak", ())),
            short_words=int(data.get("short_words", 40)),
            refusals=_phrases(data.get("refusals", ())),
            negations=_phrases(data.get("negations", ())),
            negation_suffixes=tuple(s.replace("’", "'") for s in data.get("negation_suffixes", ())),
            benign_negations=_phrases(data.get("benign_negations", ())),
            negative_answers=_phrases(data.get("negative_answers", ())),
            affirmative_answers=_phrases(data.get("affirmative_answers", ())),
            question_openers=_phrases(data.get("question_openers", ())),
            conditions=_phrases(data.get("conditions", ())),
            conditions_when=_phrases(when.get("markers", ())),
            conditions_followed_by=_phrases(when.get("followed_by", ())),
            modals=_phrases(data.get("modals", ())),
            modals_adjacent=_phrases(data.get("modals_adjacent", ())),
            modal_window=int(data.get("modal_window", 3)),
            other_objects=_phrases(data.get("other_objects", ())),
            own_objects=_phrases(data.get("own_objects", ())),
            auxiliaries=_phrases(data.get("auxiliaries", ())),
            label_names=_phrases(labels.get("names", ())),
            label_yes=_phrases(labels.get("yes", ())),
            label_no=_phrases(labels.get("no", ())),
            reservations=_phrases(data.get("reservations", ())),
            attribution=_phrases(data.get("attribution", ())),
            self_references=frozenset(w for p in _phrases(data.get("self_references", ())) for w in p),
            quotes=tuple((str(pair[0]), str(pair[1])) for pair in data.get("quotes", ()) if len(pair) == 2),
            lexicon=lexicon,
            assent=_phrases(assent.get("words", ())),
            assent_frames=_phrases(assent.get("frames", ())),
            intensifiers=_phrases(assent.get("intensifiers", ())),
            retractions=_stems(lexicon, retract.get("roots", ())),
            retraction_phrases=_phrases(retract.get("phrases", ())),
            retractions_of_approval=_stems(lexicon, retract.get("roots_naming_the_approval", ())),
            objections=_phrases(data.get("objections", ())),
            gaps=_phrases(data.get("gaps", ())),
            redo=_stems(lexicon, redo.get("roots", ())),
            amend=_stems(lexicon, redo.get("amend_roots", ())),
            blocking=_phrases(redo.get("blocking", ())),
            redo_requests=_phrases(redo.get("requested_by", ())),
            redo_phrases=_phrases(redo.get("phrases", ())),
            sections=_stems(lexicon, redo.get("sections", ())),
            minor=_phrases(redo.get("minor", ())),
            own_sides=_phrases(data.get("own_sides", ())),
            then=_phrases(data.get("then", ())),
            reviewing=_phrases(still.get("progressive", ())),
            review_verbs=_phrases(still.get("verbs", ())),
            future=_phrases(still.get("future", ())),
            meetings=_phrases((data.get("meetings") or {}).get("names", ())),
            counterfactuals=_phrases((data.get("counterfactuals") or {}).get("phrases", ())),
            edits=_phrases((data.get("edits") or {}).get("labels", ())),
            irony=_phrases((data.get("irony") or {}).get("markers", ())),
            suggestions=_phrases(redo.get("suggestions", ())),
            insisted=_phrases(redo.get("insisted_by", ())),
            contrasts=_phrases((redo.get("elsewhere") or {}).get("contrast", ())),
            places=_phrases((redo.get("elsewhere") or {}).get("places", ())),
            within=_phrases((redo.get("elsewhere") or {}).get("within", ())),
            approved_for=_phrases((data.get("another_incident") or {}).get("for", ())),
            issue_words=frozenset(
                w for p in _phrases((data.get("another_incident") or {}).get("issue_words", ())) for w in p
            ),
            purposes=_phrases((data.get("another_object") or {}).get("for", ())),
            purpose_objects=_phrases((data.get("another_object") or {}).get("objects", ())),
        )


@lru_cache(maxsize=4)
def phrasings(path: str | None = None) -> Phrasings:
    """The phrasings of ``schemas/approval.json`` (or of the file at ``path``)."""
    file = Path(path) if path else SCHEMA_DIR / "approval.json"
    data = read_json(file)
    try:
        return Phrasings.from_json(data)
    except (TypeError, ValueError, AttributeError) as error:
        raise ConfigError(f"{file}: not a valid approval phrasing file ({error})",
                          "each key holds a list of phrases; see schemas/approval.json") from None
