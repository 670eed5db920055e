"""Regular expressions compiled at their first use (the vocabulary's answer patterns)."""

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

    @property
    def compiled(self) -> tuple[re.Pattern[str], ...]:
        if self._compiled is None:
            self._compiled = tuple(re.compile(source) for source in self.sources)
        return self._compiled

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
