"""Attacks on the audit issue and the reports, through the fake GitLab and the real `inc-audit`.

Who attacks: anyone who can open or edit an issue in the audited project. What they try:
hide an incident from the audit, take over the audit issue (and so receive the next
confidential report), read confidential titles where they should not, and make the audit
issue or the reports act on their text (mentions, quick actions, links, HTML, references).
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
from collections.abc import Iterator
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import gitlab
import mistune
import pytest
import yaml
from fakegitlab import API_TOKEN, PROJECT, FakeGitLab
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inc_audit.audit import AUDIT_MARKER
from inc_audit.findings import AuditResult, Finding, IncidentResult
from inc_audit.formats.neutral import neutral, plain
from inc_audit.formats.registry import REPORTERS, Options
from inc_audit.model import IssueKey
from tests.conftest import EXAMPLE_CONFIG, template
from tests.test_cli_live import INC_AUDIT

MALLORY = "glpat-mallory-can-open-issues"
BOT = "inc-audit-bot"
SECRET_TITLE = "Seed phrase of the hot wallet pasted in a public channel"
WEB = "https://gitlab.example.com/umami-wallet/umami/-/issues/"
EXAMPLES = 200  # hypothesis examples per property test (see tests/hostile/count.py)

HOSTILE = (
    "@all", "&#64;all", "&commat;all", "&#x40;all", "@\u200ball", "＠all",
    "[x](javascript:alert(1))", "[x](https://evil.example/ \"title\")", "![](https://tracker.example/p.png)",
    "<img src=https://tracker.example/p.png>", "<details><summary>x</summary>", "<!-- x -->", "-->",
    "\u202egnp.exe", "\u2066\u2069\u200f", "\n/close", "\r/label ~x", "\u2028/assign @me", "\u2029/unassign",
    "\x85/lock", "\x1b[2J\x1b]8;;https://evil.example\x07", "[[_TOC_]]", "~security", "~\"a b\"", "%\"v1\"",
    "%v1", "!12", "#3", "umami-wallet/umami#3", "$5", "&7", "^alert#1", "*iteration:2", "[vulnerability:1]",
    "|", "\\|", "`",
    "```", "$$", "$x$", "*", "_", "~~", "https://gitlab.example.com/umami-wallet/umami/-/issues/3",
    "www.evil.example", ":+1:", "\\", "\ud800", "\udfff", "\x00", "\x0b", "/", "# ", "- ", "1. ", "> ",
    "=== ", "{+ +}", "<script>", "&amp;", "&lt;", "x" * 300,
)
hostile_text = st.lists(st.one_of(st.sampled_from(HOSTILE), st.text(max_size=6)), max_size=10).map("".join)


# -- what GitLab would act on --------------------------------------------------------------

REFERENCE = re.compile(
    r"(?<![\w])(@[\w.\-]|#\d|![\d]|~[\w\"]|%[\w\"]|\$\d|&\d|\^alert|\*iteration)|\[vulnerability:|\[\[_TOC_\]\]"
    r"|://|\bwww\.",
    re.IGNORECASE,
)
QUICK_ACTION = re.compile(r"^[ \t]*/\w", re.MULTILINE)
BIDI = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
SHAPE_TAGS = {"h1", "h2", "h3", "p", "strong", "em", "table", "thead", "tbody", "tr", "th", "td", "ul", "li",
              "details", "summary", "b", "pre", "code"}


class _Markup(HTMLParser):
    """The tags, link targets and text of rendered Markdown."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.links: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def live_parts(body: str, own_links: tuple[str, ...] = (WEB,)) -> list[str]:
    """What GitLab would act on in ``body`` beyond inc-audit's own shape: quick actions,
    HTML or images, links other than to incidents, references and mentions (after
    entities are decoded), bidirectional overrides, unreadable characters."""
    problems = [f"quick action {m.group(0)!r}" for m in QUICK_ACTION.finditer(body.replace("\r", "\n"))]
    rendered = mistune.create_markdown(escape=False, plugins=["table", "strikethrough", "url"])(body)
    markup = _Markup()
    markup.feed(str(rendered))
    problems += [f"tag <{tag}>" for tag in markup.tags if tag not in SHAPE_TAGS | {"a"}]
    problems += [f"link {href!r}" for href in markup.links if not href.startswith(own_links)]
    for text in markup.text:
        text = html.unescape(text)
        problems += [f"reference {m.group(0)!r} in {text!r}" for m in REFERENCE.finditer(text)]
        problems += [f"bidirectional control in {text!r}" for _ in BIDI.finditer(text)]
    problems += ["lone surrogate"] if re.search("[\ud800-\udfff]", body) else []
    return problems


