"""Headings a team teaches a schema (the configuration's ``vocabulary:`` section), added to
the parts they name before the schema is read: the configuration's words extend the schema's.
This is the one way taught headings are read (``schemas.load(..., taught=...)``)."""

from __future__ import annotations

import json
from typing import Any

from inc_audit.errors import ConfigError

Taught = tuple[tuple[str, tuple[str, ...]], ...]
"""(part name, headings) pairs, in a stable order: a cache key for the loaded schema."""


def with_headings(schema: dict[str, Any], taught: Taught) -> dict[str, Any]:
    """A copy of the schema with more headings for some parts (``x-headings``); the schema
    itself when nothing is taught. A part the schema does not have is refused (the
    configuration's checks name it first, with its file and line)."""
    if not taught:
        return schema
    schema = json.loads(json.dumps(schema))
    groups = [schema.get("properties", {}).get(group, {}).get("properties", {}) for group in ("sections", "checklists")]
    for name, headings in taught:
        parts = next((parts for parts in groups if name in parts), None)
        if parts is None:
            known = ", ".join(sorted(p for parts in groups for p in parts))
            raise ConfigError(f"vocabulary: unknown section {name!r}", f"known sections: {known}")
        known_headings = list(parts[name].get("x-headings", (name,)))
        parts[name]["x-headings"] = known_headings + [h for h in headings if h not in known_headings]
    return schema
