"""The rules' shortcuts give the answers the long way gives.

``QuickCheck`` proves a parsed document valid without jsonschema; the memos of a schema, a
vocabulary and a Context remember readings of texts; ``own_words`` skips patterns that
cannot match. Each is held here against the work it saves, on generated inputs.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inc_audit.config.yamlfile import read_yaml
from inc_audit.reading import schemas, validity
from inc_audit.reading.memo import Memo
from inc_audit.reading.quick import QuickCheck, equal, json_type
from inc_audit.rules import reading

SCHEMA_DIR = Path(__file__).resolve().parents[1] / "schemas"
BUILTIN = [json.loads((SCHEMA_DIR / name).read_text()) for name in schemas.KINDS.values()]
HANDMADE = [
    {"type": ["object", "null"], "required": ["a"], "properties": {"a": {"enum": [1, "x", None]}, "b": False}},
    {"$defs": {"n": {"type": "integer"}, "m": {"$ref": "#/$defs/n", "const": 2}},
     "properties": {"a": {"$ref": "#/$defs/m"}, "b": {"$ref": "#/$defs/n"}, "c": True}},
    {"properties": {"a": {"type": "number"}, "b": {"type": "boolean"}, "c": {"type": "array"},
                    "d": {"type": "string"}, "e": {"const": {"k": [1, 2]}}}},
    {"$ref": "#/$defs/missing"},
    {"additionalProperties": False, "properties": {"a": {"type": "integer", "minimum": 0, "maximum": 2},
                                                   "b": {"type": "string", "minLength": 1, "maxLength": 2},
                                                   "c": {"type": "array", "minItems": 1, "maxItems": 2,
                                                         "uniqueItems": True, "items": {"enum": ["", "x", 1]}}}},
    {"additionalProperties": {"type": ["string", "null"], "pattern": "^x"}, "properties": {"e": {"minimum": 0.5}}},
    {"items": {"$ref": "#/$defs/p"}, "$defs": {"p": {"additionalProperties": {"uniqueItems": True}}}},
    {"properties": {"a": {"uniqueItems": False}, "b": {"items": False}, "c": {"additionalProperties": True}}},
]
NOT_SIMPLE = [
    {"properties": {"a": {"multipleOf": 3}}},
    {"patternProperties": {"^a": {}}, "additionalProperties": False},
    {"items": [{"type": "string"}]},
    {"properties": {"a": {"pattern": "("}}},
    {"properties": {"a": {"minLength": -1}}},
    {"anyOf": [{"type": "string"}, {"type": "object"}]},
    {"properties": {"a": {"$defs": {"x": {}}, "$ref": "#/$defs/x"}}},
    {"$defs": {"a": {"$ref": "#/$defs/b"}, "b": {"properties": {"x": {"$ref": "#/$defs/a"}}}}},
    {"$ref": "https://example.com/other.json"},
    {"type": "objekt"},
]

KEYS = st.sampled_from(["sections", "checklists", "nature", "impact", "rollback", "root_cause", "reviews",
                        "empty", "unticked", "text", "a", "b", "c", "d", "e"])
_TYPE_NAMES = {"object", "array", "string", "integer", "number", "boolean", "null"}
SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-2, 3), st.floats(allow_nan=False, width=16),
                    st.sampled_from(["", "x", "TBD"]))
VALUES = st.recursive(SCALARS, lambda inner: st.one_of(st.lists(inner, max_size=3),
                                                       st.dictionaries(KEYS, inner, max_size=5)), max_leaves=20)


def _agrees(schema: dict, instance: object, *, proves_every_valid: bool = True) -> None:
    """The quick check never calls valid what jsonschema refuses; with ``proves_every_valid``
    it also calls valid all that jsonschema accepts (not so for uniqueItems beyond strings)."""
    validator = jsonschema.Draft202012Validator(schema)
    for quick in (QuickCheck(schema), QuickCheck(schema, validator.is_type)):
        assert quick.simple
        try:
            errors = list(validator.iter_errors(instance))
        except jsonschema.exceptions._WrappedReferencingError:
            assert not quick.valid(instance)  # an unresolvable $ref is jsonschema's to report
            return
        if quick.valid(instance):
            assert not errors, (instance, errors[0].message)
        elif proves_every_valid:
            assert errors, instance


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(BUILTIN + HANDMADE), VALUES)
def test_quick_check_agrees_with_jsonschema(schema, instance):
    _agrees(schema, instance, proves_every_valid=schema not in HANDMADE[4:])


@settings(max_examples=300, deadline=None)
@given(VALUES, st.sampled_from(sorted(_TYPE_NAMES)))
def test_json_types_are_jsonschemas(instance, kind):
    assert json_type(instance, kind) == jsonschema.Draft202012Validator({}).is_type(instance, kind)


# --- the configuration: the gate checks it without importing jsonschema when it is valid ----


def _config_keys(schema: object) -> set[str]:
    if isinstance(schema, dict):
        found = set(schema.get("properties", {})) if isinstance(schema.get("properties"), dict) else set()
        return found.union(*(_config_keys(v) for k, v in schema.items() if k not in ("enum", "const", "default")))
    if isinstance(schema, list):
        return set().union(*(_config_keys(v) for v in schema))
    return set()


CONFIG_SCHEMA = json.loads((SCHEMA_DIR / "config.schema.json").read_text())
CONFIG_KEYS = st.sampled_from(sorted(_config_keys(CONFIG_SCHEMA) | {"alice", "unknown"}))
CONFIG_SCALARS = st.one_of(SCALARS, st.integers(-1, 400), st.sampled_from(
    ["https://gitlab.example.com", "ftp://x", "g/p#12", "g p#1", "2026-06-30", "2026-13-01", "10:00", "24:00",
     "INC001", "inc001", "alice", "thumbsup", "slack", "mattermost", "CHAT_WEBHOOK", "Europe/Paris", "wed"]))
CONFIG_VALUES = st.recursive(CONFIG_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(CONFIG_KEYS, inner, max_size=4)), max_leaves=25)
# the example configuration as the audit reads it (dates as text)
EXAMPLE_CONFIG = read_yaml(Path(__file__).resolve().parents[1] / "examples" / ".inc-audit.yml")[0]


def _paths(value: object, here: tuple = ()) -> list[tuple]:
    found = [here]
    if isinstance(value, dict):
        found += [p for k, v in value.items() for p in _paths(v, (*here, k))]
    elif isinstance(value, list):
        found += [p for i, v in enumerate(value) for p in _paths(v, (*here, i))]
    return found


def _replaced(value: object, path: tuple, new: object) -> object:
    if not path:
        return new
    copy = dict(value) if isinstance(value, dict) else list(value)  # type: ignore[call-overload]
    copy[path[0]] = _replaced(copy[path[0]], path[1:], new)
    return copy


def test_the_configuration_schema_takes_the_quick_check():
    quick = QuickCheck(CONFIG_SCHEMA)
    assert quick.simple
    assert jsonschema.Draft202012Validator(CONFIG_SCHEMA).is_valid(EXAMPLE_CONFIG)
    assert quick.valid(EXAMPLE_CONFIG) and quick.valid({})


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(CONFIG_KEYS, CONFIG_VALUES, max_size=4))
def test_quick_check_agrees_on_configurations(instance):
    _agrees(CONFIG_SCHEMA, instance, proves_every_valid=False)


@settings(max_examples=400, deadline=None)
@given(st.data())
def test_quick_check_agrees_on_the_example_configuration_changed_in_one_place(data):
    path = data.draw(st.sampled_from(_paths(EXAMPLE_CONFIG)))
    new = data.draw(CONFIG_VALUES)
    _agrees(CONFIG_SCHEMA, _replaced(EXAMPLE_CONFIG, path, new), proves_every_valid=False)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(BUILTIN), st.dictionaries(st.sampled_from(["sections", "checklists"]),
                                                 st.dictionaries(KEYS, st.dictionaries(KEYS, SCALARS)), max_size=2))
def test_quick_check_agrees_on_document_shapes(schema, instance):
    _agrees(schema, instance)


@pytest.mark.parametrize("schema", NOT_SIMPLE)
def test_other_keywords_are_left_to_jsonschema(schema):
    quick = QuickCheck(schema)
    assert not quick.simple and not quick.valid({"a": 5})


@pytest.mark.parametrize("kind", sorted(schemas.KINDS))
def test_the_builtin_schemas_are_valid_json_schema(kind):
    """``schemas.load`` checks a team's schema at every run, the built-in ones only here."""
    jsonschema.Draft202012Validator.check_schema(schemas.read_json(schemas.SCHEMA_DIR / schemas.KINDS[kind]))
    broken = {**schemas.read_json(schemas.SCHEMA_DIR / schemas.KINDS[kind]), "type": 12}
    with pytest.raises(jsonschema.exceptions.SchemaError):
        jsonschema.Draft202012Validator.check_schema(broken)


