"""Markups pasted from forums, papers, configuration files and terminals (``reading/formats.py``):
BBCode, LaTeX sectioning, INI sections, ``Label -> answer`` lines, ASCII-art boxes used as forms,
documents written whole as YAML, and MediaWiki headings. Each test names one markup and the
near-miss that must stay as it is: the markup inside code, or a line that only looks like it."""

from __future__ import annotations

from inc_audit.reading import formats, outline
from inc_audit.reading.markdown import parse
from inc_audit.reading.schemas import load


def found(kind: str, text: str) -> dict[str, bool]:
    """The schema's sections found in ``text``, each with whether it is answered."""
    schema = load(kind)
    parts = {p.name: p for p in schema.parts}
    return {name: not schema.is_empty(s, parts[name]) for name, s in schema.resolve(parse(text)).items()}


def required(kind: str, text: str) -> dict[str, bool]:
    parts = {p.name for p in load(kind).parts if p.required}
    return {name: answered for name, answered in found(kind, text).items() if name in parts}


REQUIRED_PM = {"root_cause": True, "actual_impact": True, "follow_up": True}
REQUIRED_REPORT = {"nature": True, "discovery": True, "impact": True, "evidence": True}


def test_bbcode_labels_with_their_answers_inline_are_the_sections():
    text = (
        "[size=5]Post-mortem[/size]\n"
        "[b]Root cause[/b]: the transport library sent the old APDU instruction.\n"
        "[b]Impact[/b]: 6 hours during which no Ledger user could sign.\n"
        "[b]Follow-ups[/b]: pin the Ledger app version in CI (#530).\n"
    )
    assert required("post-mortem", text) == REQUIRED_PM


def test_bbcode_links_and_images_are_links_and_images():
    lines = (
        "[b]Evidence[/b]",
        "[url=https://forum.example/t/1]thread[/url], [img]https://i.example/a.png[/img]",
        "[*] one",
    )
    assert formats.rewrite(lines) == (
        "**Evidence**",
        "[thread](https://forum.example/t/1), ![](https://i.example/a.png)",
        "- one",
    )


def test_bbcode_inside_code_stays_code():
    fenced = ("[b]Summary[/b]: strip tags", "```", "[b]bold[/b]", "[i]x[/i]", "```", "Use `[b]x[/b]` in [i]posts[/i].")
    out = formats.rewrite(fenced)
    assert out[0] == "**Summary**: strip tags"
    assert out[1:5] == fenced[1:5]
    assert out[5] == "Use `[b]x[/b]` in *posts*."
    only_code = ("Tags:", "```", "[b]bold[/b]", "[i]x[/i]", "```", "Write `[b]x[/b]` and `[i]y[/i]`.")
    assert formats.rewrite(only_code) == only_code


def test_one_bbcode_tag_in_prose_is_prose():
    lines = ("The forum renders [b]bold[/b] since the upgrade.", "", "Nothing else changed.")
    assert formats.rewrite(lines) == lines


def test_latex_sectioning_is_read_as_headings_and_verbatim_as_code():
    text = (
        "\\section*{Incident Report}\n\\subsection*{Nature of the incident}\n"
        "The indexer lags 400 blocks behind head.\n\\subsection*{How the incident was discovered}\n"
        "Our lag monitor (\\texttt{indexer\\_lag > 50}) alerted on-call at 03:10.\n"
        "\\subsection*{Potential impact}\nUsers may send their transfers twice.\n"
        "\\subsection*{Evidence}\n\\begin{verbatim}\nhead=5120334 indexer=5119930\n\\end{verbatim}\n"
    )
    assert required("report", text) == REQUIRED_REPORT


def test_latex_emphasis_of_a_placeholder_is_still_a_placeholder():
    text = (
        "\\subsection*{Nature of the incident}\nPairing fails.\n\\subsection*{How the incident was discovered}\n"
        "Two user complaints at 09:30.\n\\subsection*{Potential impact}\n\\textit{TBD}\n"
        "\\subsection*{Evidence}\nRecording: \\url{https://gitlab.example/uploads/b.mp4}\n"
    )
    assert required("report", text)["impact"] is False
    assert required("report", text)["evidence"] is True


