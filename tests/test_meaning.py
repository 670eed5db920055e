"""Reading by meaning: headings by their concepts (stems, French, abbreviations, typos),
sections by their text and place, deferrals however phrased, irreversible rollback plans."""

from __future__ import annotations

import pytest

from inc_audit.reading import schemas, validity
from inc_audit.reading import words as words_module
from inc_audit.reading.concepts import Concepts, vocabulary_words, within_one
from inc_audit.reading.markdown import parse
from inc_audit.reading.vocabulary import normalise

REPORT = schemas.load("report")
PM = schemas.load("post-mortem")
CHANGE = schemas.load("change")


def part_of(schema: schemas.DocumentSchema, heading: str) -> str | None:
    matched = schema.match(parse(f"### {heading}\n").heads[0])
    return None if matched is None else matched[0].name


def problems(schema: schemas.DocumentSchema, text: str) -> set[tuple[str, str]]:
    return {(p.kind, p.part.name) for p in validity.check_text(schema, text)}


def with_follow_ups(answer: str) -> str:
    """A post-mortem whose other sections say something, ``answer`` as its follow-ups."""
    return f"### Root cause\nx y z\n### Impact\nnone\n### Follow-up\n{answer}\n"


@pytest.mark.parametrize(
    "schema, heading, part",
    [
        (REPORT, "What broke", "nature"),
        (REPORT, "How we noticed", "discovery"),
        (REPORT, "Who spotted it", "discovery"),
        (REPORT, "Blast radius", "impact"),
        (REPORT, "What's at stake", "impact"),
        (REPORT, "Receipts", "evidence"),
        (PM, "Scope of damage", "actual_impact"),
        (PM, "Lessons and next moves", "follow_up"),
        (PM, "Why did the signer reject the batch?", "root_cause"),
        (PM, "Prevention", "follow_up"),
        (CHANGE, "If it goes wrong", "rollback"),
        (CHANGE, "Fallback", "rollback"),
    ],
)
def test_unfamiliar_english_headings_are_read_by_their_concepts(schema, heading, part):
    assert part_of(schema, heading) == part


@pytest.mark.parametrize(
    "schema, heading, part",
    [
        (PM, "Cause profonde", "root_cause"),
        (PM, "Les 5 pourquoi", "root_cause"),
        (PM, "Actions correctives", "follow_up"),
        (PM, "Conséquences", "actual_impact"),
        (PM, "Retour d'expérience", "follow_up"),
        (CHANGE, "Comment revenir en arrière", "rollback"),
        (CHANGE, "Procédure de retour arriere", "rollback"),
        (REPORT, "Éléments de preuve", "evidence"),
        (REPORT, "Elements de preuve", "evidence"),
        (REPORT, "Description de l'incident", "nature"),
        (REPORT, "Détection", "discovery"),
    ],
)
def test_french_headings_with_or_without_accents(schema, heading, part):
    assert part_of(schema, heading) == part


@pytest.mark.parametrize(
    "schema, heading, part",
    [
        (PM, "Actual impact / Impact réel", "actual_impact"),
        (PM, "Root cause / Cause racine", "root_cause"),
        (PM, "Follow-up / Suivi", "follow_up"),
        (REPORT, "Potential impact / Impact potentiel", "impact"),
    ],
)
def test_bilingual_headings(schema, heading, part):
    assert part_of(schema, heading) == part


@pytest.mark.parametrize(
    "schema, heading, part",
    [(PM, "RC", "root_cause"), (PM, "F/U", "follow_up"), (PM, "AIs", "follow_up"), (REPORT, "Desc.", "nature")],
)
def test_abbreviations(schema, heading, part):
    assert part_of(schema, heading) == part


@pytest.mark.parametrize(
    "schema, heading, part",
    [
        (REPORT, "Natrue of the incident", "nature"),
        (REPORT, "How it was dicovered", "discovery"),
        (REPORT, "Evidense", "evidence"),
        (PM, "Folow-up recomendations", "follow_up"),
        (CHANGE, "Rolback plan", "rollback"),
    ],
)
def test_small_typos_on_longer_words(schema, heading, part):
    assert part_of(schema, heading) == part


@pytest.mark.parametrize(
    "schema, heading",
    [
        (PM, "Services affected"),  # lists services: a known other heading, not the impact
        (PM, "What went well"),
        (REPORT, "Reporter"),
        (REPORT, "Incident summary report"),  # names the document, not a section
        (PM, "We noticed the impact only after the alert on the signer queue fired twice"),
        (PM, "Analysis"),
        (CHANGE, "Risk"),  # the impact concept, which a change has no section for
    ],
)
def test_headings_that_name_no_section_stay_unmatched(schema, heading):
    assert part_of(schema, heading) is None


def test_a_label_in_prose_matches_by_meaning_only_when_every_word_names_it():
    text = "### Evidence\nAccount tz1abc history, screenshot: ![x](/uploads/a.png)\n"
    found = REPORT.resolve(parse(text))
    assert "timeline" not in found and found["evidence"].answer.strip().startswith("Account")


def test_typos_need_five_letters_and_one_edit():
    assert within_one("natrue", "nature") and within_one("folow", "follow") and within_one("evidance", "evidence")
    assert not within_one("evdance", "evidence")
    concepts = Concepts({"x": ["nature"]})
    assert concepts.concept_of("natr") is None  # four letters: no typo reading
    assert concepts.concept_of("natrue") == "x" and concepts.concept_of("natures") == "x"


def test_stems_and_readings_are_remembered():
    concepts = Concepts({"impact": ["impact"]})
    assert concepts.concept_of("Impacts") == "impact"
    assert "impacts" in words_module._FORMS and "Impacts" in concepts._read
    assert not concepts._prefixes.may_meet("wallet")  # starts like no root word: never stemmed
    words_module._FORMS["impacts"] = frozenset({"elsewhere"})
    assert concepts.concept_of("Impacts") == "impact"  # the heading's reading is remembered too
    words_module._FORMS.clear()


