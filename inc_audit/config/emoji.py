"""GitLab's award emoji names, from the vendored `schemas/gitlab-emoji.json`.

GitLab stores an award emoji by its name (``thumbsup``), and accepts aliases
(``+1``). A configuration may name an emoji either way, or paste the character.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from inc_audit.reading.schemas import SCHEMA_DIR

DATA_FILE = "gitlab-emoji.json"
_VARIATION_SELECTOR = "\ufe0f"


@lru_cache(maxsize=1)
def _data() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SCHEMA_DIR / DATA_FILE).read_text(encoding="utf-8"))
    return data


@lru_cache(maxsize=1)
def _by_character() -> dict[str, str]:
    found: dict[str, str] = {}
    for name, character in _data()["emoji"].items():
        found.setdefault(character.replace(_VARIATION_SELECTOR, ""), name)
    for name, target in _data()["unicode_names"].items():
        if target not in _data()["emoji"]:
            found.setdefault(target.replace(_VARIATION_SELECTOR, ""), name)
    return found


def gitlab_name(value: str) -> str | None:
    """The name GitLab gives the emoji ``value`` names (by name, alias, ``:name:`` or character), or None."""
    text = value.strip()
    name = text.strip(":").lower() if text.startswith(":") and text.endswith(":") else text.lower()
    data = _data()
    if name in data["emoji"]:
        return name
    if name in data["aliases"]:
        return str(data["aliases"][name])
    if name in data["unicode_names"]:
        target = data["unicode_names"][name]
        return str(target) if target in data["emoji"] else name
    return _by_character().get(text.replace(_VARIATION_SELECTOR, ""))


def names_of(name: str) -> tuple[str, ...]:
    """``name`` and every alias GitLab accepts for it, so an award stored under either matches."""
    aliases = sorted(alias for alias, target in _data()["aliases"].items() if target == name)
    return (name, *aliases)


def suggest(value: str) -> str:
    """A hint for a value that names no GitLab emoji."""
    text = value.strip().strip(":").lower().replace(" ", "_").replace("-", "_")
    close = sorted(
        (n for n in _data()["emoji"] if text and "_tone" not in n and len(n) > 2 and (text in n or n in text)),
        key=lambda n: (len(n), n),
    )[:3]
    if close:
        return f"did you mean {', '.join(close)}? Use GitLab's emoji name, as in :thumbsup:"
    return "use GitLab's emoji name, as in :thumbsup:, the name GitLab shows when you hover an award emoji"
