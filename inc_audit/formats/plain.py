"""The text report (for a terminal or a job log) and the JSON report (for scripts)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import click

from inc_audit import __version__
from inc_audit.findings import AuditResult, Finding, IncidentResult
from inc_audit.formats import health, view
from inc_audit.formats.neutral import TITLE_LIMIT, plain
from inc_audit.formats.options import Options, message_of, shows, title_of
from inc_audit.formats.view import owners_text
from inc_audit.text import json_printable

_COLOURS = {"error": "red", "warning": "yellow"}


def where(finding: Finding) -> str:
    said = finding.where in ("description", "template") or finding.where.startswith(("linked", "unlinked"))
    parts = [] if said else [finding.where]
    if finding.line:
        parts.append(f"line {finding.line}")
    return f" ({', '.join(parts)})" if parts else ""


_NOUNS = {"templates": "file(s)", "file": "document(s)"}


def _noun(result: AuditResult) -> str:
    return _NOUNS.get(str(result.source.get("kind")), "incident(s)")


def _totals(result: AuditResult) -> str:
    s = result.summary()
    return (
        f"{s['violations']} violation(s) ({s['errors']} error(s), {s['warnings']} warning(s)) "
        f"in {s['incidents_with_violations']} of {s['incidents']} {_noun(result)}"
    )


def _duty(finding: Finding, result: AuditResult) -> str:
    """Who must act on a finding and since when: "-> frank (incident author), due 2026-02-04, 117 days overdue"."""
    if not finding.party and finding.due is None:
        return ""
    parts = [owners_text(finding)]
    late = result.days_overdue(finding)
    if finding.due is not None:
        parts.append(f"due {finding.due.isoformat()}" + (f", {late} {result.calendar.unit}(s) overdue" if late else ""))
    if finding.first_seen is not None and finding.first_seen < result.as_of:
        parts.append(f"first seen {result.calendar.local_date(finding.first_seen).isoformat()}")
    return "-> " + ", ".join(parts)


def format_text(result: AuditResult, options: Options) -> str:
    def paint(text: str, **style: object) -> str:
        return click.style(text, **style) if options.color else text  # type: ignore[arg-type]

    lines = []
    for incident in (i for i in result.incidents if i.findings or i.notes):
        label = incident.location or str(incident.key)
        head = f"{plain(label)}  {plain(title_of(incident, options), TITLE_LIMIT)}  [{plain(incident.state)}]"
        url = view.issue_url(result, incident)
        lines.append(paint(head, bold=True) + (f"  {plain(url)}" if url else ""))
        for finding in incident.findings:
            severity = paint(f"{finding.severity:<7}", fg=_COLOURS[finding.severity])
            said = plain(message_of(incident, finding, options) + where(finding))
            lines.append(f"  {severity} {paint(finding.rule, bold=True)}  {said}")
            duty = _duty(finding, result)
            if duty:
                lines.append(f"                  {paint(plain(duty), dim=True)}")
        for note in incident.notes:
            lines.append(f"  {paint('note   ', dim=True)}         {plain(note)}")
        lines.append("")
    lines += _waived_lines(result)
    if result.violating:
        lines.append(paint(f"{_totals(result)}.", bold=True))
    else:
        lines.append(f"No violations in {len(result.incidents)} {_noun(result)}.")
    return "\n".join(lines) + "\n"


def _waived_lines(result: AuditResult) -> list[str]:
    """The findings waivers hold, apart: they are not violations until the waiver expires."""
    pairs = view.waived(result)
    if not pairs:
        return []
    lines = [f"Waived, not violations until the waiver expires ({len(pairs)}):"]
    for incident, waived in pairs:
        finding = waived.finding
        lines.append(f"  {plain(str(incident.key))}  {finding.rule}  {plain(finding.message + where(finding))}")
        lines.append(f"                  until {waived.expires.isoformat()}, approved by {plain(waived.approved_by)}:"
                     f" {plain(waived.reason)}")
    return [*lines, ""]


def format_json(result: AuditResult, options: Options) -> str:
    return "".join(json_pieces(result, options))


def json_pieces(result: AuditResult, options: Options) -> Iterator[str]:
    """The JSON report in pieces that join to ``format_json``'s text: the document up to its
    incidents, then each incident, then the end. A writer can write them one by one, so a large
    audit's report is never held whole (each piece is printable and repaired on its own: the
    escapes and repairs touch single characters)."""
    document = {
        "version": 1,
        "tool": {"name": "inc-audit", "version": __version__},
        "as_of": result.as_of.isoformat().replace("+00:00", "Z"),
        "complete": result.complete,
        "source": result.source,
        "summary": result.summary(),
        "incidents": [],
    }
    if any(i.timeline is not None for i in result.incidents):
        document["health"] = health.figures(result)
    document["incidents"] = document.pop("incidents")  # last, so that it can be written one by one
    text = json.dumps(document, indent=2, ensure_ascii=False)
    if not result.incidents:
        yield json_printable(text) + "\n"
        return
    # json.dumps with an indent builds the whole document as a list of small pieces first: on
    # a large audit that costs many times the report's size. Each incident is written on its
    # own and indented as json.dumps would nest it (same bytes).
    assert text.endswith('"incidents": []\n}')
    yield json_printable(text[: -len("[]\n}")] + "[\n")
    separator = ""
    for incident in result.incidents:
        data = json.dumps(_json_incident(incident, options, result), indent=2, ensure_ascii=False)
        yield separator + json_printable("    " + data.replace("\n", "\n    "))
        separator = ",\n"
    yield "\n  ]\n}\n"


def _json_incident(incident: IncidentResult, options: Options, result: AuditResult) -> dict[str, object]:
    data = incident.as_dict()
    data["title"] = title_of(incident, options)
    entries: list[dict[str, object]] = data["findings"]
    for finding, entry in zip(incident.findings, entries, strict=True):
        if not shows(incident, options):
            entry["message"] = finding.withheld()
            entry.pop("quoted", None)
        late = result.days_overdue(finding)
        if late is not None:
            entry["days_overdue"] = late
    return data
