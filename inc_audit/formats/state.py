"""What the audit issue remembers between runs, in a hidden block of its own description.

The block survives a lost cache and a fresh runner, since it lives in GitLab. It holds
no secret and no text from issues: a short hash per open finding with the moment an audit
first found it, the number of open violations at each audit whose findings changed
(at most one point a day), and the references (``group/project#iid``) of the incidents
with open violations, so that one that leaves the audit is noticed (INC006). Anyone can
edit the audit issue, so the block is read defensively: whatever does not parse is
dropped, never fatal; and it is not read at all when someone else than inc-audit last
edited the description (``inc_audit.publishing.tracking``).

An audit whose findings are the same as the last one's adds no history point, so its
audit issue body is the same and nothing is written.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from inc_audit.findings import AuditResult, Finding, IncidentResult, timestamp
from inc_audit.model import parse_time

MAX_SEEN = 5000
MAX_HISTORY = 30
MAX_BLOCK_CHARS = 400_000
_BLOCK = re.compile(r"<!-- inc-audit:state (\{[^<>]*\}) -->")
_KEY = re.compile(r"^[0-9a-f]{16}$")
_REF = re.compile(r"^[\w.\-]+(?:/[\w.\-]+)*#\d{1,12}$")


@dataclass(frozen=True)
class State:
    seen: dict[str, datetime] = field(default_factory=dict)
    history: tuple[tuple[date, int], ...] = ()
    open: tuple[str, ...] = ()
    """The incidents with open violations, ``group/project#iid``, sorted."""


@dataclass(frozen=True)
class Advance:
    """An audit result with its findings' first-seen moments and history, and what is new."""

    result: AuditResult
    state: State
    new: tuple[tuple[IncidentResult, Finding], ...]
    resolved: int = 0
    """Findings the last audit kept that this one no longer finds."""


def identity(incident: IncidentResult, finding: Finding) -> str:
    """A finding's stable name across runs: not its wording, which may improve."""
    parts = (finding.rule, incident.key.project, str(incident.key.iid), finding.where, finding.section or "")
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:16]


def read(description: str | None, as_of: datetime) -> State | None:
    """The state kept in an audit issue's description; None when there is none worth trusting."""
    if not description:
        return None
    found = _BLOCK.findall(description)
    if len(found) != 1 or len(found[0]) > MAX_BLOCK_CHARS:
        return None
    try:
        raw = json.loads(found[0])
    except (ValueError, RecursionError):  # anyone can edit the audit issue
        return None
    if not isinstance(raw, dict) or raw.get("v") != 1:
        return None
    return State(_seen(raw.get("seen"), as_of), _history(raw.get("history"), as_of), _open(raw.get("open")))


def _open(raw: object) -> tuple[str, ...]:
    if not isinstance(raw, list):
        return ()
    refs = (ref for ref in raw[:MAX_SEEN] if isinstance(ref, str) and len(ref) <= 300 and _REF.match(ref))
    return tuple(sorted(set(refs)))


def _seen(raw: object, as_of: datetime) -> dict[str, datetime]:
    seen: dict[str, datetime] = {}
    if not isinstance(raw, dict):
        return seen
    for key, value in list(raw.items())[:MAX_SEEN]:
        moment = _moment(value)
        if isinstance(key, str) and _KEY.match(key) and moment is not None and moment <= as_of:
            seen[key] = moment
    return seen


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        return parse_time(value)
    except ValueError:
        return None


def _history(raw: object, as_of: datetime) -> tuple[tuple[date, int], ...]:
    points: dict[date, int] = {}
    if not isinstance(raw, list):
        return ()
    for item in raw[-MAX_HISTORY:]:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
            continue
        count = item[1]
        if not isinstance(count, int) or isinstance(count, bool) or not 0 <= count <= 10**7:
            continue
        try:
            day = date.fromisoformat(item[0])
        except ValueError:
            continue
        if day <= as_of.date() + timedelta(days=1):
            points[day] = count
    return tuple(sorted(points.items()))


def advance(result: AuditResult, previous: State | None) -> Advance:
    """``result`` with first-seen moments from ``previous`` and a history point when findings changed."""
    previous = previous or State()
    seen: dict[str, datetime] = {}
    new: list[tuple[IncidentResult, Finding]] = []
    incidents = tuple(_first_seen(incident, result.as_of, previous, seen, new) for incident in result.incidents)
    history = previous.history
    if not history or set(seen) != set(previous.seen):
        today = result.today
        history = tuple(p for p in history if p[0] != today) + ((today, len(result.findings)),)
    history = history[-MAX_HISTORY:]
    updated = replace(result, incidents=incidents, history=history)
    resolved = len(set(previous.seen) - set(seen))
    return Advance(updated, State(seen, history, open_refs(updated)), tuple(new), resolved)


def open_refs(result: AuditResult) -> tuple[str, ...]:
    return tuple(sorted({str(incident.key) for incident in result.violating})[:MAX_SEEN])


def _first_seen(
    incident: IncidentResult, as_of: datetime, previous: State, seen: dict[str, datetime],
    new: list[tuple[IncidentResult, Finding]],
) -> IncidentResult:
    """``incident`` with each finding's first-seen moment; records them in ``seen``, new ones in ``new``."""
    findings = []
    fresh = []
    for finding in incident.findings:
        key = identity(incident, finding)
        first = previous.seen.get(key) or finding.first_seen or as_of
        if len(seen) < MAX_SEEN or key in seen:
            seen[key] = min(first, seen.get(key, first))
        findings.append(replace(finding, first_seen=first))
        if key not in previous.seen:
            fresh.append(findings[-1])
    updated = replace(incident, findings=tuple(findings))
    new += [(updated, finding) for finding in fresh]
    return updated


def render(state: State) -> str:
    """The hidden block, one line, as the audit issue carries it."""
    raw = {
        "v": 1,
        "seen": {key: timestamp(moment) for key, moment in sorted(state.seen.items())},
        "history": [[day.isoformat(), count] for day, count in state.history],
        **({"open": list(state.open)} if state.open else {}),
    }
    return f"<!-- inc-audit:state {json.dumps(raw, separators=(',', ':'))} -->"


def of_result(result: AuditResult) -> State:
    """The state a result carries (after ``advance``): its findings' first-seen moments and history."""
    seen: dict[str, datetime] = {}
    for incident in result.incidents:
        for finding in incident.findings:
            if finding.first_seen is not None and len(seen) < MAX_SEEN:
                key = identity(incident, finding)
                seen[key] = min(finding.first_seen, seen.get(key, finding.first_seen))
    return State(seen, result.history, open_refs(result))
