"""The verdict the rules reach on an incident. The registry of rule codes itself is data
(``inc_audit.findings.RULES``), so the configuration can check codes without the rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from inc_audit.findings import RULES, Finding, Rule, Timeline, order_rules, rule
from inc_audit.model import IssueKey

if TYPE_CHECKING:
    from inc_audit.config.file import Config


def is_own_issue(key: IssueKey, config: Config) -> bool:
    """Whether ``key`` names one of inc-audit's own issues (``Config.own_issues``)."""
    return bool(config.own_issues) and str(key).lower() in config.own_issues


def has_any(labels: Iterable[str], wanted: Iterable[str]) -> bool:
    return bool({label.lower() for label in labels} & {w.lower() for w in wanted})


@dataclass(frozen=True)
class Verdict:
    """An incident's findings, and for which audit moments they hold while its data stays as it is.

    The rules compare the audit moment only with deadlines (``Context.passed``), so the
    findings are the same for every ``as_of`` in ``stable_after < as_of <= stable_until``
    (``None``: unbounded). ``settled`` is False when they may change while the incident does
    not: a post-mortem the approvals fall short for (IPM003), since award emoji do not move
    ``updated_at``, a change found only through another issue's mention of the incident
    (CHG001, CHG003), or a rule that read the audit moment other than through a deadline.
    ``links`` are the issues whose links the rules read.
    """

    findings: tuple[Finding, ...]
    stable_after: datetime | None = None
    stable_until: datetime | None = None
    settled: bool = True
    links: frozenset[IssueKey] = frozenset()
    timeline: Timeline | None = None
    """The incident's milestones, for the health figures (``inc_audit.rules.timeline``)."""
    notes: tuple[str, ...] = ()
    """Sections recognised by their text rather than their heading (``Context.notes``)."""

    def holds_at(self, as_of: datetime) -> bool:
        return (self.stable_after is None or as_of > self.stable_after) and (
            self.stable_until is None or as_of <= self.stable_until
        )


__all__ = ["RULES", "Rule", "Verdict", "has_any", "order_rules", "rule"]
