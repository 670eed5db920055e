"""The CI/CD components run: a project that includes them, with its own stages, runs its
pipelines through gitlab-ci-local (the shell executor) against the fake GitLab over real
HTTP. A pipeline schedule runs the audit, which publishes the audit issue; the agenda
schedule prepares the meeting issue; a push pipeline offers the dry run, which writes
nothing and shows the diff with confidential titles withheld; a crash of inc-audit fails
the pipeline.

gitlab-ci-local resolves `include: component:` itself: a component of another project is
read from its include cache (.gitlab-ci-local/includes/HOST/PROJECT/REF/templates/), which
these tests fill with this checkout's templates/, so the include line is the README's. It
does not check `spec:inputs:regex` (tests/test_ci_yaml.py does, as GitLab would).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest
import yaml
from fakegitlab import API_TOKEN, PROJECT, FakeGitLab

from inc_audit import __version__
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT, ROOT, TEMPLATES
from tests.gitlab_ci import RSYNC_STAND_IN, install_gitlab_ci_local, run_pipeline

BIN = Path(sys.executable).parent  # where this environment's inc-audit is
COMPONENT_HOME = "tools/inc-audit"
CONFIDENTIAL_TITLE = "Seed phrase exposure in debug logs"  # #17 in the example project


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder to put first on the jobs' PATH: inc-audit, and rsync if missing."""
    why = install_gitlab_ci_local()
    if why:
        pytest.skip(why)
    tools = tmp_path_factory.mktemp("ci-bin")
    (tools / "inc-audit").symlink_to(BIN / "inc-audit")
    if not shutil.which("rsync"):
        (tools / "rsync").write_text(RSYNC_STAND_IN)
        (tools / "rsync").chmod(0o755)
    return tools


@pytest.fixture
def fake() -> Iterator[FakeGitLab]:
    with FakeGitLab.from_export(EXAMPLE_EXPORT, PROJECT, tokens={API_TOKEN: ("inc-audit-bot", ["api"])}) as server:
        confidential = next(i for i in server.issues.values() if i.title == CONFIDENTIAL_TITLE)
        confidential.description = "## Summary\n\nnothing filled in"  # so that it has findings
        yield server
    assert server.errors == []