ANALYSIS = (
    "## Post-mortem\n### Impact\n4,300 users lost their address book.\n"
    "### Analysis\nThe migration dropped the old table before copying its rows, because a refactor "
    "reordered the calls.\n### Follow-ups\n- Migration tests assert row counts (#615).\n"
)


def test_a_section_whose_heading_names_nothing_is_recognised_by_its_text():
    document = parse(ANALYSIS)
    assert problems(PM, ANALYSIS) == set()
    assert PM.resolve(document)["root_cause"].heading.text == "Analysis"
    why = PM.recognised(document)["root_cause"]
    assert "'### Analysis' (line 4)" in why and "because" in why
    assert PM.instance(document)["sections"]["root_cause"]["recognised"] == why
    assert validity.notes(PM, document) == [why]


def test_a_details_block_whose_summary_names_nothing_is_recognised_by_its_text():
    text = (
        "## Post-mortem\n<details><summary>Impact</summary>\n\n4,300 users lost their address book.\n\n</details>\n"
        "<details><summary>Analysis</summary>\n\nThe migration dropped the old table before copying its rows, "
        "because a refactor reordered the calls.\n\n</details>\n<details><summary>Follow-ups</summary>\n\n"
        "- Migration tests assert row counts (#615).\n\n</details>\n"
    )
    assert problems(PM, text) == set()
    assert "<summary>Analysis</summary>' (line 7)" in PM.recognised(parse(text))["root_cause"]


def test_a_timeline_does_not_stand_for_a_root_cause():
    text = (
        "## Post-mortem\n### Timeline\n| 22:41 | first 503s |\n| 23:47 | RPC back |\n"
        "### Impact\n66 minutes without balances for all users.\n### Follow-ups\n- Page on-call (#640).\n"
    )
    assert ("missing", "root_cause") in problems(PM, text)
    assert validity.notes(PM, parse(text)) == []


def test_a_known_other_heading_lends_no_cue_and_an_empty_section_stands_for_nothing():
    text = "## IPM\n### Root cause\nCORS header.\n### Affected services\nweb wallet\n### Follow-up\nsmoke test\n"
    assert ("missing", "actual_impact") in problems(PM, text)
    text = "## IPM\n### Root cause\nA typo.\n### Impact\n2 h down for 480 users.\n### Misc.\n\n"
    assert ("missing", "follow_up") in problems(PM, text)


def test_context_that_says_what_users_cannot_do_is_the_impact():
    text = (
        "## Incident Report\n### Nature of the incident\nThe installer is signed with an expired certificate.\n"
        "### How the incident was discovered\nSentry spike at 07:30.\n### Context\nAnyone who updates cannot "
        "open the wallet, so users cannot reach their assets: about 15,000 people.\n"
        "### Evidence\n![smartscreen](/uploads/a.png)\n"
    )
    assert problems(REPORT, text) == set()
    assert "Context" in REPORT.recognised(parse(text))["impact"]


@pytest.mark.parametrize("question", ["what", "How", "quand"])
def test_a_question_word_alone_among_labels_that_name_the_other_sections_is_the_one_left(question):
    text = (
        f"{question}: the price feed froze at 18:00 and never restarted\n"
        "how found: alice saw the EUR value stand still\n"
        "risk: users see a portfolio 8 % too high\n"
        "proof: `kubectl logs job/price-pull` shows HTTP 429 then nothing\n"
    )
    assert problems(REPORT, text) == set()
    assert "question word alone" in REPORT.recognised(parse(text))["nature"]


def test_a_question_word_label_is_no_section_when_more_than_one_is_missing_or_it_is_empty():
    two_missing = "what: the price feed froze\nhow found: alice saw it\nrisk: users see wrong prices\n"
    assert ("missing", "nature") in problems(REPORT, two_missing)
    empty = "what:\nhow found: alice saw it\nrisk: users see wrong prices\nproof: the logs, HTTP 429\n"
    assert ("missing", "nature") in problems(REPORT, empty)
    no_others = "what: the price feed froze\n"
    assert ("missing", "nature") in problems(REPORT, no_others)


DEFERRALS = [
    "To be confirmed.",
    "Pending analysis.",
    "Will add the logs.",
    "Will attach the logs once I get them from the users.",
    "Logs to follow",
    "Screenshot follows",
    "Latency graph attached below.",
    "In the shared doc.",
    "See the doc.",
    "analysis ongoing.",
    "Being assessed",
    "TBD after the vendor replies.",
    "Waiting on infra.",
    "À compléter.",
    "À venir.",
    "À définir",
    "En cours.",
    "En cours d'analyse avec le fournisseur.",
    "En cours de rédaction (dave).",
    "Cf. pièce jointe.",
    "Captures d'écran à suivre",
    "Sera complété demain",
]


@pytest.mark.parametrize("answer", DEFERRALS)
def test_a_deferral_is_no_answer_however_phrased(answer):
    assert ("empty", "evidence") in problems(REPORT, f"### Evidence\n{answer}\n"), answer
    assert ("empty", "root_cause") in problems(PM, f"### Cause racine\n{answer}\n"), answer


@pytest.mark.parametrize("answer", [a for a in DEFERRALS if not a.lower().startswith(("to be", "tbd", "en cours."))])
def test_deferrals_no_pattern_lists_are_read_by_their_words(answer):
    deferrals = REPORT.vocabulary.deferrals
    assert deferrals is not None and deferrals.defers(normalise(answer))


