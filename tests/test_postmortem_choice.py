"""Which comment is the post-mortem: the answered one, the incident team's, and the ones that
look like a post-mortem but cannot be read as one."""

from __future__ import annotations

from dataclasses import replace

import pytest

from inc_audit.audit import run_audit
from tests.conftest import AS_OF, filled_post_mortem, note
from tests.test_rules import codes, compliant

QUESTIONS = (
    "**Root cause:** why did the alert not fire?\n\n"
    "**Actual adverse impact:** how many users saw stale balances?\n\n"
    "**Follow up recommendations:** is there a ticket for the alert?"
)


def with_notes(*notes):
    source, subject = compliant()
    source.issues[0] = replace(subject, notes=notes)
    return source


def findings(source, config):
    return run_audit(source, config, AS_OF).incidents[0].findings


def test_a_reviewers_questions_under_bold_labels_do_not_replace_the_post_mortem(umami):
    pm = note(101, filled_post_mortem(), author="dave", days_ago=25)
    source = with_notes(pm, note(102, QUESTIONS, author="zoe", days_ago=24))
    assert codes(source, umami) == []


def test_an_approvers_questions_do_not_replace_the_post_mortem_either(umami):
    pm = note(101, filled_post_mortem(), author="dave", days_ago=25)
    source = with_notes(pm, note(102, QUESTIONS, author="alice", days_ago=24))
    assert codes(source, umami) == []


def test_the_incident_teams_post_mortem_wins_over_an_outsiders(umami):
    pm = note(101, filled_post_mortem(), author="dave", days_ago=25)
    partial = filled_post_mortem().replace("### What was the actual adverse impact of the INC?", "### Misc")
    source = with_notes(pm, note(102, partial, author="zoe", days_ago=24))
    assert codes(source, umami) == []


def test_an_outsiders_post_mortem_counts_when_the_team_wrote_none(umami):
    partial = filled_post_mortem().replace("### What was the actual adverse impact of the INC?", "### Misc")
    source = with_notes(note(101, partial, author="zoe", days_ago=25))
    source.award(source.issues[0], 101, "thumbsup", "alice")
    assert [(f.rule, f.where) for f in findings(source, umami)] == [("IPM002", "note 101")]


def test_the_incidents_author_is_on_the_team(umami):
    pm = note(101, filled_post_mortem(), author="frank", days_ago=25)
    partial = filled_post_mortem().replace("### What was the actual adverse impact of the INC?", "### Misc")
    source = with_notes(pm, note(102, partial, author="zoe", days_ago=24))
    source.award(source.issues[0], 101, "thumbsup", "alice")
    assert codes(source, umami) == []


def test_a_post_mortem_pasted_whole_in_a_code_block_is_read_as_written(umami):
    fenced = "```\n" + filled_post_mortem() + "\n```"
    source = with_notes(note(101, fenced, author="dave", days_ago=25))
    assert list(findings(source, umami)) == []  # its headings and answers are all there, in monospace


def test_a_post_mortem_beside_a_code_block_of_headings_leaves_the_code_as_code(umami):
    fenced = "### Notes\nraw paste below\n\n```\n" + filled_post_mortem() + "\n```"
    source = with_notes(note(101, fenced, author="dave", days_ago=25))
    [finding] = findings(source, umami)
    assert finding.rule == "IPM002" and finding.where == "note 101"
    assert "looks like a post-mortem" in finding.message and "code block" in finding.message


def test_a_comment_with_one_post_mortem_section_is_named_not_reported_missing(umami):
    lone = "### Root cause analysis\nThe indexer's disk filled up; nothing alerted on disk usage."
    source = with_notes(note(101, lone, author="dave", days_ago=25))
    [finding] = findings(source, umami)
    assert finding.rule == "IPM002" and "only the section 'Root cause analysis' is recognised" in finding.message


def test_a_single_reviewer_question_is_still_no_post_mortem(umami):
    source = with_notes(note(101, "**Root cause:** why did the alert not fire?", author="zoe", days_ago=25))
    assert codes(source, umami) == ["IPM001"]


