"""The audit issue's body and the HTML page: read at a glance, sorted by urgency, linking
the exact comment, stable for the same findings."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

import pytest

from inc_audit.audit import run_audit
from inc_audit.config import file as config_module
from inc_audit.findings import AuditResult
from inc_audit.formats import audit_issue, html, state
from inc_audit.formats.neutral import reference
from inc_audit.formats.registry import Options, format_text
from inc_audit.sources.export.source import ExportSource
from tests.conftest import AS_OF, EXAMPLE_CONFIG, EXAMPLE_EXPORT, PROJECT

LIVE_MENTION = re.compile(r"(?<![\w`\\])@[A-Za-z0-9_]")


@pytest.fixture(scope="module")
def tracked() -> AuditResult:
    config = config_module.load(EXAMPLE_CONFIG)
    audited = run_audit(ExportSource(EXAMPLE_EXPORT, project=PROJECT, web_base=config.gitlab_url or ""), config, AS_OF)
    return state.advance(audited, None).result


@pytest.fixture(scope="module")
def body(tracked: AuditResult) -> str:
    return audit_issue.render(tracked, Options())


def test_the_summary_line_names_the_totals_and_the_most_overdue(body: str):
    assert "**15 violation(s) open** (11 error(s), 4 warning(s)) in 7 of 12 incident(s)." in body
    assert f"Most overdue: {PROJECT}#5, due since 2026-02-04." in body


def test_who_must_act_counts_per_person(body: str):
    rows = dict(re.findall(r"^\| (\w+) \| [^|]+ \| (\d+) in ", body, re.MULTILINE))
    assert rows == {"alice": "7", "bob": "5", "dave": "5", "frank": "4", "grace": "4"}


def test_incidents_are_collapsible_and_sorted_by_urgency(body: str):
    order = re.findall(r"<summary><b>[\w/\-]+#(\d+)</b>.*· due since (\S+)</summary>", body)
    assert [iid for iid, _ in order] == ["5", "10", "11", "12", "7", "14", "18"]
    dues = [due for _, due in order]
    assert dues == sorted(dues)
    assert body.count("<details>") == body.count("</details>") == 7


def test_findings_link_the_exact_comment_and_never_a_bare_line(body: str):
    assert f"([comment](https://gitlab.example.com/{PROJECT}/-/issues/7#note_52021))" in body
    assert f"([change #6](https://gitlab.example.com/{PROJECT}/-/issues/6))" in body
    assert not re.search(r"\bline \d+", body)


def test_the_pie_counts_every_open_violation_and_one_point_draws_no_chart(body: str, tracked: AuditResult):
    slices = re.findall(r'^    "([A-Z]{3}\d{3})" : (\d+)$', body, re.MULTILINE)
    assert sum(int(count) for _, count in slices) == len(tracked.findings) == 15
    assert "pie showData" in body and "xychart-beta" not in body


def test_the_body_carries_one_state_block_and_no_live_mention(body: str):
    assert len(re.findall(r"<!-- inc-audit:state ", body)) == 1
    assert state.read(body, AS_OF) is not None
    assert not LIVE_MENTION.search(body)


def test_a_cut_body_keeps_its_state(tracked: AuditResult):
    cut = audit_issue.render(tracked, Options(max_chars=4000))
    assert len(cut) <= 4000 and "more incident(s) with violations are not shown" in cut
    kept = state.read(cut, AS_OF)
    assert kept is not None and len(kept.seen) == 15


def test_the_body_is_the_same_a_day_later_but_for_the_last_audited_line(tracked: AuditResult, body: str):
    later = audit_issue.render(replace(tracked, as_of=AS_OF + timedelta(days=1)), Options())
    assert audit_issue.without_audited_line(later) == audit_issue.without_audited_line(body)
    assert audit_issue.audited_on(later) == (AS_OF + timedelta(days=1)).date()
    assert audit_issue.audited_on(body) == AS_OF.date()


def test_the_last_audited_line_names_the_pipeline_when_there_is_one(tracked: AuditResult, body: str):
    assert "Last audited on 2026-06-01. " in body and "pipeline" not in body.split("Last audited")[1].split("\n")[0]
    url = "https://gitlab.example.com/umami-wallet/umami/-/pipelines/4242"
    piped = audit_issue.render(tracked, Options(pipeline=("4242", url)))
    assert f"Last audited on 2026-06-01 by [pipeline #4242]({url})." in piped
    odd = audit_issue.render(tracked, Options(pipeline=("4242", "javascript:alert(1)")))
    assert "Last audited on 2026-06-01 by pipeline #4242." in odd and "javascript" not in odd
    assert "pipeline #" not in audit_issue.render(tracked, Options(pipeline=("$(id)", url)))


def test_a_heartbeat_is_due_only_when_the_line_on_the_issue_is_a_week_old(tracked: AuditResult, body: str):
    def on(days: int) -> str:
        return audit_issue.render(replace(tracked, as_of=AS_OF + timedelta(days=days)), Options())

    assert not audit_issue.needs_heartbeat(body, on(6))
    assert audit_issue.needs_heartbeat(body, on(7))
    assert audit_issue.needs_heartbeat(audit_issue.without_audited_line(body), on(0))
    assert not audit_issue.needs_heartbeat(body, "no line at all")


def test_the_withheld_view_keeps_rules_and_people_and_drops_confidential_text(tracked: AuditResult, body: str):
    first = next(i for i, incident in enumerate(tracked.incidents) if incident.findings)
    confidential = replace(tracked.incidents[first], confidential=True, title="Seed phrase exposure")
    result = replace(tracked, incidents=tuple(confidential if i == first else incident
                                              for i, incident in enumerate(tracked.incidents)))
    shown = audit_issue.render(result, Options())
    visible = {reference(str(i.key)) for i in result.incidents if not i.confidential}
    view = audit_issue.withheld_view(shown, visible)
    assert "Seed phrase exposure" in shown and "Seed phrase exposure" not in view
    key = reference(str(confidential.key))
    assert f"<summary><b>{key}</b> (confidential incident) (" in view
    block = view.split(f"<summary><b>{key}</b>")[1].split("</details>")[0]
    rows = [line for line in block.splitlines() if line.startswith("| ") and not line.startswith("| Rule")]
    assert rows and all("| (withheld) |" in row for row in rows)
    assert all(row.split("|")[1].strip().split()[0] in {f.rule for f in confidential.findings} for row in rows)
    others = [i for i in result.incidents if i.findings and not i.confidential]
    assert all(f"</b> {i.title}" in view for i in others if "|" not in i.title and "*" not in i.title)


def test_the_text_report_says_who_must_act_and_how_late(tracked: AuditResult):
    text = format_text(tracked, Options())
    assert "-> frank (incident author), due 2026-02-04, 117 day(s) overdue" in text
    assert "-> alice (post-mortem approvers), due 2026-03-11, 82 day(s) overdue" in text


def test_the_html_page_is_self_contained(tracked: AuditResult):
    page = html.render(tracked, Options())
    assert page.startswith("<!DOCTYPE html>") and page.count("<details>") == 7
    assert "<script" not in page and "<link" not in page and not re.search(r"\bsrc=", page)
    assert all(url.startswith(f"https://gitlab.example.com/{PROJECT}/-/issues/")
               for url in re.findall(r'href="([^"]+)"', page))
    assert page.count("<svg") == 1 and "117 day(s)" in page


def test_the_html_page_draws_the_history_and_escapes_titles(tracked: AuditResult):
    first = tracked.incidents[1]
    hostile = replace(tracked, history=((AS_OF.date() - timedelta(days=1), 9), (AS_OF.date(), 15)),
                      incidents=(replace(first, title="<script>alert(1)</script>"), *tracked.incidents[2:]))
    page = html.render(hostile, Options())
    assert page.count("<svg") == 2 and "<script>alert" not in page


def test_the_pie_slices_close_the_circle():
    svg = html.pie_svg([("CHG001", 2), ("INC002", 5), ("IPM003", 1)], radius=90)
    arcs = re.findall(r'd="M100,100 L([\d.]+),([\d.]+) A90,90 0 (\d) 1 ([\d.]+),([\d.]+) Z"', svg)
    assert len(arcs) == 3
    assert (float(arcs[0][0]), float(arcs[0][1])) == (100.0, 10.0)  # starts at twelve o'clock
    assert (float(arcs[-1][3]), float(arcs[-1][4])) == pytest.approx((100.0, 10.0), abs=0.1)
    assert [large for _, _, large, _, _ in arcs] == ["0", "1", "0"]  # 5 of 8 is more than half
    for before, after in zip(arcs, arcs[1:], strict=False):
        assert (before[3], before[4]) == (after[0], after[1])


def test_the_summary_names_the_business_day_calendar(tracked: AuditResult):
    from inc_audit.workdays import Calendar

    paris = replace(tracked, calendar=Calendar.from_config({"timezone": "Europe/Paris"}))
    assert "Deadlines count business days (Europe/Paris)." in audit_issue.render(paris, Options())