def test_the_builtin_schemas_take_the_quick_check():
    assert all(validity.quick_check(schemas.load(kind)).simple for kind in schemas.KINDS)


def test_problems_are_the_same_without_the_quick_check(monkeypatch):
    texts = [p.read_text() for p in sorted((Path(__file__).parent / "corpus").rglob("*.md"))]
    assert len(texts) > 50
    kinds = list(schemas.KINDS)
    fast = {(kind, i): validity.check_text(schemas.load(kind), t) for kind in kinds for i, t in enumerate(texts)}
    for kind in kinds:
        monkeypatch.setattr(validity.quick_check(schemas.load(kind)), "_check", None)
    slow = {(kind, i): validity.check_text(schemas.load(kind), t) for kind in kinds for i, t in enumerate(texts)}
    assert fast == slow
    assert any(fast.values()) and not all(fast.values())


# --- the memos -------------------------------------------------------------------------------


def test_a_memo_stays_bounded_and_keeps_no_long_text():
    memo: Memo[int] = Memo(entries=10, chars=50, longest=20)
    calls = []
    for i in range(100):
        memo.get(f"t{i}", f"t{i}", lambda i=i: calls.append(i) or i)
        assert len(memo) <= 10 and memo._held <= 50
    assert memo.get("t99", "t99", lambda: -1) == 99  # remembered
    assert memo.get("x" * 21, "long", lambda: 1) == 1 and memo.get("x" * 21, "long", lambda: 2) == 2


