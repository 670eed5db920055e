"""The audit issue's hidden state: first-seen moments and history across runs, read defensively;
mentions only of configured members, only for new findings."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta

import pytest

from inc_audit.audit import run_audit
from inc_audit.config import file as config_module
from inc_audit.findings import AuditResult, Finding, IncidentResult
from inc_audit.formats import audit_issue, state
from inc_audit.formats.audit_issue import without_audited_line
from inc_audit.formats.registry import Options
from inc_audit.publishing.tracking import mention_comment, mentioned
from inc_audit.sources.export.source import ExportSource
from tests.conftest import AS_OF, EXAMPLE_CONFIG, EXAMPLE_EXPORT, PROJECT, incident, umami_config

LATER = AS_OF + timedelta(days=3)


@pytest.fixture(scope="module")
def example() -> AuditResult:
    config = config_module.load(EXAMPLE_CONFIG)
    return run_audit(ExportSource(EXAMPLE_EXPORT, project=PROJECT), config, AS_OF)


def body_of(result: AuditResult) -> str:
    return audit_issue.render(result, Options())


def test_first_seen_is_kept_from_the_audit_issue_of_an_earlier_run(example):
    first = state.advance(example, None)
    kept = state.read(body_of(first.result), LATER)
    later = state.advance(replace(example, as_of=LATER), kept)
    moments = {f.first_seen for f in later.result.findings}
    assert moments == {AS_OF} and later.new == ()
    assert len(first.new) == len(example.findings) == 15


def test_an_unchanged_audit_renders_the_same_body_and_adds_no_history_point(example):
    first = state.advance(example, None)
    second = state.advance(replace(example, as_of=LATER), state.read(body_of(first.result), LATER))
    assert without_audited_line(body_of(second.result)) == without_audited_line(body_of(first.result))
    assert second.result.history == ((AS_OF.date(), 15),)


def test_a_change_adds_one_history_point_a_day_and_the_chart_shows_it(example):
    first = state.advance(example, None)
    fewer = replace(example, as_of=LATER, incidents=example.incidents[1:] if example.incidents[0].findings
                    else tuple(i for i in example.incidents if i.key.iid != 5))
    second = state.advance(fewer, state.read(body_of(first.result), LATER))
    assert second.result.history == ((AS_OF.date(), 15), (LATER.date(), 12))
    body = body_of(second.result)
    assert "xychart-beta" in body and "line [15, 12]" in body
    again = state.advance(replace(example, as_of=LATER + timedelta(hours=1)), state.read(body, LATER))
    assert again.result.history == ((AS_OF.date(), 15), (LATER.date(), 15))


def test_a_finding_that_goes_and_comes_back_is_new_again(example):
    first = state.advance(example, None)
    without = replace(example, incidents=tuple(i for i in example.incidents if i.key.iid != 7))
    gone = state.advance(without, state.read(body_of(first.result), LATER))
    back = state.advance(replace(example, as_of=LATER), state.read(body_of(gone.result), LATER))
    assert {str(i.key) for i, _ in back.new} == {f"{PROJECT}#7"}
    assert all(f.first_seen == LATER for i, f in back.new)


@pytest.mark.parametrize("tampered", [
    "<!-- inc-audit:state not json -->",
    '<!-- inc-audit:state {"v":2,"seen":{}} -->',
    '<!-- inc-audit:state {"v":1,"seen":[1,2],"history":"x"} -->',
    '<!-- inc-audit:state {"v":1} --> and a second <!-- inc-audit:state {"v":1} -->',
    '<!-- inc-audit:state {"v":1,"seen":' + "[" * 100_000 + "]" * 100_000 + "} -->",
    "",
], ids=["not-json", "another-version", "wrong-types", "doubled", "deeply-nested", "none"])
def test_a_broken_block_is_ignored_never_fatal(example, tampered):
    kept = state.read(f"<!-- inc-audit:audit-issue -->\n{tampered}\n", LATER)
    assert kept is None or kept.seen == {}
    advanced = state.advance(example, kept)
    assert len(advanced.new) == 15


def test_only_well_formed_entries_are_trusted():
    future = (LATER + timedelta(days=400)).isoformat()
    raw = {"v": 1, "seen": {"0123456789abcdef": "2026-05-01T00:00:00Z", "not-a-hash": "2026-05-01T00:00:00Z",
                            "fedcba9876543210": future, "aaaaaaaaaaaaaaaa": "yesterday"},
           "history": [["2026-05-01", 3], ["2026-05-02", -1], ["2026-05-03", True], ["bad", 1], ["2099-01-01", 1]]}
    kept = state.read(f"<!-- inc-audit:state {json.dumps(raw)} -->", LATER)
    assert kept is not None and list(kept.seen) == ["0123456789abcdef"]
    assert [count for _, count in kept.history] == [3]


def test_the_block_is_bounded_and_holds_no_text_from_issues():
    hostile = incident(1, title="@all /close secret-title")
    count = state.MAX_SEEN + 50
    findings = tuple(Finding("INC002", "error", f"section {n} @all", section=f"s{n}") for n in range(count))
    result = AuditResult(AS_OF, {"kind": "export", "project": PROJECT},
                         (IncidentResult(hostile.key, hostile.title, hostile.web_url, "opened", False, findings),))
    history = tuple((AS_OF.date() - timedelta(days=n), n) for n in range(100, 0, -1))
    advanced = state.advance(result, state.State(history=history))
    block = state.render(advanced.state)
    sizes = (len(advanced.state.seen), len(advanced.state.history), advanced.state.history[-1])
    assert sizes == (state.MAX_SEEN, state.MAX_HISTORY, (AS_OF.date(), len(findings)))
    assert "@" not in block and "secret" not in block and "section" not in block
    assert re.fullmatch(r"<!-- inc-audit:state \{[^<>]*\} -->", block)


def test_mentions_name_only_configured_members_and_only_new_findings(example):
    config = replace(umami_config(), audit_mention=True)
    first = state.advance(example, None)
    people = mentioned(first.new, config)
    assert set(people) == {"alice", "bob", "dave"}  # frank and grace are authors, not configured members
    comment = mention_comment(first.new, config)
    assert comment is not None and set(re.findall(r"@(\w+)", comment)) == {"alice", "bob", "dave"}
    second = state.advance(replace(example, as_of=LATER), state.read(body_of(first.result), LATER))
    assert mention_comment(second.new, config) is None


def test_mentions_are_opt_in(example):
    assert mention_comment(state.advance(example, None).new, umami_config()) is None


def test_an_author_who_is_a_configured_member_is_mentioned():
    issue = incident(3, author="carol")
    finding = Finding("INC002", "error", "x", owners=("carol",), party="author")
    result = IncidentResult(issue.key, issue.title, issue.web_url, "closed", False, (finding,))
    assert mentioned(((result, finding),), umami_config()) == {"carol": ["INC002"]}


def test_a_configured_name_that_is_not_a_username_is_never_mentioned():
    raw = {"roles": {"product_manager": {"primary": "all"}, "development_lead": {"primary": "bob team"},
                     "operations_manager": {"primary": "dave"}}}
    config = replace(config_module.build(raw, None), audit_mention=True)
    issue = incident(3)
    finding = Finding("CHG001", "error", "x", owners=("all", "bob team", "dave"), party="response_team")
    result = IncidentResult(issue.key, issue.title, issue.web_url, "closed", False, (finding,))
    assert mentioned(((result, finding),), config) == {"dave": ["CHG001"]}
