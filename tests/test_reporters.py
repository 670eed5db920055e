"""Reporters: neutralised markdown, JUnit and Code Quality as GitLab reads them."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from xml.etree import ElementTree as ET

from inc_audit.audit import run_audit
from inc_audit.findings import AuditResult, Finding, IncidentResult
from inc_audit.formats.registry import Options, format_codequality, format_junit, format_markdown, neutral
from inc_audit.gate import run_gate
from inc_audit.model import IssueKey
from inc_audit.sources.export.source import ExportSource
from tests.conftest import AS_OF, EXAMPLE_EXPORT, PROJECT, TEMPLATES


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
    assert len(failures) == 8  # one per incident and rule with an error (11 errors): INC002 twice on #5 is one case
    assert all(f.get("message") for f in failures)
    assert int(root.get("tests")) == sum(int(s.get("tests")) for s in suites)
    assert int(root.get("failures")) == len(failures)


def test_junit_warnings_are_failed_cases_only_with_fail_on_warning(config):
    result = example(config)
    warned = ET.fromstring(format_junit(result, Options()).encode())
    strict = ET.fromstring(format_junit(result, Options(fail_on="warning")).encode())
    assert len(strict.findall("testsuite/testcase/failure")) == 12
    outputs = [c for c in warned.iter("testcase") if c.find("system-out") is not None]
    shown = [c for c in outputs if "warning: " in c.find("system-out").text]
    assert shown and all(c.find("failure") is None for c in shown)


def test_junit_cases_carry_the_incident_url_and_templates_their_file(config, tmp_path):
    with_urls = ExportSource(EXAMPLE_EXPORT, project=PROJECT, web_base="https://gitlab.example.com")
    root = ET.fromstring(format_junit(run_audit(with_urls, config, AS_OF), Options()).encode())
    case = next(c for c in root.iter("testcase") if c.get("classname") == f"{PROJECT}#7")
    assert case.find("system-out").text.splitlines()[0] == "https://gitlab.example.com/umami-wallet/umami/-/issues/7"
    assert case.get("file") is None, "an incident is no file"
    template = gate_result(tmp_path)
    cases = ET.fromstring(format_junit(template, Options(root=str(tmp_path))).encode()).findall(".//testcase")
    assert {c.get("file") for c in cases} == {".gitlab/issue_templates/incident.md"}


def gate_result(tmp_path) -> AuditResult:
    folder = tmp_path / ".gitlab" / "issue_templates"
    folder.mkdir(parents=True)
    heading = "### What is the evidence (i.e. screenshots, logs, etc)?"
    text = (TEMPLATES / "incident.md").read_text().replace(heading, "")
    (folder / "incident.md").write_text(text)
    return run_gate((str(folder / "incident.md"),), None).result


def test_code_quality_points_at_repository_paths_relative_to_the_root(tmp_path, monkeypatch):
    result = gate_result(tmp_path)
    monkeypatch.chdir(tmp_path / ".gitlab")
    entries = json.loads(format_codequality(result, Options(root=str(tmp_path))))
    assert entries and {e["location"]["path"] for e in entries} == {".gitlab/issue_templates/incident.md"}
    assert all(not e["location"]["path"].startswith(("/", "./")) for e in entries)
    assert entries[0]["location"]["lines"]["begin"] > 1


def test_code_quality_has_the_required_fields_and_stable_unique_fingerprints(tmp_path):
    result = gate_result(tmp_path)
    first = json.loads(format_codequality(result, Options(root=str(tmp_path))))
    assert first == json.loads(format_codequality(result, Options(root=str(tmp_path))))
    assert len({e["fingerprint"] for e in first}) == len(first) >= 1
    for entry in first:
        assert set(entry) >= {"description", "check_name", "fingerprint", "severity", "location"}
        assert entry["severity"] in {"info", "minor", "major", "critical", "blocker"}


def test_incidents_get_no_code_quality_entry_which_gitlab_would_link_as_a_file(config):
    """GitLab links every location.path as <project>/-/blob/<sha>/<path>: an incident is no file."""
    assert json.loads(format_codequality(example(config), Options())) == []
