"""Structure in every markup people paste into GitLab: markdown, HTML, and Jira/Confluence wiki
markup. Each test names one structure the parser reads, and fails when it is not read."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inc_audit.reading import wiki
from inc_audit.reading.markdown import parse
from inc_audit.reading.schemas import load


def heads(text: str) -> list[tuple[str, str, int]]:
    return [(h.form, h.text, h.level) for h in parse(text).heads]


def section(text: str, title: str) -> str:
    """The answer under the head named ``title``, as the sections read it."""
    document = parse(text)
    found = [s for s in document.sections if s.heading.text == title]
    assert found, f"no head {title!r} in {heads(text)}"
    return found[0].answer.strip()


def found(kind: str, text: str) -> dict[str, bool]:
    """The schema's sections found in ``text``, each with whether it is answered."""
    schema = load(kind)
    parts = {p.name: p for p in schema.parts}
    return {name: not schema.is_empty(s, parts[name]) for name, s in schema.resolve(parse(text)).items()}


# --- markdown ----------------------------------------------------------------------------------


def test_a_numbered_item_with_its_text_on_the_next_lines_is_a_heading():
    text = "1) What happened\nThe DNS record was deleted.\n\n2) How we found out\nSynthetic checks went red.\n"
    assert [h[1] for h in heads(text)] == ["What happened", "How we found out"]
    assert section(text, "What happened") == "The DNS record was deleted."


def test_a_numbered_item_followed_by_a_paragraph_is_a_heading():
    text = "1. Root cause\n\nThe certificate expired.\n\n2. Impact\n\nLogins failed for 40 minutes.\n"
    assert section(text, "Root cause") == "The certificate expired."


def test_a_list_item_with_its_text_indented_below_is_a_heading():
    text = "- Root cause\n    The certificate expired.\n- Impact\n    Logins failed.\n"
    assert section(text, "Root cause") == "The certificate expired."
    assert found("post-mortem", text) == {"root_cause": True, "actual_impact": True}


def test_a_list_item_with_a_code_block_under_it_is_a_heading():
    text = "4) Receipts\n```\n$ dig api.example.com\n```\n"
    assert "dig api.example.com" in section(text, "Receipts")


def test_a_list_of_short_items_is_no_heading():
    assert heads("- Add an alert\n- Rotate the keys\n\nText after the list.\n") == []
    assert heads("- The disk filled up.\n  Nobody was paged.\n") == []  # a sentence is no title


# --- HTML --------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", range(1, 7))
def test_an_html_heading_of_any_level_is_a_heading(level):
    text = f"<h{level}>Root cause</h{level}>\n<p>The certificate expired.</p>\n"
    assert heads(text) == [("html", "Root cause", level)]
    assert section(text, "Root cause") == "<p>The certificate expired.</p>"


def test_an_html_heading_may_run_over_lines_and_hold_markup():
    text = '<h3 id="rc">\n  <a href="#rc">Root</a> <em>cause</em>\n</h3>\n<p>Disk full.</p>\n'
    assert heads(text) == [("html", "Root cause", 3)]
    assert section(text, "Root cause") == "<p>Disk full.</p>"


def test_the_text_after_an_html_heading_on_its_line_is_its_answer():
    assert section("<h3>Impact</h3><p>40 minutes of failed logins.</p>\n", "Impact") == "40 minutes of failed logins."


@pytest.mark.parametrize(
    "line",
    [
        "<p><strong>Root cause:</strong> the certificate expired.</p>",
        "<b>Root cause:</b> the certificate expired.<br>",
        "<p><b>Root cause</b> : the certificate expired.</p>",
    ],
)
def test_a_bold_html_label_holds_its_answer(line):
    assert heads(line)[0][:2] == ("emphasis", "Root cause")
    assert section(line, "Root cause") == "the certificate expired."


def test_labels_on_one_line_split_by_br_are_each_a_label():
    text = "<b>Root cause:</b> expired cert<br><b>Impact:</b> 40 minutes<br/>"
    assert [(h[1]) for h in heads(text)] == ["Root cause", "Impact"]
    assert section(text, "Impact") == "40 minutes"


def test_a_strong_line_alone_is_a_bold_head_over_what_follows():
    text = "<p><strong>Follow-up recommendations:</strong></p>\n<ul>\n  <li>Alert on disk usage.</li>\n</ul>\n"
    assert heads(text) == [("bold", "Follow-up recommendations", 7)]
    assert "Alert on disk usage." in section(text, "Follow-up recommendations")


def test_a_bold_html_head_with_its_answer_after_a_br_holds_it():
    assert section("<p><b>Impact</b><br>40 minutes</p>", "Impact") == "40 minutes"


