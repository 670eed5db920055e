"""Who must act on each finding, after the policy's RACI chart, and from when it is due."""

from __future__ import annotations

import json
from dataclasses import replace

import jsonschema
import pytest

from inc_audit.audit import run_audit
from inc_audit.config import file as config_module
from inc_audit.findings import Finding
from inc_audit.formats.registry import Options, format_json
from inc_audit.reading import schemas
from inc_audit.rules import RULES
from inc_audit.rules.owners import annotate, chart, members
from inc_audit.sources.export.source import ExportSource
from tests.conftest import AS_OF, EXAMPLE_CONFIG, EXAMPLE_EXPORT, PROJECT, at, incident, note, umami_config

INCIDENT_RULES = sorted(code for code, rule in RULES.items() if rule.scope == "incident")
EXPECTED = {  # the policy's RACI chart, read by hand
    "INC001": ("author", ("frank",)),
    "INC002": ("author", ("frank",)),
    "INC003": ("author", ("frank",)),
    "INC004": ("author", ("frank",)),
    "INC005": ("author", ("frank",)),
    "CHG001": ("response_team", ("alice", "bob", "dave")),
    "CHG002": ("response_team", ("alice", "bob", "dave")),
    "CHG003": ("response_team", ("alice", "bob", "dave")),
    "CHG004": ("response_team", ("alice", "bob", "dave")),
    "IPM001": ("response_team", ("alice", "bob", "dave")),
    "IPM002": ("response_team", ("alice", "bob", "dave")),
    "IPM003": ("approvers", ("alice",)),
}


def test_every_incident_rule_has_an_entry_in_the_chart():
    assert sorted(chart()["rules"]) == INCIDENT_RULES == sorted(EXPECTED)


@pytest.mark.parametrize("code", INCIDENT_RULES)
def test_owners_for_every_rule(code: str):
    issue = incident(7, notes=(note(900, "## Incident Post-Mortem", author="frank", days_ago=25),))
    where = "note 900" if code.startswith("IPM00") and code != "IPM001" else "description"
    [found] = annotate(issue, [Finding(code, RULES[code].severity, "x", where=where)], umami_config())
    assert (found.party, found.owners) == EXPECTED[code]


def test_the_product_manager_is_accountable_and_named_first():
    raw = {"roles": {"operations_manager": {"primary": "dave"}, "product_manager": {"primary": "alice"}},
           "meeting": {"attendees": ["operations_manager", "product_manager"]}}
    [found] = annotate(incident(), [Finding("CHG001", "error", "x")], config_module.build(raw, None))
    assert found.owners == ("alice", "dave")


def test_the_response_team_is_the_meeting_attendees():
    raw = {"roles": {"product_manager": {"primary": "alice"}, "development_lead": {"primary": "bob"}},
           "meeting": {"attendees": ["development_lead"]}}
    [found] = annotate(incident(), [Finding("IPM001", "error", "x")], config_module.build(raw, None))
    assert found.owners == ("bob",)


def test_without_roles_only_the_author_is_named():
    config = config_module.load_defaults()
    findings = annotate(incident(), [Finding("INC002", "error", "x"), Finding("IPM003", "error", "x")], config)
    assert [f.owners for f in findings] == [("frank",), ()]


def test_due_dates_follow_the_chart():
    posted = note(900, "## Incident Post-Mortem", days_ago=10)
    issue = incident(notes=(posted,))
    findings = annotate(issue, [
        Finding("INC002", "error", "x"),
        Finding("CHG001", "error", "x"),
        Finding("IPM001", "error", "x"),
        Finding("IPM003", "error", "x", where="note 900"),
    ], umami_config())
    assert [f.due for f in findings] == [
        at(40).date(),  # the report was due when the incident was filed
        at(30).date(),  # the change when it was closed
        at(23).date(),  # the post-mortem 7 days after closing
        at(3).date(),  # the approval 7 days after the post-mortem, posted after closing
    ]


def test_an_open_incident_has_no_closing_deadline():
    [found] = annotate(incident(state="opened", closed_at=None), [Finding("IPM002", "error", "x")], umami_config())
    assert found.due is None and found.owners == ("alice", "bob", "dave")


def test_the_json_report_names_owners_due_and_first_seen_and_validates():
    config = config_module.load(EXAMPLE_CONFIG)
    result = run_audit(ExportSource(EXAMPLE_EXPORT, project=PROJECT), config, AS_OF)
    report = json.loads(format_json(result, Options()))
    validator = jsonschema.Draft202012Validator(schemas.read_json(schemas.SCHEMA_DIR / "report.schema.json"))
    validator.validate(report)
    findings = [(i, f) for i in report["incidents"] for f in i["findings"]]
    assert findings and all(f["owners"] and f["due"] for _, f in findings)
    allowed = members(config) | {"frank", "grace"}  # the example incidents' authors
    assert {name for _, f in findings for name in f["owners"]} <= allowed
    late = next(f for i, f in findings if i["iid"] == 10 and f["rule"] == "IPM001")
    assert (late["due"], late["days_overdue"]) == ("2026-02-17", 104)


def test_a_report_without_owners_is_not_a_report():
    validator = jsonschema.Draft202012Validator(schemas.read_json(schemas.SCHEMA_DIR / "report.schema.json"))
    finding = {"rule": "INC001", "severity": "error", "message": "x", "where": "description"}
    assert not validator.is_valid({**_envelope(), "incidents": [_incident(finding)]})
    assert validator.is_valid({**_envelope(), "incidents": [_incident({**finding, "owners": [], "due": None,
                                                                        "first_seen": None})]})


def _envelope() -> dict[str, object]:
    summary = {"incidents": 1, "incidents_with_violations": 1, "violations": 1, "errors": 1, "warnings": 0,
               "by_rule": {"INC001": 1}}
    return {"version": 1, "tool": {"name": "inc-audit", "version": "0"}, "as_of": "2026-06-01T00:00:00Z",
            "complete": True, "source": {"kind": "export"}, "summary": summary}


def _incident(finding: dict[str, object]) -> dict[str, object]:
    return {"project": PROJECT, "iid": 1, "title": "t", "web_url": "", "state": "closed", "confidential": False,
            "findings": [finding]}


def test_findings_compare_on_what_they_say_not_on_who_or_when():
    plain = Finding("INC001", "error", "x")
    assert replace(plain, owners=("alice",), due=AS_OF.date()) == plain
