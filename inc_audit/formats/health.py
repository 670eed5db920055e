"""The policy's health at a glance: figures from what the audit already read.

Per month an incident was filed in (the team's time zone): how many were filed; the median
days from filing to closing; from closing to the post-mortem; from the post-mortem to its
approval; and the share of them fully compliant (no open violation; a waived finding is
none). Per rule: how many violations are open, and how long they have been open, counted
from the day each fell due (calendar days, as of the audit). Medians of nothing are None.
The same result gives the same figures: nothing here reads the clock.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from statistics import median
from typing import Any

from inc_audit.findings import RULES, AuditResult, IncidentResult  # the codes' meanings, without the rules


def _days(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None or end < start:
        return None
    return (end - start).total_seconds() / 86400


def _median(values: list[float | None]) -> float | None:
    kept = [v for v in values if v is not None]
    return round(median(kept), 1) if kept else None


def _incidents(result: AuditResult) -> list[IncidentResult]:
    return [i for i in result.incidents if not i.location and i.timeline is not None]


def figures(result: AuditResult) -> dict[str, Any]:
    """The health figures, as the JSON report carries them."""
    months: dict[str, list[IncidentResult]] = defaultdict(list)
    for incident in _incidents(result):
        assert incident.timeline is not None
        months[result.calendar.local_date(incident.timeline.filed).strftime("%Y-%m")].append(incident)
    monthly = []
    for month in sorted(months):
        group = months[month]
        lines = [i.timeline for i in group if i.timeline is not None]
        monthly.append({
            "month": month,
            "filed": len(group),
            "median_days_to_close": _median([_days(t.filed, t.closed) for t in lines]),
            "median_days_close_to_post_mortem": _median([_days(t.closed, t.post_mortem) for t in lines]),
            "median_days_post_mortem_to_approval": _median([_days(t.post_mortem, t.approved) for t in lines]),
            "compliant_share": round(sum(1 for i in group if not i.findings) / len(group), 3),
        })
    today = result.today
    open_days: dict[str, list[int]] = defaultdict(list)
    counts: dict[str, int] = defaultdict(int)
    for incident in result.incidents:
        for finding in incident.findings:
            counts[finding.rule] += 1
            if finding.due is not None:
                open_days[finding.rule].append(max(0, (today - finding.due).days))
    rules = [
        {
            "rule": code,
            "means": RULES[code].summary if code in RULES else "",
            "open": counts[code],
            "median_days_open": _median([float(d) for d in open_days[code]]),
            "longest_days_open": max(open_days[code]) if open_days[code] else None,
        }
        for code in sorted(counts)
    ]
    return {"months": monthly, "rules": rules}
