"""The policy's checkable clauses, one registered rule each, with stable codes.

Each family registers its rules: the Incident Report (``report``), the change
(``changes``), the post-mortem (``postmortem``) and its approval (``approval``); they
run and are listed in that order. Each rule reads an incident through a ``Context``.
"""

from __future__ import annotations

from datetime import datetime

from inc_audit.config import Config
from inc_audit.findings import Finding
from inc_audit.model import Issue, Source
from inc_audit.rules import approval, changes, postmortem, report  # each registers its family's rules
from inc_audit.rules.context import Context
from inc_audit.rules.registry import RULES, Rule, Verdict, has_any, order_rules, rule

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
    return context.verdict(tuple(findings))


def check_issue(issue: Issue, config: Config, source: Source, as_of: datetime) -> tuple[Finding, ...]:
    return judge(issue, config, source, as_of).findings


# The merge-request gate's rules: ``inc_audit.templates`` checks them on files, not incidents.
for _code, _summary in (
    ("TPL001", "An issue template lacks a section its schema requires"),
    ("TPL002", "The configuration or a custom schema it names is invalid"),
):
    RULES[_code] = Rule(_code, "error", _summary, check=None, scope="template")

# Reported by the audit itself (``inc_audit.audit``) when a source cannot read an incident.
RULES["SRC001"] = Rule(
    "SRC001", "error", "GitLab's data about an incident cannot be read: the audit is incomplete", None, "source"
)
order_rules(("INC", "CHG", "IPM", "TPL", "SRC"))


DOCUMENT_RULES = {"report": ("INC001", "INC002"), "post-mortem": ("IPM002",), "change": ("CHG002",)}


def check_document(text: str, kind: str, config: Config) -> list[Finding]:
    """The findings of one document on its own, as ``inc-audit check FILE`` gives them."""
    codes = {"missing": DOCUMENT_RULES[kind][0], "empty": DOCUMENT_RULES[kind][-1]}
    codes["invalid"] = codes["empty"]
    findings = []
    for problem in config.schema(kind).check_text(text):
        if problem.part.group != "sections":
            continue
        code = codes[problem.kind]
        if not config.is_ignored(code):
            findings.append(
                Finding(code, RULES[code].severity, problem.message, section=problem.part.name, line=problem.line)
            )
    return findings
