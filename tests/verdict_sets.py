"""Scoring a verdict set: documents, approval comments and whole-incident scenarios written
with the verdict a careful reviewer gives each (tests/blind/'s format).

``score(folder)`` runs every item of a set through the audit and returns each disagreement;
``python -m tests.verdict_sets tests/styles/heldout`` prints the agreement of a set.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from inc_audit.audit import audit_issue
from inc_audit.config import file as config_module
from inc_audit.documents import check_file
from tests.conftest import AS_OF, MemorySource, at, change_ticket, incident, note, umami_config

BLIND = Path(__file__).resolve().parent / "blind"
COMPLETE_REPORT = BLIND / "report" / "r44-reviews-ticked.md"
COMPLETE_CHANGE = BLIND / "change" / "c01-template-filled.md"
COMPLETE_POST_MORTEM = BLIND / "post-mortem" / "p01-template-filled.md"


@dataclass
class Score:
    """Items and the disagreements among them, by part of the set."""

    items: dict[str, int] = field(default_factory=dict)
    misses: dict[str, list[str]] = field(default_factory=dict)

    def add(self, part: str, wrong: list[str]) -> None:
        self.items[part] = self.items.get(part, 0) + 1
        if wrong:
            self.misses.setdefault(part, []).append("; ".join(wrong))

    @property
    def total(self) -> int:
        return sum(self.items.values())

    @property
    def agreed(self) -> int:
        return self.total - sum(len(m) for m in self.misses.values())

    def lines(self) -> list[str]:
        out = [f"{part}: {n - len(self.misses.get(part, []))}/{n} agree" for part, n in self.items.items()]
        out.append(f"all: {self.agreed}/{self.total} agree ({100 * self.agreed / max(self.total, 1):.1f}%)")
        for part, misses in self.misses.items():
            out += [f"  {part}: {m}" for m in misses]
        return out


def document_disagreements(folder: Path, case: dict) -> list[str]:
    config = config_module.load_defaults()
    titles = {part.name: part.title for part in config.schema(case["kind"]).parts}
    result = check_file(str(folder / case["file"]), case["kind"], config)
    got = {(f.rule, titles.get(f.section or "", f.section or "")) for f in result.findings}
    expected = {section: set(rule.split("|")) for rule, section in case["expect"]}
    by_section = {section: rule for rule, section in got}
    wrong = [f"FP {rule} {section!r}" for rule, section in sorted(got) if section not in expected]
    wrong += [f"FN {'|'.join(sorted(r))} {s!r}" for s, r in expected.items() if s not in by_section]
    wrong += [f"CODE {by_section[s]} {s!r}" for s, r in expected.items() if s in by_section and by_section[s] not in r]
    return [f"{case['file']}: {w} -- {case['reason']}" for w in wrong]


def approval_findings(text: str, post_mortem: str) -> list[str]:
    """IPM003's messages when the product manager answers a complete post-mortem with ``text``."""
    change = change_ticket(900)
    subject = incident(
        1, notes=(note(101, post_mortem, author="dave", days_ago=20), note(102, text, author="alice", days_ago=10))
    )
    source = MemorySource().add(subject, change).link(subject, change)
    return [f.message for f in audit_issue(subject, umami_config(), source, AS_OF).findings if f.rule == "IPM003"]


def approval_disagreements(comment: dict, post_mortem: str) -> list[str]:
    fired = approval_findings(comment["text"], post_mortem)
    if comment["approves"] and fired:
        return [f"FP {comment['text']!r}: IPM003 fired ({fired[0]}) -- {comment['reason']}"]
    if not comment["approves"] and not fired:
        return [f"FN {comment['text']!r}: read as an approval -- {comment['reason']}"]
    return []


def scenario_rules(folder: Path, scenario: dict) -> set[str]:
    """The rule codes the audit gives the incident a scenario describes."""

    def text(value: str) -> str:
        for base in (folder, BLIND):
            path = base / value
            if value.endswith(".md") and path.is_file():
                return path.read_text(encoding="utf-8")
        return value

    closed = scenario.get("closed_days_ago", 30)
    state = scenario.get("state", "closed")
    notes = tuple(
        note(101 + n, text(body), author=author, days_ago=days)
        for n, (author, days, body) in enumerate(scenario["notes"])
    )
    subject = incident(
        1,
        description=text(scenario.get("report", str(COMPLETE_REPORT))),
        state=state,
        closed_at=at(closed) if state == "closed" else None,
        updated_at=at(min(closed, 1)),
        notes=notes,
    )
    source = MemorySource().add(subject)
    change_file = scenario.get("change", str(COMPLETE_CHANGE))
    if change_file is not None:
        fields: dict = {}
        if "change_labels" in scenario:
            fields = {"labels": tuple(scenario["change_labels"]), "issue_type": scenario.get("change_type", "issue")}
        change = change_ticket(900, text(change_file), **fields)
        source.add(change).link(subject, change)
    for index, name, user, days in scenario.get("awards", []):
        source.award(subject, 101 + index, name, user, days_ago=days)
    return {f.rule for f in audit_issue(subject, umami_config(), source, AS_OF).findings}


def scenario_disagreements(folder: Path, scenario: dict) -> list[str]:
    got = scenario_rules(folder, scenario)
    expected, allowed = set(scenario["expect"]), set(scenario.get("allow", []))
    wrong = [f"FP {code}" for code in sorted(got - expected - allowed)]
    wrong += [f"FN {code}" for code in sorted(expected - got)]
    return [f"{scenario['name']}: {w} -- {scenario['reason']}" for w in wrong]


def load(folder: Path, name: str, key: str) -> list[dict]:
    path = folder / name
    return json.loads(path.read_text(encoding="utf-8"))[key] if path.is_file() else []


def score(folder: Path) -> Score:
    result = Score()
    post_mortem = COMPLETE_POST_MORTEM.read_text(encoding="utf-8")
    for case in load(folder, "cases.json", "cases"):
        result.add("documents", document_disagreements(folder, case))
    for comment in load(folder, "approvals.json", "comments"):
        result.add("approvals", approval_disagreements(comment, post_mortem))
    for scenario in load(folder, "scenarios.json", "scenarios"):
        result.add("scenarios", scenario_disagreements(folder, scenario))
    return result


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(f"== {name}")
        print("\n".join(score(Path(name)).lines()))
