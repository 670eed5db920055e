"""A group audit of many projects: one progress bar, one retry budget, and a project that
cannot be read makes the run incomplete (exit 3) without hiding the others' findings.
The installed `inc-audit`, against the fake GitLab over real HTTP."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakegitlab import API_TOKEN, PROJECT, FakeGitLab

from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT, template

INC_AUDIT = shutil.which("inc-audit", path=str(Path(sys.executable).parent)) or "inc-audit"
GROUP = "umami-wallet"
OTHERS = ("umami-wallet/apps/ops", "umami-wallet/zeta")


@pytest.fixture(autouse=True)
def in_a_temporary_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def fake() -> Iterator[FakeGitLab]:
    with FakeGitLab.from_export(EXAMPLE_EXPORT, PROJECT) as server:
        for path in OTHERS:
            server.add_project(path)
            server.add_issue(path, title="Indexer lag", description=template("incident.md"),
                             labels=["incident"], issue_type="incident")
        yield server


def run(fake: FakeGitLab, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CI_")}
    env["GITLAB_TOKEN"] = API_TOKEN
    command = [INC_AUDIT, "run", "--gitlab-url", fake.url, "--config", str(EXAMPLE_CONFIG), "--group", GROUP,
               "--as-of", "2026-06-01", "--api", "rest", "--format", "json", "--retry-budget", "2", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def by_project(report: str) -> dict[str, list[tuple[int, str, str]]]:
    found: dict[str, list[tuple[int, str, str]]] = {}
    for incident in json.loads(report)["incidents"]:
        found.setdefault(incident["project"], []).extend(
            (incident["iid"], f["rule"], f["message"]) for f in incident["findings"])
    return found


def assert_one_project_failed(
    broken: subprocess.CompletedProcess[str], expected: dict[str, list[tuple[int, str, str]]]
) -> None:
    """The run is incomplete (exit 3, no traceback); the other projects' findings are the whole
    run's, and the failed project's incidents each say it could not be read (SRC001)."""
    assert broken.returncode == 3, broken.stderr
    assert "Traceback" not in broken.stderr
    found = by_project(broken.stdout)
    for path in (PROJECT, OTHERS[1]):
        assert found[path] == expected[path]
    [(iid, rule, message)] = found[OTHERS[0]]
    assert rule == "SRC001" and f"project {OTHERS[0]} could not be read" in message


def fail_notes_of(fake: FakeGitLab, path: str, status: int) -> None:
    project = fake.find_project(path)
    assert project is not None
    encoded = path.replace("/", "%2F")
    fake.fault_on(rf"/projects/({project.id}|{encoded})/issues/\d+/notes", status=status)


@pytest.mark.parametrize("status", [404, 500])
def test_a_project_that_cannot_be_read_leaves_the_others_findings_and_exits_3(fake, status, tmp_path):
    whole = run(fake, "--no-cache")
    assert whole.returncode == 1, whole.stderr
    expected = by_project(whole.stdout)
    assert set(expected) == {PROJECT, *OTHERS}
    fail_notes_of(fake, OTHERS[0], status)
    broken = run(fake, "--no-cache")
    assert_one_project_failed(broken, expected)
    assert f"project {OTHERS[0]} could not be read" in broken.stderr
    assert "the audit is incomplete" in broken.stderr


def test_through_the_cache_too_and_the_next_run_reads_the_failed_project_again(fake):
    fail_notes_of(fake, OTHERS[1], 404)
    broken = run(fake)
    assert broken.returncode == 3, broken.stderr
    assert [f[1] for f in by_project(broken.stdout)[OTHERS[1]]] == ["SRC001"]
    fake.path_faults.clear()
    fake.clear_logs()
    healed = run(fake)
    assert healed.returncode == 1, healed.stderr
    assert "SRC001" not in healed.stdout
    notes_read = {r.path for r in fake.requests if r.path.endswith("/notes")}
    assert len(notes_read) == 1  # only the incident of the project that failed


def test_a_gitlab_that_is_gone_still_ends_the_run_within_one_budget(fake):
    for path in (PROJECT, *OTHERS):
        fail_notes_of(fake, path, 500)
    gone = run(fake, "--no-cache", "--concurrency", "1")
    assert gone.returncode == 3
    assert "Traceback" not in gone.stderr
    notes = [r for r in fake.requests if r.path.endswith("/notes")]
    # two reads gave up in a row with nothing read between: GitLab is gone, not a project
    assert len({r.path for r in notes}) == 2


def test_through_graphql_a_project_whose_read_is_refused_fails_alone(fake):
    whole = run(fake, "--no-cache", "--api", "graphql")
    assert whole.returncode == 1, whole.stderr
    expected = by_project(whole.stdout)

    def refuse(body):  # GitLab refusing the read of one project's issues
        scope = (body.get("data") or {}).get("project") if isinstance(body, dict) else None
        if isinstance(scope, dict) and any(key.startswith("found") for key in scope):
            issues = [n for alias in scope.values() if isinstance(alias, dict) for n in alias.get("nodes") or []]
            if any(OTHERS[0] in str(node.get("reference", "")) for node in issues if isinstance(node, dict)):
                return {"data": None, "errors": [{"message": "Internal server error"}]}
        return body

    fake.corrupt_graphql = refuse
    broken = run(fake, "--no-cache", "--api", "graphql")
    assert_one_project_failed(broken, expected)
