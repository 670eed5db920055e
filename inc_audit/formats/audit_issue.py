"""The audit issue's body: read at a glance, sorted by urgency, the same for the same findings.

Layout: a summary line; who must act, with counts per person; open violations by rule as
a Mermaid pie and a table; open violations over the last audits that changed them as a
Mermaid chart; then one collapsible block per incident, the most overdue first, whose
findings link the exact comment or change they are about. The hidden state block
(``inc_audit.formats.state``) rides at the top, so cutting incidents to GitLab's limit never cuts it.

Nothing here reads the clock: dates are absolute, never "3 days ago", so an audit whose
findings did not change gives the same body and the audit issue is not edited.

The one line that changes with each run says when and by which pipeline the issue was last
audited (``audited_line``), so that a stopped schedule shows. Publishing ignores it when
nothing else changed, unless the line on the issue is ``HEARTBEAT_DAYS`` old: an unchanged
audit edits the issue at most once in that many days (GitLab sends no email for a
description edit; it does add a "changed the description" entry to the issue's activity).

``withheld_view`` is the body as someone who may not read confidential incidents sees it:
what a dry run shows in a CI job log.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date

from inc_audit.audit import AUDIT_MARKER
from inc_audit.findings import AuditResult, Finding, IncidentResult
from inc_audit.formats import state as state_module
from inc_audit.formats import view
from inc_audit.formats.neutral import TITLE_LIMIT, neutral, reference, safe_link
from inc_audit.formats.options import WITHHELD, Options, title_of, withheld_count
from inc_audit.rules import RULES

RESERVE = 400
HEARTBEAT_DAYS = 7
AUDITED = re.compile(r"^Last audited on (\d{4}-\d{2}-\d{2})\b.*$", re.MULTILINE)
WITHHELD_TEXT = "(withheld)"


def render(result: AuditResult, options: Options) -> str:
    head = [AUDIT_MARKER]
    if result.history:
        head.append(state_module.render(state_module.of_result(result)))
    source = result.source.get("project") or result.source.get("group") or result.source.get("path", "")
    head += [f"## Incident policy audit of {neutral(str(source))}", "", audited_line(result, options), ""]
    if not result.violating:
        head.append(f"No violations in {len(result.incidents)} incident(s). :white_check_mark:")
        head += _history_chart(result)
        return "\n".join(head) + "\n"
    head += [summary_line(result), ""]
    head += _withheld_note(result, options)
    head += _who_must_act(result) + _by_rule(result) + _history_chart(result)
    head += ["### Incidents, most overdue first", ""]
    blocks = [_incident_block(incident, result, options) for incident in view.by_urgency(result)]
    return _fit("\n".join(head) + "\n", blocks, options)


def audited_line(result: AuditResult, options: Options) -> str:
    """When the issue was last audited, and by which pipeline when one is known."""
    pipeline_id, url = options.pipeline
    by = ""
    if pipeline_id.isdigit():
        link = safe_link(url)
        by = f" by [pipeline #{pipeline_id}]({link})" if link else f" by pipeline #{pipeline_id}"
    return (
        f"Last audited on {result.today.isoformat()}{by}. This line is renewed at least every "
        f"{HEARTBEAT_DAYS} days: an older date means the scheduled audit has stopped."
    )


def audited_on(body: str) -> date | None:
    """The date of ``body``'s "Last audited" line; None without one."""
    match = AUDITED.search(body)
    try:
        return date.fromisoformat(match.group(1)) if match else None
    except ValueError:
        return None


def without_audited_line(body: str) -> str:
    return AUDITED.sub("", body)


def needs_heartbeat(current: str, body: str) -> bool:
    """Whether ``body``, equal to ``current`` but for the "Last audited" line, must still be
    written: the line on the issue is missing or ``HEARTBEAT_DAYS`` older than the new one."""
    new = audited_on(body)
    if new is None:
        return False
    old = audited_on(current)
    return old is None or (new - old).days >= HEARTBEAT_DAYS


_SUMMARY = re.compile(r"^(<summary><b>)(?P<ref>[^<]*)(</b> )(?P<title>.*)( \([a-z_]+\) · \d+ violation.*)$")


def withheld_view(body: str, visible: Collection[str]) -> str:
    """``body`` with the title and the findings' text of every incident block whose
    reference is not in ``visible`` (the non-confidential incidents) withheld: rule codes,
    people and dates stay, so a diff of two views still says what changed."""
    lines: list[str] = []
    hidden = False
    for line in body.split("\n"):
        if line == "<details>":
            hidden = False
        match = _SUMMARY.match(line)
        if match:
            hidden = match.group("ref") not in visible
            if hidden:
                line = f"{match.group(1)}{match.group('ref')}{match.group(3)}{WITHHELD}{match.group(5)}"
        elif hidden and line.startswith("| ") and line.endswith(" |") and not line.startswith("| Rule |"):
            cells = re.split(r"(?<!\\)\|", line)
            if len(cells) >= 5:
                line = "|".join([cells[0], cells[1], f" {WITHHELD_TEXT} ", cells[-2], cells[-1]])
        if line == "</details>":
            hidden = False
        lines.append(line)
    return "\n".join(lines)


