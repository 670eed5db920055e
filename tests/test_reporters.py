"""Reporters: neutralised markdown, JUnit and Code Quality as GitLab reads them."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from xml.etree import ElementTree as ET

from inc_audit.audit import run_audit
from inc_audit.findings import AuditResult, Finding, IncidentResult
from inc_audit.model import IssueKey
from inc_audit.reporters import Options, format_codequality, format_junit, format_markdown, neutral
from inc_audit.sources.export import ExportSource
from tests.conftest import AS_OF, EXAMPLE_EXPORT, PROJECT


def example(config) -> AuditResult:
    return run_audit(ExportSource(EXAMPLE_EXPORT, project=PROJECT), config, AS_OF)


def one(title: str, confidential: bool = False, message: str = "no section 'Evidence'") -> AuditResult:
    finding = Finding("INC001", "error", message, section="evidence")
    incident = IncidentResult(
        IssueKey(PROJECT, 9), title, "https://gitlab.example.com/x/-/issues/9", "closed", confidential, (finding,)
    )
    return AuditResult(AS_OF, {"kind": "export", "project": PROJECT}, (incident,))


LIVE_MENTION = re.compile(r"(?<![\w`\\])@[A-Za-z0-9_]")
QUICK_ACTION = re.compile(r"^\s*/[a-z]", re.MULTILINE)


def table_rows_are_intact(markdown: str) -> bool:
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    cells = {len(re.split(r"(?<!\\)\|", row)) for row in rows if not row.startswith("|---")}
    return len({c for c in cells if c}) <= 2  # the summary table and the finding tables


def test_a_hostile_title_yields_no_mention_no_quick_action_and_an_intact_table():
    body = format_markdown(one("Wallet drained? @all\n/close | urgent <!-- x -->"), Options())
    assert not LIVE_MENTION.search(body)
    assert not QUICK_ACTION.search(body)
    assert "<!-- x" not in body
    row = next(line for line in body.splitlines() if "INC001" in line and "error" in line)
    assert len(re.split(r"(?<!\\)\|", row)) == 5


def test_neutral_escapes_what_gitlab_would_act_on():
    assert neutral("/close now") == "\\/close now"
    assert "@\u200ball" in neutral("ping @all")
    assert neutral("a | b") == "a \\| b"
    assert "\n" not in neutral("one\ntwo\r\nthree")


def test_confidential_titles_are_hidden_when_the_issue_is_public():
    result = one("Seed phrase exposure", confidential=True)
    assert "Seed phrase" not in format_markdown(result, Options(show_confidential=False))
    assert "Seed phrase" in format_markdown(result, Options(show_confidential=True))


def test_the_markdown_body_is_the_same_for_the_same_findings(config):
    first = format_markdown(example(config), Options())
    later = replace(example(config), as_of=AS_OF.replace(hour=5))
    assert first == format_markdown(later, Options())


def test_a_body_over_the_limit_says_what_was_cut_and_where_the_rest_is(config):
    result = example(config)
    body = format_markdown(result, Options(max_chars=2500, full_report="the job's artifact"))
    assert len(body) <= 2500
    assert "more incident(s) with violations are not shown" in body and "the job's artifact" in body


def test_a_clean_audit_says_so():
    clean = AuditResult(AS_OF, {"kind": "export", "project": PROJECT}, ())
    assert "No violations" in format_markdown(clean, Options())


def test_junit_has_the_structure_gitlab_reads(config):
    root = ET.fromstring(format_junit(example(config), Options()).encode())
    assert root.tag == "testsuites"
    suites = root.findall("testsuite")
    assert len(suites) == 12
    failures = root.findall("testsuite/testcase/failure")
    assert len(failures) == 12  # one per incident and rule: INC002 twice on #5 is one failing case
    assert all(f.get("message") for f in failures)
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in suites)


def test_code_quality_has_the_required_fields_and_stable_unique_fingerprints(config):
    first = json.loads(format_codequality(example(config), Options()))
    second = json.loads(format_codequality(example(config), Options()))
    assert first == second
    assert len({e["fingerprint"] for e in first}) == len(first) == 15
    for entry in first:
        assert set(entry) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert entry["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert entry["location"]["path"].startswith("incidents/umami-wallet/umami/")
        assert entry["location"]["lines"]["begin"] >= 1
