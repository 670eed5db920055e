"""The policy's checkable clauses, one registered rule each, with stable codes.

Each family registers its rules: the Incident Report (``report``), the change
(``changes``), the post-mortem (``postmortem``) and its approval (``approval``); they
run and are listed in that order. Each rule reads an incident through a ``Context``.
The policy's knowledge of people and time lives here too: who must act on a finding, after
the RACI chart (``owners``), and how an approval is written (``phrasings`` the data,
``lexicon`` words to their meaning, ``clauses`` a comment's own words in clauses,
``reading`` one comment, ``standing`` whose approval stands over time; see docs/approvals.md).

May import: the configuration, reading, findings, the model and the source protocol
(``inc_audit.sources.interface``), never a source itself.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from inc_audit.config.file import Config
from inc_audit.findings import Finding
from inc_audit.model import Issue
from inc_audit.reading import validity
from inc_audit.reading.vocabulary import between_incidents
from inc_audit.rules import approval, changes, postmortem, report  # each registers its family's rules
from inc_audit.rules.context import Context
from inc_audit.rules.registry import RULES, Rule, Verdict, has_any, order_rules, rule
from inc_audit.rules.timeline import milestones
from inc_audit.sources.interface import Source

_has_any = has_any
_FAMILIES = (report, changes, postmortem, approval)
is_change = changes.is_change
approval_gap = approval.gap

__all__ = [
    "RULES", "Context", "Rule", "Verdict", "approval_gap", "check_document", "check_issue", "has_any",
    "is_change", "judge", "rule",
]


def judge(issue: Issue, config: Config, source: Source, as_of: datetime) -> Verdict:
    """Every incident rule's findings on ``issue``, with how long they hold (``Verdict``)."""
    context = Context(issue, config, source, as_of)
    findings: list[Finding] = []
    for code, registered in RULES.items():
        if registered.scope == "incident" and not config.is_ignored(code):
            findings.extend(registered.run(context))
    verdict = context.verdict(tuple(findings))
    judged = replace(verdict, timeline=milestones(context, verdict.findings))
    between_incidents()  # the reading's key cache does not grow with the audit
    return judged


def check_issue(issue: Issue, config: Config, source: Source, as_of: datetime) -> tuple[Finding, ...]:
    return judge(issue, config, source, as_of).findings


# TPL001 and TPL002 (the merge-request gate, ``inc_audit.gate``) and SRC001 (a source that cannot
# read an incident, ``inc_audit.audit``) are defined in schemas/rules.json with no check here.
order_rules(("INC", "CHG", "IPM", "TPL", "SRC", "WVR"))


DOCUMENT_RULES = {"report": ("INC001", "INC002"), "post-mortem": ("IPM002",), "change": ("CHG002",)}


def check_document(text: str, kind: str, config: Config) -> list[Finding]:
    """The findings of one document on its own, as ``inc-audit check FILE`` gives them."""
    codes = {"missing": DOCUMENT_RULES[kind][0], "empty": DOCUMENT_RULES[kind][-1]}
    codes["invalid"] = codes["empty"]
    findings = []
    for problem in validity.check_text(config.schema(kind), text):
        if problem.part.group != "sections":
            continue
        code = codes[problem.kind]
        if not config.is_ignored(code):
            findings.append(
                Finding.said(code, RULES[code].severity, problem.said, section=problem.part.name, line=problem.line)
            )
    return findings
