"""What a report shows: the reporters' options, and whether a confidential incident's title
appears. A confidential incident's title is shown only where ``Options.show_confidential``
allows: ``titles_shown`` decides it for reports written by the CLI (withheld in CI unless
asked otherwise), the config's ``audit_issue.confidential`` for the audit issue."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from inc_audit.findings import AuditResult, IncidentResult

GITLAB_DESCRIPTION_LIMIT = 1_048_576
WITHHELD = "(confidential incident)"
CONFIDENTIAL_TITLES = ("auto", "show", "withhold")


@dataclass(frozen=True)
class Options:
    color: bool = False
    show_confidential: bool = True  # False: confidential incidents by reference only
    max_chars: int = GITLAB_DESCRIPTION_LIMIT
    full_report: str = "the JSON report kept as the audit job's artifact"
    ignored: tuple[str, ...] = ()
    fail_on: str = "error"  # JUnit: warnings are failed test cases only with "warning"
    root: str = ""  # the repository root that file paths are given relative to (default: here)
    pipeline: tuple[str, str] = ("", "")  # the CI pipeline writing the audit issue: its ID and URL


def titles_shown(choice: str = "auto", environ: Mapping[str, str] | None = None) -> bool:
    """Whether reports show confidential incidents' titles: ``show``, ``withhold``, or
    ``auto``: withheld in CI (``CI`` set), where job logs and artifacts reach anyone who
    can see the pipeline, shown elsewhere."""
    if choice == "auto":
        return not (os.environ if environ is None else environ).get("CI")
    return choice == "show"


def title_of(incident: IncidentResult, options: Options) -> str:
    if incident.confidential and not options.show_confidential:
        return WITHHELD
    return incident.title


def withheld_count(result: AuditResult, options: Options) -> int:
    """How many confidential incidents with violations have their title withheld."""
    if options.show_confidential:
        return 0
    return sum(1 for incident in result.violating if incident.confidential)
