"""The policy cycle through the installed command against the fake GitLab (real HTTP on
127.0.0.1): first-seen moments kept in the audit issue across a lost cache, mentions once,
and one meeting issue per IPM meeting, updated in place."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
from fakegitlab import API_TOKEN, PROJECT, FakeGitLab

from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT

INC_AUDIT = shutil.which("inc-audit", path=str(Path(sys.executable).parent)) or "inc-audit"
LIVE_MENTION = re.compile(r"(?<![\w`\\])@[A-Za-z0-9_]")
QUICK_ACTION = re.compile(r"^\s*/[a-z]", re.MULTILINE)


@pytest.fixture
def fake() -> Iterator[FakeGitLab]:
    with FakeGitLab.from_export(EXAMPLE_EXPORT, PROJECT, tokens={API_TOKEN: ("inc-audit-bot", ["api"])}) as server:
        yield server
    assert server.errors == []


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "mention.yml"
    text = EXAMPLE_CONFIG.read_text().replace("audit_issue:\n", "audit_issue:\n  mention: true\n")
    path.write_text(text + "meeting:\n  weekday: thursday\n  time: \"14:00\"\n")
    return path


def cli(fake: FakeGitLab, folder: Path, config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command in its own process, in ``folder`` (so with that folder's cache)."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CI_")}
    env["GITLAB_TOKEN"] = API_TOKEN
    command = [INC_AUDIT, args[0], "--gitlab-url", fake.url, "--project", PROJECT, "--config", str(config), *args[1:]]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=folder)


def audit_issue(fake: FakeGitLab):
    [issue] = [i for i in fake.issues.values() if "inc-audit" in i.labels]
    return issue


def comments(issue) -> list[str]:
    return [n.body for n in issue.notes if not n.system]


def test_first_seen_survives_a_lost_cache_and_owners_are_mentioned_once(fake, config, tmp_path):
    dry = cli(fake, tmp_path / "runner-0", config, "run", "--as-of", "2026-06-01", "--publish", "--dry-run")
    assert "would comment: New violations since the last audit, for @alice (" in dry.stdout
    assert fake.writes == []
    first = cli(fake, tmp_path / "runner-1", config, "run", "--as-of", "2026-06-01", "--publish",
                "--report", "json=audit.json")
    assert first.returncode == 1, first.stderr
    issue = audit_issue(fake)
    [mention] = comments(issue)
    assert set(re.findall(r"@(\w+)", mention)) == {"alice", "bob", "dave"}  # never the authors frank, grace
    assert not LIVE_MENTION.search(issue.description) and not QUICK_ACTION.search(issue.description)
    fake.clear_logs()
    # Two days later, on a fresh runner: no cache, the state comes from the audit issue.
    second = cli(fake, tmp_path / "runner-2", config, "run", "--as-of", "2026-06-03", "--publish",
                 "--report", "json=audit.json")
    assert second.returncode == 1 and "audit issue unchanged" in second.stderr, second.stderr
    assert fake.writes == [] and len(comments(audit_issue(fake))) == 1
    report = json.loads((tmp_path / "runner-2" / "audit.json").read_text())
    seen = {f["first_seen"] for i in report["incidents"] for f in i["findings"]}
    assert seen == {"2026-06-01T00:00:00Z"}
    assert all(f["owners"] for i in report["incidents"] for f in i["findings"])


def test_a_new_finding_is_added_with_its_own_first_seen_and_only_its_owners_are_pinged(fake, config, tmp_path):
    assert cli(fake, tmp_path / "a", config, "run", "--as-of", "2026-06-01", "--publish").returncode == 1
    fake.add_issue(PROJECT, title="Explorer down", description="", labels=["incident"], issue_type="incident",
                   author="erin", created_at="2026-06-02T08:00:00Z")
    later = cli(fake, tmp_path / "b", config, "run", "--as-of", "2026-06-03", "--publish", "--format", "json")
    assert later.returncode == 1 and "audit issue updated" in later.stderr, later.stderr
    report = json.loads(later.stdout)
    new = [f for i in report["incidents"] if i["title"] == "Explorer down" for f in i["findings"]]
    assert new and {f["first_seen"] for f in new} == {"2026-06-03T00:00:00Z"}
    assert {f["owners"][0] for f in new} == {"erin"}
    _, ping = comments(audit_issue(fake))
    assert re.findall(r"@(\w+)", ping) == ["erin"]  # a backup in the config, and the new incident's author


def test_the_meeting_issue_is_created_once_and_updated_in_place(fake, config, tmp_path):
    args = ("agenda", "--as-of", "2026-06-03T07:00:00Z", "--publish")
    first = cli(fake, tmp_path, config, *args)
    assert first.returncode == 0 and "meeting issue created" in first.stderr, first.stderr
    [meeting] = [i for i in fake.issues.values() if "ipm-meeting" in i.labels]
    assert meeting.confidential and meeting.title == "IPM meeting 2026-06-04"
    assert "<!-- inc-audit:ipm-meeting 2026-06-04 -->" in meeting.description
    assert "Post-mortems awaiting approval (2)" in meeting.description
    assert not LIVE_MENTION.search(meeting.description) and not QUICK_ACTION.search(meeting.description)
    with fake.lock:  # an attendee ticks a box during the meeting
        meeting.description = meeting.description.replace("- [ ] Are the alerts", "- [x] Are the alerts", 1)
    fake.clear_logs()
    again = cli(fake, tmp_path, config, *args)
    assert again.returncode == 0 and "meeting issue unchanged" in again.stderr, again.stderr
    dry = cli(fake, tmp_path, config, "agenda", "--as-of", "2026-06-03T07:00:00Z", "--dry-run")
    assert dry.returncode == 0 and "no change to the meeting issue" in dry.stdout
    assert fake.writes == []
    assert meeting.description.count("- [x] Are the alerts") == 1
    assert len([i for i in fake.issues.values() if "ipm-meeting" in i.labels]) == 1


def test_an_approval_given_after_the_meeting_is_what_the_next_audit_reads(fake, config, tmp_path):
    assert cli(fake, tmp_path, config, "agenda", "--as-of", "2026-06-03", "--publish").returncode == 0
    incident = fake.issue(PROJECT, 7)
    approval = fake.add_note(incident, "Approved at the IPM meeting.", author="alice",
                             created_at="2026-06-04T13:00:00Z")
    assert approval.created_at.isoformat().startswith("2026-06-04")
    with fake.lock:  # as GitLab does, a new comment moves the issue's updated_at (to the real now)
        incident.updated_at = datetime.now(timezone.utc)
    audit = cli(fake, tmp_path, config, "run", "--as-of", "2026-06-05", "--format", "json")
    rules = [f["rule"] for i in json.loads(audit.stdout)["incidents"] if i["iid"] == 7 for f in i["findings"]]
    assert "IPM003" not in rules and "IPM002" in rules
    agenda = cli(fake, tmp_path, config, "agenda", "--as-of", "2026-06-05", "--meeting", "2026-06-11")
    assert "umami-wallet/umami#7" not in agenda.stdout and "umami-wallet/umami#14" in agenda.stdout
