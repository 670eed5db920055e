"""The document schemas: which sections a document needs, and how to find and read them.

A document schema is JSON Schema over the *parsed document*, an object like
``{"sections": {"nature": {"heading": ..., "line": 12, "empty": false,
"text": ...}}, "checklists": {"reviews": {"unticked": 1, ...}}}``. Each
section's entry in the schema lists, under ``x-headings``, the headings that
name it, and under ``x-concepts`` the shared synonyms of schemas/vocabulary.json it
takes, so a team with other templates edits JSON, not Python. ``x-template-text``
holds the template's guidance for the part: an answer that only repeats it is empty.
``x-negative-answer`` says "None" is an answer there (``x-negative-with-reason``: when a
reason follows, "None, it was a user error"); ``x-open-tasks-answer`` says an
unticked box is (an action item, a plan step) rather than a claim not yet made.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from inc_audit.errors import ConfigError
from inc_audit.files import shipped_schemas
from inc_audit.reading import answers as answering
from inc_audit.reading import prefilter
from inc_audit.reading import vocabulary as vocab
from inc_audit.reading.markdown import (
    DEFAULT_PLACEHOLDERS,
    Document,
    Section,
    meaningful_text,
)
from inc_audit.reading.matching import Matching
from inc_audit.reading.memo import Memo
from inc_audit.reading.resolving import Resolving
from inc_audit.reading.taught import Taught, with_headings

if TYPE_CHECKING:
    import jsonschema

SCHEMA_DIR = shipped_schemas()
VOCABULARY = "vocabulary.json"
KINDS = {
    "report": "incident-report.schema.json",
    "post-mortem": "post-mortem.schema.json",
    "change": "change.schema.json",
}
_IDS = itertools.count()
_TITLE_END = re.compile(r"\s*(?:[:,(#]|\s[-–—]\s|\s(?:for|of|on|about|re)\s)")
MAX_TITLE_HEADS = 50  # heads that may name a document's kind: a title comes early
MAX_CHEAP = 20_000  # characters beyond which could_match leaves the decision to the parse


def builtin_vocabulary() -> vocab.Vocabulary:
    return vocab.load(str(SCHEMA_DIR / VOCABULARY))


def heading_key(text: str) -> str:
    """The form headings are compared in: no case, punctuation, emoji, numbering or markup."""
    return builtin_vocabulary().key(text)


@dataclass(frozen=True)
class Part:
    """One section or checklist a schema knows, with the headings that name it."""

    name: str
    group: str  # "sections" or "checklists"
    title: str
    headings: tuple[str, ...]
    required: bool
    placeholders: tuple[str, ...]
    negative_ok: bool = False
    open_tasks_ok: bool = False
    template_text: tuple[str, ...] = ()
    negative_reason_ok: bool = False
    concepts: tuple[str, ...] = ()
    needs_compensation: bool = False
    unfinished_is_no_answer: bool = False
    open_task_defers: bool = False  # an unticked to-do is a step, unless it only defers (write rollback plan)
    negative_unless_harm: bool = False  # "None" answers, unless the impact says everyone was hurt

    @cached_property
    def keys(self) -> frozenset[str]:
        found: set[str] = set()
        for heading in self.headings:
            found.update(builtin_vocabulary().keys(heading))
        return frozenset(found)


class DocumentSchema(Resolving, Matching):
    def __init__(
        self,
        schema: dict[str, Any],
        origin: str,
        words: vocab.Vocabulary | None = None,
        templates: tuple[str, ...] = (),
    ) -> None:
        self.schema = schema
        self.origin = origin
        self.vocabulary = words or builtin_vocabulary()
        self.kind = str(schema.get("x-kind", ""))
        self.reads_quoted = bool(schema.get("x-reads-quoted", False))  # a report forwarded in an e-mail's quote
        self.title = str(schema.get("title", self.kind))
        self.identify = frozenset(self.vocabulary.key(h) for h in schema.get("x-identify", ())) - {""}
        self.placeholders = tuple(schema.get("x-placeholders", DEFAULT_PLACEHOLDERS))
        self.parts = tuple(self._parts())
        self.templates = templates
        self._id = next(_IDS)
        self._by_key = self._key_index()
        self._by_concept: dict[str, Part] = {}
        for part in self.parts:
            for concept in part.concepts:
                self._by_concept.setdefault(concept, part)
        self.other_keys = frozenset(k for h in self.vocabulary.other_headings for k in self.vocabulary.keys(h))
        self._known = self._known_keys()
        self._rules = {part.name: self._answer_rules(part) for part in self.parts}
        self._matched: dict[str, Any] = {}
        self._empty: Memo[bool] = Memo()
        self._could: Memo[bool] = Memo()

    @cached_property
    def validator(self) -> jsonschema.Draft202012Validator:
        """jsonschema's validator of the schema, made (and jsonschema imported) only when a
        document fails the quick check (``validity.problems``): most never do."""
        import jsonschema

        return jsonschema.Draft202012Validator(self.schema)

    @property
    def serial(self) -> int:
        """This schema's number, unique in the process: memos of its readings are keyed by it."""
        return self._id

    def _parts(self) -> Iterator[Part]:
        for group in ("sections", "checklists"):
            spec = self.schema.get("properties", {}).get(group, {})
            required = set(spec.get("required", ()))
            for name, prop in spec.get("properties", {}).items():
                headings = list(prop.get("x-headings", (name,)))
                for concept in prop.get("x-concepts", ()):
                    headings += [h for h in self.vocabulary.concept(concept, self.origin) if h not in headings]
                yield Part(
                    name=name,
                    group=group,
                    title=str(prop.get("title", name)),
                    headings=tuple(headings),
                    required=name in required,
                    placeholders=self.placeholders + tuple(prop.get("x-placeholders", ())),
                    negative_ok=bool(prop.get("x-negative-answer", False)),
                    open_tasks_ok=bool(prop.get("x-open-tasks-answer", False)),
                    template_text=tuple(prop.get("x-template-text", ())),
                    negative_reason_ok=bool(prop.get("x-negative-with-reason", False)),
                    concepts=tuple(map(str, prop.get("x-concepts", ()))),
                    needs_compensation=bool(prop.get("x-irreversible-needs-compensation", False)),
                    unfinished_is_no_answer=bool(prop.get("x-unfinished-is-no-answer", False)),
                    open_task_defers=bool(prop.get("x-open-task-may-defer", False)),
                    negative_unless_harm=bool(prop.get("x-negative-unless-harm", False)),
                )

    def _part_keys(self, part: Part) -> frozenset[str]:
        found: set[str] = set()
        for heading in part.headings:
            found.update(self.vocabulary.keys(heading))
        return frozenset(found)

    def _key_index(self) -> dict[str, Part]:
        index: dict[str, Part] = {}
        for part in self.parts:
            for key in self._part_keys(part):
                index.setdefault(key, part)
        return index

    def _known_keys(self) -> frozenset[str]:
        """Labels that may start a section: this schema's, and the vocabulary's common headings."""
        known = set(self._by_key) | set(self.identify)
        for heading in itertools.chain(self.vocabulary.other_headings, *self.vocabulary.concepts.values()):
            known.update(self.vocabulary.keys(heading))
        return frozenset(known)

    def _answer_rules(self, part: Part) -> answering.AnswerRules:
        guidance = answering.Guidance()
        for text in self._guidance_texts(part):
            guidance.add(self.vocabulary.words_of(vocab.normalise(text)))
        placeholders = frozenset(vocab.placeholder_key(p) for p in part.placeholders) | self.vocabulary.placeholders
        return answering.AnswerRules(
            placeholders - {""},
            part.negative_ok,
            part.open_tasks_ok,
            guidance,
            part.negative_reason_ok,
            part.needs_compensation,
            part.unfinished_is_no_answer,
            part.open_task_defers,
            part.concepts,
        )

    def _guidance_texts(self, part: Part) -> Iterator[str]:
        yield from part.headings
        yield from self.schema.get("x-template-text", ())
        for other in self.parts:
            yield from other.template_text
        for template in self.templates:
            yield from vocab.template_guidance(template)

    def with_templates(self, texts: Iterable[str]) -> DocumentSchema:
        """This schema, also reading the text of these templates as guidance no answer may repeat."""
        return DocumentSchema(self.schema, self.origin, self.vocabulary, self.templates + tuple(texts))

    @property
    def required_parts(self) -> tuple[Part, ...]:
        return tuple(p for p in self.parts if p.required)

    def find(self, document: Document, part: Part) -> Section | None:
        """The section a part names: a heading first, then a bold line or label, then a plain label."""
        return self.resolve(document).get(part.name)

    def instance(self, document: Document) -> dict[str, Any]:
        """The parsed document as the object the schema validates, worked out once per document
        (callers read it, none changes it)."""
        key = ("instance", self._id)
        cached = document.cache.get(key)
        if cached is None:
            cached = document.cache[key] = self._instance(document)
        return cached  # type: ignore[return-value]

    def _instance(self, document: Document) -> dict[str, Any]:
        found: dict[str, dict[str, Any]] = {"sections": {}, "checklists": {}}
        resolved = self.resolve(document)
        reasons = self.recognised(document)
        for part in self.parts:
            section = resolved.get(part.name)
            if section is not None:
                found[part.group][part.name] = self._describe(section, part, reasons.get(part.name))
        answering.read_across(self.parts, found["sections"], resolved, document.text, self.vocabulary)
        return found

    def is_empty(self, section: Section, part: Part) -> bool:
        """Whether the section holds no answer. The reading depends only on the answer's text
        and the part, so it is remembered for short texts (many comments repeat one)."""
        answer = section.answer
        return self._empty.get(answer, (part.name, answer), lambda: self._is_empty(answer, part))

    def _is_empty(self, answer: str, part: Part) -> bool:
        return not answering.answers(meaningful_text(answer), self._rules[part.name], self.vocabulary)

    def _describe(self, section: Section, part: Part, why: str | None = None) -> dict[str, Any]:
        tasks = section.tasks
        recognised = {"recognised": why} if why else {}
        return {
            **recognised,
            "heading": section.heading.text,
            "line": section.heading.line,
            "empty": self.is_empty(section, part),
            "text": section.answer.strip(),
            "ticked": sum(1 for t in tasks if t.checked),
            "unticked": sum(1 for t in tasks if t.checked is False),
            "not_applicable": sum(1 for t in tasks if t.checked is None),
        }

    def could_match(self, text: str) -> bool:
        """A cheap test before parsing: could this text read as this kind at all?

        It holds whenever ``matches`` does: a heading, label or first-line title naming the
        kind, or two lines naming its sections. Most comments are plain discussion; they need no parse.
        """
        if len(text) > MAX_CHEAP:
            return True  # the pre-filter would cost as much as the parse it saves
        return self._could.get(text, text, lambda: self._could_match(text))

    def _could_match(self, text: str) -> bool:
        return prefilter.could_match(self, text)

    def matches(self, document: Document) -> int:
        """How strongly a document reads as this kind: 0 when it does not at all.

        It does when a head names the kind ("Incident Post-Mortem"), or when it holds two
        of the required sections (one where only one is required) and two sections in all.
        """
        found = self.resolve(document)
        named = self.is_named(document)
        required = sum(1 for part in self.required_parts if part.name in found)
        score = len(found) + 2 * required
        if named:
            return score + 4
        if len(found) >= 2 and required >= min(2, len(self.required_parts)):
            return score
        return 0

    def is_named(self, document: Document) -> bool:
        """One of the first heads names the kind, or the first line does as a title ("Post-mortem for #12:")."""
        if any(self.names_itself(head) for head in itertools.islice(document.heads, MAX_TITLE_HEADS)):
            return True
        return self.titled(document.text)

    def titled(self, text: str) -> bool:
        """The first line that holds something names the kind, as a title ("Post-mortem for #12:")."""
        opening = meaningful_text(text[:4000])
        first = next((line for line in opening.split("\n") if line.strip()), "")
        title = _TITLE_END.split(vocab.normalise(first), maxsplit=1)[0]
        return bool(title) and self.vocabulary.key(title) in self.identify

    def answered(self, document: Document) -> int:
        """How many required sections the document has and answers."""
        found = self.resolve(document)
        return sum(
            1
            for part in self.required_parts
            if part.group == "sections" and part.name in found and not self.is_empty(found[part.name], part)
        )


