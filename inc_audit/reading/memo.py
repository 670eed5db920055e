"""A bounded memo: the answers of a pure function of a text, kept while they fit.

Comments and answers repeat ("+1", "Acknowledged", a template line left as written), and
the reading of one depends only on its text. A ``Memo`` remembers readings up to a count
and a total of characters, then forgets them all and starts again, so its memory stays
bounded whatever the audit reads. Texts longer than ``longest`` are never kept.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class Memo(Generic[V]):
    def __init__(self, entries: int = 4096, chars: int = 1_000_000, longest: int = 4000) -> None:
        self.entries, self.chars, self.longest = entries, chars, longest
        self._found: dict[Hashable, V] = {}
        self._held = 0

    def get(self, text: str, key: Hashable, work: Callable[[], V]) -> V:
        """The value of ``work()`` for ``key`` (which holds ``text``): remembered, or worked out now."""
        if len(text) > self.longest:
            return work()
        found = self._found.get(key, _MISSING)
        if found is _MISSING:
            found = work()
            if len(self._found) >= self.entries or self._held + len(text) > self.chars:
                self._found.clear()
                self._held = 0
            self._found[key] = found
            self._held += len(text)
        return found  # type: ignore[return-value]

    def __len__(self) -> int:
        return len(self._found)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._found


_MISSING = object()