def test_a_remembered_reading_is_the_reading():
    schema = schemas.load("post-mortem")
    texts = ["### Root cause\nTBD\n### Impact\nNone\n### Follow-up\n- [ ] fix it", "LGTM", "+1 approved"]
    first = [schema.could_match(t) for t in texts]
    fresh = [schema._could_match(t) for t in texts]
    assert first == fresh == [schema.could_match(t) for t in texts]
    assert first[0] and not first[1]


def test_words_of_remembers_without_sharing_the_list():
    words = schemas.builtin_vocabulary()
    first = words.words_of("Root causes of the outage")
    first.append("changed")
    assert words.words_of("Root causes of the outage") == words._words_of("Root causes of the outage")
    assert "changed" not in words.words_of("Root causes of the outage")


def test_the_key_cache_holds_a_bounded_count_of_characters(monkeypatch):
    from inc_audit.reading import vocabulary

    monkeypatch.setattr(vocabulary, "CACHE_CHARS", 1_000)
    words = dataclasses.replace(schemas.builtin_vocabulary(), _cache={}, _cached_chars=[0])  # a cache of its own
    texts = [f"Root cause number {n}" for n in range(200)]  # 20 to 22 characters each
    keys = [words.keyed(text) for text in texts]
    assert sum(len(text) for text in words._cache) <= 1_000 and texts[-1] in words._cache
    assert texts[0] not in words._cache  # forgotten, and read the same again
    assert [words.keyed(text) for text in texts] == keys == [words._keyed(text) for text in texts]