@lru_cache(maxsize=32)
def load(kind: str, path: str | None = None, templates: tuple[str, ...] = (), taught: Taught = ()) -> DocumentSchema:
    """A document schema: the built-in one for ``kind``, or the file at ``path``.

    ``templates`` are the paths of the team's template files: an answer that repeats
    their text is no answer. ``taught`` adds headings to parts: (part name, headings) pairs,
    the configuration's ``vocabulary:`` section.
    """
    file = Path(path) if path else SCHEMA_DIR / KINDS[kind]
    schema = with_headings(read_json(file), taught)
    if path:  # a team's schema is checked; the built-in ones are, by the tests (tests/test_rules_cpu.py)
        import jsonschema
        from jsonschema.exceptions import SchemaError

        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except SchemaError as error:
            raise ConfigError(f"{file}: not a valid JSON Schema: {error.message}") from None
    words = _vocabulary_for(schema, file)
    texts = tuple(_read_template(Path(t)) for t in templates)
    loaded = DocumentSchema(schema, str(file), words, texts)
    if loaded.kind != kind:
        raise ConfigError(
            f"{file}: x-kind is {loaded.kind!r}, expected {kind!r}",
            'set "x-kind" in the schema to the kind it describes',
        )
    return loaded


def _vocabulary_for(schema: dict[str, Any], file: Path) -> vocab.Vocabulary:
    """The schema's ``x-vocabulary`` file, beside it or built in; else the built-in one."""
    name = schema.get("x-vocabulary")
    if not name:
        return builtin_vocabulary()
    beside = file.parent / str(name)
    return vocab.load(str(beside if beside.is_file() else SCHEMA_DIR / str(name)))


def _read_template(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise ConfigError(f"cannot read template {path}: {error.strerror}") from None


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
