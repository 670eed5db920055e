"""Structure as other tools export it and as people type it in a hurry: GitLab's alerts, Notion's
callouts, markdown escaped by Google Docs or Word, forms written as task lists, labels run
together in one paragraph, timeline tables, labels alone above a list. Each test names one
structure, and the near-miss that must stay as it is."""

from __future__ import annotations

from inc_audit.reading import outline
from inc_audit.reading.markdown import parse
from inc_audit.reading.schemas import load


def found(kind: str, text: str) -> dict[str, bool]:
    """The schema's sections found in ``text``, each with whether it is answered."""
    schema = load(kind)
    parts = {p.name: p for p in schema.parts}
    return {name: not schema.is_empty(s, parts[name]) for name, s in schema.resolve(parse(text)).items()}


REQUIRED_PM = {"root_cause": True, "actual_impact": True, "follow_up": True}


def test_gitlab_alerts_titled_with_the_sections_are_the_sections():
    text = (
        "## Post-mortem\n\n> [!important] Root cause\n> The signer cache had no version key.\n\n"
        "> [!warning] Actual impact\n> Two hours without transfers for every user.\n\n"
        "> [!tip] Follow-ups\n> Key the cache by code hash (#474).\n"
    )
    assert found("post-mortem", text) == REQUIRED_PM


def test_an_alert_without_a_title_keeps_its_text_and_other_quotes_stay_quotes():
    lines = ("Hi,", "> [!note]", "> Impact: none.", "", "> On Tue, Bob wrote:", "> root cause: unknown")
    assert outline.rewrite(lines) == ("Hi,", "", "Impact: none.", "", "> On Tue, Bob wrote:", "> root cause: unknown")


def test_notion_callouts_led_by_an_emoji_and_a_bold_label_are_the_sections():
    text = (
        "# 📝 Post-mortem\n\n> 💡 **Root cause**\n> The permit entrypoint changed the parameter order.\n\n"
        "> 📉 **Actual impact**\n> 3 h without FA2 transfers for every user.\n\n"
        "> ✅ **Follow-ups**\n> - Key the entrypoint cache by code hash (#474)\n"
    )
    assert found("post-mortem", text) == REQUIRED_PM


def test_one_quoted_block_led_by_a_bold_line_is_a_quote():
    lines = ("Thanks, see below.", "", "> **Root cause**", "> the cache", "", "Agreed.")
    assert outline.rewrite(lines) == lines


def test_an_emoji_before_a_bold_label_does_not_hide_it():
    assert [(h.form, h.text) for h in parse("📉 **Actual impact**\nTwo hours.\n").heads] == [("bold", "Actual impact")]


def test_headings_and_bullets_escaped_by_an_exporter_read_as_written():
    text = (
        "\\#\\# Incident Post-Mortem\n\n\\#\\#\\# What is the root cause analysis of the INC?\n\n"
        "The relay URL pointed to the deprecated host\\.\n\n"
        "\\#\\#\\# What was the actual adverse impact of the INC?\n\n"
        "Two days of failed signatures\\.\n\n\\#\\#\\# Are there follow up recommendations?\n\n"
        "\\* Switch to the new relay (CHG \\#552)\n"
    )
    assert found("post-mortem", text) == REQUIRED_PM


def test_one_escaped_hash_is_left_as_written():
    lines = ("\\# not a heading, says the writer", "text")
    assert outline.rewrite(lines) == lines


def test_a_form_written_as_a_task_list_has_its_labels_read():
    text = (
        "## Incident Report\n\n- [x] **Nature**: the proxy returns 502 for every history request.\n"
        "- [x] **Discovered**: uptime check alerted at 21:17.\n- [x] **Impact**: users cannot see past operations.\n"
        "- [ ] **Evidence**: TBD\n"
    )
    assert found("report", text) == {"nature": True, "discovery": True, "impact": True, "evidence": False}