@pytest.mark.parametrize(
    "answer",
    [
        "Will add an alert on the signer queue (#640).",
        "We will add monitoring to the indexer.",
        "signer logs attached",
        "The graph below shows a spike at 10:02 on the signer.",
        "See #123 for the full trace.",
        "Users will see an error when they open the wallet.",
    ],
)
def test_an_answer_with_future_or_pointer_words_is_still_an_answer(answer):
    post_mortem = with_follow_ups(answer)
    assert ("empty", "follow_up") not in problems(PM, post_mortem)
    assert ("empty", "evidence") not in problems(REPORT, f"### Evidence\n{answer}\n")


def test_a_deferral_beside_a_real_answer_leaves_the_answer():
    text = "### Evidence\nScreenshot below.\n![x](/uploads/a.png)\n"
    assert ("empty", "evidence") not in problems(REPORT, text)


def test_an_answer_reusing_the_template_words_is_an_answer_and_the_pasted_hint_is_not():
    base = "### Nature\nsigning broken\n### Discovery\nsentry alert\n### Evidence\n![x](/uploads/a.png)\n### Impact\n"
    assert problems(REPORT, base + "Downtime of the signing feature for every Ledger user.\n") == set()
    assert ("empty", "impact") in problems(REPORT, base + "What is the user impact of the incident\n")
    assert ("empty", "impact") in problems(REPORT, base + "it will/may lead to downtime to a feature of the system\n")


@pytest.mark.parametrize(
    "plan",
    [
        "Irreversible.",
        "No rollback possible once the rows are deleted. We'll keep an eye on the dashboards.",
        "This change cannot be rolled back.",
        "Retour arrière impossible.",
        "On ne peut pas revenir en arrière.",
    ],
)
def test_an_irreversible_change_without_compensation_has_no_rollback_plan(plan):
    assert ("empty", "rollback") in problems(CHANGE, f"## Emergency change\n### Rollback plan\n{plan}\n")


@pytest.mark.parametrize(
    "plan",
    [
        "The DELETE is irreversible, but we take an RDS snapshot first and restore it if balances are wrong.",
        "No rollback possible for the origination; if the view misbehaves we turn the flag off.",
        "Cannot be undone; we fix forward with 2.4.1 within the hour.",
        "Retour arrière impossible : en cas de problème, on désactive le flag.",
        "Re-publish 1.9.5 as latest; the log deletion cannot be undone and does not need to be.",
        "`helm rollback mezos` to revision 57. The flush needs no rollback.",
        "No rollback needed: redeploy 2.3.0 if anything breaks.",
        "Irreversible by nature (key destruction). Mitigation: a second key is pre-provisioned in the HSM.",
        "Pas de retour arrière possible ; solution de secours : le nœud en stand-by reprend la main.",
    ],
)
def test_an_irreversible_change_with_compensation_or_a_plain_plan_is_a_plan(plan):
    assert ("empty", "rollback") not in problems(CHANGE, f"## Emergency change\n### Rollback plan\n{plan}\n")


def test_a_missing_section_names_a_heading_never_a_line_and_how_to_teach_it():
    text = (
        "## IPM\n### Root cause\nThe cert expired.\n- Affected services: web\n"
        "### Services affected\napi\n### Follow-up\nalert at 14 days\n"
    )
    [problem] = validity.check_text(PM, text)
    assert "closest: '### Services affected' on line 5" in problem.message
    assert "teach it: vocabulary: {post-mortem: {actual_impact: [\"Services affected\"]}}" in problem.message
    assert "or run `inc-audit vocabulary`" in problem.message
    [problem] = validity.check_text(PM, "## IPM\n### Root cause\ncert\n### Follow-up\nalert\n")
    assert "closest" not in problem.message and "for a heading of your own, add it under vocabulary:" in problem.message


def test_the_stems_table_is_the_stemmers_output_for_every_vocabulary_word():
    import json

    folder = schemas.SCHEMA_DIR
    raw = json.loads((folder / "vocabulary.json").read_text(encoding="utf-8"))
    table = json.loads((folder / "stems.json").read_text(encoding="utf-8"))["stems"]
    expected = words_module.stem_table(vocabulary_words(raw))
    assert table == expected, "run: python -m inc_audit.reading.concepts"


def test_inc_audit_check_shows_a_section_recognised_by_its_text_as_a_note(tmp_path):
    from click.testing import CliRunner

    from inc_audit.cli import main

    draft = tmp_path / "pm.md"
    draft.write_text(ANALYSIS, encoding="utf-8")
    outcome = CliRunner().invoke(main, ["check", str(draft), "--kind", "post-mortem"])
    assert outcome.exit_code == 0, outcome.output
    assert "note" in outcome.output and "read from '### Analysis' (line 4)" in outcome.output
    assert "No violations in 1 document(s)." in outcome.output


def test_the_notes_are_in_the_incident_as_the_json_report_writes_it():
    from inc_audit.config import file as config_module
    from inc_audit.findings import IncidentResult
    from inc_audit.model import IssueKey

    schema = config_module.load_defaults().schema("post-mortem")
    notes = tuple(validity.notes(schema, parse(ANALYSIS)))
    incident = IncidentResult(IssueKey("draft.md", 0), "post-mortem", "", "draft", False, (), notes=notes)
    assert incident.as_dict()["notes"] == list(notes) and len(notes) == 1
    assert "notes" not in IncidentResult(IssueKey("a", 1), "t", "", "opened", False).as_dict()


