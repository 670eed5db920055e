"""Reporters: pure functions from an audit result to text. Only the CLI writes.

Text taken from issues (titles above all) goes through ``neutral`` before it
reaches markdown, so the audit issue holds no live @mention, no line GitLab
would run as a quick action, and no ``|`` that breaks a table.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import click

from inc_audit import __version__
from inc_audit.findings import AuditResult, Finding, IncidentResult
from inc_audit.formats.view import owners_text
from inc_audit.rules import RULES

GITLAB_DESCRIPTION_LIMIT = 1_048_576
_MENTION = re.compile(r"@(?=[\w.\-])")
_COLOURS = {"error": "red", "warning": "yellow"}


@dataclass(frozen=True)
class Options:
    color: bool = False
    show_confidential: bool = True  # False: confidential incidents by reference only
    max_chars: int = GITLAB_DESCRIPTION_LIMIT
    full_report: str = "the JSON report kept as the audit job's artifact"
    ignored: tuple[str, ...] = ()
    fail_on: str = "error"  # JUnit: warnings are failed test cases only with "warning"
    root: str = ""  # the repository root that file paths are given relative to (default: here)


def neutral(text: str) -> str:
    """Text from an issue, made safe for one markdown table cell or line."""
    text = " ".join(text.split())
    text = text.replace("\\", "\\\\").replace("|", "\\|").replace("`", "\\`")
    text = text.replace("<", "&lt;").replace(">", "&gt;")
    text = _MENTION.sub("@\u200b", text)
    return "\\" + text if text.startswith("/") else text


def title_of(incident: IncidentResult, options: Options) -> str:
    if incident.confidential and not options.show_confidential:
        return "(confidential incident)"
    return incident.title


def _where(finding: Finding) -> str:
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
    for incident in result.violating:
        label = incident.location or str(incident.key)
        head = f"{label}  {title_of(incident, options)}  [{incident.state}]"
        lines.append(paint(head, bold=True) + (f"  {incident.web_url}" if incident.web_url else ""))
        for finding in incident.findings:
            severity = paint(f"{finding.severity:<7}", fg=_COLOURS[finding.severity])
            lines.append(f"  {severity} {paint(finding.rule, bold=True)}  {finding.message}{_where(finding)}")
            duty = _duty(finding, result)
            if duty:
                lines.append(f"                  {paint(duty, dim=True)}")
        lines.append("")
    if result.violating:
        lines.append(paint(f"{_totals(result)}.", bold=True))
    else:
        lines.append(f"No violations in {len(result.incidents)} {_noun(result)}.")
    return "\n".join(lines) + "\n"


def format_json(result: AuditResult, options: Options) -> str:
    document = {
        "version": 1,
        "tool": {"name": "inc-audit", "version": __version__},
        "as_of": result.as_of.isoformat().replace("+00:00", "Z"),
        "complete": result.complete,
        "source": result.source,
        "summary": result.summary(),
        "incidents": [_json_incident(i, options, result) for i in result.incidents],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _json_incident(incident: IncidentResult, options: Options, result: AuditResult) -> dict[str, object]:
    data = incident.as_dict()
    data["title"] = title_of(incident, options)
    entries: list[dict[str, object]] = data["findings"]
    for finding, entry in zip(incident.findings, entries, strict=True):
        late = result.days_overdue(finding)
        if late is not None:
            entry["days_overdue"] = late
    return data


def format_markdown(result: AuditResult, options: Options) -> str:
    """The audit issue's body. It holds no run time, so an unchanged audit gives the same body."""
    from inc_audit.formats import audit_issue

    return audit_issue.render(result, options)


def _junit_cases(incident: IncidentResult, options: Options) -> list[ET.Element]:
    cases = []
    scope = "template" if incident.location else "incident"
    for code, registered in RULES.items():
        if code in options.ignored or registered.scope != scope:
            continue
        case = ET.Element("testcase", classname=str(incident.key), name=f"{code} {registered.summary}")
        if incident.location:
            case.set("file", repo_path(incident.location, options.root))
        hits = [f for f in incident.findings if f.rule == code]
        failing = [f for f in hits if f.severity == "error" or options.fail_on == "warning"]
        if failing:
            failure = ET.SubElement(case, "failure", type=code, message=failing[0].message + _where(failing[0]))
            failure.text = "\n".join(f"{f.severity}: {f.message}{_where(f)}" for f in failing)
        output = [incident.web_url] if incident.web_url else []
        output += [f"{f.severity}: {f.message}{_where(f)}" for f in hits if f not in failing]
        if output:
            ET.SubElement(case, "system-out").text = "\n".join(output)
        cases.append(case)
    return cases


def format_junit(result: AuditResult, options: Options) -> str:
    suites = ET.Element("testsuites", name="inc-audit")
    for incident in result.incidents:
        cases = _junit_cases(incident, options)
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=f"{incident.key} {title_of(incident, options)}",
            tests=str(len(cases)),
            failures=str(sum(1 for c in cases if c.find("failure") is not None)),
            errors="0",
            skipped="0",
        )
        suite.extend(cases)
    suites.set("tests", str(sum(int(s.get("tests", 0)) for s in suites)))
    suites.set("failures", str(sum(int(s.get("failures", 0)) for s in suites)))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


_CODEQUALITY_SEVERITY = {"error": "major", "warning": "minor"}


def repo_path(location: str, root: str = "") -> str:
    """``location`` as a path relative to the repository root, with forward slashes, as GitLab
    links it (``<project>/-/blob/<sha>/<path>``)."""
    base = Path(root or ".").resolve()
    path = Path(location)
    resolved = (path if path.is_absolute() else Path.cwd() / path).resolve()
    try:
        return resolved.relative_to(base).as_posix()
    except ValueError:
        return path.as_posix().removeprefix("./")


def format_codequality(result: AuditResult, options: Options) -> str:
    """Code Quality entries for findings in repository files (the template gate, the config).

    GitLab turns every entry's ``location.path`` into a link to that file at the pipeline's
    commit, so an incident, which is no file, has no entry here: its findings are in the
    JUnit report and the audit issue.
    """
    entries = []
    seen: dict[str, int] = {}
    for incident in result.incidents:
        if not incident.location:
            continue
        path = repo_path(incident.location, options.root)
        for f in incident.findings:
            identity = "\x1f".join((f.rule, path, f.where, f.section or "", f.message))
            seen[identity] = seen.get(identity, 0) + 1
            digest = hashlib.sha256(f"{identity}\x1f{seen[identity]}".encode()).hexdigest()
            entries.append(
                {
                    "description": f"{f.rule}: {f.message}",
                    "check_name": f.rule,
                    "fingerprint": digest,
                    "severity": _CODEQUALITY_SEVERITY[f.severity],
                    "location": {"path": path, "lines": {"begin": f.line or 1}},
                }
            )
    return json.dumps(entries, indent=2, ensure_ascii=False) + "\n"


def format_html(result: AuditResult, options: Options) -> str:
    """One self-contained HTML page of the audit, for CI artifacts."""
    from inc_audit.formats import html

    return html.render(result, options)


Reporter = Callable[[AuditResult, Options], str]

REPORTERS: dict[str, Reporter] = {
    "text": format_text,
    "markdown": format_markdown,
    "json": format_json,
    "junit": format_junit,
    "codequality": format_codequality,
    "html": format_html,
}
MAIN_FORMATS = ("text", "markdown", "json")
