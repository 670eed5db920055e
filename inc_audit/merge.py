"""Join the JSON reports of a sharded audit into one result, refusing anything incomplete.

A sharded audit (``--shard K/N`` in N parallel CI jobs) publishes once, from the
merged result. Merging is strict: every report must be complete, valid against
``schemas/report.schema.json``, about the same source and moment, and the shards
must cover 1..N exactly once; otherwise nothing is published.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema

from inc_audit.errors import InputError, SourceError
from inc_audit.findings import AuditResult, Finding, IncidentResult, Waived
from inc_audit.model import IssueKey, parse_time
from inc_audit.reading import schemas

MAX_REPORT = 256 * 1024 * 1024
"""Bytes a report may have: far more than an audit of every incident of a large group."""
MAX_SHARDS = 1000
_SHARD = re.compile(r"([1-9][0-9]{0,5})/([1-9][0-9]{0,5})")


def read_report(path: Path) -> dict[str, Any]:
    """A shard's report, checked as any input: its schema, its moments, its shard."""
    hint = "give the files written by --format json"
    try:
        if not path.is_file() or path.stat().st_size > MAX_REPORT:
            raise InputError(f"{path} is not a report file of at most {MAX_REPORT // 2**20} MiB", hint)
        report = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"cannot read report {path}: {error.strerror}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InputError(f"{path} is not a JSON report ({str(error)[:120]})", hint) from None
    except RecursionError:
        raise InputError(f"{path} is not a JSON report (nested too deeply)", hint) from None
    validator = jsonschema.Draft202012Validator(schemas.read_json(schemas.SCHEMA_DIR / "report.schema.json"))
    problem = next(iter(validator.iter_errors(report)), None)
    if problem is not None:
        where = "/".join(str(p) for p in problem.path) or "top level"
        raise InputError(f"{path} is not an inc-audit JSON report: {where}: {problem.message[:160]}")
    _check_values(path, report)
    return dict(report)


def _check_values(path: Path, report: dict[str, Any]) -> None:
    """What the schema cannot say: moments that are moments, a shard that is K/N."""
    try:
        if parse_time(report["as_of"]) is None:
            raise ValueError("no as_of")
        for incident in report["incidents"]:
            _incident(incident)
    except (ValueError, TypeError, OverflowError) as error:
        raise InputError(f"{path} is not an inc-audit JSON report: {str(error)[:160]}") from None
    shard = report["source"].get("shard")
    if shard is None:
        return
    match = _SHARD.fullmatch(str(shard))
    if not match or not 1 <= int(match.group(1)) <= int(match.group(2)) <= MAX_SHARDS:
        raise InputError(f"{path} is not an inc-audit JSON report: its shard {str(shard)[:40]!r} is not K/N"
                         f" with 1 <= K <= N <= {MAX_SHARDS}")


def _incident(data: dict[str, Any]) -> IncidentResult:
    findings = tuple(Finding.from_dict(f) for f in data["findings"])
    return IncidentResult(
        key=IssueKey(data["project"], data["iid"]),
        title=data["title"],
        web_url=data["web_url"],
        state=data["state"],
        confidential=data["confidential"],
        findings=findings,
        location=data.get("location", ""),
        waived=tuple(Waived.from_dict(w) for w in data.get("waived", ())),
    )


def _check_shards(reports: list[tuple[Path, dict[str, Any]]]) -> None:
    shards = [(path, report["source"].get("shard")) for path, report in reports]
    if all(shard is None for _, shard in shards) and len(reports) == 1:
        return
    if any(shard is None for _, shard in shards):
        unsharded = next(path for path, shard in shards if shard is None)
        raise InputError(f"{unsharded} is not a shard's report", "merge the reports of one --shard K/N run")
    counts = {int(str(shard).split("/")[1]) for _, shard in shards}
    if len(counts) != 1:
        raise InputError("the reports come from shardings of different sizes", "merge one run's reports")
    count = counts.pop()
    seen = sorted(int(str(shard).split("/")[0]) for _, shard in shards)
    missing = sorted(set(range(1, count + 1)) - set(seen))
    if missing or len(seen) != len(set(seen)):
        detail = f"shard(s) {', '.join(f'{m}/{count}' for m in missing)} missing" if missing else "a shard given twice"
        raise SourceError(f"incomplete sharded audit: {detail}", "nothing was published; rerun the missing jobs")


def merge_reports(paths: list[Path]) -> AuditResult:
    reports = [(path, read_report(path)) for path in paths]
    if not reports:
        raise InputError("no report to merge", "give the JSON reports of every shard")
    for path, report in reports:
        if not report["complete"]:
            raise SourceError(f"{path} is from an audit that did not complete", "nothing was published")
    _check_shards(reports)
    first = reports[0][1]
    base_source = {k: v for k, v in first["source"].items() if k != "shard"}
    for path, report in reports[1:]:
        source = {k: v for k, v in report["source"].items() if k != "shard"}
        if source != base_source or report["as_of"] != first["as_of"]:
            raise InputError(f"{path} audits another source or moment than {reports[0][0]}", "merge one run's reports")
    incidents: dict[IssueKey, IncidentResult] = {}
    for _, report in reports:
        for data in report["incidents"]:
            incident = _incident(data)
            incidents.setdefault(incident.key, incident)
    as_of = parse_time(first["as_of"])
    assert as_of is not None
    ordered = tuple(incidents[key] for key in sorted(incidents, key=lambda k: (k.project, k.iid)))
    return AuditResult(as_of=as_of, source=base_source, incidents=ordered)
