"""The reports GitLab CI reads: JUnit (the pipeline's Tests tab) and Code Quality (the merge
request's widget, for findings in repository files)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from xml.etree import ElementTree as ET

from inc_audit.findings import RULES, AuditResult, IncidentResult
from inc_audit.formats import view
from inc_audit.formats.options import Options, message_of, title_of
from inc_audit.formats.plain import where
from inc_audit.text import json_printable, printable, repair


def _junit_cases(incident: IncidentResult, options: Options, url: str = "") -> list[ET.Element]:
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
        said = {id(f): message_of(incident, f, options) for f in hits}
        if failing:
            failure = ET.SubElement(case, "failure", type=code, message=said[id(failing[0])] + where(failing[0]))
            failure.text = "\n".join(f"{f.severity}: {said[id(f)]}{where(f)}" for f in failing)
        output = [url] if url else []
        output += [f"{f.severity}: {said[id(f)]}{where(f)}" for f in hits if f not in failing]
        if output:
            ET.SubElement(case, "system-out").text = "\n".join(output)
        cases.append(case)
    return cases


def format_junit(result: AuditResult, options: Options) -> str:
    suites = ET.Element("testsuites", name="inc-audit")
    for incident in result.incidents:
        cases = _junit_cases(incident, options, view.issue_url(result, incident))
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
        relative = resolved.relative_to(base).as_posix()
    except ValueError:  # outside the repository: GitLab could not link it anyway
        relative = path.name
    return " ".join(printable(relative).split()) or "."


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
            message = message_of(incident, f, options)
            identity = "\x1f".join((f.rule, path, f.where, f.section or "", message))
            seen[identity] = seen.get(identity, 0) + 1
            digest = hashlib.sha256(repair(f"{identity}\x1f{seen[identity]}").encode()).hexdigest()
            entries.append(
                {
                    "description": f"{f.rule}: {message}",
                    "check_name": f.rule,
                    "fingerprint": digest,
                    "severity": _CODEQUALITY_SEVERITY[f.severity],
                    "location": {"path": path, "lines": {"begin": f.line or 1}},
                }
            )
    return json_printable(json.dumps(entries, indent=2, ensure_ascii=False)) + "\n"