def test_an_html_table_with_header_cells_down_its_rows_is_a_form():
    text = (
        "<table>\n  <tr>\n    <th>Root cause</th>\n    <td>The certificate expired.</td>\n  </tr>\n"
        "  <tr><th>Impact</th><td><pre>40 min\nof errors</pre></td></tr>\n</table>\n"
    )
    assert heads(text) == [("table", "Root cause", 8), ("table", "Impact", 8)]
    assert section(text, "Root cause") == "The certificate expired."
    assert section(text, "Impact") == "40 min of errors"


def test_an_html_table_with_a_question_answer_header_row_is_a_form():
    text = (
        "<table>\n<thead><tr><th>Question</th><th>Answer</th></tr></thead>\n<tbody>\n"
        "<tr>\n<td>Root cause analysis</td>\n<td>Disk full.</td>\n</tr>\n</tbody>\n</table>\n"
    )
    assert found("post-mortem", text) == {"root_cause": True}
    assert section(text, "Root cause analysis") == "Disk full."


def test_a_wide_html_table_with_a_header_row_is_read_by_column():
    text = (
        "<table><tr><th>Root cause</th><th>Impact</th><th>Owner</th></tr>\n"
        "<tr><td>Disk</td><td>40 min</td><td>dave</td></tr></table>"
    )
    assert section(text, "Impact") == "40 min"


def test_an_empty_cell_is_an_empty_answer():
    text = "<table><tr><th>Root cause</th><td>Disk full.</td></tr>\n<tr><th>Actual impact</th><td></td></tr></table>"
    assert found("post-mortem", text) == {"root_cause": True, "actual_impact": False}


def test_a_cell_holding_markdown_between_blank_lines_holds_its_text():
    text = "<table><tr><th>Root cause</th><td>\n\n- The certificate expired.\n\n</td></tr></table>\n\n## Next\n"
    assert section(text, "Root cause") == "- The certificate expired."
    assert [h[1] for h in heads(text)] == ["Root cause", "Next"]


def test_a_definition_list_is_a_form():
    text = "<dl>\n<dt>Root cause</dt><dd>Disk full.</dd>\n<dt>Impact</dt>\n<dd>40 minutes.</dd>\n</dl>"
    assert section(text, "Impact") == "40 minutes."


def test_a_details_block_is_a_section_named_by_its_summary_up_to_its_end():
    text = (
        "<details>\n<summary>Root cause</summary>\n\nThe certificate expired.\n\n- Trigger: renewal skipped\n\n"
        "</details>\n\nA paragraph after the block.\n"
    )
    assert heads(text)[0] == ("summary", "Root cause", 7)
    body = section(text, "Root cause")
    assert "The certificate expired." in body and "Trigger" in body and "after the block" not in body


def test_a_details_block_holding_only_a_placeholder_is_empty():
    text = "### Root cause\nDisk.\n\n<details><summary><b>Follow-ups</b></summary>\n\nTBD\n\n</details>\n"
    assert found("post-mortem", text)["follow_up"] is False


def test_a_details_block_right_under_a_bold_label_is_its_answer():
    text = "**Evidence:**\n<details><summary>Logs</summary>\n\n```\n413 Request Entity Too Large\n```\n\n</details>\n"
    assert "413 Request" in section(text, "Evidence")


def test_text_in_pre_blockquote_and_comments_is_no_head():
    text = (
        "<pre>\n<h3>Root cause</h3>\n</pre>\n\n<blockquote><p><b>Impact:</b> quoted</p></blockquote>\n\n"
        "<div><!-- <h2>Hidden</h2> --></div>\n"
    )
    assert heads(text) == []


def test_html_list_items_are_tasks_and_labels():
    text = (
        '<ul>\n<li>[x] Change procedure tested</li>\n<li><input type="checkbox"> Rollback tested</li>\n'
        "<li><b>Impact:</b> 40 minutes</li>\n</ul>\n"
    )
    document = parse(text)
    assert [(t.text, t.checked) for t in document.task_lines.values()] == [
        ("Change procedure tested", True),
        ("Rollback tested", False),
    ]
    assert heads(text) == [("bullet", "Impact", 8)]


def test_a_link_in_html_is_real_content():
    text = '<h3>Evidence</h3>\n<p><a href="https://grafana.example.com/d/1">dashboard</a></p>\n'
    assert found("report", text)["evidence"] is True


# --- Jira / Confluence wiki markup -------------------------------------------------------------


@pytest.mark.parametrize("level", range(1, 7))
def test_a_wiki_heading_of_any_level_is_a_heading(level):
    text = f"h{level}. Root cause\nThe certificate expired.\n"
    assert heads(text) == [("wiki", "Root cause", level)]
    assert section(text, "Root cause") == "The certificate expired."