def shape(body: str) -> list[str]:
    """The tags of ``body`` rendered, in order: text that stays text leaves them as they are."""
    markup = _Markup()
    markup.feed(str(mistune.create_markdown(escape=False, plugins=["table", "strikethrough", "url"])(body)))
    return markup.tags



def same_shape_as_benign(body: str) -> bool:
    return shape(body) == shape(REPORTERS["markdown"](one("Outage", "section 'Evidence' is empty"), Options()))


def table_rows_intact(body: str) -> bool:
    rows = [line for line in body.splitlines() if line.startswith("| ") and not line.startswith("| Rule")]
    return all(len(re.split(r"(?<!\\)\|", row)) in (5,) for row in rows)


def one(title: str, message: str = "section 'Evidence' is empty", confidential: bool = False) -> AuditResult:
    finding = Finding("INC002", "error", message, where="description")
    incident = IncidentResult(IssueKey(PROJECT, 9), title, f"{WEB}9", "closed", confidential, (finding,))
    return AuditResult(datetime(2026, 6, 1, tzinfo=timezone.utc), {"kind": "gitlab", "project": PROJECT}, (incident,))


# -- neutralisation, one output at a time ----------------------------------------------------

@pytest.mark.parametrize("attack", HOSTILE)
def test_each_known_attack_is_inert_in_the_audit_issue(attack: str) -> None:
    body = REPORTERS["markdown"](one(f"Outage {attack} end", f"only {attack} approved"), Options())
    assert live_parts(body) == []
    assert table_rows_intact(body) and same_shape_as_benign(body)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=hostile_text, message=hostile_text)
def test_any_title_and_message_are_inert_in_the_audit_issue(title: str, message: str) -> None:
    body = REPORTERS["markdown"](one(title, message), Options())
    assert live_parts(body) == []
    assert table_rows_intact(body) and same_shape_as_benign(body)
    body.encode("utf-8")


@settings(max_examples=EXAMPLES, deadline=None)
@given(title=hostile_text, message=hostile_text)
def test_any_title_gives_valid_utf8_json_junit_and_a_plain_text_report(title: str, message: str) -> None:
    result = one(title, message)
    data = json.loads(REPORTERS["json"](result, Options()).encode("utf-8"))
    assert data["incidents"][0]["title"] == title.encode("utf-8", "surrogatepass").decode("utf-8", "replace") or (
        "\ufffd" in data["incidents"][0]["title"]
    )
    ET.fromstring(REPORTERS["junit"](result, Options()).encode("utf-8"))
    json.loads(REPORTERS["codequality"](result, Options()).encode("utf-8"))
    text = REPORTERS["text"](result, Options())
    text.encode("utf-8")
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]", text)
    assert not BIDI.search(text)
    assert len(text.splitlines()) == 4  # the incident, its finding, a blank line, the totals


def test_a_lone_surrogate_is_repaired_in_every_format() -> None:
    result = one("Half an emoji \ud83d here", "note by \udc00 someone")
    for name, reporter in REPORTERS.items():
        out = reporter(result, Options())
        out.encode("utf-8")
        assert "\ufffd" in out or name == "codequality", name


def test_neutral_and_plain_bound_the_length() -> None:
    assert len(plain("x" * 5000, 255)) == 255
    assert len(neutral("x" * 5000, 255)) <= 255


@settings(max_examples=EXAMPLES, deadline=None)
@given(text=hostile_text)
def test_neutral_text_never_starts_a_line_gitlab_acts_on(text: str) -> None:
    line = neutral(text)
    assert "\n" not in line and "\r" not in line and not line.startswith(("/", "#", "-", "+", "=", ">"))
    assert live_parts(line) == [] or live_parts("x " + line) == []


# -- through the fake GitLab and the real inc-audit -----------------------------------------

@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitLab]:
    monkeypatch.chdir(tmp_path)
    tokens = {API_TOKEN: (BOT, ["api"]), MALLORY: ("mallory", ["api"])}
    with FakeGitLab(tokens=tokens) as server:
        server.add_issue(PROJECT, title=SECRET_TITLE, description=template("incident.md"), labels=["incident"],
                         issue_type="incident", confidential=True, author="frank")
        yield server
    assert server.errors == []


def config_file(tmp_path: Path, confidential: bool) -> Path:
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data["audit_issue"]["confidential"] = confidential
    path = tmp_path / f"config-{confidential}.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def inc_audit(fake: FakeGitLab, config: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CI")}
    command = [INC_AUDIT, "run", "--gitlab-url", fake.url, "--project", PROJECT, "--config", str(config),
               "--as-of", "2026-06-01", "--retry-budget", "5", "--no-cache", *args]
    return subprocess.run(command, env={**base, "GITLAB_TOKEN": API_TOKEN, **(env or {})},
                          capture_output=True, text=True, timeout=120)