def test_labels_run_together_in_one_paragraph_are_each_a_section():
    text = (
        "## Post-mortem\n\nRoot cause: the token was kept on tmpfs, so the reboot lost it. Impact: 52 minutes "
        "without pairing for every user. Next steps: put the token on the persistent volume (#483).\n"
    )
    assert found("post-mortem", text) == REQUIRED_PM


def test_a_colon_inside_a_sentence_starts_no_label():
    document = parse("Root cause: we restarted it and then: nothing; the log said `sync failed: M_TOKEN`.\n")
    assert [h.text for h in document.heads] == ["Root cause"]


def test_a_timeline_row_that_names_the_root_cause_gives_it():
    text = (
        "## IPM\n\n| time | what |\n|---|---|\n| 09:30 | Alice pages on-call |\n"
        "| 09:55 | **Root cause found:** the API key expired and its renewal job was deleted in MR !512 |\n\n"
        "### Impact\n40 minutes without NFTs for every user.\n\n### Follow-ups\n- Alert before expiry (#445)\n"
    )
    assert found("post-mortem", text) == REQUIRED_PM


def test_a_numbered_label_alone_on_its_line_is_a_label():
    assert [(h.form, h.text) for h in parse("II. Detection:\n\nCrashlytics alert at 12:15.\n").heads] == [
        ("plain", "II. Detection")
    ]


def test_a_label_alone_above_a_list_holds_the_list():
    text = (
        "What went wrong:\n\nThe migration renamed a column the cached statement still named.\n\nScope of damage:\n\n"
        "Every mainnet user saw an empty tab for four hours.\n\nNext steps:\n\n"
        "- Stop swallowing database errors: return 500 (#520).\n- Restart the pods after migrations (#521).\n"
    )
    assert found("post-mortem", text) == REQUIRED_PM


def test_a_list_item_label_with_a_typo_is_read_by_meaning_as_a_heading_is():
    text = (
        "- **Natrue of the incident**\n\n  Pending proposals show as executed.\n\n"
        "- **Potencial impact**\n\n  Payouts blocked.\n"
    )
    assert found("report", text) == {"nature": True, "impact": True}


def test_a_setext_title_over_the_sections_holds_nothing():
    text = (
        "Signalement d'incident\n----------------------\n\nCe qui ne fonctionne plus\n-------------------------\n\n"
        "L'historique reste vide.\n\nOrigine du signalement\n----------------------\n\nRemarqué par erin ce matin.\n\n"
        "Conséquences possibles\n----------------------\n\nDouble envoi possible.\n\nPièces justificatives\n"
        "---------------------\n\n`curl ... | jq length` renvoie 0\n"
    )
    assert found("report", text) == {"nature": True, "discovery": True, "impact": True, "evidence": True}


def test_a_form_tables_header_row_is_no_section_read_by_its_text():
    text = (
        "| Question | Answer |\n| --- | --- |\n| I. Scope | iOS 1.4.0: the history screen crashes on open. |\n"
        "| II. Detection | Crashlytics velocity alert at 12:15 UTC. |\n"
        "| III. Customer-facing effect | Heavy users cannot view their history; if the crash spreads to the home"
        " screen they could not reach their assets at all. |\n"
        "| IV. Evidence | Crashlytics issue 4f1a, top frame HistoryList.render. |\n"
    )
    assert set(found("report", text)) == {"nature", "discovery", "impact", "evidence"}


def test_labels_with_a_doubled_colon_are_labels():
    assert [h.text for h in parse("Nature::\n\nToken list hides big FA2 collections.\n").heads] == ["Nature"]


def test_the_heads_own_question_right_under_it_is_its_text():
    text = (
        "What is the nature of the incident?:\n\nWhich parts of the system where affected ?\n"
        "The history service only.\n\n"
        "How the incident was discovered?:\n\nSlack message from a moderator.\n"
    )
    assert found("report", text) == {"nature": True, "discovery": True}


