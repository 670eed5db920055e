"""The parser: sections, headings, emptiness and task lists."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from inc_audit.reading.markdown import is_blank, parse
from inc_audit.reading.schemas import heading_key


def headings(text: str) -> list[tuple[int, str]]:
    return [(h.level, h.text) for h in parse(text).headings]


def test_atx_with_closing_hashes_and_setext_headings():
    text = "Title\n=====\n\n## Second ##\n\nSub\n---\nbody\n"
    assert headings(text) == [(1, "Title"), (2, "Second"), (2, "Sub")]


def test_headings_in_code_blocks_and_comments_are_not_headings():
    text = "```\n# code\n```\n\n    # indented code\n\n<!--\n## hidden\n-->\n## real\n"
    assert headings(text) == [(2, "real")]


def test_a_section_runs_until_a_heading_of_the_same_or_higher_level():
    document = parse("## A\none\n### B\ntwo\n## C\nthree\n")
    a, b, c = document.sections
    assert "two" in a.body and "three" not in a.body
    assert b.body.strip() == "two" and c.body.strip() == "three"


def test_heading_lines_are_counted_from_one():
    document = parse("intro\n\n## A\n\nText\n\nB\n-\n")
    assert [(h.text, h.line) for h in document.headings] == [("A", 3), ("B", 7)]


def test_a_bold_line_alone_is_a_bold_heading():
    document = parse("**Root cause:**\nDisk full.\n\nSome **bold** inside text.\n")
    assert [(h.text, h.bold) for h in document.headings] == [("Root cause", True)]
    assert document.sections[0].body.startswith("Disk full.")


def test_task_lists_with_every_mark_and_nesting():
    document = parse("## Reviews\n- [x] a\n- [X] b\n  - [ ] c\n- [~] d\n")
    tasks = document.sections[0].tasks
    assert [(t.text, t.checked, t.depth) for t in tasks] == [
        ("a", True, 0),
        ("b", True, 0),
        ("c", False, 1),
        ("d", None, 0),
    ]
    assert [t.text for t in document.sections[0].unticked] == ["c"]


def test_blank_sections():
    assert is_blank("<!-- comment !-->\n\n/label ~incident\n[[_TOC_]]\n")
    assert is_blank("  TBD  ")
    assert is_blank("_No response_")
    assert is_blank("<!-- never closed\nsome text")
    assert not is_blank("The node was down.")
    assert not is_blank("/dev/sda filled up")


def test_heading_key_normalises_case_punctuation_labels_numbers_emoji_and_emphasis():
    same = [
        "What is the nature of the INC?",
        "3. What is the nature of the ~incident?",
        '**What is the nature of the ~"incident"** :fire:',
        "🔥 what IS the nature of the incident",
    ]
    assert len({heading_key(h) for h in same}) == 1
    assert heading_key("Follow-up") == heading_key("follow up")


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_no_text_makes_the_parser_raise(text):
    document = parse(text)
    for section in document.sections:
        section.is_empty()


MARKDOWNISH = st.lists(
    st.sampled_from(
        [
            "#",
            "##",
            "###",
            "\n",
            "===",
            "---",
            "```",
            "~~~",
            "<!--",
            "-->",
            "!-->",
            "- [ ]",
            "- [x]",
            "- [~]",
            "**",
            "__",
            "> ",
            "    ",
            "1.",
            "|",
            "\r\n",
            "[[_TOC_]]",
            "/label",
            "text",
            "`",
            "<div>",
        ]
    ),
    max_size=60,
).map("".join)


@settings(max_examples=400, deadline=None)
@given(MARKDOWNISH)
def test_no_markdown_like_text_makes_the_parser_raise(text):
    document = parse(text)
    assert all(h.line >= 1 for h in document.headings)


def _post_mortem_headings() -> list[str]:
    from inc_audit.reading.schemas import load

    schema = load("post-mortem")
    return sorted({h for part in schema.parts for h in part.headings} | {"Incident Post-Mortem", "IPM"})


HEADING_LINES = st.tuples(
    st.sampled_from(["", "#", "##", "### 1.", "   ##", "**", "__", "> ##", "- "]),
    st.sampled_from(_post_mortem_headings()),
    st.sampled_from(["", ":", "**", " ##", "?"]),
    st.sampled_from(["", "\n---", "\n===", "\ntext"]),
).map(lambda t: f"{t[0]} {t[1]}{t[2]}{t[3]}")
POST_MORTEMISH = st.lists(HEADING_LINES | MARKDOWNISH, min_size=1, max_size=6).map("\n\n".join)


@settings(max_examples=400, deadline=None)
@given(POST_MORTEMISH)
def test_the_cheap_post_mortem_test_never_rules_out_a_real_one(text):
    from inc_audit.reading.schemas import load

    schema = load("post-mortem")
    if schema.matches(parse(text)):
        assert schema.could_match(text)


def test_the_cheap_test_rules_out_plain_comments_and_keeps_post_mortems():
    from inc_audit.reading.schemas import load

    schema = load("post-mortem")
    assert not schema.could_match("Root cause: a full disk. I'll write the post-mortem tomorrow.")
    assert not schema.could_match("**Root cause analysis:**\nA full disk.")  # one section is no post-mortem
    assert schema.could_match("**Root cause analysis:**\nA full disk.\n\n- Impact: none")
    assert schema.could_match("Actual impact\n-------------\nNone.\n\n| Next steps | alert on disk |\n|---|---|")
    assert schema.could_match("Post-mortem: the disk filled up")
