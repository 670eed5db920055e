"""One self-contained HTML page of the audit (``--report html=PATH``), for CI artifacts.

The same content as the audit issue, with the charts drawn as inline SVG: no script, no
style sheet or font to fetch, so the page opens from a job's artifacts as it is.
"""

from __future__ import annotations

import html
import math

from inc_audit.findings import AuditResult, Finding, IncidentResult
from inc_audit.formats import charts, health, view
from inc_audit.formats.neutral import safe_link
from inc_audit.formats.options import Options, message_of, title_of
from inc_audit.rules import RULES
from inc_audit.text import printable


def escape(text: str) -> str:
    """HTML-escaped and ``printable``: the report may end up printed in a job log."""
    return html.escape(printable(text))

PALETTE = ("#1f75cb", "#dd2b0e", "#ef8e00", "#108548", "#7b58cf", "#00867b", "#c0116e", "#5e5e5e", "#9e5400")
STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:70em;color:#222;padding:0 1em}
table{border-collapse:collapse;margin:.5em 0 1.5em}
td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}th{background:#f3f3f3}
details{margin:.4em 0;border:1px solid #ddd;border-radius:4px;padding:.3em .8em}
summary{cursor:pointer}.error{color:#b3261e;font-weight:600}.warning{color:#8a5300;font-weight:600}
.charts{display:flex;flex-wrap:wrap;gap:2em}.late{color:#b3261e}
figure{margin:0 0 1em}figcaption{font-size:13px;color:#444}
@media print{details{display:block}details>*{display:block}.charts{display:block}}
"""


def render(result: AuditResult, options: Options) -> str:
    source = result.source.get("project") or result.source.get("group") or result.source.get("path", "")
    title = f"Incident policy audit of {source}"
    parts = [f"<h1>{escape(title)}</h1>", f"<p>As of {escape(result.as_of.isoformat())}.</p>"]
    if not result.violating:
        parts.append(f"<p>No violations in {len(result.incidents)} incident(s).</p>")
    else:
        parts += [f"<p>{escape(_summary(result))}</p>", _who(result), _charts(result)]
        parts.append("<h2>Incidents, most overdue first</h2>")
        parts += [_incident(incident, result, options) for incident in view.by_urgency(result)]
    if any(i.timeline is not None for i in result.incidents):
        parts.append(charts.health_section(health.figures(result)))
    parts.append(_waived(result, options))
    head = f'<meta charset="utf-8"><title>{escape(title)}</title><style>{STYLE}</style>'
    return f"<!DOCTYPE html>\n<html lang=\"en\"><head>{head}</head><body>\n" + "\n".join(parts) + "\n</body></html>\n"


def _summary(result: AuditResult) -> str:
    s = result.summary()
    return (
        f"{s['violations']} open violation(s) ({s['errors']} error(s), {s['warnings']} warning(s)) "
        f"in {s['incidents_with_violations']} of {s['incidents']} incident(s)."
    )


def _who(result: AuditResult) -> str:
    rows = "".join(
        f"<tr><td>{escape(p.name or 'no one configured')}</td><td>{escape(p.roles)}</td><td>{p.open}</td>"
        f"<td>{len(p.incidents)}</td><td>{p.oldest.isoformat() if p.oldest else ''}</td></tr>"
        for p in view.who_must_act(result)
    )
    head = "<tr><th>Who</th><th>As</th><th>Open</th><th>Incidents</th><th>Oldest due</th></tr>"
    return f"<h2>Who must act</h2><table>{head}{rows}</table>"


def _charts(result: AuditResult) -> str:
    charts = [f"<figure>{pie_svg(view.by_rule(result))}<figcaption>Open violations by rule</figcaption></figure>"]
    if len(result.history) >= 2:
        caption = "Open violations at each audit that changed them"
        charts.append(f"<figure>{line_svg(list(result.history))}<figcaption>{caption}</figcaption></figure>")
    return '<div class="charts">' + "".join(charts) + "</div>"


def pie_svg(counts: list[tuple[str, int]], radius: int = 90) -> str:
    total = sum(count for _, count in counts) or 1
    cx = cy = radius + 10
    shapes, legend, angle = [], [], -math.pi / 2
    for index, (code, count) in enumerate(counts):
        colour = PALETTE[index % len(PALETTE)]
        sweep = 2 * math.pi * count / total
        if count == total:
            shapes.append(f'<circle cx="{cx}" cy="{cy}" r="{radius}" fill="{colour}"/>')
        else:
            x1, y1 = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
            x2, y2 = cx + radius * math.cos(angle + sweep), cy + radius * math.sin(angle + sweep)
            large = 1 if sweep > math.pi else 0
            shapes.append(
                f'<path d="M{cx},{cy} L{x1:.1f},{y1:.1f} A{radius},{radius} 0 {large} 1 {x2:.1f},{y2:.1f} Z" '
                f'fill="{colour}"><title>{escape(code)}: {count}</title></path>'
            )
        angle += sweep
        y = 20 + index * 20
        legend.append(
            f'<rect x="{2 * cx + 10}" y="{y - 11}" width="12" height="12" fill="{colour}"/>'
            f'<text x="{2 * cx + 28}" y="{y}">{escape(code)}: {count}'
            f'{" · " + escape(RULES[code].summary) if code in RULES else ""}</text>'
        )
    height = max(2 * cy, 30 + 20 * len(counts))
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{2 * cx + 640}" height="{height}" role="img" '
            f'font-size="13">{"".join(shapes)}{"".join(legend)}</svg>')


def line_svg(points: list[tuple[object, int]], width: int = 420, height: int = 180) -> str:
    top = max(count for _, count in points) or 1
    left, bottom, inner_w, inner_h = 40, height - 30, width - 60, height - 50
    step = inner_w / max(len(points) - 1, 1)
    coords = [(left + i * step, bottom - inner_h * count / top) for i, (_, count) in enumerate(points)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in coords)
    dots = "".join(
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#1f75cb"><title>{escape(str(day))}: {count}</title></circle>'
        for (x, y), (day, count) in zip(coords, points, strict=True)
    )
    labels = (f'<text x="{left}" y="{height - 10}">{escape(str(points[0][0]))}</text>'
              f'<text x="{left + inner_w}" y="{height - 10}" text-anchor="end">{escape(str(points[-1][0]))}</text>'
              f'<text x="{left - 6}" y="{bottom - inner_h + 4}" text-anchor="end">{top}</text>'
              f'<text x="{left - 6}" y="{bottom + 4}" text-anchor="end">0</text>')
    axes = f'<path d="M{left},{bottom - inner_h} V{bottom} H{left + inner_w}" stroke="#888" fill="none"/>'
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" font-size="12">'
            f'{axes}<polyline points="{path}" fill="none" stroke="#1f75cb" stroke-width="2"/>{dots}{labels}</svg>')


def _incident(incident: IncidentResult, result: AuditResult, options: Options) -> str:
    findings = view.sorted_findings(incident)
    due = view.oldest_due(findings)
    ref = escape(view.label(incident))
    url = view.issue_url(result, incident)
    link = f'<a href="{escape(url)}">{ref}</a>' if url else ref
    summary = (f"<b>{ref}</b> {escape(title_of(incident, options))} ({escape(incident.state)}) · "
               f"{len(findings)} violation(s){' · due since ' + due.isoformat() if due else ''}")
    rows = "".join(_row(incident, f, result, options) for f in findings)
    head = "<tr><th>Rule</th><th>Finding</th><th>Who must act</th><th>Due</th><th>Overdue</th><th>First seen</th></tr>"
    return f"<details><summary>{summary}</summary><p>{link}</p><table>{head}{rows}</table></details>"


def _waived(result: AuditResult, options: Options) -> str:
    pairs = view.waived(result)
    if not pairs:
        return ""
    head = "<tr><th>Incident</th><th>Rule</th><th>Finding</th><th>Reason</th><th>Approved by</th><th>Expires</th></tr>"
    rows = "".join(
        f"<tr><td>{escape(str(incident.key))}</td><td>{escape(w.finding.rule)}</td>"
        f"<td>{escape(message_of(incident, w.finding, options))}</td>"
        f"<td>{escape(w.reason)}</td><td>{escape(w.approved_by)}</td><td>{w.expires.isoformat()}</td></tr>"
        for incident, w in pairs
    )
    return f"<h2>Waived findings</h2><p>Not violations until the waiver expires.</p><table>{head}{rows}</table>"


def _row(incident: IncidentResult, finding: Finding, result: AuditResult, options: Options) -> str:
    target = view.link(incident, finding, view.issue_url(result, incident))
    url = safe_link(target[1], view.home(result)) if target else ""
    where = f' (<a href="{escape(url)}">{escape(target[0])}</a>)' if target and url else ""
    late = result.days_overdue(finding)
    overdue = f'<span class="late">{late} {result.calendar.unit}(s)</span>' if late else ""
    seen = result.calendar.local_date(finding.first_seen).isoformat() if finding.first_seen else ""
    summary = RULES[finding.rule].summary if finding.rule in RULES else ""
    return (
        f'<tr><td title="{escape(summary)}">{escape(finding.rule)} '
        f'<span class="{escape(finding.severity)}">{escape(finding.severity)}</span></td>'
        f"<td>{escape(message_of(incident, finding, options))}{where}</td><td>{escape(view.owners_text(finding))}</td>"
        f"<td>{finding.due.isoformat() if finding.due else ''}</td><td>{overdue}</td><td>{seen}</td></tr>"
    )
