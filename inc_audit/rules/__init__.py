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

from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

from inc_audit.config.file import Config
from inc_audit.findings import Finding
from inc_audit.model import Award, Issue, IssueKey, LinkedIssue, Note
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
    "is_change", "judge", "rule", "warm",
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


class _Nothing(Source):
    """A source with nothing to say: no links, no award emoji, no other issue."""

    def describe(self) -> dict[str, str]:
        return {}

    def candidate_issues(self, labels: tuple[str, ...], shard: object = None) -> Iterator[Issue]:
        return iter(())

    def linked_issues(self, key: IssueKey) -> tuple[LinkedIssue, ...]:
        return ()

    def note_awards(self, key: IssueKey, note_id: int) -> tuple[Award, ...]:
        return ()

    def issue_summary(self, key: IssueKey) -> LinkedIssue:
        return LinkedIssue(key, "", (), "", "unknown", unreadable="made up")


def warm(config: Config, as_of: datetime) -> None:
    """Load what the rules load on their first incident (the schemas, the vocabulary, the
    phrasings of approvals; about a tenth of a second) by judging a made-up one whose report
    and post-mortem have every section of the schemas: a run calls it while it waits for
    GitLab's first answers, so its first incidents are judged at full speed. Nothing of it is
    kept but those loads and the readings' memos, and it never fails: a schema it cannot
    load is the audit's to meet, and say, on the first real incident."""
    def document(kind: str) -> str:
        return "\n\n".join(f"## {part.title}\n\nWritten." for part in config.schema(kind).parts)

    started = as_of - timedelta(days=30)
    try:
        notes = (Note(1, document("post-mortem"), "someone", started + timedelta(days=2)),
                 Note(2, "Approved at the IPM meeting.", "someone", started + timedelta(days=3)))
        made_up = Issue(IssueKey("-", 0), "made up", document("report"), config.incident_labels[:1], "incident",
                        "closed", "someone", started, started, started + timedelta(days=1), notes=notes)
        judge(made_up, config, _Nothing(), as_of)
    except Exception:  # noqa: BLE001  (made up: whatever fails here fails again, and is said, on a real one)
        return


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
