"""What a comment's tone says beside its words: an objection, or irony.

``inc_audit.rules.reading`` reads a comment's clauses for an approval; these read the
writer's own words as a whole. An objection (hold on, the numbers don't match) makes the
comment no approval and takes back its writer's earlier one. Irony (an eye-roll emoji,
``yeah right``, a closing ``/s``) says the writer means the opposite of what they write:
``Oh sure, approved, because 'root cause: computers' is exactly what I asked for 🙄``
mocks the approving word, and is none.
"""

from __future__ import annotations

import re

from inc_audit.rules.clauses import _find, _has
from inc_audit.rules.phrasings import Phrasings

_SARCASM_TAG = re.compile(r"(?:^|\s)/s[\s.!]*\Z")  # "/s" closing the comment; "3/s" or "w/s" stays a rate


def objects(tokens: list[str], p: Phrasings) -> bool:
    """Whether the writer's own words object to the post-mortem (hold on, doesn't match, not
    convinced): a later comment that does takes back its writer's earlier approval."""
    if not p.objection_openers.intersection(tokens):
        return False  # most comments: no word an objection starts with
    words = list(tokens)
    span = _find(words, p.benign_negations)
    while span is not None:
        del words[span[0] : span[1]]
        span = _find(words, p.benign_negations)
    if _has(words, p.objections):
        return True
    return _has(words, p.gaps) and any(w.startswith(p.sections) for w in words)


def ironic(own: str, tokens: list[str], p: Phrasings) -> str:
    """The sign that the writer's own words (``own``, read as ``tokens``) mean the opposite of
    what they say, or "" when there is none."""
    span = _find(tokens, p.irony)
    if span is not None:
        return " ".join(tokens[span[0] : span[1]])
    return "/s" if "/s" in own and _SARCASM_TAG.search(own) else ""
