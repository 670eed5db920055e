"""The Incident Report in the incident's description, and its label and type (INC001-INC005)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from inc_audit.findings import Finding
from inc_audit.rules.registry import rule

if TYPE_CHECKING:
    from inc_audit.rules.context import Context


@rule("INC001")
def missing_report_section(ctx: Context) -> Iterator[Finding]:
    for problem in ctx.report_problems:
        if problem.kind == "missing" and problem.part.group == "sections":
            yield ctx.finding("INC001", f"Incident Report: {problem.said}", section=problem.part.name)


@rule("INC002")
def empty_report_section(ctx: Context) -> Iterator[Finding]:
    for problem in ctx.report_problems:
        if problem.kind in ("empty", "invalid") and problem.part.group == "sections":
            yield ctx.finding(
                "INC002", f"Incident Report: {problem.said}", section=problem.part.name, line=problem.line
            )


@rule("INC003")
def label_without_type(ctx: Context) -> Iterator[Finding]:
    if ctx.has_incident_label and ctx.issue.issue_type != "incident":
        yield ctx.finding(
            "INC003", f"labelled as an incident but its type is '{ctx.issue.issue_type}': set the type to Incident"
        )


@rule("INC004")
def type_without_label(ctx: Context) -> Iterator[Finding]:
    if ctx.issue.issue_type == "incident" and not ctx.has_incident_label:
        labels = " or ".join(f"~{label}" for label in ctx.config.incident_labels)
        yield ctx.finding("INC004", f"of type Incident but has no incident label: add {labels}")


@rule("INC005")
def unticked_checklist(ctx: Context) -> Iterator[Finding]:
    if not ctx.issue.is_closed:
        return
    for problem in ctx.report_problems:
        if problem.kind == "unticked":
            yield ctx.finding("INC005", f"closed while {problem.said}", section=problem.part.name, line=problem.line)