def test_a_tldr_label_in_prose_gives_way_to_a_form_rows_question():
    text = (
        "**TL;DR** — delegation fails on mainnet; fix in progress.\n\n| Question | Answer |\n| --- | --- |\n"
        "| What broke? | Every delegation built by Umami is rejected by the node. |\n"
        "| How did we find out? | A user reported it at 16:12. |\n"
        "| Who could be hit, and how badly? | Any user who delegates: their delegation silently does not happen, "
        "so they lose staking rewards. |\n| Proof (logs, screenshots) | ![node](/uploads/4f/rejected.png) |\n"
    )
    assert set(found("report", text)) == {"nature", "discovery", "impact", "evidence"}


def test_a_byte_order_mark_and_typographic_apostrophes_change_nothing():
    plain = "## Rollback plan\nCan't be undone, the old secret is gone once rotated.\n"
    for text in (plain, "\ufeff" + plain, plain.replace("'", "\u2019")):
        assert found("change", text) == {"rollback": False}
    assert [h.text for h in parse("\ufeff## Impact\nnone\n").heads] == ["Impact"]


def test_a_restructuredtext_field_list_is_a_list_of_labels():
    text = (
        ":Root cause: the lookup had no null check.\n:Impact: 9% of accounts for 3 h.\n"
        ":Follow-ups: handle unknown bakers (#583).\n"
    )
    assert found("post-mortem", text) == REQUIRED_PM
    assert outline.rewrite((":Impact: none",)) == (":Impact: none",)  # one field is no list


def test_a_decimal_outline_numbers_its_headings_and_empty_subheadings_answer_nothing():
    text = (
        "1. Analysis\n\n1.1 Cause\nThe endpoint moved and our client got 404.\n\n"
        "1.2 Impact\n4 days of zero rewards shown.\n\n"
        "2. Actions\n\n2.1 Short term\n\n2.2 Long term\n"
    )
    assert found("post-mortem", text) == {"root_cause": True, "actual_impact": True, "follow_up": False}


def test_a_template_pasted_whole_in_a_code_fence_is_read_and_a_script_stays_code():
    filled = "### Root cause\nThe key expired.\n\n### Impact\n40 minutes for every user.\n\n"
    filled += "### Follow-ups\n- Alert (#445)\n"
    assert found("post-mortem", f"(from my notes)\n\n```\n{filled}```\n") == REQUIRED_PM
    assert found("post-mortem", f"```bash\n{filled}```\n") == {}
    assert found("post-mortem", f"## Post-mortem\n\n```\n{filled}```\n") == {}


def test_a_span_made_bold_by_its_style_is_a_bold_line_as_teams_and_outlook_write_it():
    text = (
        '<div><span style="font-weight:600">Nature of the incident</span><br>\n'
        "<span>The Send button stays disabled.</span></div>\n"
        '<div><span style="color:#616161">Potential impact</span><br>\n<span>Power users cannot send.</span></div>\n'
    )
    assert [(h.form, h.text) for h in parse(text).heads] == [("bold", "Nature of the incident")]


def test_an_empty_html_paragraph_answers_nothing():
    text = "<p><b>How the incident was discovered</b></p>\n<p>&nbsp;</p>\n<p><b>Evidence</b></p>\n"
    text += "<p>signer log: timeout at 10:02</p>\n"
    assert found("report", text) == {"discovery": False, "evidence": True}


def test_confluence_storage_macros_are_read_for_their_text_not_their_parameters():
    text = (
        "<h3>How the incident was discovered?</h3>\n"
        '<ac:structured-macro ac:name="info"><ac:rich-text-body><p>Reported by Objkt at 10:40.</p>'
        "</ac:rich-text-body></ac:structured-macro>\n<h3>What is the evidence?</h3>\n"
        '<ac:structured-macro ac:name="code"><ac:parameter ac:name="language">text</ac:parameter>'
        "<ac:plain-text-body><![CDATA[]]></ac:plain-text-body></ac:structured-macro>\n"
    )
    assert found("report", text) == {"discovery": True, "evidence": False}