def as_mallory(fake: FakeGitLab) -> Any:
    return gitlab.Gitlab(fake.url, private_token=MALLORY).projects.get(PROJECT, lazy=True)


def audit_issues_by(fake: FakeGitLab, username: str) -> list[Any]:
    with fake.lock:
        user = fake.find_user(username)
        return sorted((i for i in fake.issues.values() if user and i.author_id == user.id
                       and AUDIT_MARKER in i.description), key=lambda i: i.iid)


def test_an_incident_carrying_the_marker_is_audited(fake: FakeGitLab, tmp_path: Path) -> None:
    hidden = as_mallory(fake).issues.create({
        "title": "Quietly broken", "labels": "incident", "issue_type": "incident",
        "description": f"{AUDIT_MARKER}\n{template('incident.md')}",
    })
    run = inc_audit(fake, config_file(tmp_path, True), "--format", "json")
    assert run.returncode == 1, run.stderr
    audited = {i["iid"]: i for i in json.loads(run.stdout)["incidents"]}
    assert audited[hidden.iid]["findings"]


def test_an_issue_someone_else_opened_with_the_label_and_marker_receives_nothing(
    fake: FakeGitLab, tmp_path: Path
) -> None:
    bait = as_mallory(fake).issues.create(
        {"title": "Incident policy audit", "labels": "inc-audit", "description": f"watching\n\n{AUDIT_MARKER}"}
    )
    first = inc_audit(fake, config_file(tmp_path, True), "--publish")
    assert first.returncode == 1, first.stderr
    assert "another user opened it: left alone" in first.stderr and bait.web_url in first.stderr
    with fake.lock:
        mine = fake.issue(PROJECT, bait.iid)
        assert mine is not None and mine.description == f"watching\n\n{AUDIT_MARKER}" and mine.state == "opened"
        assert [n for n in mine.notes if not n.system] == []
    [audit] = audit_issues_by(fake, BOT)
    assert audit.confidential and SECRET_TITLE in audit.description
    assert all(f"/issues/{bait.iid}" not in w.path for w in fake.writes)
    fake.clear_logs()
    again = inc_audit(fake, config_file(tmp_path, True), "--publish")
    assert again.returncode == 1 and "audit issue unchanged" in again.stderr and fake.writes == []


def test_a_hijacked_older_duplicate_is_neither_kept_nor_closed(fake: FakeGitLab, tmp_path: Path) -> None:
    inc_audit(fake, config_file(tmp_path, True), "--publish")
    [audit] = audit_issues_by(fake, BOT)
    with fake.lock:  # mallory's copy of the body, older than the real one
        copy = fake.add_issue(PROJECT, title="Incident policy audit", description=audit.description,
                              labels=["inc-audit"], author="mallory", created_at="2020-01-01T00:00:00Z")
    fake.clear_logs()
    run = inc_audit(fake, config_file(tmp_path, True), "--publish")
    assert "audit issue unchanged" in run.stderr and fake.writes == []
    assert copy.state == "opened"


def test_switching_to_confidential_makes_the_issue_confidential_before_writing(
    fake: FakeGitLab, tmp_path: Path
) -> None:
    public = inc_audit(fake, config_file(tmp_path, False), "--publish")
    assert public.returncode == 1, public.stderr
    [audit] = audit_issues_by(fake, BOT)
    assert not audit.confidential and SECRET_TITLE not in audit.description
    assert "titles of 1 confidential incident(s) are withheld" in audit.description
    fake.clear_logs()
    switched = inc_audit(fake, config_file(tmp_path, True), "--publish")
    assert switched.returncode == 1, switched.stderr
    puts = [w.fields for w in fake.writes]
    assert puts[0] == {"confidential": True}
    assert "description" in puts[1] and SECRET_TITLE in puts[1]["description"]
    assert audit.confidential and SECRET_TITLE in audit.description