def test_wiki_bold_labels_hold_their_answers():
    text = "*Root cause:* analysis ongoing.\n\n*Follow-up:*\n* Reload the key on rotation.\n* Page on-call.\n"
    assert [h[:2] for h in heads(text)] == [("emphasis", "Root cause"), ("bold", "Follow-up")]
    assert section(text, "Root cause") == "analysis ongoing."
    assert "Page on-call." in section(text, "Follow-up")


def test_in_a_wiki_document_hash_lines_are_numbered_items_not_headings():
    text = "h2. Post-mortem\n\n*Follow-up:*\n# Reload the key on rotation.\n## Alert on it.\n# Page on-call.\n"
    assert [h[1] for h in heads(text)] == ["Post-mortem", "Follow-up"]
    assert section(text, "Follow-up").count("Reload the key") == 1


def test_in_a_markdown_document_hash_lines_stay_headings():
    text = "# Incident\n## Root cause\nDisk.\n{code}\n# not a heading\n{code}\n## Impact\n40 min\n"
    assert [h[1] for h in heads(text)] == ["Incident", "Root cause", "Impact"]


def test_a_wiki_table_with_a_header_row_is_a_form():
    text = "||Question||Answer||\n|Root cause|Disk full.|\n|Evidence|[graph|https://grafana.example.com/d/1] here|\n"
    assert section(text, "Root cause") == "Disk full."
    assert section(text, "Evidence") == "[graph|https://grafana.example.com/d/1] here"


def test_a_wiki_table_with_header_cells_down_its_rows_is_a_form():
    text = "||Root cause|Disk full.|\n||Impact|40 min|\n"
    assert [h[:2] for h in heads(text)] == [("table", "Root cause"), ("table", "Impact")]


def test_a_wiki_row_may_run_over_lines():
    text = "||Item||Answer||\n|Follow-ups|Alert on disk;\npage on-call.|\n|Impact|40 min|\n"
    assert section(text, "Follow-ups") == "Alert on disk; page on-call."
    assert section(text, "Impact") == "40 min"


def test_wiki_code_and_noformat_blocks_hold_content_not_heads():
    text = (
        "h3. Evidence\n{code:bash}\n# restart\nh3. not a heading\n*Impact:* none\n{code}\n"
        "{noformat}\n|| a || b ||\n{noformat}\nh3. Impact\n40 min\n"
    )
    assert [h[1] for h in heads(text)] == ["Evidence", "Impact"]
    assert "# restart" in section(text, "Evidence")


def test_a_code_block_on_one_line_is_content():
    text = "h3. Root cause\n{code:javascript}export const LIMIT = 1;{code}\nh3. Impact\nnone\n"
    assert section(text, "Root cause") == "{code:javascript}export const LIMIT = 1;{code}"


def test_a_titled_wiki_panel_is_a_section_up_to_its_end():
    text = (
        "h2. Post-mortem\n{panel:title=Root cause|borderStyle=solid}\nThe certificate expired.\n{panel}\n"
        "{expand:Impact}\n{info}\n40 minutes.\n{info}\n{expand}\nAfter the blocks.\n"
    )
    assert [h[:2] for h in heads(text)] == [("wiki", "Post-mortem"), ("summary", "Root cause"), ("summary", "Impact")]
    assert section(text, "Root cause") == "The certificate expired."
    assert "40 minutes." in section(text, "Impact") and "After" not in section(text, "Impact")


def test_wiki_quotes_are_someone_elses_words():
    assert heads("{quote}\n*Impact:* none\n{quote}\nbq. *Root cause:* a user's guess\n") == []


def test_a_markdown_fence_keeps_wiki_markup_as_code():
    assert heads("```\n{code}\n## inside\n```\n## Outside\n") == [("atx", "Outside", 2)]


def test_wiki_markup_is_told_from_markdown_by_its_headings_and_header_rows():
    assert wiki.is_wiki(("h2. Report", "# item"))
    assert wiki.is_wiki(("||a||b||", "|c|d|"))
    assert not wiki.is_wiki(("## Report", "{code}", "# x", "{code}"))
    assert not wiki.is_wiki(("h3. one", "## two", "text", "## three"))
    assert wiki.is_wiki(("h3. one", "# item", "## nested item"))


# --- forms whatever the markup -----------------------------------------------------------------

FORMS = {
    "markdown": "| Question | Answer |\n|---|---|\n| Root cause | Disk full. |\n| Actual impact | |\n",
    "wiki": "||Question||Answer||\n|Root cause|Disk full.|\n|Actual impact| |\n",
    "html": "<table><tr><th>Root cause</th><td>Disk full.</td></tr><tr><th>Actual impact</th><td></td></tr></table>",
}


@pytest.mark.parametrize("markup", sorted(FORMS))
def test_a_table_used_as_a_form_reads_as_sections(markup):
    assert found("post-mortem", FORMS[markup]) == {"root_cause": True, "actual_impact": False}


