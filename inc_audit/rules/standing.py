"""Whose approval of a post-mortem still stands, comment after comment and emoji after emoji.

An approval stands until its writer takes it back: a later comment of theirs that withdraws
it (``I take my approval back``, ``je retire mon ok``), refuses (``actually no, not yet``),
conditions it (``approved once the timeline is added``), asks for part of the post-mortem
to be redone, or objects to it (``Hold on, the logs don't match``). A later approval, in
words or by an award emoji given after the retraction, approves again. A comment that says
nothing of the kind (``thanks, nice write-up``) leaves an approval as it was. A comment
edited into a retraction (``~~Approved~~ withdrawn``) retracts when it was edited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from inc_audit.model import Award, Note
from inc_audit.rules.reading import Reading


@dataclass(frozen=True)
class Step:
    """One thing a person did to the post-mortem's approval: approve, or take it back."""

    at: datetime
    who: str
    approves: bool
    order: int  # comments before award emoji given at the same moment


def steps(
    later: Iterable[Note], awards: Iterable[Award], since: datetime,
    reading: Callable[[Note], Reading], who: Callable[[str], str],
) -> list[Step]:
    """What each comment after the post-mortem and each approving award emoji does, in time order.

    ``later`` holds the comments posted after the post-mortem (``since``), ``awards`` the
    approving emoji on it; an award without a date counts from the post-mortem's own."""
    found = [Step(award.created_at or since, who(award.username), True, 1) for award in awards]
    read_ = [(note, reading(note)) for note in later]
    approvers = {s.who for s in found} | {who(n.author) for n, r in read_ if r.approves}
    for note, read in read_:
        author = who(note.author)
        if read.approves:
            found.append(Step(note.created_at, author, True, 0))
        elif author in approvers and read.retracts:  # an edit retracts when it is made
            found.append(Step(max(note.created_at, note.updated_at or note.created_at), author, False, 0))
    return sorted(found, key=lambda s: (s.at, s.order))


def standing(found: Iterable[Step]) -> set[str]:
    """Who approved and did not take it back since."""
    approved: set[str] = set()
    for step in found:
        if step.approves:
            approved.add(step.who)
        else:
            approved.discard(step.who)
    return approved


def withdrawn(found: Sequence[Step]) -> set[str]:
    """Who approved and then took it back, and stands so."""
    once: set[str] = set()
    for step in found:
        if step.approves:
            once.add(step.who)
    return once - standing(found)
