"""The cheap tests that let the rewritings (``outline``, ``formats``, ``dataforms``) skip a
document give the same lines as reading it: each pattern searched over the text joined finds
exactly the lines its per-line pattern matches, and the gated readings equal the full ones,
over the corpus, the blind set, the tuning sets and documents written to cross the gates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from inc_audit.reading import dataforms, formats, outline, wiki

TESTS = Path(__file__).resolve().parent
FOLDERS = [TESTS / "corpus", TESTS / "blind", *sorted((TESTS / "styles").glob("tuning*"))]
CRAFTED = [
    "Impact -> none\nCause -> the relay\nDetection => alert",
    "Impact | none\nCause | the relay\n\nmore prose here\nand here",
    "Impact | none\nCause | the relay\n|---|---|\nImpact -> x\nCause -> y",
    "Impact | none\nCause || the relay",
    "Impact\tnone\nCause\tthe relay\nplain line\nanother\nthird",
    'Impact,"none"\nCause, "the relay"',
    "| a | b |\n|---|---|\n| Impact | none |\n| Cause | relay |",
    "```\nImpact -> none\nCause -> relay\n```\nImpact -> none",
    "Impact -> none\n\n\nCause -> relay\n",
    "[impact]\nnone\n[cause]\nthe relay",
    " [impact]\nnone\n[cause] \nthe relay\n[x]",
    "+------+------+\n| IMPACT | none |\n+------+------+",
    "   ┌───┐\n│ a │ b │\n└───┘",
    "{| class=wikitable\n| Impact || none\n|}",
    "    {|\n",
    "Root cause\n: the cache\nImpact\n:   none\n: \n:x",
    ":Impact: 3 h\n:Root cause: the cache\n\t:Tabbed: x\n    :Deep: no\n:a\n:b:",
    ":Impact:\n:Cause:x\n:Effect: y",
    "> [!note] Root cause\n> the cache\n   > quoted\n    > code",
    "h2. Impact\nnone\n||a||b||\n## Cause",
    "  h3. Impact\nnone\nH3. x\nh7. y",
    "|| a || b ||\n| 1 | 2 |",
    "  {code}\nx\n{code}\n  bq. quoted",
    "\n\n",
    "",
]


def _texts() -> list[str]:
    found = [p.read_text(encoding="utf-8", errors="replace") for f in FOLDERS for p in sorted(f.rglob("*.md"))]
    return [t.replace("\r\n", "\n").replace("\r", "\n") for t in found] + CRAFTED


TEXTS = _texts()


def test_the_documents_are_there() -> None:
    assert len(TEXTS) > 500


@pytest.mark.parametrize(
    ("joined", "line"),
    [
        (formats.WIKI_TABLE_LINE, formats._WIKI_TABLE),
        (formats.BORDER_LINE, formats._BORDER),
        (formats.DELIMITER_LINE, formats._DELIMITER),
        (dataforms.INI_LINE, dataforms._INI),
        (outline.DEFINITION_LINE, outline._DEFINITION),
        (outline.QUOTED_LINE, outline._QUOTED),
        (outline.FIELD_LINE, outline._FIELD),
    ],
)
def test_a_search_over_the_text_finds_the_lines_each_pattern_matches(
    joined: re.Pattern[str], line: re.Pattern[str]
) -> None:
    for text in TEXTS:
        lines = text.split("\n")
        starts = {m.start() for m in joined.finditer("\n" + text)}  # a line's break before it: its start
        offsets, at = [], 0
        for written in lines:
            offsets.append(at)
            at += len(written) + 1
        matched = {offsets[i] for i, written in enumerate(lines) if line.match(written)}
        assert starts == matched, (joined.pattern, text[:200])


def test_lines_match_counts_the_lines() -> None:
    pattern = dataforms.at_line_starts(re.compile("a$"))
    assert dataforms.lines_match(pattern, "a\nb\na", 2)
    assert not dataforms.lines_match(pattern, "a\nb\nba", 2)
    assert dataforms.lines_match(pattern, "ba\na")
    assert not dataforms.lines_match(pattern, "ab\nb")
    assert dataforms.lines_match(pattern, "", 0)


def _pairs_in_full(lines: tuple[str, ...]) -> tuple[str, ...]:
    """``formats._pairs`` as it read before its gate: every written line outside code tried."""
    text = "\n".join(lines)
    if not any(mark in text for mark in ("->", "=>", "→", "⇒", "\t", "|", ',"', ', "')):  # the marks, as they were
        return lines
    prose = dataforms._prose(lines)
    tables = any(formats._DELIMITER.match(line) or "||" in line for line in lines)
    pairs = {i: formats._pair(line, tables) for i, line in enumerate(lines) if prose[i] and line.strip()}
    marked = {i: pair for i, pair in pairs.items() if pair is not None}
    if len(marked) < formats.MIN_MARKS or 2 * len(marked) <= len(pairs):
        return lines
    out = list(lines)
    for i, (label, answer) in marked.items():
        out[i] = f"{label}: {answer}"
    return tuple(out)


def test_a_pair_needs_a_mark_and_the_gated_pairs_read_as_the_full_ones() -> None:
    rewritten = 0
    for text in TEXTS:
        lines = tuple(text.split("\n"))
        for written in lines:
            if not formats._has_pair_mark(written):
                assert formats._pair(written, False) is None
                assert formats._pair(written, True) is None
            if not formats._has_pair_mark(written, tables=True):
                assert formats._pair(written, True) is None
        full = _pairs_in_full(lines)
        assert formats._pairs(lines) == full
        rewritten += full != lines
    assert rewritten >= 3  # the crafted forms at least


def test_the_fences_are_read_once_for_the_same_lines_and_again_for_others() -> None:
    first = ("```", "code", "```", "text")
    assert dataforms.prose(first) == [False, False, False, True]
    assert dataforms.prose(first) is dataforms.prose(first)
    other = ("text", "```", "code")
    assert dataforms.prose(other) == [True, False, False]
    for text in TEXTS[:200]:
        lines = tuple(text.split("\n"))
        assert dataforms.prose(lines) == dataforms._prose(tuple(lines))


@pytest.mark.parametrize("text", CRAFTED)
def test_the_crafted_documents_rewrite_as_before(text: str) -> None:
    lines = tuple(text.split("\n"))
    marked = [
        i for i, line in enumerate(lines) if outline._DEFINITION.match(line) and i and outline._is_term(lines[i - 1])
    ]
    if len(marked) >= 2:
        assert outline._definitions(lines) != lines
    fields = [i for i, line in enumerate(lines) if outline._FIELD.match(line)]
    assert (outline._fields(lines) != lines) == (len(fields) >= outline.MIN_FIELDS)


def _is_wiki_in_full(lines: tuple[str, ...]) -> bool:
    """``wiki.is_wiki`` without its gate: every line counted."""
    count = markdown = 0
    listed = False
    for line in lines:
        first = line.lstrip(" \t")[:1]
        if first in ("h", "H") and wiki.heading(line) is not None:
            count += 1
        elif first == "|" and line.lstrip(" \t").startswith("||"):
            count += 1
        elif first == "#" and not listed and wiki._MARKDOWN_HEADING.match(line):
            markdown += 1
        elif first in ("`", "~") and wiki._FENCE.match(line):
            markdown += 1
        listed = first == "#"
    return count > markdown


def test_the_wiki_gates_read_as_every_line(monkeypatch: pytest.MonkeyPatch) -> None:
    found = 0
    for text in TEXTS:
        lines = tuple(text.split("\n"))
        assert wiki.is_wiki(lines) == _is_wiki_in_full(lines)
        found += wiki.is_wiki(lines)
        led = any(line.lstrip(" \t")[:1] == "{" or wiki._QUOTE_LINE.match(line) for line in lines)
        assert (wiki._WIKI_FIRST.search("\n" + text) is not None) == led
        if not led:  # the gate's proof: a markdown document without them views as written, read in full
            with monkeypatch.context() as patched:
                patched.setattr(wiki, "_WIKI_FIRST", re.compile(""))
                assert wiki.view(lines, False) == lines
    assert found >= 2