def test_labels_run_together_with_dashes_and_lower_case_are_each_a_section():
    text = (
        "Root cause — the purge missed the JS manifest, so browsers kept an old bundle; impact — login hung "
        "for 4 h for every web user; follow-ups — purge by tag (#1530).\n"
    )
    assert found("post-mortem", text) == REQUIRED_PM


def test_a_form_tables_cell_keeps_its_image_and_its_link():
    text = (
        "| Rubrique | Détail |\n|---|---|\n| Nature du souci | La restauration refuse les phrases de 24 mots. |\n"
        "| Preuves | ![](/uploads/2b8f/restore-invalid.png) |\n"
    )
    assert found("report", text)["evidence"] is True  # the image was the whole cell: without it, nothing


def test_abbreviated_bold_labels_name_their_sections():
    text = "**INC desc.:** Multisig page 500s.\n**Det.:** Sentry issue, paged on-call.\n**Evid.:** `stmt timeout`\n"
    assert found("report", text) == {"nature": True, "discovery": True, "evidence": True}


def test_a_report_forwarded_in_an_emails_quote_is_read_but_a_quoted_post_mortem_is_a_quote():
    quoted = (
        "Forwarding the thread so the ticket has it.\n\n> On Wed, Philippe wrote:\n"
        "> What happened: the RPC load balancer dropped a backend after the TLS renewal.\n"
        "> How we noticed: the synthetic check went red at 07:31.\n"
        "> What it can do to users: intermittent network errors on send; an operation may look failed.\n"
        "> Proof: `curl -v https://rpc.example/head` fails 1 in 2 times.\n"
    )
    assert found("report", quoted) == {"nature": True, "discovery": True, "impact": True, "evidence": True}
    reply = "Looks right to me.\n\n> ### Root cause\n> The key expired.\n> ### Impact\n> 40 minutes.\n"
    reply += "> ### Follow-ups\n> - alert\n"
    assert found("post-mortem", reply) == {}


def test_a_form_of_plain_labels_on_a_task_list_and_in_panels_titled_by_a_question_word():
    tasks = "- [x] Nature: old bundle from one CDN POP.\n- [x] Discovered: a user in Singapore.\n- [ ] Evidence: TBD\n"
    assert found("report", tasks) == {"nature": True, "discovery": True, "evidence": False}
    panels = (
        "{panel:title=Quoi}\nThe desktop app falls back to a ghostnet RPC when mainnet times out.\n{panel}\n"
        "{panel:title=Comment on l'a vu}\nInternal QA noticed ghostnet balances.\n{panel}\n"
        "{panel:title=Impact possible}\nUsers may sign against the wrong chain.\n{panel}\n"
        "{panel:title=Pièces}\nhttps://grafana.example/d/rpc\n{panel}\n"
    )
    assert found("report", panels) == {"nature": True, "discovery": True, "impact": True, "evidence": True}


def test_labels_run_together_after_a_title_and_escaped_bold_from_an_export():
    text = "Incident du 18/11 — Nature : échec des délégations ; Détection : alerte Sentry ; Preuves : n/d.\n"
    assert found("report", text) == {"nature": True, "discovery": True, "evidence": False}
    lone = "* Evidence — partner's console log: `BEACON_TIMEOUT after 5000ms`\n"
    assert [h.inline for h in parse(lone).heads] == ["partner's console log: `BEACON_TIMEOUT after 5000ms`"]
    exported = "\\*\\*Cause racine\\*\\*\n\nUn filtre de date codé en dur.\n\n"
    exported += "\\*\\*Impact réel\\*\\*\n\nQuatre jours.\n"
    assert set(found("post-mortem", exported)) == {"root_cause", "actual_impact"}