def test_unknown_headings_are_listed_with_a_guess_and_a_taught_heading_is_read():
    from inc_audit.errors import ConfigError
    from inc_audit.reading import teaching

    text = "## Post-mortem\n### Impact\n2 h down.\n### Wrap-up items\n- rotate the key (#12)\n### Zorglub\ncause: x\n"
    document = parse(text)
    unknown = [head.text for head in teaching.unknown_heads(PM, document)]
    assert unknown == ["Wrap-up items", "Zorglub"]  # never "## Post-mortem", "### Impact" or a label
    assert teaching.guess(PM, document, teaching.unknown_heads(PM, document)[1]) is None
    for other in ("h2. Impact\n2 h down.\nh2. Wrap-up items\n- rotate the key\n",
                  "<h2>Impact</h2>\n<p>2 h down.</p>\n<h2>Wrap-up items</h2>\n<p>rotate the key</p>\n",
                  "<details><summary>Wrap-up items</summary>\n\nrotate the key\n\n</details>\n"):
        assert [head.text for head in teaching.unknown_heads(PM, parse(other))] == ["Wrap-up items"], other
    taught = schemas.load("post-mortem", taught=(("follow_up", ("Wrap-up items",)),))
    assert part_of(taught, "Wrap-up items") == "follow_up" and part_of(PM, "Wrap-up items") is None
    with pytest.raises(ConfigError, match="unknown section 'aftermath'"):
        schemas.load("post-mortem", taught=(("aftermath", ("Wrap-up",)),))