def summary_line(result: AuditResult) -> str:
    summary = result.summary()
    text = (
        f"**{summary['violations']} violation(s) open** ({summary['errors']} error(s), "
        f"{summary['warnings']} warning(s)) in {summary['incidents_with_violations']} of "
        f"{summary['incidents']} incident(s)."
    )
    urgent = view.by_urgency(result)[0]
    due = view.oldest_due(list(urgent.findings))
    if due is not None:
        text += f" Most overdue: {reference(str(urgent.key))}, due since {due.isoformat()}."
    if result.calendar.business:
        text += f" Deadlines count business days ({neutral(result.calendar.timezone)})."
    return text


def _who_must_act(result: AuditResult) -> list[str]:
    lines = ["### Who must act", "", "| Who | As | Open violations |", "|---|---|---|"]
    for person in view.who_must_act(result):
        name = neutral(person.name) if person.name else "*no one configured*"
        oldest = f", oldest due {person.oldest.isoformat()}" if person.oldest else ""
        lines.append(f"| {name} | {person.roles} | {person.open} in {len(person.incidents)} incident(s){oldest} |")
    return [*lines, ""]


def _by_rule(result: AuditResult) -> list[str]:
    counts = view.by_rule(result)
    lines = ["### Open violations by rule", "", "```mermaid", "pie showData title Open violations by rule"]
    lines += [f'    "{code}" : {count}' for code, count in counts]
    lines += ["```", "", "| Rule | Count | What it checks |", "|---|---|---|"]
    lines += [f"| {code} | {count} | {RULES[code].summary if code in RULES else ''} |" for code, count in counts]
    return [*lines, ""]


def _history_chart(result: AuditResult) -> list[str]:
    points = result.history[-state_module.MAX_HISTORY :]
    if len(points) < 2:
        return []
    top = max(count for _, count in points)
    labels = ", ".join(f'"{day.isoformat()[5:]}"' for day, _ in points)
    values = ", ".join(str(count) for _, count in points)
    span = f"{points[0][0].isoformat()} to {points[-1][0].isoformat()}"
    return [
        "### Open violations over time",
        "",
        "```mermaid",
        "xychart-beta",
        '    title "Open violations at each audit that changed them"',
        f"    x-axis [{labels}]",
        f'    y-axis "open violations" 0 --> {max(top, 1)}',
        f"    line [{values}]",
        "```",
        "",
        f"From {span}: {' → '.join(str(count) for _, count in points)}.",
        "",
    ]


def _incident_block(incident: IncidentResult, result: AuditResult, options: Options) -> str:
    findings = view.sorted_findings(incident)
    due = view.oldest_due(findings)
    since = f" · due since {due.isoformat()}" if due else ""
    label = reference(str(incident.key))
    link = safe_link(incident.web_url)
    ref = f"[{label}]({link})" if link else label
    lines = [
        "<details>",
        f"<summary><b>{label}</b> {neutral(title_of(incident, options), TITLE_LIMIT)} ({neutral(incident.state)}) · "
        f"{len(findings)} violation(s){since}</summary>",
        "",
        f"{ref} ({incident.state})",
        "",
        "| Rule | Finding | Who must act, due |",
        "|---|---|---|",
    ]
    lines += [_finding_row(incident, f, result) for f in findings]
    lines += ["", "</details>", ""]
    return "\n".join(lines)


def _finding_row(incident: IncidentResult, finding: Finding, result: AuditResult) -> str:
    target = view.link(incident, finding)
    where = f" ([{target[0]}]({safe_link(target[1])}))" if target and safe_link(target[1]) else ""
    when = [f"due {finding.due.isoformat()}"] if finding.due else []
    if finding.first_seen is not None:
        when.append(f"first seen {result.calendar.local_date(finding.first_seen).isoformat()}")
    who = neutral(view.owners_text(finding))
    return f"| {finding.rule} {finding.severity} | {neutral(finding.message)}{where} | {who}; {', '.join(when)} |"


def _withheld_note(result: AuditResult, options: Options) -> list[str]:
    """A line saying that titles are withheld, and why, when some are."""
    count = withheld_count(result, options)
    if not count:
        return []
    return [
        f"The titles of {count} confidential incident(s) are withheld: this report is not confidential"
        " (a public audit issue, or a report written in CI). Follow the links to read them.",
        "",
    ]


def _fit(head: str, blocks: list[str], options: Options) -> str:
    shown: list[str] = []
    size = len(head)
    for block in blocks:
        if size + len(block) + 1 > options.max_chars - RESERVE:
            break
        shown.append(block)
        size += len(block) + 1
    text = head + "\n".join(shown)
    left = len(blocks) - len(shown)
    if left:
        text += (
            f"\n**{left} more incident(s) with violations are not shown:** GitLab limits a "
            f"description to {options.max_chars:,} characters. The full list is in "
            f"{neutral(options.full_report)}.\n"
        )
    return text
