"""What a comment must say to approve a post-mortem: phrasings both ways (``schemas/approval.json``)."""

from __future__ import annotations

import pytest

from inc_audit.rules.reading import Phrasings, phrasings, read

PEOPLE = ("alice", "bob", "carol", "dave", "erin")

APPROVES = [
    "Approved",
    "approved.",
    "APPROVED!",
    "**Approved** at the IPM meeting of 2026-05-10.",
    "LGTM, approved at today's IPM meeting.",
    "LGTM, approved",
    "Approving this post-mortem",
    ":white_check_mark: Approved",
    "Approved ✅",
    "Approved ✔️",
    "+1, approved",
    "I approve",
    "I approve this post-mortem.",
    "We approve the post-mortem.",
    "approval granted",
    "Approval given at the weekly IPM.",
    "You have my approval.",
    "Signed off.",
    "Happy to approve this.",
    "approved? yes",
    "Approved? Yes, approved.",
    "approved by @alice at the IPM",
    "Approved by me at the IPM.",
    "IPM 2026-05-10: approved by management.",
    "Not approved last week; approved now.",
    "Approved after discussion at the IPM meeting",
    "Approved when we met on Tuesday.",
    "Approved, let me know if anything else is needed",
    "Approved, thanks for the thorough RCA!",
    "Thanks @dave, approved.",
    "Reviewed at the IPM: approved.",
    "Approved. One question for next time: could we alert earlier?",
    "Approved, no further comments.",
    "No objections, approved.",
    "> Not approved yet?\nApproved now.",
    "Approved with minor remarks: the timeline could be more precise.",
    "The post-mortem is approved.",
    "Post-mortem approved, closing the loop.",
    "approved (IPM of 12 May)",
    "LGTM",
    "LGTM 👍",
    "👍",
    "✅",
    "+1",
    "Looks good to me.",
    "I hereby approve this IPM.",
    "Approved from my side.",
    "Approved, but please file the follow-up issues.",
    "Status: approved",
    "Approved!!! 🎉",
    "OK, approved",
]

DOES_NOT_APPROVE = [
    "Approved? Not yet, the RCA does not say why the alert did not fire",
    "not approved",
    "Not yet",
    "Not approved yet.",
    "I can't approve this",
    "I cannot approve this yet: the impact section is empty.",
    "approved once the alert is added",
    "Approved as soon as the follow-up issue is filed.",
    "Approved, pending the timeline.",
    "Approved subject to adding the timeline.",
    "Approved if the RCA covers the alert.",
    "Approved when the alert is added",
    "Approved in principle, details to follow.",
    "Tentatively approved.",
    "Not approving until the follow-ups are filed.",
    "Approval withheld until the alert exists.",
    "> Approved\nThat was bob at the meeting; I have not read it yet.",
    'She said "approved" but we never met.',
    "approved by @bob at the IPM",
    "unapproved",
    "pre-approved?",
    "Approved?",
    "Approve?",
    "Is this approved, @bob?",
    "Can I approve this?",
    "Should this be approved?",
    "Who approved this?",
    "Do we approve this at the IPM?",
    "Please approve",
    "@alice please approve",
    "needs to be approved by the PM",
    "Waiting for approval from @alice",
    "Ready for approval.",
    "I will approve after the alert is added",
    "I'll approve it at the IPM.",
    "I would have approved, but the RCA is thin",
    "I approve the RCA but not the follow-ups",
    "Partially approved: RCA fine, follow-ups missing.",
    "Almost approved, one more pass.",
    "Nobody has approved this yet.",
    "Rejected: the impact is missing.",
    "Disapproved.",
    "~~Approved~~ Not yet: timeline missing",
    "`approved`",
    "```\nApproved\n```",
    "<!-- Approved -->",
    "The hotfix MR was approved and deployed",
    "Looks good, but why did the alert not fire?",
    "LGTM if the timeline is added",
    "👎",
    "Root cause: disk full. Fixed now.",
    "Has this been approved?",
    "not sure this can be approved",
    "I don't approve",
    "Status: not approved",
    "Approved (conditionally)",
    "Will be approved at the next IPM.",
    "Bob approved it at the IPM",
]


@pytest.mark.parametrize("text", APPROVES)
def test_a_clear_statement_approves(text):
    assert read(text, "alice", PEOPLE).approves, read(text, "alice", PEOPLE).why


@pytest.mark.parametrize("text", DOES_NOT_APPROVE)
def test_a_question_negation_condition_quote_or_request_does_not_approve(text):
    assert not read(text, "alice", PEOPLE).approves, read(text, "alice", PEOPLE).why


def test_the_table_covers_both_ways_at_length():
    assert len(APPROVES) + len(DOES_NOT_APPROVE) >= 60


def test_a_comment_approves_for_its_writer_only():
    text = "Approved by @alice at the IPM."
    assert read(text, "alice", PEOPLE).approves
    assert not read(text, "bob", PEOPLE).approves


def test_a_long_comment_approves_only_by_a_clear_statement():
    filler = " ".join(["The timeline is accurate and the alerting gap is understood."] * 6)
    assert not read(f"LGTM. {filler}", "alice", PEOPLE).approves
    assert read(f"Approved. {filler}", "alice", PEOPLE).approves


def test_phrasings_are_data_a_team_can_extend():
    data = {"approves": ["genehmigt"], "negations": ["nicht"], "weak": []}
    german = Phrasings.from_json(data)
    assert read("Genehmigt.", "alice", PEOPLE, german).approves
    assert not read("Nicht genehmigt.", "alice", PEOPLE, german).approves
    assert not read("Approved.", "alice", PEOPLE, german).approves


def test_the_shipped_phrasings_load():
    loaded = phrasings()
    assert ("approved",) in loaded.approves and ("once",) in loaded.conditions