def test_reports_written_in_ci_withhold_confidential_titles(fake: FakeGitLab, tmp_path: Path) -> None:
    reports = ("--report", "json=r.json", "--report", "junit=r.xml", "--report", "markdown=r.md", "-v")
    ci = inc_audit(fake, config_file(tmp_path, True), *reports, "--publish", "--dry-run", env={"CI": "true"})
    assert ci.returncode == 1, ci.stderr
    written = [Path(name).read_text(encoding="utf-8") for name in ("r.json", "r.xml", "r.md")]
    for text in [*written, ci.stdout, ci.stderr]:
        assert SECRET_TITLE not in text
    # The dry run shows the diff the audit issue would get, the confidential incident by reference only.
    assert "(confidential incident)" in written[0]
    assert "+<summary><b>umami-wallet/umami#1</b> (confidential incident)" in ci.stdout
    shown = inc_audit(fake, config_file(tmp_path, True), *reports, "--confidential-titles", "show",
                      env={"CI": "true"})
    assert all(SECRET_TITLE in Path(name).read_text(encoding="utf-8") for name in ("r.json", "r.xml", "r.md"))
    assert SECRET_TITLE in shown.stdout


@pytest.mark.parametrize("attack", ["&#64;all [x](javascript:alert(1)) \u202eexe.cod", "\u2028/close #1 ~x !2",
                                    "<details><img src=https://t.example/p.png> [[_TOC_]] %v1 $3 &4"])
def test_a_hostile_title_published_through_gitlab_is_inert(
    fake: FakeGitLab, tmp_path: Path, attack: str
) -> None:
    with fake.lock:
        fake.add_issue(PROJECT, title=f"Outage {attack}", description="", labels=["incident"],
                       issue_type="incident", author="mallory")
    run = inc_audit(fake, config_file(tmp_path, True), "--publish", "--report", "junit=r.xml")
    assert run.returncode == 1, run.stderr
    [audit] = audit_issues_by(fake, BOT)
    assert live_parts(audit.description, (fake.url,)) == []
    ET.parse("r.xml")


def test_a_lone_surrogate_from_gitlab_reaches_every_output_repaired(fake: FakeGitLab, tmp_path: Path) -> None:
    with fake.lock:
        fake.add_issue(PROJECT, title="Half an emoji \ud83d", description="", labels=["incident"],
                       issue_type="incident")
    reports = [f"{name}=out.{name}" for name in REPORTERS]
    run = inc_audit(fake, config_file(tmp_path, True), "--publish", *(x for r in reports for x in ("--report", r)))
    assert run.returncode == 1, run.stderr
    for name in REPORTERS:
        Path(f"out.{name}").read_bytes().decode("utf-8")
    assert "Half an emoji \ufffd" in Path("out.json").read_text(encoding="utf-8")
    [audit] = audit_issues_by(fake, BOT)
    assert "Half an emoji \ufffd" in audit.description


def test_checking_one_live_incident_in_ci_withholds_its_confidential_title(fake: FakeGitLab, tmp_path: Path) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CI")} | {"GITLAB_TOKEN": API_TOKEN}
    command = [INC_AUDIT, "check", f"{PROJECT}#1", "--gitlab-url", fake.url, "--config", str(EXAMPLE_CONFIG)]
    at_a_terminal = subprocess.run(command, env=base, capture_output=True, text=True, timeout=120)
    in_ci = subprocess.run(command, env=base | {"CI": "true"}, capture_output=True, text=True, timeout=120)
    assert at_a_terminal.returncode == in_ci.returncode == 1, in_ci.stderr
    assert SECRET_TITLE in at_a_terminal.stdout
    assert SECRET_TITLE not in in_ci.stdout + in_ci.stderr and "(confidential incident)" in in_ci.stdout


def test_a_meeting_issue_someone_else_opened_receives_nothing(fake: FakeGitLab, tmp_path: Path) -> None:
    config = tmp_path / "meeting.yml"
    config.write_text(EXAMPLE_CONFIG.read_text(encoding="utf-8") + 'meeting:\n  weekday: thursday\n  time: "14:00"\n',
                      encoding="utf-8")
    bait = as_mallory(fake).issues.create({"title": "IPM meeting 2026-06-04", "labels": "ipm-meeting",
                                           "description": "<!-- inc-audit:ipm-meeting 2026-06-04 -->\nnotes"})
    base = {k: v for k, v in os.environ.items() if not k.startswith("CI")} | {"GITLAB_TOKEN": API_TOKEN}
    run = subprocess.run([INC_AUDIT, "agenda", "--gitlab-url", fake.url, "--project", PROJECT, "--config", str(config),
                          "--as-of", "2026-06-03T07:00:00Z", "--publish"], env=base, capture_output=True, text=True,
                         timeout=120, cwd=tmp_path)
    assert run.returncode == 0 and "meeting issue created" in run.stderr, run.stderr
    with fake.lock:
        mine = fake.issue(PROJECT, bait.iid)
        assert mine is not None and mine.description.endswith("\nnotes") and mine.state == "opened"
    assert all(f"/issues/{bait.iid}" not in w.path for w in fake.writes)