# --- own words: patterns skipped only when they cannot match ----------------------------------

PIECES = st.sampled_from([
    "approved", " ", "\n", "> ", ">>>\n", "```\n", "~~~", "`", "~~", "<del>", "</del>", "<s>", "</s>",
    "<!--", "-->", "- [ ] ", "- [x] ", "* [X] ", "1. [~] ", '"', "“", "”", "«", "»", "'", "‘", "’", "lgtm",
    "not", "x", "\r\n", "\ufe0f",
])


def _own_words_the_long_way(text: str, quotes) -> str:
    import re

    text = text.replace("\r\n", "\n").replace("\ufe0f", "")
    for pattern, _ in reading._SET_ASIDE:
        text = pattern.sub(" ", text)
    text = reading._TICKED.sub(r"\1", text)
    for opening, closing in quotes:
        text = re.sub(r"(?<!\w)" + re.escape(opening) + r"[^\n]*?" + re.escape(closing) + r"(?!\w)", " ", text)
    return text


@settings(max_examples=400, deadline=None)
@given(st.lists(PIECES, max_size=25).map("".join))
def test_own_words_skips_only_what_cannot_match(text):
    quotes = reading.phrasings().quotes
    assert reading.own_words(text, quotes) == _own_words_the_long_way(text, quotes)


def test_approvals_read_only_the_comments_after_the_post_mortem():
    from inc_audit.config.file import load_defaults
    from inc_audit.model import Issue, IssueKey, Note
    from inc_audit.rules.context import Context
    from inc_audit.sources.interface import Source

    start = datetime(2026, 1, 1, tzinfo=timezone.utc)
    notes = tuple(
        Note(id=i, author=who, body=body, created_at=start + timedelta(hours=i), system=False)
        for i, (who, body) in enumerate([("bob", "Approved."), ("alice", "post-mortem"), ("carol", "Approved."),
                                         ("dave", "Not approved.")])
    )
    issue = Issue(key=IssueKey("g/p", 1), title="t", description="", labels=(), issue_type="incident",
                  state="closed", updated_at=start,
                  author="alice", assignees=(), created_at=start, notes=notes)
    class Plain(Source):  # a source with no capability: no award is ever read here
        pass

    context = Context(issue, load_defaults(), Plain(), start + timedelta(days=9))
    assert [n.id for n in context.approving_after(notes[1].created_at)] == [2]
    assert set(context._approves) == {id(notes[2]), id(notes[3])}  # the earlier ones were not read
    assert [n.id for n in context.approving_comments] == [0, 2]



def test_a_remembered_near_miss_is_the_near_miss():
    from inc_audit.model import Note
    from inc_audit.rules import postmortem

    schema = schemas.load("post-mortem")
    moment = datetime(2026, 1, 1, tzinfo=timezone.utc)
    here = Path(__file__).parent
    texts = [p.read_text() for p in sorted((here / "blind" / "comments").rglob("*.md"))]
    texts += ["### Root cause analysis\nThe indexer's disk filled up; nothing alerted on disk usage.",
              "Post-mortem: [IPM-2026-05.pdf](/uploads/3f2a/IPM-2026-05.pdf)", "LGTM"]
    notes = [Note(id=i, body=t, author="a", created_at=moment) for i, t in enumerate(texts)]
    first = [list(postmortem._near_miss(n, schema)) for n in notes]
    again = [list(postmortem._near_miss(n, schema)) for n in notes]
    fresh = [[postmortem.NearMiss(n, why) for why in postmortem._why_near(n.body, schema)] for n in notes]
    assert first == again == fresh
    assert any(first) and not all(first)


# --- answers: patterns skipped only when they cannot match ------------------------------------