def test_stems_are_right_when_threads_read_at_once():
    import threading

    words = [f"{stem}{n}ations" for n in range(300) for stem in ("recommend", "investig")]
    words_module._FORMS.clear()
    results: dict[str, frozenset[str]] = {}
    errors: list[BaseException] = []

    def read(part: list[str]) -> None:
        try:
            for word in part:
                results[word] = words_module.forms(word)
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=read, args=(words[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    words_module._FORMS.clear()
    assert all(results[word] == words_module.forms(word) for word in words)
    words_module._FORMS.clear()


@pytest.mark.parametrize(
    "schema, heading, part",
    [
        (CHANGE, "Procédure d'annulation", "rollback"),  # a generic word counts half
        (CHANGE, "Rollback procedure", "rollback"),
        (CHANGE, "Procedure", "procedure"),
        (CHANGE, "Recovery plan", "rollback"),
        (CHANGE, "En cas d'échec", "rollback"),
        (REPORT, "Ce qui s'est passé", "nature"),
        (REPORT, "Risques", "impact"),
        (PM, "How do we stop this happening again", "follow_up"),
    ],
)
def test_generic_words_and_phrases_weigh_as_they_should(schema, heading, part):
    assert part_of(schema, heading) == part


def test_a_misspelt_title_names_no_section():
    text = (
        "## Incident Reprot\n### Nature\nsigning broken\n### How discovered\n"
        "sentry\n### Impact\nnone, caught before release\n### Evidence\nlogs of the signer\n"
    )
    assert problems(REPORT, text) == set()


@pytest.mark.parametrize(
    "answer",
    ["Available on request", "Logs disponibles sur demande", "On attend les logs du fournisseur", "Cf. ticket Jira"],
)
def test_more_deferrals_elsewhere_or_awaited(answer):
    assert ("empty", "evidence") in problems(REPORT, f"### Evidence\n{answer}\n")


@pytest.mark.parametrize(
    "answer", ["See ticket INFRA-123", "Request logs from the vendor", "Logs available in S3 bucket x"]
)
def test_a_named_place_or_an_action_is_an_answer(answer):
    assert ("empty", "evidence") not in problems(REPORT, f"### Evidence\n{answer}\n")


@pytest.mark.parametrize(
    "answer", ["ask Carol", "Demander à Carol", "n/a for now", "siehe Slack", "will get back on this"]
)
def test_a_deferral_to_someone_or_for_now_is_no_answer(answer):
    assert ("empty", "evidence") in problems(REPORT, f"### Evidence\n{answer}\n")


@pytest.mark.parametrize("answer", ["ask the node for its head: 404", "Carol asked support: 12 tickets", "see 3f2a1c"])
def test_an_answer_that_names_an_asking_is_still_an_answer(answer):
    assert ("empty", "evidence") not in problems(REPORT, f"### Evidence\n{answer}\n")


@pytest.mark.parametrize(
    ("heading", "part"),
    [("**Step 1 — what broke**", "nature"), ("**Step 2: how we know**", "discovery"), ("(3) Impacto", "impact"),
     ("== Evidencia ==", "evidence"), ("### Auswirkung", "impact"), ("### Impatto potenziale", "impact")],
)
def test_numbered_and_other_language_headings_name_their_section(heading, part):
    document = parse(f"{heading}\ntext\n")
    assert [REPORT.match(h)[0].name for h in document.heads if REPORT.match(h)] == [part]


def test_a_second_heading_naming_a_section_already_found_is_read_by_its_text():
    text = (
        "### The problem\nSending to a domain resolves to its previous owner.\n\n"
        "### Spotted by\nA user wrote to support (ZD-6001).\n\n"
        "### What could happen next\nFunds sent to a transferred domain go to the wrong person.\n\n"
        "### Logs\n`cache hit alice.tez -> tz1old`\n"
    )
    assert problems(REPORT, text) == set()
    assert "What could happen next" in REPORT.recognised(parse(text))["impact"]


@pytest.mark.parametrize(
    ("heading", "part"),
    [("What should we change?", "follow_up"), ("What will we do differently?", "follow_up"),
     ("Que faut-il changer ?", "follow_up"), ("Causa raiz", "root_cause"), ("Oorzaak", "root_cause"),
     ("Impacto real", "actual_impact"), ("Actiepunten", "follow_up"), ("Lições aprendidas", "follow_up")],
)
def test_a_heading_about_what_is_to_be_done_and_portuguese_and_dutch_headings(heading, part):
    assert part_of(PM, heading) == part


@pytest.mark.parametrize("heading", ["What will happen", "What should we know?", "Who will attend"])
def test_a_future_word_beside_a_word_that_names_another_concept_or_too_many_words_is_not_a_follow_up(heading):
    assert part_of(PM, heading) != "follow_up"


def test_a_short_line_alone_above_its_text_or_list_heads_a_section_it_names():
    text = (
        "Timeline\n- 10:00 release\n- 11:05 third ticket\n\n"
        "Root cause\nThe transport sent an instruction the Ledger app did not know.\n\n"
        "Impact\n5 hours during which Ledger users could not sign; 23 tickets.\n\n"
        "Follow-ups\n- Add a Ledger device to the release checklist (#920).\n"
    )
    assert problems(PM, text) == set()
    assert ("missing", "root_cause") in problems(PM, text.replace("Root cause\n", "We looked at it\n"))


def test_a_short_line_in_running_prose_is_no_head():
    text = "Impact\n\nNone of this matters.\n"  # a line alone with a blank line after it heads nothing
    assert [h.text for h in parse(text).heads] == []


@pytest.mark.parametrize(
    "text",
    [
        "> **What is the nature of the incident?**\n> Backups stopped three nights ago.\n\n"
        "> **How was it discovered?**\n> The weekly restore drill failed.\n\n"
        "> **Potential impact**\n> Three days of data lost if the database goes.\n\n"
        "> **Evidence**\n> `gsutil ls` shows the last dump is from Monday.\n",
        "* Incident report\n** Nature\nBackups stopped three nights ago.\n** How it was discovered\n"
        "The weekly restore drill failed.\n** Potential impact\nThree days of data lost.\n"
        "** Evidence\n#+BEGIN_SRC\ngsutil ls: last dump Monday\n#+END_SRC\n",
        "---\nnature: >\n  Backups stopped three nights ago;\n  the cron container was killed.\n"
        "discovered: the weekly restore drill failed\nimpact: \"Three days of data lost\"\n"
        "evidence: gsutil ls shows the last dump is from Monday\n---\n",
        "-------- Nature of the incident --------\nBackups stopped three nights ago.\n\n"
        "-------- How it was discovered --------\nThe weekly restore drill failed.\n\n"
        "======== Potential impact ========\nThree days of data lost.\n\n"
        "-------- Evidence --------\n`gsutil ls` shows the last dump is from Monday.\n",
        "**Q1. What happened?**\nBackups stopped three nights ago.\n\n**Q2. How did we find out?**\n"
        "The weekly restore drill failed.\n\n**§3 Potential impact**\nThree days of data lost.\n\n"
        "**Q4. Evidence**\n`gsutil ls` shows the last dump is from Monday.\n",
        "- Incident\n  - Nature\n    - backups stopped three nights ago\n  - Discovered\n"
        "    - the weekly restore drill failed\n  - Potential impact\n    - three days of data lost\n"
        "  - Evidence\n    - `gsutil ls`: last dump Monday\n",
        "Nature\n: Backups stopped three nights ago.\n\nDiscovered\n: The weekly restore drill failed.\n\n"
        "Potential impact\n: Three days of data lost.\n\nEvidence\n: `gsutil ls` shows the last dump is from Monday.\n",
    ],
    ids=["quoted-whole", "org-mode", "yaml-front-matter", "banners", "q-numbered", "nested-list", "definition-list"],
)
def test_a_report_in_other_markups_has_every_section(text):
    assert problems(REPORT, text) == set()


def test_a_quote_inside_a_document_still_heads_nothing_and_front_matter_needs_its_fences():
    quoted = "### Nature\nBackups stopped.\n\n> ### Evidence\n> the dump\n"
    assert ("missing", "evidence") in problems(REPORT, quoted)
    assert parse("---\nnot: a key\nsome prose line\n---\n").lines[0] == "---"  # prose inside: no front matter


@pytest.mark.parametrize(
    ("answer", "empty"),
    [("Volgt later.", True), ("A definir pela equipe de ops.", True), ("n.c.", True), ("[...]", True),
     ("idem", True), ("left as an exercise for the reader", True),
     ("Awaiting vendor guidance (Ledger support case 55102).", True),
     ("Volgt de runbook: node herstarten en cache legen.", False),
     ("[dashboard](https://grafana.example.com/d/1)", False)],
)
def test_deferrals_and_placeholders_in_other_languages(answer, empty):
    assert (("empty", "evidence") in problems(REPORT, f"### Evidence\n{answer}\n")) is empty


@pytest.mark.parametrize(("heading", "part"), [("Terugdraaiplan", "rollback"), ("Rückfallplan", "rollback")])
def test_a_compound_ending_in_a_generic_word_is_read_by_its_first_part(heading, part):
    assert part_of(CHANGE, heading) == part


def test_a_retro_summary_with_the_figures_is_the_impact_and_what_went_wrong_the_cause():
    text = (
        "### Summary\nFor 31 hours Windows users could not start the app: about 2 700 users, 96 tickets, "
        "no funds lost.\n\n### What went well\n- Support spotted it within an hour.\n\n"
        "### What went wrong\nThe signing certificate was revoked because the renewal lapsed, and the "
        "pipeline does not check revocation, so the release was signed with a revoked certificate.\n\n"
        "### Action items\n- [ ] OCSP check in the release job (#1362)\n"
    )
    assert problems(PM, text) == set()


def test_a_narrated_mitigation_is_no_follow_up():
    text = (
        "## Why it happened\nThe history screen loads every operation at once, because it has no pagination.\n\n"
        "## Customer-facing effect\nAbout 2 300 users could not open their history for 26 hours; 41 tickets.\n\n"
        "## Mitigation & recovery\nWe capped the endpoint at 500 rows, then shipped 1.4.1 the next day.\n"
    )
    assert ("missing", "follow_up") in problems(PM, text)


@pytest.mark.parametrize(
    "answer",
    ["The potential impact is being assessed by the operations team and will be shared in this ticket.",
     "The root cause analysis is being finalised with the vendor and will be attached to this issue.",
     "À documenter après le retour de l'éditeur de la bibliothèque.", "En attente du retour de l'hébergeur.",
     "see runbook", "Cf. tableur.", "Analyse en cours, on revient vers vous."],
)
def test_longer_and_french_deferrals_are_read_by_their_words(answer):
    assert ("empty", "evidence") in problems(REPORT, f"### Evidence\n{answer}\n")


@pytest.mark.parametrize("answer", ["some users see errors on send", "see runbook RB-12, step 4"])
def test_a_line_with_words_of_its_own_is_an_answer(answer):
    assert ("empty", "evidence") not in problems(REPORT, f"### Evidence\n{answer}\n")


def test_a_title_holding_only_heads_gives_way_and_a_tie_goes_to_the_required_part():
    text = (
        "## Signalement d'incident\n\n### Ce qui ne fonctionne plus\nLe bouton affiche un QR code vide.\n\n"
        "### Origine du signalement\nAvis Play Store du 3 juin et ticket support #4790.\n\n"
        "### Conséquences possibles\nLes utilisateurs ne peuvent plus partager leur adresse.\n\n"
        "### Pièces justificatives\n![capture](/uploads/qr.png)\n"
    )
    assert problems(REPORT, text) == set()


def test_a_numbered_form_table_and_roman_numbered_lines():
    table = (
        "| # | Question | Answer |\n|---|---|---|\n| 1 | What is the nature of the INC? | Rewards show 0. |\n"
        "| 2 | How was it discovered? | Support ticket #4833. |\n| 3 | Potential impact? | Delegators worry. |\n"
        "| 4 | Evidence | see screenshot |\n"
    )
    assert problems(REPORT, table) == {("empty", "evidence")}
    roman = (
        "I. Nature\nSync deletes entries.\n\nII. Discovery\nTicket #4877.\n\n"
        "III. Potential impact\nLost contacts.\n"
    )
    assert problems(REPORT, roman) == {("missing", "evidence")}


def test_a_closing_note_in_the_follow_ups_place_is_no_follow_up():
    text = (
        "### Cause\nA marketing import pushed the bounce rate over the sender's threshold.\n\n"
        "### Impact\nE-mail recovery impossible for 31 hours; 12 users blocked.\n\n"
        "### Closing note\nSending was resumed after our request. Incident resolved.\n"
    )
    assert ("missing", "follow_up") in problems(PM, text)


@pytest.mark.parametrize(
    "plan",
    ["Impossible : une fois partis, les e-mails ne se rattrapent pas.", "Not possible, the emails are sent."],
)
def test_impossible_alone_under_a_rollback_heading_is_no_plan(plan):
    assert ("empty", "rollback") in problems(CHANGE, f"### Procedure\nSend the emails.\n\n### Rollback plan\n{plan}\n")


def test_a_form_of_lines_alone_reads_each_line_as_a_head():
    text = (
        "Post-mortem: contacts wiped by 2.5.0\n\nImpact\n3 100 users lost their contacts; 44 tickets.\n\n"
        "Analysis\nThe migration dropped the table because it ran before the backup step.\n\n"
        "Follow-ups\n- Run the backup before every migration (#701).\n"
    )
    assert problems(PM, text) == set()
    assert ("missing", "root_cause") in problems(PM, text.replace("because it ran before the backup step", "twice"))


def test_a_question_alone_on_its_line_heads_its_answer_and_bilingual_lines_too():
    text = (
        "What is the nature of the incident?\nBeacon pairing fails with a TLS error.\n\n"
        "How it was discovered / Comment l'incident a été découvert\nReported by the Objkt team at 14:30.\n\n"
        "Potential impact / Impact potentiel\nUsers cannot connect to any dApp.\n\n"
        "Evidence\n```\nTLS handshake error\n```\n"
    )
    assert problems(REPORT, text) == set()


@pytest.mark.parametrize(
    "cause",
    ["1. Why? The app answered 0x6d00.\n2. Why? Our transport sent an unknown instruction.\n3. Why? still digging\n",
     "Still investigating, probably the last node upgrade.", "The DB was overloaded. Investigation is ongoing.",
     "Analyse toujours en cours avec le fournisseur."],
)
def test_a_root_cause_that_says_the_analysis_is_not_over_is_no_root_cause(cause):
    text = f"### Root cause\n{cause}\n\n### Impact\n5 hours without signing.\n\n### Follow-ups\n- Add a Ledger to QA.\n"
    assert ("empty", "root_cause") in problems(PM, text)


def test_an_analysis_that_is_over_is_a_root_cause():
    text = "### Root cause\nThe DB was overloaded by the reindex.\n\n### Impact\n5 hours.\n\n"
    text += "### Follow-ups\n- Throttle it.\n"
    assert problems(PM, text) == set()


@pytest.mark.parametrize(
    ("heading", "part"),
    [("Trigger / Déclencheur", "root_cause"), ("Remediation / Remédiation", "follow_up"),
     ("Damage done / Dommages", "actual_impact"), ("Causal chain", "root_cause"), ("Safeguards", "follow_up")],
)
def test_a_word_shared_by_two_sections_goes_to_the_required_one(heading, part):
    assert part_of(PM, heading) == part


@pytest.mark.parametrize(
    ("heading", "part"),
    [("De quoi s'agit-il ?", "nature"), ("Where the alarm came from", "discovery"), ("Artifacts", "evidence"),
     ("What users are seeing", "nature")],
)
def test_more_report_headings_by_their_concepts(heading, part):
    assert part_of(REPORT, heading) == part


@pytest.mark.parametrize("cause", ["Human error.", "Erreur humaine", "Operator mistake"])
def test_human_error_alone_is_no_root_cause(cause):
    text = f"### Root cause\n{cause}\n\n### Impact\n5 hours.\n\n### Follow-ups\n- Add a check.\n"
    assert ("empty", "root_cause") in problems(PM, text)


@pytest.mark.parametrize(
    ("plan", "empty"),
    [("{color:red}TBD by infra{color}", True), ("Non applicable.", True),
     ("Transfers cannot be reverted. A wrong refund is refunded again from the treasury.", False),
     ("Transfers cannot be reverted.", True)],
)
def test_rollback_plans_wiki_colours_french_na_and_refunds(plan, empty):
    found = ("empty", "rollback") in problems(CHANGE, f"### Procedure\nSend refunds.\n\n### Rollback plan\n{plan}\n")
    assert found is empty


@pytest.mark.parametrize(
    ("plan", "empty"),
    [("None really. If it doesn't work we'll hotfix forward.", True),
     ("Can't be undone, the old secret is gone. We'll fix forward if needed.", True),
     ("Cannot be undone; we fix forward with 2.4.1, already prepared on `hotfix/2.4.1`.", False),
     ("None really: restore the snapshot taken before the change.", False)],
)
def test_a_fix_still_to_be_made_makes_up_for_nothing(plan, empty):
    found = ("empty", "rollback") in problems(CHANGE, f"### Procedure\nRotate it.\n\n### Rollback plan\n{plan}\n")
    assert found is empty


@pytest.mark.parametrize("answer", ["On ne sait pas encore, investigations en cours.", "Inconnue pour l'instant."])
def test_french_not_known_yet_is_no_answer(answer):
    assert ("empty", "nature") in problems(REPORT, f"### Nature\n{answer}\n")


def test_a_timeline_that_opens_on_the_alert_is_the_discovery_when_nothing_else_is():
    text = (
        "### Nature of the incident\nThe updater fails the signature check and loops.\n\n"
        "### Timeline\n- 08:47 Pingdom check fails; dave gets the SMS.\n- 09:10 incident filed.\n\n"
        "### Potential impact of the incident\nDesktop users stay on 2.5.x.\n\n"
        "### Evidence\n```\nsignature mismatch\n```\n"
    )
    assert problems(REPORT, text) == set()


def test_a_form_written_without_blank_lines_reads_its_lines_alone_as_heads():
    text = (
        "Root cause\nHuman error: the staging key was pasted into the production secret.\nImpact\n"
        "None; the deploy was rolled back before traffic reached it.\nFollow-up\n"
        "Secrets are set by the pipeline (!470).\n"
    )
    assert problems(PM, text) == set()
    prose = "We spent the night on it.\nthe root cause\nwas never found, and then\nimpact\nwas small.\n"
    assert [h.text for h in parse(prose).heads] == ["the root cause"]  # after a sentence's end only


@pytest.mark.parametrize(
    "text",
    ["📌 Root cause\nThe key expired because nobody renewed it.\n\n📉 Impact\n3 h of failed sends.\n\n"
     "🛠 Follow-ups\n- Alert on expiry (#12).\n",
     "**Signalement**\n\n**Root cause**\nThe key expired because nobody renewed it.\n\n"
     "**Impact**\n3 h of failed sends.\n\n"
     "**Follow-ups**\n- Alert on expiry (#12).\n"],
    ids=["emoji-lines", "empty-bold-title"],
)
def test_emoji_lines_and_an_empty_head_before_the_others(text):
    assert problems(PM, text) == set()


def test_a_label_alone_with_an_aside_in_parentheses():
    text = "What is the evidence (i.e. screenshots, logs, etc):\n![graph](/uploads/g.png)\n"
    assert ("missing", "evidence") not in problems(REPORT, text)


# Deferrals made of a marker and words of waiting, parking, tracking elsewhere or asking someone
# (none of these lines is in the vocabulary: its word classes are).
WAITING = [
    "Stay tuned, the latency figures are coming.",
    "Hang tight, logs are coming.",
    "Under review by the security team.",
    "Parked until the next sprint.",
    "Postponed to Q2.",
    "Repoussé au prochain trimestre.",
    "On hold until the vendor replies.",
    "TODO: fetch the graphs from Grafana",
    "TODO(bob): export the logs",
    "À extraire de Crashlytics.",
    "Tracked in a dedicated ticket.",
    "Tracked in another issue, will be written up there.",
    "Ask Carol, she has the numbers.",
    "Demander à Carol, elle a fait l'analyse.",
    "Will update once we hear back from Apple.",
    "Punting this to next week.",
    "On pause until Q3.",
    "Mis de côté jusqu'au prochain sprint.",
    "Covered in the retro doc.",
    "Out of scope for now, tracked separately.",
]


@pytest.mark.parametrize(
    "answer",
    [
        "Will add an alert on the signer queue.",
        "Bob will rotate the keys by Friday (#512).",
        "Tracked in #5311.",
        "Under load the signer drops one request in ten.",
        "Stay on 2.3.0 until the fix ships (#640).",
        "Stay on the current version.",
        "Ask Bob, he restarted the signer at 10:02 and the queue drained.",
        "Postponed the migration to 2.4.1 (!530).",
        "Exported the Crashlytics numbers: 2,314 crashes.",
        "Covered by the new canary alert (#612).",
        "Handled the failover manually at 10:04.",
        "Logs available in S3 bucket x",
        "The logs exist in Loki under {app=\"signer\"} between 10:02 and 10:10.",
        "See Grafana: https://grafana.example.com/d/abc",
        "Agreed with management: we pause the airdrop until the signer is fixed.",
        "Sentry alert at 13:02 on the signer.",
        "Next: add an alert on the signer queue.",
        "Will run later",
        "Coming after the dry run of migration 0051 on staging-3 (!1951).",
    ],
)
def test_a_line_with_a_waiting_or_tracking_word_and_words_of_its_own_is_an_answer(answer):
    post_mortem = with_follow_ups(answer)
    assert ("empty", "follow_up") not in problems(PM, post_mortem), answer
    assert ("empty", "evidence") not in problems(REPORT, f"### Evidence\n{answer}\n"), answer


# Deferrals made of a marker and words of waiting on someone's return, of not knowing yet, of
# deciding or agreeing later, of a tool named with no link, and of what they wait on (a dry run,
# the release); none of these lines is in the vocabulary, their words' classes are.
LATER = [
    "I'll forward the screenshots when I'm back at my desk.",
    "hard to say right now, will know more tomorrow",
    "Too early to tell, will know more after the vendor replies.",
    "Toujours à l'étude côté infra Nomadic.",
    "To be agreed with management.",
    "see Grafana",
    "Voir avec Rémy, il a fait l'analyse pendant la cellule de crise.",
    "Ask Bob, he did the RCA in the war room.",
    "À rédiger après la mise en prod.",
    "Coming after the dry run.",
    "Numbers still being pulled from Mixpanel, will edit this comment.",
    "Will be decided together at the retro once everybody is back from holidays.",
    "The relevant logs exist in Loki, anyone on the team can look them up.",
    "Suite dans le commentaire suivant.",
    "Continued in the next comment.",
]


@pytest.mark.parametrize("answer", WAITING + LATER)
def test_a_deferral_that_waits_parks_tracks_elsewhere_or_asks_someone_is_no_answer(answer):
    assert ("empty", "evidence") in problems(REPORT, f"### Evidence\n{answer}\n"), answer
    assert ("empty", "root_cause") in problems(PM, f"### Root cause\n{answer}\n"), answer


def test_a_listed_phrase_is_one_word_of_its_class_and_its_words_alone_are_not():
    deferrals = REPORT.vocabulary.deferrals
    assert deferrals is not None
    assert deferrals.defers(normalise("Coming after the dry run."))
    assert not deferrals.defers(normalise("Will run it later on the run queue"))
    assert deferrals.kind("de") == "towards"  # a word of a phrase keeps its own class


def test_an_e_mails_sign_off_and_the_message_it_answers_are_no_answer():
    text = (
        "Nature: the updater loops.\nHow found: a user wrote to support.\nPotential impact: every macOS user.\n"
        "Evidence: I'll forward the screenshots when I'm back at my desk.\n\nCheers,\nDave\n\n"
        "On Mon, 30 Nov 2026 at 08:05, Support <support@example.com> wrote:\n> Recording attached on the ticket.\n"
    )
    assert ("empty", "evidence") in problems(REPORT, text)
    answered = text.replace("I'll forward the screenshots when I'm back at my desk.", "updater.log lines 120-190")
    assert ("empty", "evidence") not in problems(REPORT, answered)


@pytest.mark.parametrize(
    ("evidence", "empty"),
    [
        ("No logs left: the pod was recycled before anyone looked. The only trace is PagerDuty PD-4471.", False),
        ("No logs. Will add them later.", True),
        ("No logs.", True),
    ],
)
def test_a_negative_that_goes_on_to_say_where_the_record_is_answers(evidence, empty):
    assert (("empty", "evidence") in problems(REPORT, f"### Evidence\n{evidence}\n")) is empty


@pytest.mark.parametrize(
    ("plan", "empty"),
    [
        ("- [ ] write rollback plan (@dave)", True),
        ("- [ ] À rédiger", True),
        ("- [ ] `helm rollback web 41`", False),
        ("- [ ] Restore the snapshot taken before the purge", False),
        ("Rollback is straightforward.", True),
        ("Retour arrière très simple.", True),
        ("Rollback is straightforward: re-apply `gateway-v0-404.yaml` with decK.", False),
        ("Suppression définitive, pas de retour possible.", True),
        ("The rows are permanently deleted; we export them to S3 first and re-import them if needed.", False),
    ],
)
def test_rollback_plans_that_are_a_to_do_an_easy_claim_or_a_final_deletion(plan, empty):
    found = ("empty", "rollback") in problems(CHANGE, f"### Procedure\nRun it.\n\n### Rollback plan\n{plan}\n")
    assert found is empty, plan


def test_follow_ups_that_are_open_to_dos_are_still_follow_ups():
    text = "### Root cause\nThe key expired.\n### Impact\n3 h.\n### Follow-ups\n- [ ] Write the runbook\n"
    assert ("empty", "follow_up") not in problems(PM, text)


@pytest.mark.parametrize("title", ["Bilan de l'incident (1/2)", "Bilan d'incident — rpc-2", "Rapport post-incident"])
def test_french_post_mortem_titles_name_the_kind(title):
    assert PM.matches(parse(f"{title}\n\n**Pourquoi :** le disque s'est rempli.\n"))


@pytest.mark.parametrize("heading", ["Ce qu'on met en place", "Ce que nous mettons en place"])
def test_what_we_put_in_place_names_the_follow_ups(heading):
    assert part_of(PM, heading) == "follow_up"


@pytest.mark.parametrize("answer", ["Down right now.", "Down for now, the failover holds."])
def test_a_time_of_now_beside_what_is_happening_is_an_answer(answer):
    assert ("empty", "nature") not in problems(REPORT, f"### Nature\n{answer}\n")


def test_a_closing_followed_by_more_than_a_signature_is_no_sign_off():
    from inc_audit.reading.letters import body

    assert body("Logs below.\n\nThanks,\nDave\n").strip() == "Logs below."
    kept = "Thanks,\n- step one\n- step two\n- step three\n- step four\n"
    assert body(kept) == kept
    quoted = "See PD-4471.\n\nOn Mon, 30 Nov 2026 at 08:05, Support <s@example.com> wrote:\n> logs attached\n"
    assert body(quoted).strip() == "See PD-4471."