def test_latex_commands_in_a_code_fence_or_alone_stay_as_written():
    fenced = ("Build the paper:", "```", "\\section*{Intro}", "\\subsection*{Impact}", "```")
    assert formats.rewrite(fenced) == fenced
    alone = ("We escaped it as \\#540 in \\subsection*{Impact} once.", "\\section{Only one}")
    assert formats.rewrite(alone) == alone


def test_ini_sections_are_headings():
    text = (
        "[root cause]\nThe migration job was disabled in Ansible and never re-enabled.\n\n"
        "[impact]\n5h40 without operation injection for every user.\n\n"
        "[follow-up]\nAdd an Ansible assertion that the job is on (#560).\n"
    )
    assert required("post-mortem", text) == REQUIRED_PM


def test_a_configuration_file_pasted_unfenced_keeps_its_sections_as_text():
    lines = ("Install this unit:", "[Unit]", "Description=signer", "", "[Service]", "ExecStart=/usr/bin/signer", "")
    assert formats.rewrite(lines) == lines
    task = ("- [x] restarted", "[x]", "done", "")
    assert formats.rewrite(task) == task


def test_arrow_label_lines_are_labels():
    text = (
        "Root cause -> a refactor changed the derivation path constant (commit 4f2a1c).\n"
        "Impact -> 52 users restored to an empty address over 3 days.\n"
        "Follow-ups -> restore test with a known mnemonic (#600).\n"
    )
    assert required("post-mortem", text) == REQUIRED_PM


def test_an_arrow_in_sentences_or_in_code_is_no_label():
    prose = (
        "We moved traffic eu -> us after the failover.",
        "Then the queue drained and the signer recovered within ten minutes of the switch.",
        "Nobody noticed the latency until the next morning, when support asked.",
        "Rates went 2 -> 5 per second.",
    )
    assert formats.rewrite(prose) == prose
    code = ("`a -> b` maps the old key", "`c -> d` maps the new one")
    assert formats.rewrite(code) == code


def test_an_ascii_box_of_two_columns_is_a_form():
    lines = (
        "+--------------------------+",
        "| ROOT CAUSE | endpoint renamed;   |",
        "|            | staking page broken |",
        "| IMPACT     | 2 days, all users   |",
        "+--------------------------+",
    )
    assert formats.rewrite(lines) == (
        "",
        "ROOT CAUSE: endpoint renamed; staking page broken",
        "",
        "IMPACT: 2 days, all users",
        "",
    )


def test_an_ascii_box_in_a_fence_or_of_three_columns_stays_as_written():
    fenced = ("```", "+----+----+", "| a  | b  |", "+----+----+", "```")
    assert formats.rewrite(fenced) == fenced
    wide = ("+---+---+---+", "| host | cpu | mem |", "+---+---+---+")
    assert formats.rewrite(wide) == wide


def test_a_document_written_as_yaml_in_a_fence_is_read_key_by_key():
    text = (
        '```yaml\nincident:\n  nature: "Umami mobile crashes on launch for Android 14 users"\n'
        '  discovered: "Play Console crash rate alert (8.2%) at 11:15 UTC"\n'
        '  potential_impact: "Android 14 users cannot open the wallet at all"\n'
        '  evidence: "Play Console cluster https://play.google.com/console/x"\n```\n'
    )
    assert required("report", text) == REQUIRED_REPORT


def test_yaml_null_and_tilde_say_nothing():
    lines = ("nature: send button disabled", "discovered: Telegram at 16:40", "evidence: null", "rollback: ~")
    assert formats.rewrite(lines) == (
        "nature: send button disabled",
        "discovered: Telegram at 16:40",
        "evidence:",
        "rollback:",
    )
    text = "\n".join(lines[:3]) + "\npotential_impact: new accounts cannot transfer\n"
    assert required("report", text)["evidence"] is False


def test_a_yaml_fence_beside_prose_and_a_null_in_prose_stay_as_written():
    beside = ("Values we deployed:", "```yaml", "impact: high", "evidence: null", "```")
    assert formats.rewrite(beside) == beside
    prose = ("Status: null pointer in the signer", "The fix dereferences it safely now.")
    assert formats.rewrite(prose) == prose


