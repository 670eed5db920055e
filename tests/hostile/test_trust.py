"""Attacks on what inc-audit trusts, through the fake GitLab and the real `inc-audit`.

Who attacks: anyone who can open, label or edit issues in the audited project (mallory).
What they try: read a confidential incident's text where they may not (a heading quoted in
a finding, in a public audit issue, an audit issue of another project, a CI log or
report); turn inc-audit's own issues into evidence (label the audit issue as a change or
an incident, link it); forge the audit issue's kept state; remove its label and marker to
make it open a second one; make it public before the next write; take an incident out of
the audit to hide its violations.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gitlab
import pytest
import yaml
from fakegitlab import API_TOKEN, PROJECT, FakeGitLab

from inc_audit.audit import AUDIT_MARKER
from inc_audit.findings import Finding, IncidentResult
from inc_audit.formats import state
from inc_audit.model import IssueKey
from tests.conftest import EXAMPLE_CONFIG, template
from tests.test_cli_live import INC_AUDIT

MALLORY = "glpat-mallory-can-edit-issues"
BOT = "inc-audit-bot"
SECRET_TITLE = "Seed phrase of the hot wallet pasted in a public channel"
SECRET_HEADING = "Seed phrase leak impact zone"
OTHER = "umami-wallet/audits"


def secret_report() -> str:
    """The incident template, its impact heading renamed: the closest heading to a missing section."""
    return template("incident.md").replace("### What is the potential impact of the incident?",
                                           f"### {SECRET_HEADING}", 1)


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeGitLab]:
    monkeypatch.chdir(tmp_path)
    tokens = {API_TOKEN: (BOT, ["api"]), MALLORY: ("mallory", ["api"])}
    with FakeGitLab(tokens=tokens) as server:
        server.add_issue(PROJECT, title=SECRET_TITLE, description=secret_report(), labels=["incident"],
                         issue_type="incident", confidential=True, author="frank", state="closed",
                         created_at="2026-05-01T00:00:00Z", closed_at="2026-05-02T00:00:00Z")
        yield server
    assert server.errors == []


def config_file(tmp_path: Path, **audit_issue: Any) -> Path:
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8"))
    data["audit_issue"].update(audit_issue)
    path = tmp_path / "config.yml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def inc_audit(fake: FakeGitLab, config: Path, *args: str, command: str = "run", as_of: str = "2026-06-01",
              env: dict[str, str] | None = None) -> Any:
    base = {k: v for k, v in os.environ.items() if not k.startswith("CI")}
    line = [INC_AUDIT, command, "--gitlab-url", fake.url, "--project", PROJECT, "--config", str(config),
            "--as-of", as_of, "--retry-budget", "5", "--no-cache", *args]
    return subprocess.run(line, env={**base, "GITLAB_TOKEN": API_TOKEN, **(env or {})},
                          capture_output=True, text=True, timeout=120)


def as_mallory(fake: FakeGitLab, project: str = PROJECT) -> Any:
    return gitlab.Gitlab(fake.url, private_token=MALLORY).projects.get(project, lazy=True)


def bot_issues(fake: FakeGitLab) -> list[Any]:
    with fake.lock:
        user = fake.find_user(BOT)
        return sorted((i for i in fake.issues.values() if user and i.author_id == user.id), key=lambda i: i.id)


def report(run: Any) -> dict[str, Any]:
    return {(i["project"], i["iid"]): i for i in json.loads(run.stdout)["incidents"]}


# -- confidential text stays where it may be read ------------------------------------------

def test_a_quoted_heading_of_a_confidential_incident_is_withheld_with_its_title(
    fake: FakeGitLab, tmp_path: Path
) -> None:
    reports = ("--report", "json=r.json", "--report", "junit=r.xml", "--report", "html=r.html",
               "--report", "markdown=r.md")
    ci = inc_audit(fake, config_file(tmp_path, confidential=False), *reports, "--publish", env={"CI": "true"})
    assert ci.returncode == 1, ci.stderr
    [audit] = bot_issues(fake)
    assert not audit.confidential
    written = [Path(name).read_text(encoding="utf-8") for name in ("r.json", "r.xml", "r.html", "r.md")]
    for text in [audit.description, *written, ci.stdout, ci.stderr]:
        assert SECRET_TITLE not in text and SECRET_HEADING not in text
    assert "(withheld)" in audit.description and "closest" in audit.description
    at_a_terminal = inc_audit(fake, config_file(tmp_path, confidential=True), "--format", "json")
    [finding] = [f for f in report(at_a_terminal)[(PROJECT, 1)]["findings"] if "closest" in f["message"]]
    assert SECRET_HEADING in finding["message"] and finding["quoted"] == [f"### {SECRET_HEADING}", SECRET_HEADING]


def test_an_audit_issue_in_another_project_withholds_the_incidents_text(fake: FakeGitLab, tmp_path: Path) -> None:
    with fake.lock:
        fake.add_project(OTHER)
    run = inc_audit(fake, config_file(tmp_path, confidential=True, project=OTHER), "--publish")
    assert run.returncode == 1, run.stderr
    [audit] = bot_issues(fake)
    with fake.lock:
        assert fake.projects[audit.project_id].path_with_namespace == OTHER and audit.confidential
    assert SECRET_TITLE not in audit.description and SECRET_HEADING not in audit.description
    assert "(confidential incident)" in audit.description and "(withheld)" in audit.description


def test_the_audit_issue_is_created_neutral_and_confirmed_confidential_before_the_audit(
    fake: FakeGitLab, tmp_path: Path
) -> None:
    run = inc_audit(fake, config_file(tmp_path), "--publish")
    assert run.returncode == 1, run.stderr
    create, write = fake.writes[0], fake.writes[1]
    assert create.method == "POST" and create.fields["confidential"] is True
    assert SECRET_TITLE not in create.fields["description"] and AUDIT_MARKER in create.fields["description"]
    assert write.method == "PUT" and SECRET_TITLE in write.fields["description"]
    checked = [r for r in fake.requests if r.method == "GET" and re.search(r"/issues/2$", r.path)]
    assert checked, "the issue was not read back before the audit was written to it"


def test_an_audit_issue_made_public_is_made_confidential_again_before_the_next_write(
    fake: FakeGitLab, tmp_path: Path
) -> None:
    inc_audit(fake, config_file(tmp_path), "--publish")
    [audit] = bot_issues(fake)
    as_mallory(fake).issues.update(audit.iid, {"confidential": False})
    with fake.lock:
        fake.add_issue(PROJECT, title="Another", description="", labels=["incident"], issue_type="incident")
    fake.clear_logs()
    run = inc_audit(fake, config_file(tmp_path), "--publish")
    assert run.returncode == 1, run.stderr
    assert fake.writes[0].fields == {"confidential": True}
    assert "description" in fake.writes[1].fields and audit.confidential


def test_agenda_and_its_dry_run_in_ci_print_no_confidential_title(fake: FakeGitLab, tmp_path: Path) -> None:
    config = tmp_path / "meeting.yml"
    config.write_text(EXAMPLE_CONFIG.read_text(encoding="utf-8") + 'meeting:\n  weekday: thursday\n  time: "14:00"\n',
                      encoding="utf-8")
    args = ("--meeting", "2026-06-04")
    terminal = inc_audit(fake, config, *args, command="agenda", as_of="2026-06-03T07:00:00Z")
    assert terminal.returncode == 0 and SECRET_TITLE in terminal.stdout, terminal.stderr
    for extra in ((), ("--dry-run",)):
        ci = inc_audit(fake, config, *args, *extra, command="agenda", as_of="2026-06-03T07:00:00Z",
                       env={"CI": "true"})
        assert ci.returncode == 0, ci.stderr
        assert SECRET_TITLE not in ci.stdout + ci.stderr
    published = inc_audit(fake, config, *args, "--publish", command="agenda", as_of="2026-06-03T07:00:00Z",
                          env={"CI": "true"})
    assert published.returncode == 0, published.stderr
    [meeting] = bot_issues(fake)
    assert meeting.confidential and SECRET_TITLE in meeting.description


# -- the bot's own issues cannot be turned against the audit -------------------------------

def test_the_fake_adds_mention_notes_for_the_bots_own_writes(fake: FakeGitLab, tmp_path: Path) -> None:
    inc_audit(fake, config_file(tmp_path), "--publish")
    [audit] = bot_issues(fake)
    with fake.lock:
        incident = fake.issue(PROJECT, 1)
        assert incident is not None
        notes = [(n.body, fake.users[n.author_id].username) for n in incident.notes if n.system]
    assert (f"mentioned in issue #{audit.iid}", BOT) in notes


@pytest.mark.parametrize("disguise", [
    {"labels": "CHG", "issue_type": "issue"},
    {"labels": "Change::Emergency,incident", "issue_type": "incident"},
])
def test_the_audit_issue_relabelled_as_a_change_or_an_incident_is_never_evidence(
    fake: FakeGitLab, tmp_path: Path, disguise: dict[str, str]
) -> None:
    first = inc_audit(fake, config_file(tmp_path), "--publish", "--format", "json")
    before = report(first)[(PROJECT, 1)]["findings"]
    assert any(f["rule"] == "CHG001" for f in before), first.stderr
    [audit] = bot_issues(fake)
    as_mallory(fake).issues.update(audit.iid, disguise)
    with fake.lock:
        incident = fake.issue(PROJECT, 1)
        assert incident is not None
        fake.link(incident, audit)
    again = inc_audit(fake, config_file(tmp_path), "--publish", "--format", "json")
    audited = report(again)
    assert (PROJECT, audit.iid) not in audited, "the audit issue was audited as an incident"
    rules = {f["rule"] for f in audited[(PROJECT, 1)]["findings"]}
    assert "CHG001" in rules and "CHG003" not in rules


def test_a_forged_state_neither_back_dates_nor_is_trusted_and_the_run_says_so(
    fake: FakeGitLab, tmp_path: Path
) -> None:
    inc_audit(fake, config_file(tmp_path), "--publish")
    [audit] = bot_issues(fake)
    forged = re.sub(r"\d{4}-\d\d-\d\dT[\d:]+Z", "2020-01-01T00:00:00Z", audit.description)
    as_mallory(fake).issues.update(audit.iid, {"description": forged})
    with fake.lock:
        fake.add_issue(PROJECT, title="New one", description="", labels=["incident"], issue_type="incident")
    run = inc_audit(fake, config_file(tmp_path), "--publish", "--format", "json", as_of="2026-06-02")
    assert run.returncode == 1, run.stderr
    assert "last edited by mallory" in run.stderr and "not trusted" in run.stderr
    seen = {f["first_seen"] for i in report(run).values() for f in i["findings"]}
    assert seen == {"2026-06-02T00:00:00Z"}
    assert "2020-01-01" not in audit.description
    trusted = inc_audit(fake, config_file(tmp_path), "--format", "json", "--publish", as_of="2026-06-03")
    assert "not trusted" not in trusted.stderr  # inc-audit wrote the description last again


def test_a_forged_state_does_not_silence_the_mention_of_new_findings(fake: FakeGitLab, tmp_path: Path) -> None:
    config = config_file(tmp_path, mention=True)
    inc_audit(fake, config, "--publish")
    [audit] = bot_issues(fake)
    with fake.lock:
        quiet = fake.add_issue(PROJECT, title="Quiet one", description="", labels=["incident"],
                               issue_type="incident", created_at="2026-05-20T00:00:00Z")
    preview = report(inc_audit(fake, config, "--format", "json", as_of="2026-06-02"))[(PROJECT, quiet.iid)]
    keys = [state.identity(IncidentResult(IssueKey(PROJECT, quiet.iid), "", "", "opened", False),
                           Finding.from_dict(f))
            for f in preview["findings"]]
    block = re.search(r"<!-- inc-audit:state (\{.*?\}) -->", audit.description)
    assert block is not None and keys
    kept = json.loads(block.group(1))
    kept["seen"].update({key: "2026-05-21T00:00:00Z" for key in keys})  # "already seen": no mention
    forged = audit.description.replace(block.group(1), json.dumps(kept, separators=(",", ":")))
    as_mallory(fake).issues.update(audit.iid, {"description": forged})
    fake.clear_logs()
    run = inc_audit(fake, config, "--publish", as_of="2026-06-02")
    assert run.returncode == 1 and "not trusted" in run.stderr, run.stderr
    comments = [w.fields["body"] for w in fake.writes if w.path.endswith("/notes")]
    assert len(comments) == 1 and "@grace" not in comments[0] and "@alice" in comments[0], comments


def test_removing_the_label_and_marker_makes_no_second_audit_issue_and_they_come_back(
    fake: FakeGitLab, tmp_path: Path
) -> None:
    inc_audit(fake, config_file(tmp_path), "--publish")
    [audit] = bot_issues(fake)
    stripped = audit.description.replace(AUDIT_MARKER, "")
    as_mallory(fake).issues.update(audit.iid, {"labels": "", "description": stripped})
    run = inc_audit(fake, config_file(tmp_path), "--publish")
    assert run.returncode == 1, run.stderr
    assert [i.iid for i in bot_issues(fake)] == [audit.iid]
    assert audit.labels == ["inc-audit"] and AUDIT_MARKER in audit.description


def test_removing_the_meeting_issues_label_and_marker_makes_no_second_one(fake: FakeGitLab, tmp_path: Path) -> None:
    config = tmp_path / "meeting.yml"
    config.write_text(EXAMPLE_CONFIG.read_text(encoding="utf-8") + 'meeting:\n  weekday: thursday\n  time: "14:00"\n',
                      encoding="utf-8")
    args = ("--meeting", "2026-06-04", "--publish")
    inc_audit(fake, config, *args, command="agenda", as_of="2026-06-03T07:00:00Z")
    [meeting] = bot_issues(fake)
    labels = list(meeting.labels)
    as_mallory(fake).issues.update(meeting.iid, {"labels": "", "description": "wiped", "confidential": False})
    run = inc_audit(fake, config, *args, command="agenda", as_of="2026-06-03T07:00:00Z")
    assert run.returncode == 0, run.stderr
    assert [i.iid for i in bot_issues(fake)] == [meeting.iid]
    assert meeting.labels == labels and meeting.confidential and "ipm-meeting 2026-06-04" in meeting.description


def test_an_incident_that_leaves_the_audit_is_reported_until_the_config_lets_it_go(
    fake: FakeGitLab, tmp_path: Path
) -> None:
    inc_audit(fake, config_file(tmp_path), "--publish")
    as_mallory(fake).issues.update(1, {"labels": "", "issue_type": "issue"})
    left = inc_audit(fake, config_file(tmp_path), "--publish", "--format", "json", as_of="2026-06-02")
    assert left.returncode == 0, left.stderr  # a warning: it fails the job only with --fail-on warning
    [finding] = report(left)[(PROJECT, 1)]["findings"]
    assert finding["rule"] == "INC006" and "left the audit" in finding["message"]
    still = inc_audit(fake, config_file(tmp_path), "--publish", "--format", "json", as_of="2026-06-03")
    assert [f["rule"] for f in report(still)[(PROJECT, 1)]["findings"]] == ["INC006"]
    let_go = inc_audit(fake, config_file(tmp_path, not_incidents=[f"{PROJECT}#1"]), "--publish", "--format", "json",
                       as_of="2026-06-04")
    assert (PROJECT, 1) not in report(let_go), let_go.stderr


def test_with_a_persons_token_a_stripped_audit_issue_is_known_from_what_the_last_run_wrote_down(
    fake: FakeGitLab, tmp_path: Path
) -> None:
    """A person's token (no bot user): with the marker, the labels and the title all gone, the
    audit issue is one of many issues that person opened. The number the last run wrote in the
    cache folder still names it: no second audit issue, and what was removed comes back."""
    config = config_file(tmp_path)
    base = {k: v for k, v in os.environ.items() if not k.startswith("CI")}

    def run(cache: str) -> Any:
        line = [INC_AUDIT, "run", "--gitlab-url", fake.url, "--project", PROJECT, "--config", str(config),
                "--as-of", "2026-06-01", "--retry-budget", "5", "--cache", cache, "--publish"]
        return subprocess.run(line, env={**base, "GITLAB_TOKEN": API_TOKEN}, capture_output=True, text=True,
                              timeout=120)

    def strip() -> Any:
        [audit] = bot_issues(fake)
        as_mallory(fake).issues.update(audit.iid, {"labels": "", "title": "notes",
                                                   "description": audit.description.replace(AUDIT_MARKER, "")})
        return audit

    assert run(str(tmp_path / "cache")).returncode == 1
    assert (tmp_path / "cache" / "audit-issue.json").is_file()
    audit = strip()
    assert run(str(tmp_path / "cache")).returncode == 1
    assert [i.iid for i in bot_issues(fake)] == [audit.iid]
    assert AUDIT_MARKER in audit.description and audit.labels == ["inc-audit"] and audit.title != "notes"
    strip()
    assert run(str(tmp_path / "elsewhere")).returncode == 1  # no memory: the stripped issue is not known
    assert len(bot_issues(fake)) == 2
