"""A blind set: documents and approval comments written without looking at the corpus or the schemas' variants.

Each document in tests/blind/ is checked as `inc-audit check FILE --kind KIND` checks it; each approval
comment is put under a complete post-mortem as the product manager's reply, and IPM003 must fire exactly
when the comment does not approve. Both tests print every disagreement with its case's reason, then assert
there is none.
"""

from __future__ import annotations

import re
from dataclasses import replace

from inc_audit.audit import audit_issue
from tests.conftest import AS_OF, MemorySource, change_ticket, incident, note, umami_config
from tests.verdict_sets import (
    BLIND,
    COMPLETE_POST_MORTEM,
    approval_disagreements,
    document_disagreements,
    load,
    scenario_disagreements,
)

CASES = load(BLIND, "cases.json", "cases")
COMMENTS = load(BLIND, "approvals.json", "comments")
SCENARIOS = load(BLIND, "scenarios.json", "scenarios")
POST_MORTEM = COMPLETE_POST_MORTEM.read_text(encoding="utf-8")


def counted(misses: list[str]) -> str:
    """"false positives: N, false negatives: N, wrong codes: N" of a list of disagreements."""
    kinds = [re.search(r"\b(FP|FN|CODE)\b", miss).group(1) for miss in misses]  # type: ignore[union-attr]
    fp, fn, code = (kinds.count(kind) for kind in ("FP", "FN", "CODE"))
    return f"false positives: {fp}, false negatives: {fn}, wrong codes: {code}"


def test_documents_agree_with_the_blind_expectations() -> None:
    misses = [m for case in CASES for m in document_disagreements(BLIND, case)]
    clean = sum(1 for case in CASES if not case["expect"])
    print(f"\n{len(CASES)} documents ({clean} clean, {len(CASES) - clean} violating)")
    print(counted(misses))
    print("\n".join(misses))
    assert misses == []


def test_the_scenario_is_complete_but_for_the_approval() -> None:
    change = change_ticket(900)
    subject = replace(incident(1), notes=(note(101, POST_MORTEM, author="dave", days_ago=20),))
    source = MemorySource().add(subject, change).link(subject, change)
    assert {f.rule for f in audit_issue(subject, umami_config(), source, AS_OF).findings} == {"IPM003"}


def test_approval_comments_agree_with_the_blind_expectations() -> None:
    misses = [m for comment in COMMENTS for m in approval_disagreements(comment, POST_MORTEM)]
    approving = sum(1 for comment in COMMENTS if comment["approves"])
    print(f"\n{len(COMMENTS)} approval comments ({approving} approve, {len(COMMENTS) - approving} do not)")
    print(counted(misses))
    print("\n".join(misses))
    assert misses == []


def test_scenarios_agree_with_the_blind_expectations() -> None:
    misses = [m for scenario in SCENARIOS for m in scenario_disagreements(BLIND, scenario)]
    print(f"\n{len(SCENARIOS)} scenarios; {counted(misses)}")
    print("\n".join(misses))
    assert misses == []
