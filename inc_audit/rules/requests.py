"""Requests to redo or amend part of the post-mortem, read in one clause of a comment.

``Looks good, but please rewrite the root cause section`` asks for a redo: no approval of
this version. ``Approved. Please add the ticket count to the impact section.`` asks for an
amendment that blocks nothing. ``nit: fix the typo whenever`` is minor, and ``would be nice
to fix the dead link in the timeline`` a suggestion, unless something makes it block
(``first``, ``before``) or insists on it (``please``). A request sent elsewhere than this
document (``fix those in the follow-ups rather than in this document``) redoes nothing of it.
"""

from __future__ import annotations

from collections.abc import Sequence

from inc_audit.rules.clauses import _DETERMINERS, Sentence, _find, _has, _is
from inc_audit.rules.phrasings import Phrasings


def asks_to_redo(p: Phrasings, before: Sequence[str], sentence: Sentence, words: Sequence[str]) -> str | None:
    """A request to redo part of the post-mortem (``could you redo the impact section``,
    ``l'impact est à revoir``, ``add the ticket count to the impact first``): "redo"; a
    request to amend it that does not block (``please add the ticket count to the
    impact``): "request"; neither, a minor one (``nit: fix the typo whenever``, ``not
    blocking``) or a suggestion (``would be nice to fix``, unless blocking or insisted on):
    None. ``before`` is the sentence before, which may name the part (``The RCA is thin;
    please rework it.``)."""
    roots = (*p.redo, *p.amend)
    if not roots or (not any(w.startswith(roots) for w in words) and not _has(words, p.redo_phrases)):
        return None
    around = (*before, *sentence.words)
    if not any(w.startswith(p.sections) for w in around) or _has(sentence.words, p.minor):
        return None
    if _has(sentence.words, p.suggestions) and not _has(sentence.words, (*p.blocking, *p.insisted)):
        return None  # "would be nice to fix the timeline link": a suggestion, not a request
    if _elsewhere(p, sentence.words):
        return None  # "fix those in the follow-ups rather than in this document"
    if _has(words, p.redo_phrases):
        return "redo"
    if not requested(p, words, roots):
        return None
    if any(w.startswith(p.redo) for w in words if p.redo) or _has(sentence.words, p.blocking):
        return "redo"
    return "request"


def requested(p: Phrasings, words: Sequence[str], roots: tuple[str, ...]) -> bool:
    """Whether a root of ``roots`` is asked for: an imperative, or a request just before it."""
    for i, word in enumerate(words):
        if not word.startswith(roots):
            continue
        if word.endswith("ed"):
            if i and words[i - 1] in ("be", "been", "get", "gets"):
                return True
            continue
        lead = words[max(0, i - 3) : i]
        if any(_is(lead[j:], p.redo_requests) for j in range(len(lead))) or _has(lead, p.redo_requests):
            return True
        if i == 0 and len(words) > 1 and words[1] in _DETERMINERS:
            return True  # the imperative: "Rewrite the root cause"
    return False


def _elsewhere(p: Phrasings, words: Sequence[str]) -> bool:
    """Whether the sentence sends the work elsewhere than this document: a contrast (``rather
    than``, ``plutôt que``) before a place that is this document (``rather than in this
    document``, ``plutôt que dans ce post-mortem``, ``rather than here``); ``rather than patch
    it`` sends nothing elsewhere."""
    span = _find(words, p.contrasts) if p.contrasts else None
    if span is None:
        return False
    after = words[span[1] : span[1] + 3]
    if _is(after[:1], p.places):
        return True  # "rather than here"
    place = after[1:]
    return _is(after[:1], p.within) and (_has(place, p.own_objects) or _has(place, p.places))
