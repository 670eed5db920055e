"""The policy's health figures on the example export, worked out by hand from the export's
own moments (examples/umami-export), as of 2026-06-01, with the example's waiver; and
where they show: the JSON report, a short table in the audit issue, charts in the HTML page."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from statistics import median

import jsonschema
from click.testing import CliRunner

from inc_audit.cli import main
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT, ROOT

EXAMPLE = ["--export", str(EXAMPLE_EXPORT), "--config", str(EXAMPLE_CONFIG), "--as-of", "2026-06-01"]


def days(start: str, end: str) -> float:
    return (datetime.fromisoformat(end) - datetime.fromisoformat(start)) / timedelta(days=1)


def med(*values: float) -> float:
    return round(median(values), 1)


def report() -> dict:
    result = CliRunner().invoke(main, ["run", *EXAMPLE, "--format", "json"], catch_exceptions=False)
    return json.loads(result.stdout)


def test_the_monthly_figures_are_those_worked_out_by_hand():
    months = {m["month"]: m for m in report()["health"]["months"]}
    assert sorted(months) == ["2026-01", "2026-02", "2026-03", "2026-05"]  # nothing filed in April
    # January: #1 (filed 01-08 08:52, closed 01-12 16:30, post-mortem 01-14 11:00, approved 01-15 09:30)
    # and #3 (filed 01-27 14:03, closed 02-03 10:00, post-mortem 02-09 12:00, approved 02-12 15:10).
    january = months["2026-01"]
    assert january["filed"] == 2
    # 4.32 and 6.83 days to close: median 5.575
    assert january["median_days_to_close"] == med(days("2026-01-08T08:52", "2026-01-12T16:30"),
                                                  days("2026-01-27T14:03", "2026-02-03T10:00")) == 5.6
    # 1.77 and 6.08 days from closing to the post-mortem: median 3.93
    assert january["median_days_close_to_post_mortem"] == 3.9
    # 0.94 and 3.13 days from the post-mortem to its approval: median 2.03
    assert january["median_days_post_mortem_to_approval"] == 2.0
    assert january["compliant_share"] == 1.0  # neither has a finding
    # February: #5, #7, #8, #10, #11, #12 filed. Compliant: #8, and #11 whose only finding is waived: 2 of 6.
    february = months["2026-02"]
    assert february["filed"] == 6 and february["compliant_share"] == round(2 / 6, 3)
    # Closed: #5 (02-04 10:20 → 02-20 11:10, 16.03 d), #7 (02-06 09:00 → 03-02 09:30, 24.02 d),
    # #8 (02-07 11:30 → 05-28 10:00, 109.94 d), #10 (02-09 16:40 → 02-10 09:15, 0.69 d): median of four 20.03
    assert february["median_days_to_close"] == med(16.03, 24.02, 109.94, 0.69) == 20.0
    # Post-mortems: #5 (closed 02-20 11:10, posted 02-23 10:00: 2.95 d), #7 (03-02 09:30 → 03-04 14:00: 2.19 d);
    # #8 has none yet (within its grace period), #10 none: median 2.57
    assert february["median_days_close_to_post_mortem"] == med(2.95, 2.19) == 2.6
    # Approved: only #5 (02-23 10:00 → 02-24 16:20: 1.26 d); #7's is not approved (IPM003)
    assert february["median_days_post_mortem_to_approval"] == 1.3
    # March: #13, #14, #17; #13 and #17 compliant.
    march = months["2026-03"]
    assert march["filed"] == 3 and march["compliant_share"] == round(2 / 3, 3)
    # #13 37.15 d, #14 41.05 d, #17 3.65 d: median 37.15
    assert march["median_days_to_close"] == 37.2
    # #13 0.94 d, #14 2.25 d, #17 3.17 d: median 2.25 (GitLab keeps minutes: 2.2 once rounded from 2.25)
    assert march["median_days_close_to_post_mortem"] == med(days("2026-04-20T09:00", "2026-04-22T15:00")) == 2.2
    # Approved: #13 (04-16 10:30 → 04-17 09:00: 0.94 d) and #17 (03-23 14:00 → 03-26 09:15: 2.80 d): median 1.87
    assert march["median_days_post_mortem_to_approval"] == 1.9
    # May: #18, open, with findings: no close, no post-mortem, not compliant.
    assert months["2026-05"] == {"month": "2026-05", "filed": 1, "median_days_to_close": None,
                                 "median_days_close_to_post_mortem": None,
                                 "median_days_post_mortem_to_approval": None, "compliant_share": 0.0}


def test_how_long_each_rules_violations_stay_open_worked_out_by_hand():
    rules = {r["rule"]: r for r in report()["health"]["rules"]}
    assert "INC003" not in rules  # waived
    # IPM003: #7 due 03-11 (82 days before 06-01) and #14 due 04-29 (33 days): median 57.5, longest 82
    assert (rules["IPM003"]["open"], rules["IPM003"]["median_days_open"], rules["IPM003"]["longest_days_open"]) \
        == (2, 57.5, 82)
    # INC002: two on #5 due 02-04 (117 days), three on #18 due 05-30 (2 days): median 2, longest 117
    assert (rules["INC002"]["open"], rules["INC002"]["median_days_open"], rules["INC002"]["longest_days_open"]) \
        == (5, 2.0, 117)
    # CHG001: #7 due 03-02 (91 days), #10 due 02-10 (111 days): median 101
    assert rules["CHG001"]["median_days_open"] == 101.0 and rules["CHG001"]["longest_days_open"] == 111
    assert rules["IPM003"]["means"] == "The post-mortem is not approved"


def test_the_json_report_with_its_figures_is_valid():
    schema = json.loads((ROOT / "schemas" / "report.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(report(), schema, format_checker=jsonschema.FormatChecker())


def test_the_audit_issue_has_a_short_table_by_month_and_no_figure_that_moves_with_the_clock():
    body = CliRunner().invoke(main, ["run", *EXAMPLE, "--format", "markdown"], catch_exceptions=False).stdout
    table = body.split("### The policy's health, by month filed")[1].split("\n\n")[1]
    assert "| 2026-01 | 2 | 5.6 | 3.9 | 2 | 100% |" in table
    assert "| 2026-05 | 1 | – | – | – | 0% |" in table
    later = CliRunner().invoke(main, ["run", *EXAMPLE[:-1], "2026-06-03", "--format", "markdown"],
                               catch_exceptions=False).stdout
    assert later.split("### The policy's health")[1].split("\n\n")[1] == table


def test_the_html_charts_hold_the_json_figures_and_the_legend_says_what_each_rule_means(tmp_path):
    page = tmp_path / "audit.html"
    CliRunner().invoke(main, ["run", *EXAMPLE, "--report", f"html={page}"], catch_exceptions=False)
    html = page.read_text(encoding="utf-8")
    assert figures_in(html) == figures_of(report())
    assert "IPM003: 2 · The post-mortem is not approved" in html
    assert "<script" not in html and "http://" not in html.split("</style>")[0]


def figures_of(document: dict) -> dict[tuple[str, str], str]:
    """Every figure the charts should show, as (figure, key) → value text."""
    found = {}
    for month in document["health"]["months"]:
        for name in ("filed", "median_days_to_close", "median_days_close_to_post_mortem",
                     "median_days_post_mortem_to_approval"):
            value = month[name]
            found[(name, month["month"])] = "none" if value is None else f"{value:g}"
        found[("compliant_share", month["month"])] = f"{round(100 * month['compliant_share']):g}"
    for rule in document["health"]["rules"]:
        value = rule["median_days_open"]
        found[("median_days_open", rule["rule"])] = "none" if value is None else f"{value:g}"
    return found


def figures_in(html: str) -> dict[tuple[str, str], str]:
    pattern = r'data-figure="([a-z_]+)" data-key="([^"]+)" data-value="([^"]+)"'
    return {(figure, key): value for figure, key, value in re.findall(pattern, html)}
