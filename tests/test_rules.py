"""One test per clause of the policy each rule checks, both ways."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inc_audit.audit import AUDIT_MARKER, run_audit
from inc_audit.config import file as config_module
from inc_audit.reading import validity
from inc_audit.rules import RULES, approval_gap
from tests.conftest import (
    AS_OF,
    MemorySource,
    at,
    change_ticket,
    fill,
    filled_change,
    filled_post_mortem,
    filled_report,
    incident,
    note,
    template,
)


def codes(source: MemorySource, config, iid: int = 1) -> list[str]:
    result = run_audit(source, config, AS_OF)
    return [f.rule for r in result.incidents if r.key.iid == iid for f in r.findings]


def compliant(iid: int = 1, **changes) -> tuple[MemorySource, object]:
    """A closed incident that follows every clause: change linked, post-mortem approved."""
    pm = note(100 + iid, filled_post_mortem(), author="dave", days_ago=25)
    subject = incident(iid, notes=(pm,), **changes)
    chg = change_ticket(iid + 50)
    source = MemorySource().add(subject, chg).link(subject, chg).award(subject, pm.id, "thumbsup", "alice")
    return source, subject


def test_a_compliant_incident_has_no_finding(umami):
    source, _ = compliant()
    assert codes(source, umami) == []


# INC001 / INC002: the Incident Report


def test_inc001_fires_when_a_report_section_is_missing(umami):
    text = filled_report().replace("### What is the evidence (i.e. screenshots, logs, etc)?", "")
    source, subject = compliant(description=text)
    assert codes(source, umami) == ["INC001"]


def test_inc001_is_quiet_when_the_section_is_only_reworded(umami):
    text = filled_report().replace("### What is the evidence (i.e. screenshots, logs, etc)?", "## 4. Evidence:")
    source, _ = compliant(description=text)
    assert codes(source, umami) == []


def test_inc002_fires_on_an_empty_section(umami):
    source, _ = compliant(description=template("incident.md"))
    found = run_audit(source, umami, AS_OF).incidents[0].findings
    assert [f.section for f in found if f.rule == "INC002"] == ["nature", "discovery", "impact", "evidence"]


WRITTEN = (
    "## Nature\nthe signer crashes on every Ledger request\n## Discovery\nby alert\n"
    "## Impact\nnone: caught before release\n## Evidence\n"
)


@pytest.mark.parametrize("placeholder", ["TBD", "N/A", "TODO", "...", "_No response_", "<!-- later -->"])
def test_inc002_fires_on_a_placeholder(umami, placeholder):
    text = WRITTEN + placeholder
    source, _ = compliant(description=text)
    assert codes(source, umami) == ["INC002"]


def test_inc002_is_quiet_when_every_section_is_written(umami):
    text = WRITTEN + "signer logs attached"
    source, _ = compliant(description=text)
    assert codes(source, umami) == []


# INC003 / INC004: label and type


def test_inc003_fires_when_labelled_but_not_of_type_incident(umami):
    source = MemorySource().add(incident(labels=("INC",), issue_type="issue", state="opened", closed_at=None))
    assert codes(source, umami) == ["INC003"]


def test_inc003_is_quiet_for_a_typed_incident(umami):
    source = MemorySource().add(incident(labels=("INC",), state="opened", closed_at=None))
    assert codes(source, umami) == []


def test_inc004_fires_when_of_type_incident_without_label(umami):
    source = MemorySource().add(incident(labels=("bug",), state="opened", closed_at=None))
    assert codes(source, umami) == ["INC004"]


def test_inc004_accepts_any_configured_label_in_any_case(umami):
    source = MemorySource().add(incident(labels=("inc",), state="opened", closed_at=None))
    assert codes(source, umami) == []


# INC005: the all-required reviews checklist


def test_inc005_fires_on_a_closed_incident_with_an_unticked_review(umami):
    text = filled_report().replace("- [x] Incident Review from Business", "- [ ] Incident Review from Business")
    source, _ = compliant(description=text)
    assert codes(source, umami) == ["INC005"]


def test_inc005_is_quiet_while_the_incident_is_open(umami):
    text = filled_report().replace("- [x] Incident Review from Business", "- [ ] Incident Review from Business")
    source = MemorySource().add(incident(description=text, state="opened", closed_at=None))
    assert codes(source, umami) == []


def test_inc005_accepts_not_applicable_boxes(umami):
    text = filled_report().replace("- [x] Incident Review from Business", "- [~] Incident Review from Business")
    source, _ = compliant(description=text)
    assert codes(source, umami) == []


def test_inc005_ignores_a_checklist_marked_none_required(umami):
    text = fill(template("known incident.md")) + "\n## Reviews checklist (none required)\n- [ ] optional review\n"
    source, _ = compliant(description=text)
    assert "INC005" not in codes(source, umami)


# CHG001: a linked change


def test_chg001_fires_when_a_closed_incident_has_no_linked_change(umami):
    source, subject = compliant()
    source.links.clear()
    assert codes(source, umami) == ["CHG001"]


def test_chg001_is_quiet_while_the_incident_is_open(umami):
    source = MemorySource().add(incident(state="opened", closed_at=None))
    assert codes(source, umami) == []


def test_chg001_does_not_count_a_linked_incident_as_a_change(umami):
    source, subject = compliant()
    source.links.clear()
    other = incident(2, labels=("incident", "Change::Emergency"))
    source.add(other).link(subject, other)
    assert "CHG001" in codes(source, umami)


def test_chg001_lets_a_known_incident_link_an_earlier_incident_with_a_change(umami):
    earlier_source, earlier = compliant(1)
    pm = note(300, filled_post_mortem(), days_ago=20)
    known = incident(3, labels=("incident", "incident::known"), notes=(pm,))
    source = earlier_source.add(known).link(known, earlier).award(known, 300, "thumbsup", "alice")
    assert codes(source, umami, iid=3) == []


def test_chg001_fires_for_a_known_incident_whose_linked_incident_has_no_change(umami):
    pm = note(300, filled_post_mortem(), days_ago=20)
    earlier = incident(1)
    known = incident(3, labels=("incident", "incident::known"), notes=(pm,))
    source = MemorySource().add(earlier, known).link(known, earlier).award(known, 300, "thumbsup", "alice")
    assert codes(source, umami, iid=3) == ["CHG001"]


# CHG002: the change's rollback plan


def test_chg002_fires_when_the_linked_change_has_no_rollback_plan(umami):
    source, _ = compliant()
    source.issues[1] = change_ticket(51, description=template("Change Emergency.md"))
    assert codes(source, umami) == ["CHG002"]


def test_chg002_is_quiet_with_a_filled_change(umami):
    source, _ = compliant()
    assert "CHG002" not in codes(source, umami)


# IPM001: the post-mortem is due


def test_ipm001_fires_after_the_grace_period(umami):
    source, subject = compliant()
    source.issues[0] = replace(subject, notes=())
    assert codes(source, umami) == ["IPM001"]


def test_ipm001_is_quiet_within_the_grace_period(umami):
    source, subject = compliant()
    source.issues[0] = replace(subject, notes=(), closed_at=at(6.9))
    assert codes(source, umami) == []


def test_ipm001_ignores_ordinary_comments(umami):
    source, subject = compliant()
    source.issues[0] = replace(subject, notes=(note(7, "Root cause: disk full. Fixed now."),))
    assert codes(source, umami) == ["IPM001"]


# IPM002: the post-mortem's content


def test_ipm002_fires_when_the_post_mortem_lacks_the_actual_impact(umami):
    text = filled_post_mortem().replace("### What was the actual adverse impact of the INC?", "### Misc")
    source, subject = compliant()
    source.issues[0] = replace(subject, notes=(note(101, text, days_ago=25),))
    found = run_audit(source, umami, AS_OF).incidents[0].findings
    assert [(f.rule, f.section) for f in found] == [("IPM002", "actual_impact")]


def test_ipm002_reads_the_last_post_mortem_as_the_final_report(umami):
    draft = template("Incident Port-Mortem.md")
    source, subject = compliant()
    final = subject.notes[0]
    source.issues[0] = replace(subject, notes=(note(99, draft, days_ago=27), final))
    assert codes(source, umami) == []


def test_ipm002_fires_when_the_only_post_mortem_is_the_empty_template(umami):
    source, subject = compliant()
    final = note(102, template("Incident Port-Mortem.md"), days_ago=24)
    source.issues[0] = replace(subject, notes=(final,))
    source.award(source.issues[0], 102, "thumbsup", "alice")
    assert codes(source, umami) == ["IPM002", "IPM002", "IPM002"]


def test_an_empty_template_posted_later_does_not_replace_the_written_post_mortem(umami):
    source, subject = compliant()
    later = note(102, template("Incident Port-Mortem.md"), days_ago=24)
    source.issues[0] = replace(subject, notes=(subject.notes[0], later))
    assert codes(source, umami) == []


def test_ipm002_accepts_bold_lines_as_headings(umami):
    body = (
        "## Incident Post-Mortem\n\n**Root cause analysis:**\nA full disk.\n\n"
        "**Actual adverse impact:**\n40 minutes of stale balances.\n\n**Follow up recommendations:**\nAlert on disk."
    )
    source, subject = compliant()
    source.issues[0] = replace(subject, notes=(note(101, body, days_ago=25),))
    assert codes(source, umami) == []


# IPM003: approval


def test_ipm003_fires_without_approval(umami):
    source, _ = compliant()
    source.awards.clear()
    assert codes(source, umami) == ["IPM003"]


def test_ipm003_accepts_an_approved_comment_from_an_approver(umami):
    source, subject = compliant()
    source.awards.clear()
    later = note(200, "**Approved** at the IPM meeting of 2026-05-10.", author="alice", days_ago=21)
    source.issues[0] = replace(subject, notes=(*subject.notes, later))
    assert codes(source, umami) == []


def test_ipm003_ignores_an_approved_comment_written_before_the_post_mortem(umami):
    source, subject = compliant()
    source.awards.clear()
    earlier = note(50, "Approved", author="alice", days_ago=26)
    source.issues[0] = replace(subject, notes=(earlier, *subject.notes))
    assert codes(source, umami) == ["IPM003"]


def test_ipm003_the_author_cannot_approve_their_own_post_mortem(umami):
    source, subject = compliant()
    source.awards.clear()
    source.issues[0] = replace(subject, notes=(note(101, filled_post_mortem(), author="alice", days_ago=25),))
    source.award(source.issues[0], 101, "thumbsup", "alice")
    assert codes(source, umami) == ["IPM003"]


def test_ipm003_ignores_emoji_outside_the_approval_list(umami):
    source, subject = compliant()
    source.awards.clear()
    source.award(subject, subject.notes[0].id, "heart", "alice")
    assert codes(source, umami) == ["IPM003"]


def test_ipm003_ignores_approval_from_someone_outside_the_approver_roles(umami):
    source, subject = compliant()
    source.awards.clear()
    source.award(subject, subject.notes[0].id, "thumbsup", "erin")
    assert codes(source, umami) == ["IPM003"]


def test_ipm003_accepts_the_product_manager_backup(umami):
    source, subject = compliant()
    source.awards.clear()
    source.award(subject, subject.notes[0].id, "white_check_mark", "bob")
    source.award(subject, subject.notes[0].id, "thumbsup", "carol")
    assert codes(source, umami) == []


def test_ipm003_backup_who_is_also_development_lead_needs_the_lead_backup(umami):
    source, subject = compliant()
    source.awards.clear()
    source.award(subject, subject.notes[0].id, "thumbsup", "bob")
    found = run_audit(source, umami, AS_OF).incidents[0].findings
    assert [f.rule for f in found] == ["IPM003"]
    assert "carol" in found[0].message


def test_ipm003_waits_for_the_weekly_meeting(umami):
    source, subject = compliant()
    source.awards.clear()
    source.issues[0] = replace(subject, notes=(note(101, filled_post_mortem(), days_ago=3),), closed_at=at(20))
    assert codes(source, umami) == []


def test_approval_gap_without_roles_accepts_anyone_but_the_author():
    plain = config_module.build({}, None)
    assert approval_gap({"zoe"}, plain) is None
    assert approval_gap(set(), plain) is not None


# What is audited


def test_change_tickets_and_exempt_incidents_are_not_audited(umami):
    exempt = incident(8, labels=("incident", "not-an-incident"), description="")
    chg = change_ticket(9, labels=("CHG", "incident-followup"))
    result = run_audit(MemorySource().add(exempt, chg), umami, AS_OF)
    assert result.incidents == ()


def test_the_audit_issue_marker_exempts_nothing(umami):
    copied = incident(7, description=AUDIT_MARKER + "\nreport", labels=("inc-audit", "incident"))
    result = run_audit(MemorySource().add(copied), umami, AS_OF)
    assert [str(i.key) for i in result.incidents] == [str(copied.key)]


def test_an_incident_carrying_change_labels_from_its_template_is_still_audited(umami):
    source = MemorySource().add(
        incident(labels=("incident", "Change", "Change::Emergency"), state="opened", closed_at=None)
    )
    assert len(run_audit(source, umami, AS_OF).incidents) == 1


def test_links_and_awards_are_asked_only_when_a_rule_needs_them(umami):
    source = MemorySource().add(incident(state="opened", closed_at=None))
    run_audit(source, umami, AS_OF)
    assert source.asked == []


def test_ignored_rules_do_not_fire(umami):
    source = MemorySource().add(incident(labels=("INC",), issue_type="issue", state="opened", closed_at=None))
    ignoring = replace(umami, ignore=("INC",))
    assert codes(source, ignoring) == []


def test_every_rule_is_registered_with_a_code_severity_and_summary():
    assert list(RULES) == [
        "INC001",
        "INC002",
        "INC003",
        "INC004",
        "INC005",
        "INC006",
        "CHG001",
        "CHG002",
        "CHG003",
        "CHG004",
        "IPM001",
        "IPM002",
        "IPM003",
        "TPL001",
        "TPL002",
        "SRC001",
        "WVR001",
    ]
    for registered in RULES.values():
        assert registered.severity in ("error", "warning") and registered.summary


def test_filled_change_template_is_complete(umami):
    assert validity.check_text(umami.schema("change"), filled_change()) == []


TEXTS = st.text(alphabet=st.sampled_from(list("#*_-[]x~<!>/|`\n =abc:TBD.")), max_size=200)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(description=TEXTS, comments=st.lists(TEXTS, max_size=4))
def test_no_issue_text_makes_the_audit_raise(umami, description, comments):
    notes = tuple(note(300 + i, body, author="alice", days_ago=20 - i) for i, body in enumerate(comments))
    source = MemorySource().add(incident(description=description, notes=notes))
    result = run_audit(source, umami, AS_OF)
    assert len(result.incidents) == 1
