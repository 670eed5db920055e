"""Reporters: pure functions from an audit result to text. Only the CLI writes.

Text taken from issues (titles above all) goes through ``neutral`` (see
``inc_audit.formats.neutral``) before it reaches markdown, so the audit issue holds no live
reference or mention, no markup, no line GitLab would run as a quick action, and no
``|`` that breaks a table; the text report shows it ``plain``. Every reporter's output
has its lone surrogates repaired (JUnit also loses the characters XML forbids), so any
writer can encode it.

A confidential incident's title is shown only where ``Options.show_confidential``
allows: ``titles_shown`` decides it for reports written by the CLI (withheld in CI
unless asked otherwise), the config's ``audit_issue.confidential`` for the audit issue.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from inc_audit.findings import AuditResult
from inc_audit.formats.neutral import neutral, xml_safe
from inc_audit.formats.options import CONFIDENTIAL_TITLES, Options, title_of, titles_shown, withheld_count
from inc_audit.formats.plain import format_json, format_text, json_pieces
from inc_audit.text import printable, repair

__all__ = [
    "CONFIDENTIAL_TITLES", "MAIN_FORMATS", "REPORTERS", "STREAMED", "Options", "format_codequality", "format_json",
    "format_junit", "format_markdown", "format_text", "neutral", "repo_path", "title_of", "titles_shown",
    "withheld_count",
]


# The markdown, HTML and CI formats read the rules' registry: they are imported when first
# used, so a command that writes only text (the template gate) does not load them.


def format_markdown(result: AuditResult, options: Options) -> str:
    """The audit issue's body. It holds no run time, so an unchanged audit gives the same body."""
    from inc_audit.formats import audit_issue

    return audit_issue.render(result, options)


def format_html(result: AuditResult, options: Options) -> str:
    """One self-contained HTML page of the audit, for CI artifacts."""
    from inc_audit.formats import html

    return html.render(result, options)


def format_junit(result: AuditResult, options: Options) -> str:
    """JUnit XML (``ci.format_junit``)."""
    from inc_audit.formats import ci

    return ci.format_junit(result, options)


def format_codequality(result: AuditResult, options: Options) -> str:
    """GitLab Code Quality entries (``ci.format_codequality``)."""
    from inc_audit.formats import ci

    return ci.format_codequality(result, options)


def repo_path(location: str, root: str = "") -> str:
    """``location`` relative to the repository root (``ci.repo_path``)."""
    from inc_audit.formats import ci

    return ci.repo_path(location, root)


Reporter = Callable[[AuditResult, Options], str]


def _encodable(reporter: Reporter, clean: Callable[[str], str] = repair) -> Reporter:
    """``reporter`` whose output any writer can encode (see the module's docstring)."""

    def report(result: AuditResult, options: Options) -> str:
        return clean(reporter(result, options))

    report.__name__ = report.__qualname__ = reporter.__name__
    report.__doc__ = reporter.__doc__
    return report


REPORTERS: dict[str, Reporter] = {
    "text": _encodable(format_text),
    "markdown": _encodable(format_markdown),
    "json": _encodable(format_json),
    "junit": _encodable(format_junit, lambda text: xml_safe(printable(text))),  # a job log may print it
    "codequality": _encodable(format_codequality),
    "html": _encodable(format_html),
}
MAIN_FORMATS = ("text", "markdown", "json")


Pieces = Callable[[AuditResult, Options], Iterator[str]]


def _repaired(pieces: Pieces) -> Pieces:
    def report(result: AuditResult, options: Options) -> Iterator[str]:
        return (repair(piece) for piece in pieces(result, options))

    return report


# Reporters whose text can be written piece by piece (joined, each gives ``REPORTERS``' text):
# a large audit's JSON report is written without being held whole.
STREAMED: dict[str, Pieces] = {"json": _repaired(json_pieces)}
