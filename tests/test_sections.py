"""Sections and answers as people write them: labels, synonyms, non-answers, and helpful messages."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inc_audit.reading import explain, validity
from inc_audit.reading.markdown import parse
from inc_audit.reading.schemas import KINDS, load
from tests.test_markdown import MARKDOWNISH, POST_MORTEMISH

PM = load("post-mortem")
REPORT = load("report")


def found(schema, text: str) -> dict[str, str]:
    return {name: section.answer.strip() for name, section in schema.resolve(parse(text)).items()}


def kinds(schema, text: str) -> set[tuple[str, str]]:
    return {(p.kind, p.part.name) for p in validity.check_text(schema, text)}


def test_labels_of_every_form_name_sections_with_their_answers():
    text = "**Root cause:** expired cert\n\n- Impact: 40 minutes of full outage\n\n### Follow-ups: alert at 14 days\n"
    assert found(PM, text) == {
        "root_cause": "expired cert",
        "actual_impact": "40 minutes of full outage",
        "follow_up": "alert at 14 days",
    }


def test_a_label_answer_runs_to_the_next_label_and_keeps_nested_lines():
    text = "- Impact:\n  - users: all\n  - duration: 2h\n- Root cause: cert\n"
    assert found(PM, text)["actual_impact"] == "- users: all\n  - duration: 2h"


def test_a_section_answer_ends_where_the_next_part_begins():
    text = "**Root cause**\nTBD\nResolution: renewed the cert\n"
    assert ("empty", "root_cause") in kinds(PM, text)


def test_plain_labels_the_schema_does_not_know_do_not_cut_an_answer():
    text = "Impact:\nNo user impact: caught before release\n\nRoot cause: a typo\n\nFollow-up: none\n"
    assert found(PM, text)["actual_impact"].startswith("No user impact")
    assert kinds(PM, text) == set()


def test_synonyms_are_shared_between_kinds_and_outage_reads_as_incident():
    assert PM.match(parse("## Customer impact of the outage").heads[0])[0].name == "actual_impact"
    assert REPORT.match(parse("## Impact on users").heads[0])[0].name == "impact"
    assert PM.match(parse("## Root Cause Analysis (RCA)").heads[0])[0].name == "root_cause"
    assert load("change").match(parse("### Back-out plan").heads[0])[0].name == "rollback"


def test_no_two_parts_of_a_schema_share_a_heading():
    for kind in KINDS:
        schema = load(kind)
        for one, other in itertools.combinations(schema.parts, 2):
            assert not (schema._part_keys(one) & schema._part_keys(other)), (kind, one.name, other.name)


def test_no_title_of_a_kind_names_one_of_its_sections():
    for kind in KINDS:
        schema = load(kind)
        for title in schema.schema["x-identify"]:
            assert schema.match(parse(f"## {title}").heads[0]) is None, (kind, title)


def test_non_answers_are_empty_and_short_real_answers_are_not():
    empty = ["none", "TBD - waiting for infra logs", "to be filled", "will update later", "still investigating", "???"]
    empty += ["Logs.", "✅", "logs attached"]  # a kind of evidence named and not shown, a sign alone (reading/bare.py)
    for answer in empty:
        assert ("empty", "evidence") in kinds(REPORT, f"### Evidence\n{answer}\n"), answer
    for answer in ["https://grafana.example.com/d/x", "![](/uploads/a.png)", "`df -h`: 100%", "signer logs attached"]:
        assert ("empty", "evidence") not in kinds(REPORT, f"### Evidence\n{answer}\n"), answer


def test_a_negative_answer_counts_only_where_the_schema_says_so():
    assert ("empty", "follow_up") not in kinds(PM, "### Follow-up\nNone\n")
    assert ("empty", "root_cause") in kinds(PM, "### Root cause\nNone\n")


def test_an_unticked_box_is_a_plan_step_in_follow_ups_but_no_evidence():
    assert ("empty", "follow_up") not in kinds(PM, "### Action items\n- [ ] add an alert\n")
    assert ("empty", "evidence") in kinds(REPORT, "### Evidence\n- [ ] logs attached\n")


def test_template_guidance_pasted_as_text_is_empty_but_one_of_its_words_is_an_answer():
    assert ("empty", "discovery") in kinds(REPORT, "### Discovery\nslack ? manual check ? user notification ? other\n")
    assert ("empty", "discovery") not in kinds(REPORT, "### Discovery\nslack\n")


def test_a_templates_folder_adds_guidance():
    template = "### Evidence\n<!-- attach the grafana panel of the service -->\n"
    schema = REPORT.with_templates([template])
    assert ("empty", "evidence") in kinds(schema, "### Evidence\nAttach the Grafana panel of the service\n")
    assert ("empty", "evidence") not in kinds(REPORT, "### Evidence\nAttach the Grafana panel of the service\n")


def test_a_missing_section_names_the_closest_heading_and_the_accepted_ones():
    text = "## IPM\n### Root cause\na full disk\n### Services affected\napi\n### Follow-up\nalert on disk\n"
    [problem] = validity.check_text(PM, text)
    assert problem.message.startswith("no section 'Actual adverse impact' (closest: '### Services affected' on line 4")
    assert "accepted: 'What was the actual adverse impact of the incident?'" in problem.message


def test_an_unclosed_comment_that_hides_a_section_is_named_with_its_line():
    text = "### Root cause\nthe cert\n<!-- draft\n### Impact\nan hour down\n### Follow-up\nrenew it\n"
    messages = [p.message for p in validity.check_text(PM, text)]
    assert any("inside an HTML comment opened on line 3 and never closed" in m for m in messages)
    assert "HTML comment opened on line 3" in explain.why_not(PM, parse(text))


def test_what_the_rules_need_to_choose_the_post_mortem():
    answered = parse("- Root cause: cert\n- Impact: 40 min\n- Follow-up: renew\n")
    half = parse("- Root cause: TBD\n- Impact: 40 min\n- Follow-up: renew\n")
    chatter = parse("Summary: restarted the node\nNext steps: watch the disk usage\n")
    assert (PM.answered(answered), PM.answered(half), PM.answered(chatter)) == (3, 2, 1)
    assert PM.matches(answered) and explain.why_not(PM, answered) is None
    assert not PM.matches(chatter) and "no heading names it" in explain.why_not(PM, chatter)


def test_a_title_line_names_the_kind():
    assert PM.is_named(parse("Post-mortem for #12:\n- Root cause: x\n"))
    assert not PM.is_named(parse("Postmortem will be written tomorrow.\n"))


@pytest.mark.parametrize(
    "text",
    [
        "[Post-mortem](https://wiki.example/pm-12)",
        "[pm](https://x.invalid)",
        "<!-- written after the review -->\n[Incident post-mortem](https://wiki.example/pm) for #12",
        "/label ~IPM\nPost-mortem for #12 (draft)",
    ],
)
def test_the_cheap_test_lets_through_a_comment_titled_by_its_first_line(text):
    """A title only the first line shows (a link's text, after a comment or a quick action)."""
    assert PM.matches(parse(text))
    assert PM.could_match(text)


@settings(max_examples=200, deadline=None)
@given(st.text() | MARKDOWNISH | POST_MORTEMISH)
def test_no_text_makes_a_schema_raise_and_the_cheap_test_holds(text):
    document = parse(text)
    for kind in KINDS:
        schema = load(kind)
        validity.problems(schema, document)
        schema.answered(document)
        explain.why_not(schema, document)
        if schema.matches(document):
            assert schema.could_match(text)
