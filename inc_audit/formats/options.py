"""What a report shows: the reporters' options, and whether a confidential incident's text
appears. A confidential incident's title, and any text of it a finding quotes (a heading, an
answer: ``Finding.quoted``), is shown only where ``Options.show_confidential`` allows and,
when ``Options.home`` names a project, only for incidents of that project (people who can
read a confidential issue in one project may not see an incident of another). ``titles_shown``
decides it for reports written by the CLI (withheld in CI unless asked otherwise), the
config's ``audit_issue.confidential`` for the audit issue."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from inc_audit.findings import AuditResult, Finding, IncidentResult

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
    home: str = ""  # the project the report is read in (the audit issue's); "" for anywhere


def titles_shown(choice: str = "auto", environ: Mapping[str, str] | None = None) -> bool:
    """Whether reports show confidential incidents' titles: ``show``, ``withhold``, or
    ``auto``: withheld in CI (``CI`` set), where job logs and artifacts reach anyone who
    can see the pipeline, shown elsewhere."""
    if choice == "auto":
        return not (os.environ if environ is None else environ).get("CI")
    return choice == "show"


def same_project(one: str, other: str) -> bool:
    """Whether two project paths name one project (GitLab ignores case in paths)."""
    return one.strip("/").lower() == other.strip("/").lower()


def shows(incident: IncidentResult, options: Options) -> bool:
    """Whether the report may show the incident's own text: its title, what findings quote."""
    if not incident.confidential:
        return True
    if not options.show_confidential:
        return False
    return not options.home or same_project(incident.key.project, options.home)


def title_of(incident: IncidentResult, options: Options) -> str:
    return incident.title if shows(incident, options) else WITHHELD


def message_of(incident: IncidentResult, finding: Finding, options: Options) -> str:
    """The finding's message, with the text it quotes withheld where the title is."""
    return finding.message if shows(incident, options) else finding.withheld()


def withheld_count(result: AuditResult, options: Options) -> int:
    """How many confidential incidents with violations have their title withheld."""
    return sum(1 for incident in result.violating if not shows(incident, options))
