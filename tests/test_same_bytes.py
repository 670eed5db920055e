"""The same audit gives the same bytes: every output, for the same input and --as-of, is
byte-identical whatever PYTHONHASHSEED (each run a process of its own, as in CI), and an
unchanged audit never edits the audit issue, with or without the cache."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakegitlab import API_TOKEN, PROJECT, FakeGitLab

from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT

INC_AUDIT = shutil.which("inc-audit", path=str(Path(sys.executable).parent)) or "inc-audit"
SEEDS = ("0", "1", "12345")  # 0 and 1 once gave different wording (the accepted headings)
REPORTS = ("markdown", "json", "junit", "codequality", "html")
AS_OF = "2026-06-01"


def inc_audit(seed: str, folder: Path, *args: str, gitlab: FakeGitLab | None = None) -> tuple[int, dict[str, bytes]]:
    """One run in its own process under ``seed``; its exit code, stdout, stderr and the files it wrote."""
    folder.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CI")} | {"PYTHONHASHSEED": seed}
    target = ["--gitlab-url", gitlab.url, "--project", PROJECT] if gitlab else ["--export", str(EXAMPLE_EXPORT)]
    if gitlab:
        env["GITLAB_TOKEN"] = API_TOKEN
    command = [INC_AUDIT, args[0], *target, "--config", str(EXAMPLE_CONFIG), "--as-of", AS_OF, *args[1:]]
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, timeout=120)
    outputs = {"stdout": done.stdout, "stderr": done.stderr}
    outputs |= {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}
    return done.returncode, outputs


def same_under_every_seed(tmp_path: Path, *args: str, gitlab: FakeGitLab | None = None) -> dict[str, bytes]:
    runs = [inc_audit(seed, tmp_path / f"seed-{seed}", *args, gitlab=gitlab) for seed in SEEDS]
    first_code, first = runs[0]
    for seed, (code, outputs) in zip(SEEDS[1:], runs[1:], strict=True):
        assert code == first_code, (seed, outputs["stderr"])
        differ = sorted(name for name in first.keys() | outputs.keys() if first.get(name) != outputs.get(name))
        assert not differ, f"PYTHONHASHSEED={seed} changed {differ}"
    return first


def test_every_report_of_the_example_audit_is_the_same_under_every_seed(tmp_path: Path) -> None:
    reports = [f"--report={fmt}=report.{fmt}" for fmt in REPORTS]
    outputs = same_under_every_seed(tmp_path, "run", "--no-color", *reports)
    assert {f"report.{fmt}" for fmt in REPORTS} <= outputs.keys()
    assert b"INC002" in outputs["stdout"] and b"IPM003" in outputs["report.markdown"]


def test_the_agenda_is_the_same_under_every_seed(tmp_path: Path) -> None:
    outputs = same_under_every_seed(tmp_path, "agenda", "--meeting", "2026-06-04")
    assert b"#7" in outputs["stdout"]


def test_the_accepted_headings_of_a_missing_section_are_the_same_under_every_seed(tmp_path: Path) -> None:
    """Among the shortest accepted headings, ties once went in a set's order."""
    document = Path(__file__).parent / "corpus" / "report" / "negative" / "bullet-missing-evidence.md"
    messages = set()
    for seed in SEEDS:
        env = {k: v for k, v in os.environ.items() if not k.startswith("CI")} | {"PYTHONHASHSEED": seed}
        command = [INC_AUDIT, "check", str(document), "--kind", "report", "--config", str(EXAMPLE_CONFIG)]
        done = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, timeout=60)
        assert done.returncode == 1 and b"accepted: " in done.stdout
        messages.add(done.stdout)
    assert len(messages) == 1


@pytest.fixture
def gitlab() -> Iterator[FakeGitLab]:
    with FakeGitLab.from_export(EXAMPLE_EXPORT, PROJECT) as server:
        yield server
    assert server.errors == []


def audit_issue(gitlab: FakeGitLab) -> str:
    [issue] = [i for i in gitlab.issues.values() if "inc-audit" in i.labels]
    return str(issue.description)


def test_the_live_audit_issue_and_agenda_are_the_same_under_every_seed(tmp_path: Path) -> None:
    bodies = []
    for seed in SEEDS:
        with FakeGitLab.from_export(EXAMPLE_EXPORT, PROJECT) as gitlab:
            code, _ = inc_audit(seed, tmp_path / f"publish-{seed}", "run", "--publish", "--no-cache", gitlab=gitlab)
            assert code == 1
            bodies.append(audit_issue(gitlab).replace(gitlab.url, "GITLAB"))  # each fake has a port of its own
    assert all(body == bodies[0] for body in bodies), "the audit issue's body changed with the hash seed"
    with FakeGitLab.from_export(EXAMPLE_EXPORT, PROJECT) as gitlab:
        agenda = same_under_every_seed(tmp_path / "agenda", "agenda", "--meeting", "2026-06-04", gitlab=gitlab)
    assert b"#7" in agenda["stdout"]


@pytest.mark.parametrize("cache", [False, True])
def test_an_unchanged_audit_never_edits_the_audit_issue(gitlab: FakeGitLab, tmp_path: Path, cache: bool) -> None:
    caching = [] if cache else ["--no-cache"]
    code, first = inc_audit("1", tmp_path / "first", "run", "--publish", *caching, gitlab=gitlab)
    assert code == 1 and b"audit issue created" in first["stderr"]
    body = audit_issue(gitlab)
    for seed, folder in (("2", "first"), ("12345", "cold")):  # the cache warm, then cold
        gitlab.clear_logs()
        code, again = inc_audit(seed, tmp_path / folder, "run", "--publish", *caching, gitlab=gitlab)
        assert code == 1 and b"audit issue unchanged" in again["stderr"], again["stderr"]
        assert [w for w in gitlab.writes if w.method in ("PUT", "POST")] == []
        assert audit_issue(gitlab) == body