PROJECT_CI = {
    # A project with stages of its own, without `test`, and workflow:rules.
    "stages": ["build", "compliance"],
    "workflow": {"rules": [
        {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'},
        {"if": "$CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS", "when": "never"},
        {"if": "$CI_COMMIT_BRANCH"},
    ]},
    "include": [
        {"component": f"$CI_SERVER_FQDN/{COMPONENT_HOME}/audit@{__version__}",
         "inputs": {"stage": "compliance", "timeout": "10m", "args": "--api rest"}},
        {"component": f"$CI_SERVER_FQDN/{COMPONENT_HOME}/template-gate@{__version__}",
         "inputs": {"stage": "compliance", "merge_request_pipelines": True}},
    ],
    "build": {
        "stage": "build",
        "rules": [{"if": '$INC_AUDIT_SCHEDULE', "when": "never"}, {"when": "on_success"}],
        "script": ["echo built > built.txt"],
    },
}


def make_project(folder: Path, fake: FakeGitLab, ci: dict) -> Path:
    """A git repository of the audited project, its remote on the fake GitLab, and the
    components in gitlab-ci-local's include cache."""
    folder.mkdir()
    config = yaml.safe_load(EXAMPLE_CONFIG.read_text())
    config["gitlab"].pop("url", None)  # CI_SERVER_URL, as in a real job
    (folder / ".inc-audit.yml").write_text(yaml.safe_dump(config))
    (folder / ".gitlab-ci.yml").write_text(yaml.safe_dump(ci, sort_keys=False))
    shutil.copytree(TEMPLATES, folder / ".gitlab" / "issue_templates")
    host = fake.url.split("//")[1].split(":")[0]
    cache = folder / ".gitlab-ci-local" / "includes" / host / COMPONENT_HOME / __version__ / "templates"
    cache.mkdir(parents=True)
    for component in (ROOT / "templates").glob("*.yml"):
        shutil.copy(component, cache / component.name)
    (folder / ".gitignore").write_text(".gitlab-ci-local/\n.inc-audit-cache/\n")
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci", "-c", "init.defaultBranch=main"]
    subprocess.run([*git, "init", "-q"], cwd=folder, check=True)
    subprocess.run([*git, "remote", "add", "origin", f"{fake.url}/{PROJECT}.git"], cwd=folder, check=True)
    subprocess.run([*git, "add", "-A"], cwd=folder, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=folder, check=True)
    # What `git fetch` would leave: rules:changes compare with origin's default branch.
    subprocess.run([*git, "update-ref", "refs/remotes/origin/main", "HEAD"], cwd=folder, check=True)
    return folder


def pipeline(project: Path, fake: FakeGitLab, tools: Path, source: str, *args: str, **variables: str):
    given = {"CI_PIPELINE_SOURCE": source, "CI_SERVER_URL": fake.url, "GITLAB_TOKEN": API_TOKEN,
             # One hash seed for every run, until the audit's wording no longer follows it
             # (issue #18, "the same audit gives the same bytes"): two runs must agree here.
             "PYTHONHASHSEED": "0",
             "CI_PIPELINE_ID": "4242", "CI_PIPELINE_URL": f"{fake.url}/{PROJECT}/-/pipelines/4242", **variables}
    return run_pipeline(project, given, *args, path=str(tools))


def audit_issues(fake: FakeGitLab) -> list:
    return [i for i in fake.issues.values() if "inc-audit" in i.labels]


def test_the_audit_schedule_runs_the_audit_alone_and_it_publishes(tmp_path, fake, emulator):
    project = make_project(tmp_path / "umami", fake, PROJECT_CI)
    run = pipeline(project, fake, emulator, "schedule", INC_AUDIT_SCHEDULE="true")
    assert run.returncode == 0, run.output[-3000:]
    assert run.results == {"inc-audit:audit": "WARN"}, run.output[-3000:]  # exit 1: violations, allowed
    [issue] = audit_issues(fake)
    assert issue.confidential and issue.title == "Incident policy audit"
    assert "Last audited on " in issue.description and "[pipeline #4242](" in issue.description
    assert CONFIDENTIAL_TITLE in issue.description  # a confidential audit issue may name it
    assert CONFIDENTIAL_TITLE not in run.output  # the job log may not
    assert API_TOKEN not in run.output
    report = json.loads((project / "inc-audit.json").read_text())
    assert report["summary"]["violations"] > 0
    assert (project / "inc-audit.html").exists() and (project / "inc-audit.junit.xml").exists()
    assert (project / ".inc-audit-cache").is_dir()
    assert not (project / "built.txt").exists()

    # The next scheduled run finds nothing new: the audit issue is not edited.
    fake.clear_logs()
    again = pipeline(project, fake, emulator, "schedule", INC_AUDIT_SCHEDULE="true", CI_PIPELINE_ID="4243",
                     CI_PIPELINE_URL=f"{fake.url}/{PROJECT}/-/pipelines/4243")
    assert again.results == {"inc-audit:audit": "WARN"}, again.output[-3000:]
    assert [w for w in fake.writes if "/issues" in w.path] == [], "an unchanged audit edited the audit issue"

    # The confidential incident is renamed: the dry run in a push pipeline shows the edit it
    # would make, neither name on either side of its diff.
    confidential = next(i for i in fake.issues.values() if i.title == CONFIDENTIAL_TITLE)
    confidential.title = "Seed phrase exposure, second look"
    confidential.updated_at = datetime.now(timezone.utc)  # as GitLab does: the cache reads it again
    dry = pipeline(project, fake, emulator, "push", "--manual", "inc-audit:dry-run", CI_COMMIT_BRANCH="main")
    assert dry.results.get("inc-audit:dry-run") == "PASS", dry.output[-3000:]
    assert f"- edit the description of #{issue.iid}" in dry.output and "would edit the audit issue" in dry.output
    assert CONFIDENTIAL_TITLE not in dry.output and "second look" not in dry.output
    assert [w for w in fake.writes if w.method != "GET"] == []


def test_the_agenda_schedule_prepares_the_meeting_issue_and_nothing_else(tmp_path, fake, emulator):
    project = make_project(tmp_path / "umami", fake, PROJECT_CI)
    run = pipeline(project, fake, emulator, "schedule", INC_AUDIT_SCHEDULE="agenda")
    assert run.returncode == 0, run.output[-3000:]
    assert run.results == {"inc-audit:agenda": "PASS"}, run.output[-3000:]
    assert audit_issues(fake) == []
    meetings = [i for i in fake.issues.values() if i.title.startswith("IPM")]
    assert len(meetings) == 1 and meetings[0].confidential, [i.title for i in fake.issues.values()][-3:]
    assert CONFIDENTIAL_TITLE not in run.output


def test_a_push_pipeline_offers_the_dry_run_which_shows_the_diff_and_writes_nothing(tmp_path, fake, emulator):
    project = make_project(tmp_path / "umami", fake, PROJECT_CI)
    listed = pipeline(project, fake, emulator, "push", "--list-json", CI_COMMIT_BRANCH="main")
    jobs = {job["name"]: job["when"] for job in json.loads(listed.stdout)}
    assert jobs["inc-audit:dry-run"] == "manual" and jobs["build"] == "on_success"
    assert jobs["inc-audit:audit"] == jobs["inc-audit:agenda"] == "never"

    run = pipeline(project, fake, emulator, "push", "--manual", "inc-audit:dry-run", CI_COMMIT_BRANCH="main")
    assert run.returncode == 0, run.output[-3000:]
    assert run.results.get("inc-audit:dry-run") == "PASS" and run.results.get("build") == "PASS", run.output[-3000:]
    assert [w for w in fake.writes if w.method != "GET"] == []
    log = run.output
    assert "+++ (no audit issue) new" in log and "+## Incident policy audit of umami-wallet/umami" in log
    assert "(confidential incident)" in log and CONFIDENTIAL_TITLE not in log
    assert "would open a new audit issue" in log


def test_a_crash_of_inc_audit_fails_the_scheduled_pipeline(tmp_path, fake, emulator):
    """An exception inside the audit (put there by a sitecustomize module on PYTHONPATH)."""
    crash = tmp_path / "crash"
    crash.mkdir()
    (crash / "sitecustomize.py").write_text(
        "import inc_audit.audit\n"
        "def crash(*args, **kwargs):\n"
        "    raise RuntimeError('simulated crash')\n"
        "inc_audit.audit.run_audit = crash\n"
    )
    project = make_project(tmp_path / "umami", fake, PROJECT_CI)
    run = pipeline(project, fake, emulator, "schedule", INC_AUDIT_SCHEDULE="true", PYTHONPATH=str(crash))
    # Not WARN: the job's allow_failure takes exit 1 (violations) only.
    assert run.results == {"inc-audit:audit": "FAIL"}, run.output[-3000:]
    assert "internal error" in run.output and "simulated crash" in run.output
    assert audit_issues(fake) == []


def test_an_input_value_cannot_run_a_command_in_a_job(tmp_path, fake, emulator):
    """gitlab-ci-local does not check spec:inputs:regex, so the value reaches the job: it is
    still only a quoted argument there."""
    pwned = tmp_path / "pwned"
    ci = json.loads(json.dumps(PROJECT_CI))
    ci["include"][0]["inputs"]["config"] = f"$(touch {pwned})"
    project = make_project(tmp_path / "umami", fake, ci)
    run = pipeline(project, fake, emulator, "schedule", INC_AUDIT_SCHEDULE="true")
    assert run.results == {"inc-audit:audit": "FAIL"}, run.output[-3000:]  # no such configuration file: exit 2
    assert not pwned.exists()
    assert API_TOKEN not in run.output


def test_a_branch_that_changes_a_template_runs_the_gate_and_a_broken_template_fails_it(tmp_path, fake, emulator):
    project = make_project(tmp_path / "umami", fake, PROJECT_CI)
    git = ["git", "-c", "user.email=ci@example.com", "-c", "user.name=ci"]
    subprocess.run([*git, "checkout", "-qb", "feature"], cwd=project, check=True)
    target = project / ".gitlab" / "issue_templates" / "Incident Port-Mortem.md"
    target.write_text(target.read_text().replace("### What is the root cause analysis of the INC?\n", ""))
    subprocess.run([*git, "commit", "-qam", "drop a heading"], cwd=project, check=True)
    run = pipeline(project, fake, emulator, "push", CI_COMMIT_BRANCH="feature")
    assert run.results == {"build": "PASS", "inc-audit:templates": "FAIL"}, run.output[-3000:]
    assert "root_cause" in run.output and (project / "inc-audit-templates.html").exists()
    assert [w for w in fake.writes if w.method != "GET"] == []


def test_without_workflow_rules_no_job_of_the_components_makes_a_merge_request_pipeline(tmp_path, fake, emulator):
    """GitLab creates a merge request pipeline when some job's rules take the merge request
    event; a project without workflow:rules would then get two pipelines for each push."""
    ci = {key: value for key, value in PROJECT_CI.items() if key != "workflow"}
    gate = ci["include"][1]
    ci["include"] = [ci["include"][0], {"component": gate["component"], "inputs": {"stage": "compliance"}}]
    project = make_project(tmp_path / "umami", fake, ci)
    listed = pipeline(project, fake, emulator, "merge_request_event", "--list-json",
                      "--unset-variable", "CI_COMMIT_BRANCH",  # as GitLab leaves it in merge request pipelines
                      CI_MERGE_REQUEST_IID="7", CI_OPEN_MERGE_REQUESTS=f"{PROJECT}!7")
    jobs = {job["name"]: job["when"] for job in json.loads(listed.stdout)}
    assert {name: when for name, when in jobs.items() if name.startswith("inc-audit:")} == {
        "inc-audit:audit": "never", "inc-audit:agenda": "never", "inc-audit:dry-run": "never",
        "inc-audit:templates": "never",
    }, listed.output[-2000:]
