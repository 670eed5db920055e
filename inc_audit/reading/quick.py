"""A quick proof that an instance meets a JSON Schema, without importing jsonschema.

jsonschema costs a tenth of a second to import and about a millisecond a document, and most
documents and configurations are valid. A schema written with the keywords below only
(annotations and ``x-`` keys are ignored, as jsonschema ignores them) is checked here
directly, with Draft 2020-12's types (``json_type``) and JSON equality as jsonschema has it
for ``const`` and ``enum`` (``equal``):

``type``, ``required``, ``properties``, ``additionalProperties``, ``items`` (one schema for
every item), ``const``, ``enum``, ``pattern``, ``minLength``, ``maxLength``, ``minItems``,
``maxItems``, ``minimum``, ``maximum``, ``uniqueItems`` (of strings), and ``$ref`` to the
schema's own ``$defs``.

``QuickCheck.valid`` answers True only when every keyword holds: then jsonschema would find
no error. For any other schema, or an instance it finds fault with, it answers False and
jsonschema decides, and says why (``reading.validity`` for documents, ``config.file`` for
the configuration).
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable
from typing import Any

_ANNOTATIONS = frozenset(
    {"$schema", "$comment", "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly"}
)
_TYPES = frozenset({"object", "array", "string", "integer", "number", "boolean", "null"})
_LOCAL_REF = re.compile(r"#/\$defs/([A-Za-z0-9_\-]+)")
_COUNTS = frozenset({"minLength", "maxLength", "minItems", "maxItems"})
_BOUNDS = frozenset({"minimum", "maximum"})
_SUBSCHEMA = frozenset({"additionalProperties", "items"})

Check = Callable[[Any], bool]


def json_type(instance: Any, kind: str) -> bool:
    """Whether ``instance`` is of the JSON type ``kind``, as jsonschema's Draft 2020-12 type
    checker says: a boolean is no number, a float with no fraction is an integer."""
    if kind == "object":
        return isinstance(instance, dict)
    if kind == "array":
        return isinstance(instance, list)
    if kind == "string":
        return isinstance(instance, str)
    if kind == "boolean":
        return isinstance(instance, bool)
    if kind == "null":
        return instance is None
    if isinstance(instance, bool):
        return False
    if kind == "integer":
        return isinstance(instance, int) or (isinstance(instance, float) and instance.is_integer())
    if kind == "number":
        return isinstance(instance, numbers.Number)
    raise ValueError(f"unknown JSON type {kind!r}")


def equal(one: Any, two: Any) -> bool:
    """JSON equality, as jsonschema has it for ``const`` and ``enum``: a boolean equals only a
    boolean (``True`` is not ``1``), numbers compare by value (``1`` is ``1.0``), arrays
    item by item, objects key by key."""
    if isinstance(one, bool) or isinstance(two, bool):
        return isinstance(one, bool) and isinstance(two, bool) and one == two
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, (list, tuple)) and isinstance(two, (list, tuple)):
        return len(one) == len(two) and all(equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, dict) and isinstance(two, dict):
        return one.keys() == two.keys() and all(equal(one[key], two[key]) for key in one)
    if isinstance(one, (list, tuple, dict)) or isinstance(two, (list, tuple, dict)):
        return False
    return bool(one == two)


class QuickCheck:
    def __init__(self, schema: Any, is_type: Callable[[Any, str], bool] = json_type) -> None:
        self.is_type = is_type
        defs = schema.get("$defs") if isinstance(schema, dict) else None
        self.defs: dict[str, Any] = defs if isinstance(defs, dict) else {}
        simple = _simple(schema, root=True) and all(_simple(d) for d in self.defs.values())
        self.simple = simple and not _loops(self.defs)
        self._compiled: dict[str, Check] = {}
        self._check = self._compile(schema) if self.simple else None

    def valid(self, instance: Any) -> bool:
        """True only when ``instance`` certainly meets the schema (jsonschema finds no error)."""
        return self._check is not None and self._check(instance)

    def _compile(self, schema: Any) -> Check:
        """One function testing every keyword of ``schema`` (one the ``_simple`` walk accepted)."""
        if isinstance(schema, bool):
            return (lambda _: True) if schema else (lambda _: False)
        checks = [check for keyword, value in schema.items() if (check := self._keyword(keyword, value, schema))]
        return lambda instance: all(check(instance) for check in checks)

    def _keyword(self, keyword: str, value: Any, schema: dict[str, Any]) -> Check | None:
        is_type = self.is_type
        if keyword == "type":
            types = [value] if isinstance(value, str) else list(value)
            return lambda instance: any(is_type(instance, t) for t in types)
        if keyword == "required":
            names = list(value)
            return lambda instance: not is_type(instance, "object") or all(name in instance for name in names)
        if keyword == "properties":
            subs = [(name, self._compile(sub)) for name, sub in value.items() if not _says_nothing(sub)]
            return lambda instance: not is_type(instance, "object") or all(
                check(instance[name]) for name, check in subs if name in instance
            )
        if keyword == "additionalProperties":
            return self._additional(value, schema.get("properties", {}))
        if keyword == "items":
            each = self._compile(value)
            return lambda instance: not is_type(instance, "array") or all(each(item) for item in instance)
        if keyword == "const":
            return lambda instance: bool(equal(instance, value))
        if keyword == "enum":
            return lambda instance: any(equal(instance, each) for each in value)
        if keyword == "pattern":
            search = re.compile(value).search
            return lambda instance: not is_type(instance, "string") or search(instance) is not None
        if keyword in _COUNTS:
            return _count(keyword, value, is_type)
        if keyword in _BOUNDS:
            return _bound(keyword, value, is_type)
        if keyword == "uniqueItems":
            return _unique if value else None
        if keyword == "$ref":
            return self._ref(_LOCAL_REF.fullmatch(value).group(1))  # type: ignore[union-attr]
        return None  # an annotation, an x- key or $defs: no bearing on validity

    def _additional(self, value: Any, known: dict[str, Any]) -> Check:
        other = self._compile(value)
        is_type = self.is_type
        return lambda instance: not is_type(instance, "object") or all(
            other(item) for key, item in instance.items() if key not in known
        )

    def _ref(self, name: str) -> Check:
        if name not in self.defs:
            return lambda _: False  # left to jsonschema, which says it cannot resolve it
        if name not in self._compiled:
            self._compiled[name] = self._compile(self.defs[name])
        return self._compiled[name]


def _count(keyword: str, limit: int, is_type: Callable[[Any, str], bool]) -> Check:
    kind = "string" if keyword.endswith("Length") else "array"
    if keyword.startswith("min"):
        return lambda instance: not is_type(instance, kind) or len(instance) >= limit
    return lambda instance: not is_type(instance, kind) or len(instance) <= limit


def _bound(keyword: str, limit: float, is_type: Callable[[Any, str], bool]) -> Check:
    def check(instance: Any) -> bool:
        if not is_type(instance, "number"):
            return True
        if not isinstance(instance, (int, float)):
            return False  # another kind of number: left to jsonschema
        return bool(instance >= limit) if keyword == "minimum" else bool(instance <= limit)

    return check


def _unique(instance: Any) -> bool:
    """Items certainly unique: strings all different (jsonschema compares strings by value);
    any other item is left to jsonschema."""
    if not isinstance(instance, list):
        return True
    return all(isinstance(item, str) for item in instance) and len(set(instance)) == len(instance)


def _says_nothing(schema: Any) -> bool:
    """``{}``, ``true``, or only annotations: every value meets it."""
    if isinstance(schema, bool):
        return schema
    return all(k in _ANNOTATIONS or k.startswith("x-") for k in schema)


def _refs(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        found = {m.group(1) for k, v in schema.items() if k == "$ref" and (m := _LOCAL_REF.fullmatch(str(v)))}
        for k, v in schema.items():
            if k not in ("const", "enum"):
                found |= _refs(v)
        return found
    if isinstance(schema, list):
        return {name for item in schema for name in _refs(item)}
    return set()


def _loops(defs: dict[str, Any]) -> bool:
    """Whether a definition reaches itself through $ref: such a schema is left to jsonschema."""
    edges = {name: _refs(schema) for name, schema in defs.items()}
    for start in edges:
        seen: set[str] = set()
        todo = list(edges[start])
        while todo:
            name = todo.pop()
            if name == start:
                return True
            if name not in seen:
                seen.add(name)
                todo.extend(edges.get(name, ()))
    return False


def _simple(schema: Any, root: bool = False) -> bool:
    """Whether ``schema`` uses only the keywords ``QuickCheck`` follows, in their plain forms."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict):
        return False
    return all(_simple_keyword(keyword, value, root) for keyword, value in schema.items())


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


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
    if keyword in _SUBSCHEMA:
        return _simple(value)
    if keyword == "const":
        return True
    if keyword == "enum":
        return isinstance(value, list)
    if keyword == "pattern":
        return isinstance(value, str) and _compiles(value)
    if keyword in _COUNTS:
        return _whole(value)
    if keyword in _BOUNDS:
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if keyword == "uniqueItems":
        return isinstance(value, bool)
    if keyword == "$ref":
        return isinstance(value, str) and _LOCAL_REF.fullmatch(value) is not None
    return False


def _compiles(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return True
