"""Rules as registered objects with stable codes, and the verdict they reach on an incident."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from inc_audit.findings import Finding
from inc_audit.model import IssueKey

if TYPE_CHECKING:
    from inc_audit.rules.context import Context

Check = Callable[["Context"], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    code: str
    severity: str
    summary: str
    check: Check | None
    scope: str = "incident"  # "incident", or "template" for the merge-request gate

    def run(self, context: Context) -> Iterator[Finding]:
        if self.check is not None:
            yield from self.check(context)


RULES: dict[str, Rule] = {}


def rule(code: str, severity: str, summary: str, scope: str = "incident") -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        RULES[code] = Rule(code, severity, summary, check, scope)
        return check

    return register


def order_rules(families: tuple[str, ...]) -> None:
    """Run and list the rules family by family (``INC`` before ``CHG``...), then by code."""
    ordered = sorted(RULES.items(), key=lambda item: (families.index(item[0][:3]), item[0]))
    RULES.clear()
    RULES.update(ordered)


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

    def holds_at(self, as_of: datetime) -> bool:
        return (self.stable_after is None or as_of > self.stable_after) and (
            self.stable_until is None or as_of <= self.stable_until
        )