def test_mediawiki_headings_are_headings_but_not_inside_code():
    text = (
        "== Root cause ==\nThe relay ran out of file descriptors.\n== Impact ==\n3 hours without pairing.\n"
        "== Follow-ups ==\nRaise the ulimit and alert on it (#531).\n"
    )
    assert required("post-mortem", text) == REQUIRED_PM
    code = "Notes:\n\n```\n== Root cause ==\n```\n"
    assert [h.text for h in parse(code).heads if "Root" in h.text] == []
    unclosed = "The checks compare\n== Root cause\nand fail.\n"
    assert [h.text for h in parse(unclosed).heads if "Root" in h.text] == []


def test_outline_hands_every_markup_to_formats():
    lines = ("[b]Impact[/b]", "two hours", "[b]Root cause[/b]", "the cache")
    assert outline.rewrite(lines) == ("**Impact**", "two hours", "**Root cause**", "the cache")


def test_a_document_written_as_a_json_object_is_read_member_by_member():
    lines = (
        "{",
        '  "root_cause": "the migration dropped the contacts table",',
        '  "impact": null,',
        '  "follow_up": ["restore from backup (#585)", "migration tests (#586)"],',
        '  "owner": {',
        '    "name": "remy"',
        "  },",
        '  "steps": [',
        '    "stop the job",',
        "    3",
        "  ]",
        "}",
    )
    assert formats.rewrite(lines) == (
        "",
        "root_cause: the migration dropped the contacts table",
        "impact:",
        "follow_up: restore from backup (#585); migration tests (#586)",
        "",
        "name: remy",
        "",
        "steps:",
        "- stop the job",
        "- 3",
        "",
        "",
    )
    text = "\n".join(lines[:3]) + "\n" + lines[3].rstrip(",") + "\n}\n"
    assert required("post-mortem", text) == {"root_cause": True, "actual_impact": False, "follow_up": True}


def test_json_that_is_not_a_whole_object_stays_as_written():
    array = ("[", '  {"impact": null}', "]")
    assert formats.rewrite(array) == array
    broken = ("{", '  "impact": "two hours",', '  "evidence": null', "")
    assert formats.rewrite(broken) == broken
    beside = ("Payload we sent:", "{", '  "impact": null', "}")
    assert formats.rewrite(beside) == beside


def test_a_document_written_whole_as_ini_or_toml_settings_is_read_key_by_key():
    ini = (
        "; post-mortem for INC 512",
        "[postmortem]",
        "root_cause = the relay ran out of file descriptors (ulimit 1024)",
        "impact = 3 hours without dApp pairing, about 600 attempts failed",
        "follow_up = raise the ulimit and alert on descriptor use (#531)",
    )
    assert required("post-mortem", "\n".join(ini)) == REQUIRED_PM
    toml = (
        'root_cause = "the relay ran out of descriptors"',
        'follow_up = ["raise the ulimit (#531)", "alert (#532)"]',
    )
    assert formats.rewrite(toml) == (
        "root_cause: the relay ran out of descriptors",
        "follow_up: raise the ulimit (#531); alert (#532)",
    )


def test_sentences_with_an_equals_sign_are_no_settings():
    lines = ("We set x = 5 on the signer.", "Then y = 6", "and restarted it.")
    assert formats.rewrite(lines) == lines
    one = ("impact = 3 hours", "The relay ran out of descriptors and nobody could pair.")
    assert formats.rewrite(one) == one


def test_mediawiki_bold_labels_links_and_numbered_items():
    labels = (
        "'''Root cause:''' the relay ran out of descriptors.",
        "",
        "'''Impact:''' 3 h, see [https://grafana.example/d/1 the graph].",
    )
    assert formats.rewrite(labels) == (
        "**Root cause:** the relay ran out of descriptors.",
        "",
        "**Impact:** 3 h, see [the graph](https://grafana.example/d/1).",
    )
    text = (
        "== Root cause ==\nThe relay ran out of descriptors.\n== Impact ==\n# 3 hours without pairing\n# 600 failed\n"
        "== Follow-ups ==\n# raise the ulimit (#531)\n"
    )
    assert required("post-mortem", text) == REQUIRED_PM


def test_a_markdown_heading_beside_one_wiki_mark_stays_a_heading():
    lines = ("# Post-mortem", "== Root cause ==", "The relay.", "== Impact ==", "Use '''x''' in `'''code'''`.")
    assert formats.rewrite(lines) == lines[:4] + ("Use **x** in `'''code'''`.",)
    code = ("```", "'''a'''", "'''b'''", "```")
    assert formats.rewrite(code) == code


