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
from xml.etree import ElementTree as ET

import click

from inc_audit import __version__
from inc_audit.audit import AUDIT_MARKER
from inc_audit.findings import AuditResult, Finding, IncidentResult
from inc_audit.neutral import TITLE_LIMIT, neutral, plain, safe_link, xml_safe
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
    parts = (
        [] if finding.where in ("description", "template") or finding.where.startswith("linked") else [finding.where]
    )
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
        "incidents": [_json_incident(i, options) for i in result.incidents],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _json_incident(incident: IncidentResult, options: Options) -> dict[str, object]:
    data = incident.as_dict()
    data["title"] = title_of(incident, options)
    return data


def _incident_block(incident: IncidentResult, options: Options) -> str:
    link = safe_link(incident.web_url)
    # Inside a link GitLab reads no reference: the key keeps its plain "#iid" there.
    ref = f"[{neutral(incident.key.project)}#{incident.key.iid}]({link})" if link else neutral(str(incident.key))
    lines = [
        f"### {ref} {neutral(title_of(incident, options), TITLE_LIMIT)} ({neutral(incident.state)})",
        "",
        "| Rule | Severity | Finding |",
        "|---|---|---|",
    ]
    for f in incident.findings:
        lines.append(f"| {f.rule} | {f.severity} | {neutral(f.message + _where(f))} |")
    return "\n".join(lines) + "\n"


def format_markdown(result: AuditResult, options: Options) -> str:
    """The audit issue's body. It holds no run time, so an unchanged audit gives the same body."""
    source = result.source.get("project") or result.source.get("group") or result.source.get("path", "")
    head = [AUDIT_MARKER, f"## Incident policy audit of {neutral(str(source))}", ""]
    if not result.violating:
        head.append(f"No violations in {len(result.incidents)} incident(s). :white_check_mark:")
        return "\n".join(head) + "\n"
    head += [f"**{_totals(result)}.**", ""]
    head += _withheld_note(result, options)
    head += ["| Rule | Count | What it checks |", "|---|---|---|"]
    head += [f"| {code} | {count} | {RULES[code].summary} |" for code, count in result.by_rule().items()]
    head.append("")
    body = "\n".join(head) + "\n"
    blocks = [_incident_block(i, options) for i in result.violating]
    return _fit(body, blocks, options)


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
    reserve = 400
    shown: list[str] = []
    size = len(head)
    for block in blocks:
        if size + len(block) + 1 > options.max_chars - reserve:
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


def _junit_cases(incident: IncidentResult, options: Options) -> list[ET.Element]:
    cases = []
    scope = "template" if incident.location else "incident"
    for code, registered in RULES.items():
        if code in options.ignored or registered.scope != scope:
            continue
        case = ET.Element("testcase", classname=str(incident.key), name=f"{code} {registered.summary}")
        hits = [f for f in incident.findings if f.rule == code]
        if hits:
            failure = ET.SubElement(case, "failure", type=code, message=hits[0].message + _where(hits[0]))
            failure.text = "\n".join(f"{f.severity}: {f.message}{_where(f)}" for f in hits)
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


def location_of(incident: IncidentResult) -> str:
    """A stable path naming the incident, for GitLab's Code Quality widget."""
    return incident.location or f"incidents/{incident.key.project}/{incident.key.iid}"


def format_codequality(result: AuditResult, options: Options) -> str:
    entries = []
    seen: dict[str, int] = {}
    for incident in result.incidents:
        for f in incident.findings:
            identity = "\x1f".join(
                (f.rule, incident.key.project, str(incident.key.iid), f.where, f.section or "", f.message)
            )
            seen[identity] = seen.get(identity, 0) + 1
            digest = hashlib.sha256(repair(f"{identity}\x1f{seen[identity]}").encode()).hexdigest()
            entries.append(
                {
                    "description": f"{f.rule}: {f.message}",
                    "check_name": f.rule,
                    "fingerprint": digest,
                    "severity": _CODEQUALITY_SEVERITY[f.severity],
                    "location": {"path": location_of(incident), "lines": {"begin": f.line or 1}},
                }
            )
    return json.dumps(entries, indent=2, ensure_ascii=False) + "\n"


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
}
MAIN_FORMATS = ("text", "markdown", "json")
