"""Regular expressions compiled at their first use (the vocabulary's answer patterns).

Whether any of them matches a text is asked of all of them at once, as one alternation
``(?:a)|(?:b)|...``: a text fullmatches (or holds a match of) the alternation exactly when it
fullmatches (or holds a match of) one of them. That holds while no pattern refers to a group
by its number or name (a back-reference or a condition: the alternation numbers the groups
afresh) and no pattern sets a flag for the whole expression (``(?i)`` at its start applies to
the whole alternation, or is refused inside it): such patterns are tried one after another.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any


class Patterns(Sequence["re.Pattern[str]"]):
    """Regular expressions compiled at their first use: compiling the vocabulary's answer
    patterns costs about 10 ms, and the template gate reads headings, never answers."""

    def __init__(self, sources: Iterable[str]) -> None:
        self.sources = tuple(sources)
        self._compiled: tuple[re.Pattern[str], ...] | None = None
        self._joined: re.Pattern[str] | None | bool = False  # False: not tried yet; None: cannot be joined

    @property
    def compiled(self) -> tuple[re.Pattern[str], ...]:
        if self._compiled is None:
            self._compiled = tuple(re.compile(source) for source in self.sources)
        return self._compiled

    @property
    def joined(self) -> re.Pattern[str] | None:
        """The patterns as one alternation, or None when they cannot be joined (see above)."""
        if self._joined is False:
            self._joined = _join(self.compiled)
        return self._joined  # type: ignore[return-value]

    def fullmatch_any(self, text: str) -> bool:
        """Whether one of the patterns matches the whole of ``text``."""
        joined = self.joined
        if joined is not None:
            return joined.fullmatch(text) is not None
        return any(pattern.fullmatch(text) for pattern in self.compiled)

    def search_any(self, text: str) -> bool:
        """Whether one of the patterns matches somewhere in ``text``."""
        joined = self.joined
        if joined is not None:
            return joined.search(text) is not None
        return any(pattern.search(text) for pattern in self.compiled)

    def __getitem__(self, index: Any) -> Any:
        return self.compiled[index]

    def __iter__(self) -> Iterator[re.Pattern[str]]:
        return iter(self.compiled)

    def __len__(self) -> int:
        return len(self.sources)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Patterns) and other.sources == self.sources

    def __hash__(self) -> int:
        return hash(self.sources)

    def __repr__(self) -> str:
        return f"Patterns({list(self.sources)!r})"


_REFERS = re.compile(r"\\[1-9]|\(\?P=|\(\?\(")  # \1, (?P=name), (?(1)yes|no): a group referred to
_GLOBAL_FLAGS = re.compile(r"\(\?[aiLmsux]+\)")  # (?i): a flag for the whole expression


def _join(patterns: Sequence[re.Pattern[str]]) -> re.Pattern[str] | None:
    if not patterns or any(p.flags & ~re.UNICODE for p in patterns):
        return None
    if any(_REFERS.search(p.pattern) or _GLOBAL_FLAGS.search(p.pattern) for p in patterns):
        return None
    try:
        return re.compile("|".join(f"(?:{p.pattern})" for p in patterns))
    except (re.error, RecursionError, OverflowError):
        return None
