"""The document schemas: which sections a document needs, and how to find them.

A document schema is JSON Schema over the *parsed document*, an object like
``{"sections": {"nature": {"heading": ..., "line": 12, "empty": false,
"text": ...}}, "checklists": {"reviews": {"unticked": 1, ...}}}``. Each
section's entry in the schema lists, under ``x-headings``, the headings that
name it, so a team with other templates edits JSON, not Python.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import SchemaError

from inc_audit.errors import ConfigError
from inc_audit.markdown import DEFAULT_PLACEHOLDERS, Document, Section, parse

SCHEMA_DIR = Path(str(resources.files("inc_audit.builtin_schemas")))
KINDS = {
    "report": "incident-report.schema.json",
    "post-mortem": "post-mortem.schema.json",
    "change": "change.schema.json",
}

_EMOJI_CODE = re.compile(r":[a-z0-9_+\-]+:")
_LABEL_REF = re.compile(r'~"([^"]*)"|~(\S+)')
_NUMBERING = re.compile(r"^\s*(?:(?:\d+|[ivxlc]+|[a-z])[.)]|\d+(?:\.\d+)*\s)\s*", re.IGNORECASE)
_HEADING_LIKE = re.compile(r"^(?:#{1,6}(?:\s|$)|\*\*|__)")
_SETEXT = re.compile(r"^ {0,3}(?:=+|-+)\s*$")
_WORDS = {"inc": "incident", "ipm": "postmortem", "chg": "change"}


def heading_key(text: str) -> str:
    """The form headings are compared in: no case, punctuation, emoji, numbering or markup."""
    text = _LABEL_REF.sub(lambda m: m.group(1) or m.group(2), text)
    text = _EMOJI_CODE.sub(" ", text.lower())
    text = "".join(ch for ch in text if unicodedata.category(ch)[0] != "S" or ch in "~")
    text = _NUMBERING.sub("", text.strip(" *_`#"))
    words = re.findall(r"[^\W_]+", text)
    return "".join(_WORDS.get(word, word) for word in words)


@dataclass(frozen=True)
class Part:
    """One section or checklist a schema knows, with the headings that name it."""

    name: str
    group: str  # "sections" or "checklists"
    title: str
    headings: tuple[str, ...]
    required: bool
    placeholders: tuple[str, ...]

    @cached_property
    def keys(self) -> frozenset[str]:
        return frozenset(heading_key(h) for h in self.headings)


@dataclass(frozen=True)
class Problem:
    """A way a document fails its schema."""

    kind: str  # "missing", "empty", "unticked" or "invalid"
    part: Part
    message: str
    line: int | None = None


class DocumentSchema:
    def __init__(self, schema: dict[str, Any], origin: str) -> None:
        self.schema = schema
        self.origin = origin
        self.kind = str(schema.get("x-kind", ""))
        self.title = str(schema.get("title", self.kind))
        self.identify = frozenset(heading_key(h) for h in schema.get("x-identify", ()))
        self.placeholders = tuple(schema.get("x-placeholders", DEFAULT_PLACEHOLDERS))
        self.parts = tuple(self._parts())
        self._validator = jsonschema.Draft202012Validator(schema)

    def _parts(self) -> Iterator[Part]:
        for group in ("sections", "checklists"):
            spec = self.schema.get("properties", {}).get(group, {})
            required = set(spec.get("required", ()))
            for name, prop in spec.get("properties", {}).items():
                yield Part(
                    name=name,
                    group=group,
                    title=str(prop.get("title", name)),
                    headings=tuple(prop.get("x-headings", (name,))),
                    required=name in required,
                    placeholders=self.placeholders + tuple(prop.get("x-placeholders", ())),
                )

    @property
    def required_parts(self) -> tuple[Part, ...]:
        return tuple(p for p in self.parts if p.required)

    def find(self, document: Document, part: Part) -> Section | None:
        """The section a part names: a real heading first, else a bold line alone."""
        for bold in (False, True):
            for section in document.sections:
                if section.heading.bold == bold and heading_key(section.heading.text) in part.keys:
                    return section
        return None

    def instance(self, document: Document) -> dict[str, Any]:
        """The parsed document as the object the schema validates."""
        found: dict[str, dict[str, Any]] = {"sections": {}, "checklists": {}}
        for part in self.parts:
            section = self.find(document, part)
            if section is not None:
                found[part.group][part.name] = _describe(section, part)
        return found

    def could_match(self, text: str) -> bool:
        """A cheap test before parsing: does any line look like one of this schema's headings?

        Most comments are plain discussion; they need no markdown parse to be ruled out.
        """
        keys = self.identify | frozenset().union(*(part.keys for part in self.parts))
        lines = text.splitlines()
        for index, line in enumerate(lines):
            stripped = line.strip()
            if not stripped:
                continue
            candidate = _HEADING_LIKE.match(stripped)
            underline = index + 1 < len(lines) and _SETEXT.match(lines[index + 1])
            if (candidate or underline) and heading_key(stripped) in keys:
                return True
        return False

    def matches(self, document: Document) -> int:
        """How strongly a document reads as this kind: 0 when it does not at all."""
        named = any(heading_key(h.text) in self.identify for h in document.headings)
        sections = sum(1 for part in self.parts if self.find(document, part) is not None)
        return sections + (2 if named else 0) if named or sections >= 2 else 0

    def problems(self, document: Document) -> list[Problem]:
        instance = self.instance(document)
        by_name = {(p.group, p.name): p for p in self.parts}
        problems: dict[tuple[str, str], Problem] = {}
        for error in self._validator.iter_errors(instance):
            for problem in _problems_of(error, instance, by_name):
                problems.setdefault((problem.kind, problem.part.name), problem)
        order = {p.name: i for i, p in enumerate(self.parts)}
        return sorted(problems.values(), key=lambda p: (order.get(p.part.name, 99), p.kind))

    def check_text(self, text: str) -> list[Problem]:
        return self.problems(parse(text))


def _describe(section: Section, part: Part) -> dict[str, Any]:
    tasks = section.tasks
    return {
        "heading": section.heading.text,
        "line": section.heading.line,
        "empty": section.is_empty(part.placeholders),
        "text": section.body.strip(),
        "ticked": sum(1 for t in tasks if t.checked),
        "unticked": sum(1 for t in tasks if t.checked is False),
        "not_applicable": sum(1 for t in tasks if t.checked is None),
    }


def _problems_of(
    error: jsonschema.ValidationError,
    instance: dict[str, Any],
    parts: dict[tuple[str, str], Part],
) -> Iterator[Problem]:
    path = list(error.path)
    if error.validator == "required" and len(path) == 1 and path[0] in ("sections", "checklists"):
        group = str(path[0])
        for name in error.validator_value:
            part = parts.get((group, name))
            if name not in instance[group] and part is not None:
                yield Problem("missing", part, f"no section '{part.title}'")
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
        yield Problem("empty", part, f"section '{part.title}' is empty or holds only template text", line)
    elif field == "unticked":
        count = instance[group][name]["unticked"]
        yield Problem("unticked", part, f"'{part.title}' has {count} unticked box(es)", line)
    else:
        yield Problem("invalid", part, f"section '{part.title}': {error.message}", line)


@lru_cache(maxsize=32)
def load(kind: str, path: str | None = None) -> DocumentSchema:
    """A document schema: the built-in one for ``kind``, or the file at ``path``."""
    file = Path(path) if path else SCHEMA_DIR / KINDS[kind]
    schema = read_json(file)
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except SchemaError as error:
        raise ConfigError(f"{file}: not a valid JSON Schema: {error.message}") from None
    loaded = DocumentSchema(schema, str(file))
    if loaded.kind != kind:
        raise ConfigError(
            f"{file}: x-kind is {loaded.kind!r}, expected {kind!r}",
            'set "x-kind" in the schema to the kind it describes',
        )
    return loaded


def read_json(file: Path) -> dict[str, Any]:
    try:
        value = json.loads(file.read_text(encoding="utf-8"))
    except OSError as error:
        raise ConfigError(f"cannot read schema {file}: {error.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ConfigError(f"{file}: not valid JSON ({error})") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{file}: a schema must be a JSON object")
    return value