def test_a_later_addendum_does_not_replace_the_report(umami):
    pm = note(101, filled_post_mortem(), author="dave", days_ago=25)
    addendum = "## Post-mortem update\n\n### Follow-up recommendations\nThe disk alert shipped in !45."
    source = with_notes(pm, note(102, addendum, author="dave", days_ago=10))
    assert codes(source, umami) == []


def test_a_revision_replaces_its_draft(umami):
    draft = filled_post_mortem().replace("### What was the actual adverse impact of the INC?", "### Misc")
    source = with_notes(note(100, draft, author="dave", days_ago=27), note(101, filled_post_mortem(), days_ago=25))
    assert codes(source, umami) == []
    source = with_notes(note(100, filled_post_mortem(), author="dave", days_ago=27), note(101, draft, days_ago=25))
    source.award(source.issues[0], 100, "thumbsup", "alice")
    assert codes(source, umami) == []  # the complete one is the report, though posted first


@pytest.mark.parametrize(
    "body",
    [
        "Post-mortem: [IPM-2026-05.pdf](/uploads/3f2a/IPM-2026-05.pdf)",
        "## Incident Post-Mortem\n\nWritten up at https://docs.example.com/ipm/2026-05",
    ],
)
def test_a_post_mortem_kept_elsewhere_is_named_with_why(umami, body):
    source = with_notes(note(101, body, author="dave", days_ago=25))
    found = [(f.rule, f.where) for f in findings(source, umami) if f.rule.startswith("IPM")]
    assert found[0] == ("IPM002", "note 101") and "IPM001" not in [rule for rule, _ in found]
    assert "elsewhere (a link or an attachment)" in findings(source, umami)[0].message
    assert [rule for rule, _ in found].count("IPM002") == 1


def test_a_post_mortem_hidden_by_an_unclosed_html_comment_is_named_with_why(umami):
    hidden = (
        "<!-- draft notes\n## Incident Post-Mortem\n### Root cause analysis\nThe disk filled up.\n"
        "### Actual adverse impact\n40 minutes of stale balances.\n### Follow-up recommendations\nAlert on disk."
    )
    source = with_notes(note(101, hidden, author="dave", days_ago=25))
    [finding] = findings(source, umami)
    assert finding.rule == "IPM002" and "never closed" in finding.message and finding.where == "note 101"


# --- a post-mortem split over consecutive comments of its author ------------------------------

PART_ONE = (
    "## Incident Post-Mortem (1/2)\n\n### Root cause analysis\nThe price-feed key expired with the old plan.\n\n"
    "### Actual adverse impact\nSix hours of fiat values at 0; 41 tickets.\n\n_Follow-ups in the next comment._"
)
PART_TWO = "### Follow-up recommendations\n- Keep the key in Vault with an expiry alert (#553)."
APPROVED = "Approved."


def test_a_post_mortem_split_over_two_comments_of_its_author_is_one(umami):
    source = with_notes(
        note(101, PART_ONE, author="dave", days_ago=25), note(102, PART_TWO, author="dave", days_ago=25),
        note(103, APPROVED, author="alice", days_ago=20),
    )
    assert codes(source, umami) == []


def test_a_split_post_mortem_is_read_as_its_last_part(umami):
    part_one = "## Incident Post-Mortem\n\n### Root cause analysis\nThe key expired.\n\n### Actual adverse impact\nTBD"
    source = with_notes(
        note(101, part_one, author="dave", days_ago=25), note(102, PART_TWO, author="dave", days_ago=25)
    )
    source.award(source.issues[0], 102, "thumbsup", "alice")
    [finding] = findings(source, umami)
    assert (finding.rule, finding.section, finding.where) == ("IPM002", "actual_impact", "note 102")


def test_parts_by_two_authors_are_not_one_post_mortem(umami):
    source = with_notes(
        note(101, PART_ONE, author="dave", days_ago=25), note(102, PART_TWO, author="erin", days_ago=24),
        note(103, APPROVED, author="alice", days_ago=20),
    )
    assert codes(source, umami) == ["IPM002"]


