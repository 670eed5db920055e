"""Approvals read by meaning, continued: the writer's own approval recorded in quoted
minutes, an approval naming another incident, one posted on someone else's behalf, a
negated need ("no need to re-review"), and a request sent elsewhere than this document."""

from __future__ import annotations

import pytest

from inc_audit.rules.reading import read
from tests.conftest import note
from tests.test_approvals import PEOPLE, PM, ipm003, unapproved

MINUTES = (
    "Pasting the minutes for the record:\n\n> **IPM 2026-11-19**\n> - Present: Alice, Bob, Dave\n"
    "> - Post-mortem of this incident: reviewed, **approved** by Alice; follow-ups #502–#504 accepted\n\n— Alice"
)


def reads(text: str, writer: str = "alice", incident: int | None = 1):
    return read(text, writer, PEOPLE, incident=incident)


def test_minutes_quoted_by_the_approver_record_her_own_approval():
    assert reads(MINUTES).approves


@pytest.mark.parametrize(
    "text, writer",
    [
        (MINUTES, "bob"),  # someone else's approval in the minutes bob pastes
        ("> Approved.\n\nThanks Bob, noted.", "alice"),  # a quote of another comment
        ("> approved by Alice?\n\nnot yet", "alice"),
        ("> Post-mortem: not approved by Alice\n\nfyi", "alice"),
        ("> Post-mortem: approved by Alice once the timeline is added\n\nfyi", "alice"),
    ],
)
def test_a_quote_is_no_approval_unless_it_records_the_writers_own(text, writer):
    assert not reads(text, writer).approves


@pytest.mark.parametrize(
    "text", ["Approved for #512.", "Validé pour l'incident #512.", "Approved. Approved for incident #512."]
)
def test_an_approval_naming_another_incident_approves_nothing_here(text):
    found = reads(text)
    assert not found.approves and found.reason == "names another incident"


@pytest.mark.parametrize(
    "text",
    [
        "Approved for #1.",
        "Approved, follow-ups #502 and #503 created.",
        "Approved for the IPM.",
        "Approved (see #512 for the related change).",
    ],
)
def test_an_approval_naming_this_incident_or_only_mentioning_another_approves(text):
    assert reads(text).approves


def test_without_the_incidents_number_no_approval_is_read_as_another_incidents():
    assert reads("Approved for #512.", incident=None).approves


@pytest.mark.parametrize(
    "text, writer",
    [
        ("Approved on behalf of Alice (she asked me to post it).", "erin"),
        ("Approved on behalf of Alice.", "bob"),
        ("Validé au nom d'Alice.", "bob"),
    ],
)
def test_an_approval_on_someone_elses_behalf_is_not_the_writers(text, writer):
    assert not reads(text, writer).approves


@pytest.mark.parametrize(
    "text",
    [
        "Approved on behalf of the product team.",
        "LGTM 👍🏻 — small typo in the timeline (0630 → 06:30), no need to re-review",
        "LGTM, no need for a second pass",
        "Bon pour moi, pas besoin de relire.",
    ],
)
def test_a_negated_need_or_an_approval_for_ones_own_team_approves(text):
    assert reads(text).approves


CRITIQUE = (
    "A few critiques before I sign: the timeline skips the 40 minutes between the page and the first "
    "response, the 5 whys stop at 'the config was wrong' without asking why review missed it, and #504 "
    "has no owner yet. Please fix those in the follow-ups rather than in this document.\n\nWith that noted: approved."
)


@pytest.mark.parametrize(
    "text",
    [
        CRITIQUE,
        "Merci de corriger la chronologie dans les actions de suivi plutôt que dans ce post-mortem. Validé.",
        "Approved. Please fix the dead link in the timeline in a follow-up rather than here.",
    ],
)
def test_a_request_sent_elsewhere_than_this_document_leaves_the_approval(text):
    assert reads(text).approves


@pytest.mark.parametrize(
    "text",
    [
        "Please rewrite the root cause section rather than patch it. Approved otherwise.",
        "Approved. Please fix the timeline in the post-mortem rather than in the follow-ups.",
        "Please fix the timeline here rather than in a new issue. Then approved.",
    ],
)
def test_a_redo_of_this_document_set_against_another_place_is_still_a_redo(text):
    assert not reads(text).approves


def test_ipm003_says_an_approval_names_another_incident(umami):
    source, _ = unapproved(PM, note(102, "Approved for #512.", author="alice", days_ago=20))
    messages = ipm003(source, umami)
    assert messages and "names another incident" in messages[0]


def test_ipm003_takes_the_approval_recorded_in_pasted_minutes(umami):
    source, _ = unapproved(PM, note(102, MINUTES, author="alice", days_ago=20))
    assert ipm003(source, umami) == []


@pytest.mark.parametrize(
    "own",
    ["Hold on, these minutes are wrong:", "Not approved yet, whatever the minutes say:", "Is this right?"],
)
def test_minutes_quoted_with_an_objection_refusal_or_question_of_ones_own_approve_nothing(own):
    text = own + "\n\n> - Post-mortem of this incident: reviewed, approved by Alice\n"
    assert not reads(text).approves
