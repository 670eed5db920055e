"""Headings a team teaches a schema (the configuration's ``vocabulary:`` section), added to
the parts they name before the schema is read: the configuration's words extend the schema's."""

from __future__ import annotations

import json
from typing import Any

Taught = tuple[tuple[str, tuple[str, ...]], ...]
"""(part name, headings) pairs, in a stable order: a cache key for the loaded schema."""


def with_headings(schema: dict[str, Any], taught: Taught) -> dict[str, Any]:
    """A copy of the schema with more headings for some parts (``x-headings``); the schema
    itself when nothing is taught."""
    if not taught:
        return schema
    schema = json.loads(json.dumps(schema))
    for group in ("sections", "checklists"):
        parts = schema.get("properties", {}).get(group, {}).get("properties", {})
        for name, headings in taught:
            if name in parts:
                known = list(parts[name].get("x-headings", (name,)))
                parts[name]["x-headings"] = known + [h for h in headings if h not in known]
    return schema