def test_a_comment_between_the_parts_keeps_them_apart(umami):
    source = with_notes(
        note(101, PART_ONE, author="dave", days_ago=25), note(102, "Thanks dave!", author="zoe", days_ago=25),
        note(103, PART_TWO, author="dave", days_ago=25), note(104, APPROVED, author="alice", days_ago=20),
    )
    assert codes(source, umami) == ["IPM002"]


def test_a_post_mortem_in_three_parts_none_a_post_mortem_alone_is_one(umami):
    parts = [
        "### Root cause analysis\nThe price-feed key expired with the old plan.",
        "### Actual adverse impact\nSix hours of fiat values at 0; 41 tickets.",
        PART_TWO,
    ]
    notes = [note(101 + n, body, author="dave", days_ago=25) for n, body in enumerate(parts)]
    source = with_notes(*notes, note(110, APPROVED, author="alice", days_ago=20))
    assert codes(source, umami) == []


def test_a_revision_by_the_same_author_is_not_joined_to_its_draft(umami):
    draft = PART_ONE.replace("Six hours of fiat values at 0; 41 tickets.", "TBD")
    source = with_notes(
        note(101, draft, author="dave", days_ago=26), note(102, PART_ONE, author="dave", days_ago=25),
        note(103, APPROVED, author="alice", days_ago=20),
    )
    [finding] = findings(source, umami)
    assert finding.rule == "IPM002" and finding.section == "follow_up" and finding.where == "note 102"


FRENCH_ONE = (
    "Bilan de l'incident (1/2)\n\n"
    "**Pourquoi c'est tombé :** le disque de rpc-2 s'est rempli avec des journaux de débogage oubliés.\n\n"
    "**Ce qu'ont vécu les utilisateurs :** 1 h 20 d'envois en échec, 19 tickets.\n\n"
    "Suite dans le commentaire suivant.\n"
)
FRENCH_TWO = "Bilan (2/2)\n\n**Ce qu'on met en place :**\n- rotation des journaux (#1420)\n- alerte disque (#1421)\n"


def test_a_french_half_titled_post_mortem_whose_rest_another_author_posts_lacks_its_follow_ups(umami):
    source = with_notes(
        note(101, FRENCH_ONE, author="dave", days_ago=25), note(102, FRENCH_TWO, author="erin", days_ago=24),
        note(103, APPROVED, author="alice", days_ago=20),
    )
    [finding] = findings(source, umami)
    assert (finding.rule, finding.section, finding.where) == ("IPM002", "follow_up", "note 101")


def test_an_award_on_the_first_part_of_a_split_post_mortem_approves_it(umami):
    source = with_notes(
        note(101, PART_ONE, author="dave", days_ago=25), note(102, PART_TWO, author="dave", days_ago=25)
    )
    source.awards.clear()  # the compliant incident's own award is on 101 too
    assert codes(source, umami) == ["IPM003"]
    source.award(source.issues[0], 101, "thumbsup", "alice")
    assert codes(source, umami) == []


def test_an_award_on_a_comment_that_is_no_part_approves_nothing(umami):
    source = with_notes(
        note(101, PART_ONE, author="dave", days_ago=25), note(102, PART_TWO, author="dave", days_ago=25),
        note(103, "Thanks dave!", author="zoe", days_ago=24),
    )
    source.awards.clear()
    source.award(source.issues[0], 103, "thumbsup", "alice")
    assert codes(source, umami) == ["IPM003"]


@pytest.mark.parametrize("mark", ["(2/2) ", "2/2 — ", "Part two — ", "Partie 2 : "])
def test_a_parts_mark_opening_the_later_part_heads_nothing(umami, mark):
    one = (
        "Post-mortem (1/2)\n\n**Pourquoi** : le disque du relais a saturé.\n\n"
        "**Conséquences réelles** : 3h sans appairage."
    )
    two = f"{mark}**Ce qu'on lance ensuite**\n- alerte disque à 80 % sur les relais (#720)\n"
    source = with_notes(
        note(101, one, author="dave", days_ago=25), note(102, two, author="dave", days_ago=25),
        note(103, "Validé en IPM.", author="alice", days_ago=20),
    )
    assert codes(source, umami) == []