# --- the cheap test before parsing and robustness ----------------------------------------------

MARKUP_PIECES = st.sampled_from(
    [
        "<h3>", "</h3>", "<p>", "</p>", "<strong>", "</strong>", "<b>", "</b>", "<br>", "<table>", "</table>",
        "<tr>", "</tr>", "<th>", "</th>", "<td>", "</td>", "<details>", "</details>", "<summary>", "</summary>",
        "<pre>", "</pre>", "<ul>", "<li>", "<!--", "-->", "h2. ", "h3. ", "||", "|", "{code}", "{noformat}",
        "{quote}", "bq. ", "# ", "## ", "* ", "** ", "*", "\n", "\n\n", " ", ":", "Root cause", "Actual impact",
        "Follow-up recommendations", "Incident Post-Mortem", "TBD", "text", "- ", "1) ", "    ", "```", "---",
    ]
)
MARKUP = st.lists(MARKUP_PIECES, max_size=50).map("".join)


@settings(max_examples=500, deadline=None)
@given(MARKUP)
def test_the_cheap_test_never_rules_out_a_post_mortem_in_any_markup(text):
    schema = load("post-mortem")
    if schema.matches(parse(text)):
        assert schema.could_match(text)


@settings(max_examples=300, deadline=None)
@given(MARKUP)
def test_no_markup_makes_the_parser_raise_and_sections_stay_in_the_text(text):
    document = parse(text)
    for head, end in zip(*document.extents(lambda head: True), strict=True):
        assert 1 <= head.line <= end <= len(document.lines) + 1  # two heads may share a line
    for part in load("report").parts:
        load("report").find(document, part)


# --- other plain-text markups: AsciiDoc, reStructuredText, numbered lines ----------------------


def test_asciidoc_headings_are_headings():
    text = (
        "= IPM: baker list empty\n\n== Root cause ==\nThe parser returned [] because the API changed.\n\n"
        "== Impact\n2 h down.\n"
    )
    assert heads(text) == [("atx", "IPM: baker list empty", 1), ("atx", "Root cause", 2), ("atx", "Impact", 2)]
    assert section(text, "Root cause") == "The parser returned [] because the API changed."
    assert [h[1] for h in heads("a = b\n== c\n")] == []  # inside a paragraph: prose, not a heading


def test_restructuredtext_underlines_as_long_as_their_text_make_headings_and_a_fence_stays_a_fence():
    text = "Root cause\n~~~~~~~~~~\nThe pool was drained.\n\nImpact\n^^^^^^\n12 users lost 1,840 USDt.\n"
    assert [(h[0], h[1]) for h in heads(text)] == [("setext", "Root cause"), ("setext", "Impact")]
    assert section(text, "Impact") == "12 users lost 1,840 USDt."
    fenced = "Here are the logs:\n~~~\n## not a heading\n~~~\n"
    assert heads(fenced) == [("plain", "Here are the logs", 8)]  # a label; the fenced line no heading


@pytest.mark.parametrize("marker", ["A.", "(1)", "Step 1 —", "step 1:"])
def test_a_numbered_first_line_of_a_paragraph_names_a_known_section(marker):
    text = (
        f"{marker} Root cause\nThe renewal cron was removed in the migration.\n\n"
        "B. Impact\n40 min full outage, all users.\n\n(3) Next steps\n- put the renewal back (#12)\n"
    )
    assert found("post-mortem", text) == {"root_cause": True, "actual_impact": True, "follow_up": True}


def test_a_numbered_sentence_or_an_unknown_numbered_line_is_no_section():
    assert found("post-mortem", "A. We rolled back at 10:02.\nThen it worked.\n") == {}
    text = "A. Zorglub\nThe renewal cron was removed.\n"
    assert [h for h in parse(text).sections if h.heading.text == "Zorglub"] == []


def test_question_and_answer_pairs_are_sections_and_a_lone_q_line_is_not():
    text = (
        "Q: Why did the relay go down?\nA: A vacuum job locked the database for 47 minutes.\n\n"
        "Q: What did users see?\nA: No dApp could pair for 47 minutes; 300 failed purchases.\n\n"
        "Q: Next steps?\nA: Move the relay to PostgreSQL (#940).\n"
    )
    assert [(h[0], h[1]) for h in heads(text) if h[0] == "bold"] == [
        ("bold", "Why did the relay go down?"), ("bold", "What did users see?"), ("bold", "Next steps?")]
    assert section(text, "Why did the relay go down?").endswith("locked the database for 47 minutes.")
    assert found("post-mortem", text) == {"root_cause": True, "actual_impact": True, "follow_up": True}
    assert [h for h in heads("Q: can we ship today?\nI think so.\n") if h[0] == "bold"] == []
