"""A quick proof that a parsed document meets its schema, before jsonschema is asked why not.

jsonschema costs about a millisecond a document, and most documents are valid. A schema
written with a few keywords only (``type``, ``required``, ``properties``, ``const``,
``enum``, and ``$ref`` to its own ``$defs``; annotations and ``x-`` keys are ignored,
as jsonschema ignores them) is checked here directly, with jsonschema's own type checker
and equality. ``QuickCheck.valid`` answers True only when every keyword holds: then
jsonschema would find no error. For any other schema, or an instance it finds fault with,
it answers False and jsonschema decides, and says why.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jsonschema._utils import equal

_ANNOTATIONS = frozenset(
    {"$schema", "$comment", "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly"}
)
_TYPES = frozenset({"object", "array", "string", "integer", "number", "boolean", "null"})
_LOCAL_REF = re.compile(r"#/\$defs/([A-Za-z0-9_\-]+)")
MAX_DEPTH = 32  # $ref followed this deep is a loop: left to jsonschema


class QuickCheck:
    def __init__(self, schema: dict[str, Any], is_type: Callable[[Any, str], bool]) -> None:
        self.root = schema
        self.is_type = is_type
        self.defs = schema.get("$defs") if isinstance(schema.get("$defs"), dict) else {}
        self.simple = _simple(schema, root=True) and all(_simple(d) for d in self.defs.values())

    def valid(self, instance: Any) -> bool:
        """True only when ``instance`` certainly meets the schema (jsonschema finds no error)."""
        return self.simple and self._valid(self.root, instance, 0)

    def _valid(self, schema: Any, instance: Any, depth: int) -> bool:
        if isinstance(schema, bool):
            return schema
        if depth > MAX_DEPTH:
            return False
        for keyword, value in schema.items():
            if not self._holds(keyword, value, instance, depth):
                return False
        return True

    def _holds(self, keyword: str, value: Any, instance: Any, depth: int) -> bool:
        if keyword == "type":
            return any(self.is_type(instance, t) for t in ([value] if isinstance(value, str) else value))
        if keyword == "required":
            return not self.is_type(instance, "object") or all(name in instance for name in value)
        if keyword == "properties":
            return not self.is_type(instance, "object") or all(
                self._valid(sub, instance[name], depth + 1) for name, sub in value.items() if name in instance
            )
        if keyword == "const":
            return bool(equal(instance, value))
        if keyword == "enum":
            return any(equal(instance, each) for each in value)
        if keyword == "$ref":
            name = _LOCAL_REF.fullmatch(value).group(1)  # type: ignore[union-attr]
            return name in self.defs and self._valid(self.defs[name], instance, depth + 1)
        return True  # an annotation, an x- key or $defs: no bearing on validity


def _simple(schema: Any, root: bool = False) -> bool:
    """Whether ``schema`` uses only the keywords ``QuickCheck`` follows, in their plain forms."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict):
        return False
    return all(_simple_keyword(keyword, value, root) for keyword, value in schema.items())


def _simple_keyword(keyword: Any, value: Any, root: bool) -> bool:
    if not isinstance(keyword, str):
        return False
    if keyword in _ANNOTATIONS or keyword.startswith("x-"):
        return True
    if keyword in ("$id", "$defs"):
        return root  # a $defs or $id below the root changes what a $ref names: left to jsonschema
    if keyword == "type":
        types = [value] if isinstance(value, str) else value
        return isinstance(types, list) and bool(types) and all(isinstance(t, str) and t in _TYPES for t in types)
    if keyword == "required":
        return isinstance(value, list) and all(isinstance(name, str) for name in value)
    if keyword == "properties":
        return isinstance(value, dict) and all(_simple(sub) for sub in value.values())
    if keyword == "const":
        return True
    if keyword == "enum":
        return isinstance(value, list)
    if keyword == "$ref":
        return isinstance(value, str) and _LOCAL_REF.fullmatch(value) is not None
    return False
