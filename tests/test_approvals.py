"""What a comment must say to approve a post-mortem: phrasings both ways (``schemas/approval.json``)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from inc_audit.audit import run_audit
from inc_audit.errors import ConfigError
from inc_audit.rules.reading import Phrasings, phrasings, read
from tests.conftest import AS_OF, filled_post_mortem, note
from tests.test_rules import compliant

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
    "Today's IPM: approved, it's fine.",
    "The revised post-mortem is approved, thanks",
    "Approved with the alert rule follow-up tracked in #45.",
    "It has been approved.",
    "Approval: granted",
    "Approved: yes",
    "Sign-off: ✅",
    "Reviewed and approved.",
    "Post-mortem reviewed at the weekly IPM meeting and approved.",
    "+1 from me, approved",
    "Fine by me.",
    "Approved, though the timeline could use more detail.",
    "- [x] Approved by the product manager",
    "Approved ~~once the alert is added~~",
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
    "She said 'approved' at the meeting.",
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
    "The new alert rule was approved",
    "Approved the hotfix, deploying now.",
    "Approved: no",
    "Status: pending",
    "Approval status: not yet",
    "Looks good, will approve at the IPM.",
    "Before I approve: what was the impact?",
    "I'd approve if the alert were added",
    "Approve",
    "Pending approval",
    "Let's get this approved at the next IPM",
    "Approved?? Are you sure the RCA is complete?",
    "LGTM but let's discuss the follow-ups at the IPM before I sign off",
    "Approval requested from @alice",
    "Sent for approval",
    "I'm not approving this until the RCA is done",
    "NOT APPROVED",
    "The risk was accepted by the team, but the RCA misses the alert.",
    "Approved by: ____\nDate: ____",
    "Approved: [ ]",
    "Approved by: <name>",
    "- [ ] Approved by the product manager",
    ">>>\nApproved\n>>>\nThat is what the old process said.",
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


# --- IPM003: every reason a post-mortem is not approved is named -------------------------------


def ipm003(source, config) -> list[str]:
    found = run_audit(source, config, AS_OF).incidents[0].findings
    return [f.message for f in found if f.rule == "IPM003"]


def unapproved(*notes):
    source, subject = compliant()
    source.awards.clear()
    source.issues[0] = replace(subject, notes=notes)
    return source, source.issues[0]


PM = note(101, filled_post_mortem(), author="dave", days_ago=25)


def test_ipm003_says_when_no_one_approved_at_all(umami):
    source, _ = unapproved(PM)
    [message] = ipm003(source, umami)
    assert "no one has approved it" in message and "alice or bob" in message


def test_ipm003_says_when_only_its_author_approved(umami):
    mine = note(101, filled_post_mortem(), author="alice", days_ago=25)
    source, subject = unapproved(mine, note(102, "Approved.", author="alice", days_ago=24))
    source.award(subject, 101, "thumbsup", "alice")
    [message] = ipm003(source, umami)
    assert "its author alice approved it" in message


def test_ipm003_says_when_the_approval_came_before_the_post_mortem(umami):
    source, _ = unapproved(note(90, "Approved, we went through it at the IPM.", author="alice", days_ago=26), PM)
    [message] = ipm003(source, umami)
    assert "alice approved on" in message and "before the post-mortem was posted" in message


def test_ipm003_says_when_the_approval_was_for_an_earlier_draft(umami):
    draft = note(99, filled_post_mortem(), author="dave", days_ago=27)
    source, _ = unapproved(draft, note(100, "LGTM, approved", author="alice", days_ago=26), PM)
    [message] = ipm003(source, umami)
    assert "alice approved an earlier draft (comment 99)" in message and "which comment 101 replaced" in message


def test_ipm003_says_when_an_emoji_approved_an_earlier_draft(umami):
    draft = note(99, filled_post_mortem(), author="dave", days_ago=27)
    source, subject = unapproved(draft, PM)
    source.award(subject, 99, "thumbsup", "alice", days_ago=26)
    [message] = ipm003(source, umami)
    assert "alice approved an earlier draft (comment 99) with an emoji" in message


def test_ipm003_names_approvers_outside_the_approver_roles(umami):
    source, subject = unapproved(PM, note(102, "Approved", author="erin", days_ago=24))
    source.award(subject, 101, "thumbsup", "zoe")
    [message] = ipm003(source, umami)
    assert "approved only by erin and zoe, outside the approver roles" in message
    assert "product manager: alice, or bob as backup" in message


def test_ipm003_applies_the_backup_clause_of_the_response_team_note(umami):
    source, subject = unapproved(PM)
    source.award(subject, 101, "thumbsup", "bob")
    [message] = ipm003(source, umami)
    assert "only bob approved, as product manager backup while also development lead" in message
    assert "carol" in message


def test_ipm003_is_quiet_once_an_approver_says_so_in_words(umami):
    source, _ = unapproved(PM, note(102, "LGTM, approved at today's IPM meeting.", author="alice", days_ago=24))
    assert ipm003(source, umami) == []


def test_ipm003_a_question_is_not_an_approval(umami):
    asked = note(102, "Approved? Not yet, the RCA does not say why the alert did not fire", author="alice")
    source, _ = unapproved(PM, asked)
    [message] = ipm003(source, umami)
    assert 'alice wrote "Approved? Not yet, the RCA' in message and "not an approval: negated" in message


def test_ipm003_a_report_of_someone_elses_approval_is_not_an_approval(umami):
    source, _ = unapproved(PM, note(102, "Approved by @alice at the IPM.", author="carol", days_ago=24))
    assert ipm003(source, umami) != []
    source, _ = unapproved(PM, note(102, "Approved by @alice at the IPM.", author="alice", days_ago=24))
    assert ipm003(source, umami) == []


def test_a_broken_phrasing_file_is_a_config_error(tmp_path):
    broken = tmp_path / "approval.json"
    broken.write_text('{"approves": 3}')
    with pytest.raises(ConfigError, match="approval phrasing"):
        phrasings(str(broken))
    broken.write_text("{")
    with pytest.raises(ConfigError, match="not valid JSON"):
        phrasings(str(broken))


def test_usernames_match_the_configuration_in_any_case(umami):
    source, subject = unapproved(PM, note(102, "Approved.", author="Alice", days_ago=24))
    assert ipm003(source, umami) == []
    source, subject = unapproved(PM)
    source.award(subject, 101, "thumbsup", "ALICE")
    assert ipm003(source, umami) == []