ANSWER_PIECES = st.sampled_from([
    "http://", "HTTPS://x", "ftp://", "://", "](", "[a](b)", "![", "<img src=x>", "<IMG", "<b>", "<", ">", "*", "_",
    "`", "~", "- ", "1. ", "# ", "> ", "TBD", "none", " ", "x", "é", "\t", "[ ]", "[x]",
])


@settings(max_examples=500, deadline=None)
@given(st.lists(ANSWER_PIECES, max_size=12).map("".join))
def test_answer_patterns_are_skipped_only_when_they_cannot_match(text):
    from inc_audit.reading import answers
    from inc_audit.reading import vocabulary as vocab

    if answers._REAL_CONTENT.search(text):
        assert answers._may_link(text)
    long_way = vocab._MARKUP.sub("", vocab._MARKERS.sub("", vocab._HTML_TAG.sub(" ", text).strip()))
    assert vocab.normalise(text) == " ".join(long_way.lower().split())


# --- the cheap test before parsing: patterns skipped only when they cannot match --------------


def _candidates_the_long_way(text: str) -> list[str]:
    from inc_audit.reading import prefilter

    out: list[str] = []
    lines = text.splitlines()
    paragraph: list[str] = []
    for index, line in enumerate(lines):
        stripped = line.strip()
        if not stripped:
            paragraph = []
            continue
        if index + 1 < len(lines) and prefilter._SETEXT.match(lines[index + 1]):
            out.append(" ".join([*paragraph, stripped])[: prefilter.MAX_HEAD_CHARS])
        paragraph = [*paragraph[-3:], stripped[: prefilter.MAX_HEAD_CHARS]]
        stripped = stripped[: prefilter.MAX_HEAD_CHARS]
        if prefilter._HEADING_LIKE.match(stripped):
            out.append(stripped)
        content = prefilter._LIST_MARK.sub("", stripped).lstrip("> ")
        out.extend(prefilter._line_candidates(content))
        if "|" in stripped:
            out.extend(prefilter.table_cells(stripped))
        out.extend(prefilter.markup_candidates(stripped))
    if prefilter._TAG.search(text):  # a text holding HTML tags is parsed
        out.extend(prefilter.parsed_candidates(text))
    return out


LINE_PIECES = st.sampled_from([
    "#", "## ", "**", "__", "*", "_", "-", "---", "===", "=", "+", "> ", ">", "1.", "12) ", "٣.", "²", " ", "  ",
    "\t", "\n", "\n\n", "Root cause", ": ", "x", "|", " - ", "Impact", "[a](b)", "`",
])


@settings(max_examples=500, deadline=None)
@given(st.lists(LINE_PIECES, max_size=20).map("".join))
def test_the_cheap_test_reads_the_same_candidates(text):
    from inc_audit.reading import prefilter

    assert list(prefilter.candidates(text)) == _candidates_the_long_way(text)


def test_head_keys_are_remembered_as_worked_out():
    words = schemas.builtin_vocabulary()
    for text in ["Rollback / Back-out", "Impact & severity", "Root cause", "x" * 500]:
        assert words.head_keys(text) == words._head_keys(text) == words.head_keys(text)
    assert "x" * 500 not in words._heads


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(["[[_TOC_]]", "[toc]", "[", "]", "/label ~x", "/", "\n", " ", "x", "<!--", "-->",
                                 "\t/assign @a", "text"]), max_size=12).map("".join))
def test_meaningful_text_skips_only_patterns_that_cannot_match(text):
    from inc_audit.reading import markdown

    long_way = markdown._QUICK_ACTION.sub("", markdown._TOC.sub("", markdown.strip_comments(text))).strip()
    assert markdown.meaningful_text(text) == long_way


def test_labels_and_inline_text_are_remembered_only_for_short_lines():
    from inc_audit.reading import lines as blocks

    for text in ["**Root cause:** expired cert", "Impact - 40 min", "[a](b) *x*", "plain", "Note: " + "x" * 500]:
        assert blocks.line_label(text) == blocks._line_label(text) == blocks.line_label(text)
        assert blocks.inline_text(text) == blocks._inline_text(text) == blocks.inline_text(text)
    long_line = "Root cause: " + "y" * 1000
    before = blocks._line_label_memo.cache_info().currsize
    blocks.line_label(long_line)
    assert blocks._line_label_memo.cache_info().currsize == before