def test_latex_labels_and_description_items_are_labels():
    bold = (
        "\\textbf{Root cause:} the relay ran out of descriptors.",
        "",
        "\\textbf{Impact:} 3 h without pairing (\\#531).",
    )
    assert formats.rewrite(bold) == (
        "**Root cause:** the relay ran out of descriptors.",
        "",
        "**Impact:** 3 h without pairing (#531).",
    )
    items = ("\\begin{description}", "\\item[Root cause] the relay", "\\item[Impact] 3 h", "\\end{description}")
    assert formats.rewrite(items) == ("", "**Root cause**: the relay", "**Impact**: 3 h", "")


def test_a_box_drawn_with_box_characters_is_a_form():
    lines = (
        "┌────────────┬───────────────────┐",
        "│ ROOT CAUSE │ relay out of fds  │",
        "├────────────┼───────────────────┤",
        "│ IMPACT     │ 3 h without pairs │",
        "└────────────┴───────────────────┘",
    )
    assert formats.rewrite(lines) == ("", "ROOT CAUSE: relay out of fds", "", "IMPACT: 3 h without pairs", "")


def test_bbcode_quotes_and_lists_around_labels_are_read():
    text = (
        "[quote][b]Root cause[/b]\nthe relay ran out of descriptors[/quote]\n[b]Impact[/b]\n3 h without pairing\n"
        "[b]Follow-ups[/b]\n[list]\n[*]raise the ulimit (#531)\n[/list]\n"
    )
    assert required("post-mortem", text) == REQUIRED_PM


def test_pairs_separated_by_a_pipe_a_tab_or_a_csv_comma_are_labels():
    pipes = ("Root cause | the relay ran out of descriptors", "| Impact | 3 h without pairing |")
    assert formats.rewrite(pipes) == ("Root cause: the relay ran out of descriptors", "Impact: 3 h without pairing")
    tabs = ("Root cause\tthe relay ran out of descriptors", "Impact\t3 h without pairing")
    assert formats.rewrite(tabs) == ("Root cause: the relay ran out of descriptors", "Impact: 3 h without pairing")
    rows = ("field,answer", 'Root cause,"the relay, out of descriptors"', 'Impact,"3 h, no pairing"')
    assert formats.rewrite(rows) == (
        "field,answer",
        "Root cause: the relay, out of descriptors",
        "Impact: 3 h, no pairing",
    )


def test_tables_and_sentences_with_pipes_or_commas_are_no_pairs():
    jira = ("||Rubrique||Réponse||", "|Nature|Le calcul des frais|", "|Impact|à préciser|")
    assert formats.rewrite(jira) == jira
    markdown = ("| Field | Answer |", "|---|---|", "| Impact | 3 h |", "| Cause | relay |")
    assert formats.rewrite(markdown) == markdown
    prose = ('He said, "the relay died" and left.', "We restarted it at 10:02 and the queue drained within minutes.")
    assert formats.rewrite(prose) == prose


def test_a_mediawiki_table_of_two_columns_is_a_form():
    lines = (
        '{| class="wikitable"',
        "! Field !! Answer",
        "|-",
        "| Root cause || the relay ran out of descriptors",
        "|-",
        "| Impact",
        "| 3 h without pairing",
        "|}",
    )
    assert formats.rewrite(lines) == (
        "",
        "",
        "",
        "Root cause: the relay ran out of descriptors",
        "",
        "Impact: 3 h without pairing",
        "",
        "",
    )
    fenced = ("```", "{|", "| a || b", "|}", "```")
    assert formats.rewrite(fenced) == fenced


def test_an_asciidoc_or_mediawiki_heading_loses_only_its_closing_run():
    from inc_audit.reading import plaintext

    assert plaintext.asciidoc_heading("== Impact ==") == (2, "Impact")
    assert plaintext.asciidoc_heading("=== a == ===  ") == (3, "a ==")
    assert plaintext.asciidoc_heading("= Title") == (1, "Title")
    assert plaintext.asciidoc_heading("== x=") == (2, "x=")
    assert plaintext.asciidoc_heading("==x ==") is None
    assert [plaintext.closed_heading(x) for x in ("== Impact ==", "== x ===", "== x", "== ==")] == [
        True,
        False,
        False,
        False,
    ]
