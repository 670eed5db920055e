"""How a parsed document fails its schema (``problems``), with a quick proof that it does not first.

``problems`` turns jsonschema's errors on the parsed document into one ``Problem`` a kind and
part: a section missing, empty, with unticked boxes, or otherwise invalid.

jsonschema costs about a millisecond a document, and most documents are valid. A schema
written with a few keywords only (``type``, ``required``, ``properties``, ``const``,
``enum``, and ``$ref`` to its own ``$defs``; annotations and ``x-`` keys are ignored,
as jsonschema ignores them) is checked here directly, with jsonschema's own type checker
and JSON equality as jsonschema has it for ``const`` and ``enum`` (``equal``).
``QuickCheck.valid`` answers True only when every keyword holds: then jsonschema would
find no error. For any other schema, or an instance it finds fault with,
it answers False and jsonschema decides, and says why.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from inc_audit.reading import explain
from inc_audit.reading.markdown import parse

if TYPE_CHECKING:
    import jsonschema

    from inc_audit.reading.markdown import Document
    from inc_audit.reading.schemas import DocumentSchema, Part

_ANNOTATIONS = frozenset(
    {"$schema", "$comment", "title", "description", "default", "examples", "deprecated", "readOnly", "writeOnly"}
)
_TYPES = frozenset({"object", "array", "string", "integer", "number", "boolean", "null"})
_LOCAL_REF = re.compile(r"#/\$defs/([A-Za-z0-9_\-]+)")


Check = Callable[[Any], bool]


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


_QUICK: weakref.WeakKeyDictionary[DocumentSchema, QuickCheck] = weakref.WeakKeyDictionary()


def quick_check(schema: DocumentSchema) -> QuickCheck:
    """The schema's quick check, compiled once per schema."""
    quick = _QUICK.get(schema)
    if quick is None:
        quick = _QUICK[schema] = QuickCheck(schema.schema, schema.validator.is_type)
    return quick


def check_text(schema: DocumentSchema, text: str) -> list[Problem]:
    """How the text of a document fails ``schema`` (``problems`` of its parse)."""
    return problems(schema, parse(text))


def notes(schema: DocumentSchema, document: Document) -> list[str]:
    """What a reviewer should know that is no problem: the sections recognised by their text
    rather than their heading (``DocumentSchema.recognised``), in the schema's order."""
    reasons = schema.recognised(document)
    return [reasons[part.name] for part in schema.parts if part.name in reasons]


@dataclass(frozen=True)
class Problem:
    """A way a document fails its schema."""

    kind: str  # "missing", "empty", "unticked" or "invalid"
    part: Part
    message: str
    line: int | None = None


def problems(schema: DocumentSchema, document: Document) -> list[Problem]:
    """How ``document`` fails ``schema``, one problem a kind and part, in the schema's order of parts."""
    instance = schema.instance(document)
    if quick_check(schema).valid(instance):
        return []  # jsonschema would find no error
    by_name = {(p.group, p.name): p for p in schema.parts}
    found: dict[tuple[str, str], Problem] = {}
    for error in schema.validator.iter_errors(instance):
        for problem in _problems_of(schema, error, instance, by_name, document):
            found.setdefault((problem.kind, problem.part.name), problem)
    order = {p.name: i for i, p in enumerate(schema.parts)}
    return sorted(found.values(), key=lambda p: (order.get(p.part.name, 99), p.kind))


def _problems_of(
    schema: DocumentSchema,
    error: jsonschema.ValidationError,
    instance: dict[str, Any],
    parts: dict[tuple[str, str], Part],
    document: Document,
) -> Iterator[Problem]:
    path = list(error.path)
    if error.validator == "required" and len(path) == 1 and path[0] in ("sections", "checklists"):
        group = str(path[0])
        for name in error.validator_value:
            part = parts.get((group, name))
            if name not in instance[group] and part is not None:
                yield Problem("missing", part, explain.missing_message(schema, part, document))
        return
    if len(path) < 2:
        return
    group, name = str(path[0]), str(path[1])
    part = parts.get((group, name))
    if part is None:
        return
    line = instance[group][name].get("line")
    field = path[2] if len(path) > 2 else None
    if field == "empty":
        note = explain.unclosed_note(document, str(instance[group][name].get("text", "")))
        yield Problem("empty", part, f"section '{part.title}' is empty or holds only template text{note}", line)
    elif field == "unticked":
        count = instance[group][name]["unticked"]
        yield Problem("unticked", part, f"'{part.title}' has {count} unticked box(es)", line)
    else:
        yield Problem("invalid", part, f"section '{part.title}': {error.message}", line)


class QuickCheck:
    def __init__(self, schema: dict[str, Any], is_type: Callable[[Any, str], bool]) -> None:
        self.is_type = is_type
        defs = schema.get("$defs")
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
        checks = [check for keyword, value in schema.items() if (check := self._keyword(keyword, value))]
        return lambda instance: all(check(instance) for check in checks)

    def _keyword(self, keyword: str, value: Any) -> Check | None:
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
        if keyword == "const":
            return lambda instance: bool(equal(instance, value))
        if keyword == "enum":
            return lambda instance: any(equal(instance, each) for each in value)
        if keyword == "$ref":
            return self._ref(_LOCAL_REF.fullmatch(value).group(1))  # type: ignore[union-attr]
        return None  # an annotation, an x- key or $defs: no bearing on validity

    def _ref(self, name: str) -> Check:
        if name not in self.defs:
            return lambda _: False  # left to jsonschema, which says it cannot resolve it
        if name not in self._compiled:
            self._compiled[name] = self._compile(self.defs[name])
        return self._compiled[name]


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