# --- JSON equality for const and enum, without jsonschema's private helper ----------------------

_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-3, 3) | st.floats(-3, 3, allow_nan=False) | st.text(max_size=2),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=2), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=500, deadline=None)
@given(_JSON, _JSON)
def test_the_quick_checks_equality_is_jsonschemas(one, two):
    def by_jsonschema(value, expected):
        return jsonschema.Draft202012Validator({"const": expected}).is_valid(value)

    assert equal(one, two) == by_jsonschema(one, two)
    assert equal(one, one)
    assert equal(True, 1) is False and equal(1, 1.0) is True


# --- the key cache between incidents ------------------------------------------------------------


def test_the_key_cache_keeps_little_from_one_incident_to_the_next(monkeypatch):
    from inc_audit.reading import vocabulary

    monkeypatch.setattr(vocabulary, "KEPT_BETWEEN", 5)
    words = vocabulary.load(str(schemas.SCHEMA_DIR / schemas.VOCABULARY))
    words._cache.clear()
    for n in range(5):
        words.keyed(f"Root cause number {n}")
    vocabulary.between_incidents()
    assert len(words._cache) == 5  # no more than kept: kept
    words.keyed("One more heading")
    vocabulary.between_incidents()
    assert words._cache == {} and words._cached_chars == [0]
    assert words.keyed("Root cause number 1") == words._keyed("Root cause number 1")


def test_the_same_verdicts_when_the_key_cache_is_emptied_after_every_incident(monkeypatch):
    from inc_audit.audit import run_audit
    from inc_audit.config import file as config_module
    from inc_audit.reading import vocabulary
    from inc_audit.sources.export.source import ExportSource
    from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT

    config = config_module.load(EXAMPLE_CONFIG)
    as_of = datetime(2026, 6, 1, tzinfo=timezone.utc)
    before = run_audit(ExportSource(EXAMPLE_EXPORT, project=config.gitlab_project), config, as_of)
    monkeypatch.setattr(vocabulary, "KEPT_BETWEEN", 0)
    words = schemas.builtin_vocabulary()
    held: list[int] = []
    after = run_audit(ExportSource(EXAMPLE_EXPORT, project=config.gitlab_project), config, as_of,
                      progress=lambda issue: held.append(len(words._cache)))
    assert after == before and len(held) > 3
    assert held[1:] == [0] * (len(held) - 1) and words._cache == {}  # emptied once each incident was judged


def test_within_an_incident_each_head_is_keyed_once_however_many(monkeypatch):
    from inc_audit.config import file as config_module
    from inc_audit.reading import vocabulary
    from inc_audit.rules import judge
    from inc_audit.sources.export.source import ExportSource
    from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT

    config = config_module.load(EXAMPLE_CONFIG)
    source = ExportSource(EXAMPLE_EXPORT, project=config.gitlab_project)
    incident = next(i for i in source.issues.values() if "INC" in i.labels and i.is_closed)
    heads = "".join(f"### heading {n}\n" for n in range(12_000))  # more than the heads' own memo holds
    issue = dataclasses.replace(incident, description=incident.description + "\n" + heads)
    monkeypatch.setattr(vocabulary, "KEPT_BETWEEN", 0)
    keyed: dict[str, int] = {}
    real = vocabulary.Vocabulary._keyed

    def counted(self, text):
        keyed[text] = keyed.get(text, 0) + 1
        return real(self, text)

    monkeypatch.setattr(vocabulary.Vocabulary, "_keyed", counted)
    judge(issue, config, source, datetime(2026, 6, 1, tzinfo=timezone.utc))
    assert len(keyed) >= 12_000 and max(keyed.values()) == 1
