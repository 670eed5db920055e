"""What inc-audit prints and writes is safe, whatever the server says: no escape sequence,
control character or bidirectional override reaches a terminal or a job log (titles,
states, URLs, the server's error details, a dry run's diff), no link leaves the configured
GitLab's host or is anything but http(s), and the audit issue stays within GitLab's limit."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from fakegitlab import PROJECT, FakeGitLab

from inc_audit.findings import AuditResult, Finding, IncidentResult
from inc_audit.formats import audit_issue
from inc_audit.formats.options import GITLAB_DESCRIPTION_LIMIT, Options
from inc_audit.formats.registry import REPORTERS
from inc_audit.model import IssueKey
from inc_audit.text import printable
from tests.conftest import EXAMPLE_EXPORT
from tests.hostile.test_source import LISTING, SECRET, TOKENS, cli

ATTACKS = {
    "csi": "\x1b[2J\x1b[31mred",
    "osc8": "\x1b]8;;http://evil.example/\x1b\\click\x1b]8;;\x1b\\",
    "osc52": "\x1b]52;c;cm0gLXJmIH4=\x07",
    "c1 csi": "\x9b31m",
    "c1 osc": "\x9d52;c;Y2xpcA==\x9c",
    "bidi": "\u202eevil\u202c",
    "carriage return": "ok\rfake line",
    "bell": "\x07\x08",
}
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
EVIL_URLS = ["javascript:alert(1)", "http://evil.example/phish", "data:text/html,<b>x</b>",
             "https://evil.example/a) [x](http://evil.example"]


@pytest.mark.parametrize("name", list(ATTACKS))
def test_printable_leaves_nothing_a_terminal_acts_on(name: str) -> None:
    shown = printable(f"before {ATTACKS[name]} after\nnext")
    assert not UNSAFE.search(shown), repr(shown)
    assert "before" in shown and "after" in shown and "\n" in shown


@pytest.fixture
def hostile() -> Iterator[FakeGitLab]:
    """The Umami project with every title, note and state carrying escape sequences, and
    web_urls pointing anywhere."""
    with FakeGitLab.from_export(EXAMPLE_EXPORT, PROJECT, tokens=TOKENS) as server:
        attacks = list(ATTACKS.values())
        for number, issue in enumerate(server.issues.values()):
            issue.title += " " + attacks[number % len(attacks)]
            for note in issue.notes:
                note.body += "\n\n" + attacks[(number + 1) % len(attacks)]

        def lie(body: object, args: dict[str, str]) -> object:
            if not isinstance(body, list):
                return body
            return [{**entry, "web_url": EVIL_URLS[n % len(EVIL_URLS)], "state": entry["state"] + ATTACKS["osc52"]}
                    for n, entry in enumerate(body)]

        server.corrupt = {LISTING: lie}
        yield server
    assert server.errors == []


def assert_clean(text: str) -> None:
    assert not UNSAFE.search(text.replace("\t", " ")), repr(UNSAFE.search(text))


def test_nothing_unsafe_reaches_the_terminal_or_a_report(hostile: FakeGitLab, tmp_path: Path) -> None:
    reports = {name: tmp_path / f"report.{name}" for name in ("html", "markdown", "junit", "json")}
    for fmt in ("text", "markdown", "json"):
        run = cli(hostile.url, "-v", "--format", fmt, *[f"--report={n}={p}" for n, p in reports.items()], cwd=tmp_path)
        assert run.returncode in (1, 3), run.stderr
        assert_clean(run.stdout)
        assert_clean(run.stderr)
    html = reports["html"].read_text(encoding="utf-8")
    markdown = reports["markdown"].read_text(encoding="utf-8")
    links = re.findall(r'href="([^"]*)"', html) + re.findall(r"\]\(([^)]*)\)", markdown)
    assert links and all(link.startswith(hostile.url + "/") for link in links), links


def test_a_dry_run_diff_is_clean(hostile: FakeGitLab, tmp_path: Path) -> None:
    run = cli(hostile.url, "--publish", "--dry-run", cwd=tmp_path)
    assert run.returncode in (1, 3), run.stderr
    assert_clean(run.stdout + run.stderr)
    assert "](http://evil" not in run.stdout and "](javascript:" not in run.stdout  # inert text at most


def test_links_in_the_audit_issue_stay_on_the_configured_host(hostile: FakeGitLab, tmp_path: Path) -> None:
    run = cli(hostile.url, "--publish", cwd=tmp_path)
    assert run.returncode in (1, 3), run.stderr
    [issue] = [i for i in hostile.issues.values() if "inc-audit" in i.labels]
    links = re.findall(r"\]\(([^)]*)\)", issue.description)
    assert links and all(link.startswith(hostile.url + "/") for link in links), links
    assert "](javascript:" not in issue.description and "](http://evil" not in issue.description


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_the_servers_error_detail_is_printed_clean(tmp_path: Path, attack: str) -> None:
    with FakeGitLab(TOKENS) as fake:
        fake.fault_on(r"/user$", status=418)
        fake.corrupt = {}
        run = cli(fake.url, cwd=tmp_path)
    assert run.returncode in (2, 3)
    assert_clean(run.stderr)


def test_an_error_message_with_escape_sequences_is_printed_clean(tmp_path: Path) -> None:
    from tests.hostile import servers

    with FakeGitLab(TOKENS) as fake:
        body = ('{"message": "boom ' + "\\u001b]52;c;Y2xpcA==\\u0007 \\u009b2J \\u202e" + '"}').encode()
        fake.answer_raw(r"/user$", servers.answer(500, body))
        run = cli(fake.url, "--retry-budget", "0.5", cwd=tmp_path)
    assert run.returncode == 3
    assert "boom" in run.stderr or "HTTP 500" in run.stderr
    assert_clean(run.stderr)


# --- the audit issue's size ---------------------------------------------------------------------


def crowd(people: int, incidents: int) -> AuditResult:
    findings = lambda n: tuple(  # noqa: E731
        Finding("PMR001", "error", "post-mortem missing " + "x" * 200, owners=(f"person-{n}-{k}-" + "y" * 60,),
                party="author", due=date(2026, 1, 1)) for k in range(max(1, people // incidents)))
    return AuditResult(
        as_of=datetime(2026, 6, 1, tzinfo=timezone.utc),
        source={"kind": "gitlab", "url": "https://gitlab.example", "project": PROJECT},
        incidents=tuple(IncidentResult(IssueKey(PROJECT, n), f"incident {n} " + "t" * 200,
                                       f"https://gitlab.example/{PROJECT}/-/issues/{n}", "closed", False, findings(n))
                        for n in range(1, incidents + 1)),
    )


@pytest.mark.parametrize("people, incidents", [(40_000, 200), (200, 20_000), (10, 10)])
def test_the_audit_issue_body_stays_within_gitlabs_limit(people: int, incidents: int) -> None:
    body = audit_issue.render(crowd(people, incidents), Options())
    assert len(body) <= GITLAB_DESCRIPTION_LIMIT
    if people > 1000:
        assert "This summary is cut" in body and body.count("```") % 2 == 0
    if incidents > 1000:
        assert "more incident(s) with violations are not shown" in body
    assert REPORTERS["markdown"](crowd(people, incidents), Options()) == body


def test_a_huge_audit_issue_is_accepted_by_the_fake_gitlab(tmp_path: Path) -> None:
    with FakeGitLab(TOKENS) as fake:
        gl_body = audit_issue.render(crowd(40_000, 100), Options())
        fake.add_issue(PROJECT, title="audit", labels=["inc-audit"], description=gl_body)
        run = subprocess.run(["true"], check=True)
        assert run.returncode == 0 and len(gl_body) <= GITLAB_DESCRIPTION_LIMIT
    assert SECRET
