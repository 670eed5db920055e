"""A change that exists is found: linked, mentioning the incident, or linked but unreadable."""

from __future__ import annotations

from dataclasses import replace

from inc_audit.audit import run_audit
from inc_audit.model import IssueKey
from inc_audit.rules import judge
from inc_audit.rules.changes import mentioned_in
from tests.conftest import AS_OF, PROJECT, change_ticket, filled_post_mortem, incident, note, template
from tests.test_rules import codes, compliant


def unlinked(*system_notes: str):
    """A compliant incident whose change #51 is not linked, with these system notes."""
    source, subject = compliant()
    source.links.clear()
    extra = tuple(note(400 + i, body, author="frank", days_ago=35, system=True) for i, body in enumerate(system_notes))
    source.issues[0] = replace(subject, notes=(*extra, *subject.notes))
    return source


def findings(source, config):
    return run_audit(source, config, AS_OF).incidents[0].findings


def test_a_change_that_mentions_the_incident_is_a_change_that_exists(umami):
    source = unlinked("mentioned in issue #51")
    [finding] = findings(source, umami)
    assert finding.rule == "CHG003" and "#51 mentions this incident but is not linked" in finding.message


def test_a_change_in_another_project_that_mentions_the_incident_counts_too(umami):
    source = unlinked("mentioned in issue ops/changes#7")
    source.add(change_ticket(7, key=IssueKey("ops/changes", 7)))
    [finding] = findings(source, umami)
    assert finding.rule == "CHG003" and "ops/changes#7" in finding.message


def test_a_mention_by_an_issue_that_is_not_a_change_leaves_chg001(umami):
    source = unlinked("mentioned in issue #60")
    source.add(incident(60, labels=("bug",), issue_type="issue"))
    assert codes(source, umami) == ["CHG001"]


def test_a_link_note_is_not_a_mention(umami):
    source = unlinked("marked this issue as related to #51")
    assert codes(source, umami) == ["CHG001"]


def test_a_mentioning_change_is_held_to_the_change_schema(umami):
    source = unlinked("mentioned in issue #51")
    source.issues[1] = change_ticket(51, description=template("Change Emergency.md"))
    found = [(f.rule, f.where) for f in findings(source, umami)]
    assert ("CHG002", "unlinked #51") in found and ("CHG003", "unlinked #51") in found


def test_a_linked_change_wins_over_mentions(umami):
    source, subject = compliant()
    source.issues[0] = replace(subject, notes=(note(400, "mentioned in issue #51", system=True), *subject.notes))
    assert codes(source, umami) == []
    assert not any(asked.startswith("issue ") for asked in source.asked)


def test_a_linked_issue_that_could_not_be_read_is_said_so_not_called_missing(umami):
    source, subject = compliant()
    other = IssueKey("ops/private", 3)
    source.links[subject.key] = [other]
    source.unreadable[other] = "no access (403)"
    [finding] = findings(source, umami)
    assert finding.rule == "CHG004"
    assert "ops/private#3 could not be read (no access (403))" in finding.message


def test_an_unreadable_mentioning_issue_is_not_taken_for_a_change(umami):
    source = unlinked("mentioned in issue ops/private#3")
    source.unreadable[IssueKey("ops/private", 3)] = "no access (403)"
    assert codes(source, umami) == ["CHG001"]


def test_a_verdict_that_read_a_mentioning_issue_is_not_kept(umami):
    source = unlinked("mentioned in issue #51")
    assert not judge(source.issues[0], umami, source, AS_OF).settled


def test_mentions_are_read_from_gitlabs_own_wording():
    notes = [
        note(1, "mentioned in issue #12", system=True),
        note(2, "mentioned in issue group/sub/project#7", system=True),
        note(3, "mentioned in merge request !4", system=True),
        note(4, "mentioned in commit abc123", system=True),
        note(5, "mentioned in issue #99"),  # a comment that quotes the wording is not GitLab's note
        note(6, "Mentioned in issue #12", system=True),
    ]
    assert mentioned_in(notes, PROJECT) == [IssueKey(PROJECT, 12), IssueKey("group/sub/project", 7)]


def test_a_known_incident_that_reuses_an_earlier_change_needs_no_link_to_a_mentioning_one(umami):
    earlier_source, earlier = compliant(1)
    pm = note(300, filled_post_mortem(), days_ago=20)
    says = note(299, "mentioned in issue #51", days_ago=21, system=True)
    known = incident(3, labels=("incident", "incident::known"), notes=(says, pm))
    source = earlier_source.add(known).link(known, earlier).award(known, 300, "thumbsup", "alice")
    assert codes(source, umami, iid=3) == []
    assert not any(asked.startswith("issue ") for asked in source.asked)


def test_an_audit_issue_relabelled_as_a_change_never_counts(umami):
    source = unlinked("mentioned in issue #51")
    source.issues[1] = change_ticket(51, description="<!-- inc-audit:audit-issue -->\nthe audit")
    assert codes(source, umami) == ["CHG001"]  # known by its marker where no author is known


def test_inc_audits_own_issues_are_never_a_change_nor_their_comments_evidence(umami):
    source = unlinked("mentioned in issue #51")
    assert codes(source, replace(umami, own_issues=frozenset({f"{PROJECT}#51".lower()}))) == ["CHG001"]
    source, subject = compliant()
    bot = replace(umami, own_user="dave")  # the post-mortem is dave's: a bot's comment is no post-mortem
    assert "IPM001" in codes(source, bot)
