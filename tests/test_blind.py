"""A blind set: documents and approval comments written without looking at the corpus or the schemas' variants.

Each document in tests/blind/ is checked as `inc-audit check FILE --kind KIND` checks it; each approval
comment is put under a complete post-mortem as the product manager's reply, and IPM003 must fire exactly
when the comment does not approve. Both tests print every disagreement with its case's reason, then assert
there is none.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from inc_audit.audit import audit_issue
from inc_audit.config import file as config_module
from inc_audit.documents import check_file
from tests.conftest import AS_OF, MemorySource, at, change_ticket, incident, note, umami_config

BLIND = Path(__file__).resolve().parent / "blind"
CASES = json.loads((BLIND / "cases.json").read_text(encoding="utf-8"))["cases"]
COMMENTS = json.loads((BLIND / "approvals.json").read_text(encoding="utf-8"))["comments"]
POST_MORTEM = (BLIND / "post-mortem" / "p01-template-filled.md").read_text(encoding="utf-8")


def found(case: dict) -> set[tuple[str, str]]:
    config = config_module.load_defaults()
    titles = {part.name: part.title for part in config.schema(case["kind"]).parts}
    result = check_file(str(BLIND / case["file"]), case["kind"], config)
    return {(f.rule, titles.get(f.section or "", f.section or "")) for f in result.findings}


def disagreements(case: dict, got: set[tuple[str, str]]) -> tuple[list[str], list[str], list[str]]:
    """False positives, false negatives and wrong codes (right section, other rule) of one case."""
    expected = {section: set(rule.split("|")) for rule, section in case["expect"]}
    by_section = {section: rule for rule, section in got}
    fp = [f"{rule} {section!r}" for rule, section in sorted(got) if section not in expected]
    fn = [f"{'|'.join(sorted(rules))} {section!r}" for section, rules in expected.items() if section not in by_section]
    wrong = [
        f"{by_section[section]} {section!r} (expected {'|'.join(sorted(rules))})"
        for section, rules in expected.items()
        if section in by_section and by_section[section] not in rules
    ]
    return fp, fn, wrong


def test_documents_agree_with_the_blind_expectations() -> None:
    fps, fns, wrongs = [], [], []
    for case in CASES:
        fp, fn, wrong = disagreements(case, found(case))
        fps += [f"FP {case['file']}: {x}  -- {case['reason']}" for x in fp]
        fns += [f"FN {case['file']}: {x}  -- {case['reason']}" for x in fn]
        wrongs += [f"CODE {case['file']}: {x}  -- {case['reason']}" for x in wrong]
    clean = sum(1 for case in CASES if not case["expect"])
    print(f"\n{len(CASES)} documents ({clean} clean, {len(CASES) - clean} violating)")
    print(f"false positives: {len(fps)}, false negatives: {len(fns)}, wrong codes: {len(wrongs)}")
    print("\n".join(fps + fns + wrongs))
    assert (len(fps), len(fns), len(wrongs)) == (0, 0, 0)


def approval_findings(text: str) -> list[str]:
    """IPM003 findings when the product manager answers a complete post-mortem with ``text``."""
    change = change_ticket(900)
    subject = incident(
        1,
        notes=(
            note(101, POST_MORTEM, author="dave", days_ago=20),
            note(102, text, author="alice", days_ago=10),
        ),
    )
    source = MemorySource().add(subject, change).link(subject, change)
    result = audit_issue(subject, umami_config(), source, AS_OF)
    return [f.message for f in result.findings if f.rule == "IPM003"]


def test_the_scenario_is_complete_but_for_the_approval() -> None:
    subject_rules = {f.rule for f in audit_issue(*_bare_scenario()).findings}
    assert subject_rules == {"IPM003"}


def _bare_scenario() -> tuple:
    change = change_ticket(900)
    subject = replace(incident(1), notes=(note(101, POST_MORTEM, author="dave", days_ago=20),))
    source = MemorySource().add(subject, change).link(subject, change)
    return subject, umami_config(), source, AS_OF


def test_approval_comments_agree_with_the_blind_expectations() -> None:
    fps, fns = [], []
    for comment in COMMENTS:
        fired = approval_findings(comment["text"])
        if comment["approves"] and fired:
            fps.append(f"FP {comment['text']!r}: IPM003 fired ({fired[0]})  -- {comment['reason']}")
        if not comment["approves"] and not fired:
            fns.append(f"FN {comment['text']!r}: read as an approval  -- {comment['reason']}")
    approving = sum(1 for comment in COMMENTS if comment["approves"])
    print(f"\n{len(COMMENTS)} approval comments ({approving} approve, {len(COMMENTS) - approving} do not)")
    print(f"false positives (IPM003 on an approval): {len(fps)}, false negatives (non-approval taken): {len(fns)}")
    print("\n".join(fps + fns))
    assert (len(fps), len(fns)) == (0, 0)


SCENARIOS = json.loads((BLIND / "scenarios.json").read_text(encoding="utf-8"))["scenarios"]


def _text(value: str) -> str:
    """A note's body: a file of the blind set when it names one, else the text itself."""
    path = BLIND / value
    return path.read_text(encoding="utf-8") if value.endswith(".md") and path.is_file() else value


def scenario_rules(scenario: dict) -> set[str]:
    """The rule codes the audit gives the incident a scenario describes."""
    closed = scenario.get("closed_days_ago", 30)
    state = scenario.get("state", "closed")
    notes = tuple(
        note(101 + n, _text(body), author=author, days_ago=days)
        for n, (author, days, body) in enumerate(scenario["notes"])
    )
    subject = incident(
        1,
        description=_text("report/r44-reviews-ticked.md"),
        state=state,
        closed_at=at(closed) if state == "closed" else None,
        updated_at=at(min(closed, 1)),
        notes=notes,
    )
    source = MemorySource().add(subject)
    change_file = scenario.get("change", "change/c01-template-filled.md")
    if change_file is not None:
        fields: dict = {}
        if "change_labels" in scenario:
            fields = {"labels": tuple(scenario["change_labels"]), "issue_type": scenario.get("change_type", "issue")}
        change = change_ticket(900, _text(change_file), **fields)
        source.add(change).link(subject, change)
    for index, name, user, days in scenario.get("awards", []):
        source.award(subject, 101 + index, name, user, days_ago=days)
    return {f.rule for f in audit_issue(subject, umami_config(), source, AS_OF).findings}


def test_scenarios_agree_with_the_blind_expectations() -> None:
    fps, fns = [], []
    for scenario in SCENARIOS:
        got = scenario_rules(scenario)
        expected, allowed = set(scenario["expect"]), set(scenario.get("allow", []))
        fps += [f"FP {scenario['name']}: {code}  -- {scenario['reason']}" for code in sorted(got - expected - allowed)]
        fns += [f"FN {scenario['name']}: {code}  -- {scenario['reason']}" for code in sorted(expected - got)]
    print(f"\n{len(SCENARIOS)} scenarios; false positives: {len(fps)}, false negatives: {len(fns)}")
    print("\n".join(fps + fns))
    assert (len(fps), len(fns)) == (0, 0)
