"""Waivers: a finding known and accepted until a date. Valid, expired, unused and unknown
waivers on the example export; malformed ones refused with one line and exit 2 by `run`,
`check` and the template gate; a live audit through the fake GitLab lists the waived
finding apart in the audit issue."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from inc_audit.cli import main
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT, ROOT
from tests.test_cli_live import audit, audit_issues, fake  # noqa: F401 (fake is a fixture)

BASE = EXAMPLE_CONFIG.read_text(encoding="utf-8").split("\nwaivers:")[0] + "\n"
WAIVER = (
    "waivers:\n"
    "  - incident: \"{incident}\"\n"
    "    rule: {rule}\n"
    "    reason: Moved from the old tracker\n"
    "    approved_by: {approver}\n"
    "    expires: {expires}\n"
)

AGAIN = WAIVER.split("\n", 1)[1].format(incident="#11", rule="INC003", approver="bob", expires="2026-06-01")


def config(tmp_path: Path, incident: str = "#11", rule: str = "INC003", approver: str = "bob",
           expires: str = "2026-06-30", extra: str = "") -> Path:
    path = tmp_path / ".inc-audit.yml"
    text = BASE + WAIVER.format(incident=incident, rule=rule, approver=approver, expires=expires) + extra
    path.write_text(text, encoding="utf-8")
    return path


def run(path: Path, *args: str, as_of: str = "2026-06-01"):
    command = ["run", "--export", str(EXAMPLE_EXPORT), "--config", str(path), "--as-of", as_of, *args]
    return CliRunner().invoke(main, command, catch_exceptions=False)


def report(path: Path, as_of: str = "2026-06-01") -> dict:
    return json.loads(run(path, "--format", "json", as_of=as_of).stdout)


def wvr(document: dict) -> list[str]:
    return [f["message"] for i in document["incidents"] for f in i["findings"] if f["rule"] == "WVR001"]


def test_the_example_waiver_holds_its_finding_apart():
    result = run(EXAMPLE_CONFIG)
    assert result.exit_code == 1
    assert "14 violation(s) (11 error(s), 3 warning(s)) in 6 of 12 incident(s)." in result.output
    waived = result.output.split("Waived, not violations until the waiver expires (1):")[1]
    assert "umami-wallet/umami#11  INC003" in waived and "until 2026-06-30, approved by alice" in waived
    assert "warning INC003" not in result.output


def test_a_waived_finding_is_in_the_json_apart_and_the_report_is_valid(tmp_path):
    document = report(config(tmp_path))
    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(document, schema, format_checker=jsonschema.FormatChecker())
    [eleven] = [i for i in document["incidents"] if i["iid"] == 11]
    assert eleven["findings"] == []
    [waived] = eleven["waived"]
    assert waived["finding"]["rule"] == "INC003"
    assert (waived["reason"], waived["approved_by"], waived["expires"]) == ("Moved from the old tracker", "bob",
                                                                             "2026-06-30")
    assert document["summary"]["waived"] == 1 and "INC003" not in document["summary"]["by_rule"]
    assert wvr(document) == []


def test_the_waiver_holds_through_its_expiry_day_and_is_reported_the_day_after(tmp_path):
    path = config(tmp_path)
    assert wvr(report(path, as_of="2026-06-30T12:00:00Z")) == []
    after = report(path, as_of="2026-07-01T12:00:00Z")
    [message] = wvr(after)
    assert "expired on 2026-06-30" in message
    assert after["summary"]["by_rule"]["INC003"] == 1  # a violation again
    [subject] = [i for i in after["incidents"] if i.get("location")]
    assert subject["location"] == str(path) and subject["findings"][0]["line"] == BASE.count("\n") + 2


@pytest.mark.parametrize(
    ("incident", "rule", "said"),
    [
        ("#12", "INC003", "waives nothing: umami-wallet/umami#12 has no INC003 finding"),
        ("#99", "INC003", "names umami-wallet/umami#99, which this audit did not audit"),
        ("other/project#11", "INC003", "names other/project#11, which this audit did not audit"),
        ("#11", "XYZ001", "names rule XYZ001, which does not exist"),
    ],
)
def test_a_waiver_that_does_nothing_is_reported(tmp_path, incident, rule, said):
    result = run(config(tmp_path, incident=incident, rule=rule))
    assert result.exit_code == 1
    assert "WVR001" in result.output and said in result.output
    assert "warning INC003" in result.output  # nothing waived


def test_with_the_warning_ignored_as_failure_level_an_unused_waiver_still_exits_1_at_warning(tmp_path):
    clean = run(config(tmp_path, incident="#12"), "--fail-on", "warning")
    assert clean.exit_code == 1


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"approver": "frank"}, "waivers[0].approved_by 'frank' is not a member of an approver role"),
        ({"expires": "2099-01-01"}, "waivers[0].expires 2099-01-01 is more than 90 days away"),
        ({"expires": "2026-13-01"}, "waivers[0].expires: a value cannot be read"),
        ({"incident": "eleven"}, "waivers[0].incident 'eleven' is not an incident reference"),
        ({"rule": "inc3"}, "waivers[0].rule"),
        ({"extra": "    owner: alice\n"}, "unknown key 'waivers[0].owner'"),
        ({"extra": AGAIN}, "waives INC003 on umami-wallet/umami#11 again"),
    ],
)
def test_a_malformed_waiver_is_one_line_naming_the_file_and_key_and_exit_2(tmp_path, change, said):
    path = config(tmp_path, **change)
    for command in (["run", "--export", str(EXAMPLE_EXPORT)], ["check", str(ROOT / "README.md")]):
        result = CliRunner().invoke(main, [*command, "--config", str(path)], catch_exceptions=False)
        assert result.exit_code == 2, (command, result.output)
        first = result.output.strip().splitlines()[0]
        assert str(path) in first and said in first, first
        assert "Traceback" not in result.output


def test_the_maximum_is_configured(tmp_path):
    refused = config(tmp_path, expires="2099-01-01", extra="rules:\n  waiver_max_days: 1\n")
    result = run(refused)
    assert result.exit_code == 2 and "more than 1 days away" in result.output


def test_a_waiver_without_roles_is_refused(tmp_path):
    path = tmp_path / ".inc-audit.yml"
    path.write_text(WAIVER.format(incident="group/p#1", rule="INC003", approver="bob", expires="2026-06-30"))
    result = run(path)
    assert result.exit_code == 2 and "not a member of an approver role" in result.output


def test_the_template_gate_refuses_a_malformed_waiver(tmp_path):
    path = config(tmp_path, approver="frank")
    templates = ROOT / "inc_audit" / "builtin_templates"
    result = CliRunner().invoke(main, ["templates", str(templates), "--config", str(path)], catch_exceptions=False)
    assert result.exit_code == 1
    assert "TPL002" in result.output and "waivers[0].approved_by" in result.output


def test_a_live_audit_lists_the_waived_finding_apart_in_the_audit_issue(fake, tmp_path, monkeypatch):  # noqa: F811
    monkeypatch.chdir(tmp_path)
    published = audit(fake, "--publish")
    assert published.returncode == 1, published.stderr
    [issue] = audit_issues(fake)
    body = issue.description
    assert "**14 violation(s) open**" in body
    waived = body.split("### Waived findings")[1]
    assert "| INC003 |" in waived and "Moved from the old support tracker" in waived and "| 2026-06-30 |" in waived
    assert "INC003 warning" not in body  # not among the violations
