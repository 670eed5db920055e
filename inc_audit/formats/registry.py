"""Reporters: pure functions from an audit result to text. Only the CLI writes.

Text taken from issues (titles above all) goes through ``neutral`` (see
``inc_audit.neutral``) before it reaches markdown, so the audit issue holds no live
reference or mention, no markup, no line GitLab would run as a quick action, and no
``|`` that breaks a table; the text report shows it ``plain``. Every reporter's output
has its lone surrogates repaired (JUnit also loses the characters XML forbids), so any
writer can encode it.

A confidential incident's title is shown only where ``Options.show_confidential``
allows: ``titles_shown`` decides it for reports written by the CLI (withheld in CI
unless asked otherwise), the config's ``audit_issue.confidential`` for the audit issue.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree as ET

import click

from inc_audit import __version__
from inc_audit.findings import AuditResult, Finding, IncidentResult
from inc_audit.formats.view import owners_text
from inc_audit.neutral import TITLE_LIMIT, neutral, plain, xml_safe
from inc_audit.rules import RULES
from inc_audit.text import repair

__all__ = ["REPORTERS", "MAIN_FORMATS", "Options", "neutral", "titles_shown", "title_of"]

GITLAB_DESCRIPTION_LIMIT = 1_048_576
WITHHELD = "(confidential incident)"
CONFIDENTIAL_TITLES = ("auto", "show", "withhold")
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


def titles_shown(choice: str = "auto", environ: Mapping[str, str] | None = None) -> bool:
    """Whether reports show confidential incidents' titles: ``show``, ``withhold``, or
    ``auto``: withheld in CI (``CI`` set), where job logs and artifacts reach anyone who
    can see the pipeline, shown elsewhere."""
    if choice == "auto":
        return not (os.environ if environ is None else environ).get("CI")
    return choice == "show"


def title_of(incident: IncidentResult, options: Options) -> str:
    if incident.confidential and not options.show_confidential:
        return WITHHELD
    return incident.title


def withheld_count(result: AuditResult, options: Options) -> int:
    """How many confidential incidents with violations have their title withheld."""
    if options.show_confidential:
        return 0
    return sum(1 for incident in result.violating if incident.confidential)


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
        head = f"{plain(label)}  {plain(title_of(incident, options), TITLE_LIMIT)}  [{incident.state}]"
        lines.append(paint(head, bold=True) + (f"  {plain(incident.web_url)}" if incident.web_url else ""))
        for finding in incident.findings:
            severity = paint(f"{finding.severity:<7}", fg=_COLOURS[finding.severity])
            lines.append(f"  {severity} {paint(finding.rule, bold=True)}  {plain(finding.message + _where(finding))}")
            duty = _duty(finding, result)
            if duty:
                lines.append(f"                  {paint(plain(duty), dim=True)}")
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
            digest = hashlib.sha256(repair(f"{identity}\x1f{seen[identity]}").encode()).hexdigest()
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


def _encodable(reporter: Reporter, clean: Callable[[str], str] = repair) -> Reporter:
    """``reporter`` whose output any writer can encode (see the module's docstring)."""

    def report(result: AuditResult, options: Options) -> str:
        return clean(reporter(result, options))

    report.__name__ = report.__qualname__ = reporter.__name__
    report.__doc__ = reporter.__doc__
    return report


REPORTERS: dict[str, Reporter] = {
    "text": _encodable(format_text),
    "markdown": _encodable(format_markdown),
    "json": _encodable(format_json),
    "junit": _encodable(format_junit, xml_safe),
    "codequality": _encodable(format_codequality),
    "html": _encodable(format_html),
}
MAIN_FORMATS = ("text", "markdown", "json")
