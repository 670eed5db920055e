"""Sharded audits: the slices add up to the whole, and merge publishes once."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
from click.testing import CliRunner
from fakegitlab import API_TOKEN, PROJECT, FakeGitLab

from inc_audit.cli import main
from inc_audit.model import IssueKey, Shard
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT
from tests.test_cli_live import INC_AUDIT

EXAMPLE = ["--export", str(EXAMPLE_EXPORT), "--config", str(EXAMPLE_CONFIG), "--as-of", "2026-06-01"]


@pytest.fixture(autouse=True)
def in_a_temporary_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def shard_reports(tmp_path, count: int) -> list[str]:
    paths = []
    for index in range(1, count + 1):
        path = tmp_path / f"shard-{index}.json"
        invoke("run", *EXAMPLE, "--shard", f"{index}/{count}", "--format", "json", "--output", str(path))
        paths.append(str(path))
    return paths


def test_shards_are_disjoint_and_cover_every_key():
    keys = [IssueKey("b/x", 2), IssueKey("a/y", 9), IssueKey("a/y", 1), IssueKey("b/x", 1), IssueKey("a/z", 5)]
    slices = [Shard(k, 3).pick(keys) for k in (1, 2, 3)]
    assert sorted(k for s in slices for k in s) == sorted(keys)
    assert slices[0][0] == IssueKey("a/y", 1)


@pytest.mark.parametrize("count", [1, 2, 3, 5])
def test_the_union_of_the_shards_equals_the_full_audit(tmp_path, count):
    full = json.loads(invoke("run", *EXAMPLE, "--format", "json").stdout)
    merged = json.loads(invoke("merge", *shard_reports(tmp_path, count), "--format", "json").stdout)
    assert merged["incidents"] == full["incidents"]
    assert merged["summary"] == full["summary"]


def test_each_shard_audits_only_its_slice(tmp_path):
    sizes = [len(json.loads(open(p).read())["incidents"]) for p in shard_reports(tmp_path, 3)]
    assert sum(sizes) == 12 and all(sizes)  # 13 candidates, one of them exempt


def test_a_missing_shard_exits_3_and_publishes_nothing(tmp_path):
    paths = shard_reports(tmp_path, 3)
    result = invoke("merge", paths[0], paths[2])
    assert result.exit_code == 3 and "shard(s) 2/3 missing" in result.stderr


def test_an_incomplete_or_foreign_report_is_refused(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"version": 1}')
    assert invoke("merge", str(bad)).exit_code == 2


def test_a_shard_cannot_publish():
    gitlab = ["--gitlab-url", "http://127.0.0.1:9", "--project", PROJECT, "--config", str(EXAMPLE_CONFIG)]
    result = invoke("run", *gitlab, "--shard", "1/2", "--publish")
    assert result.exit_code == 2 and "a shard does not publish" in result.stderr


@pytest.mark.parametrize("value", ["3/2", "0/2", "two", "1/"])
def test_a_bad_shard_exits_2(value):
    result = invoke("run", *EXAMPLE, "--shard", value)
    assert result.exit_code == 2 and "is not K/N" in result.stderr


def test_sharded_live_audit_merges_and_publishes_once(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CI_")} | {"GITLAB_TOKEN": API_TOKEN}
    with FakeGitLab.from_export(EXAMPLE_EXPORT, PROJECT) as fake:
        common = ["--gitlab-url", fake.url, "--config", str(EXAMPLE_CONFIG)]
        paths = []
        for index in (1, 2, 3):
            path = tmp_path / f"s{index}.json"
            subprocess.run(
                [
                    INC_AUDIT,
                    "run",
                    *common,
                    "--project",
                    PROJECT,
                    "--as-of",
                    "2026-06-01",
                    "--shard",
                    f"{index}/3",
                    "--format",
                    "json",
                    "--output",
                    str(path),
                ],
                env=env,
                capture_output=True,
                text=True,
                check=False,
                timeout=120,
            )
            paths.append(str(path))
        assert fake.writes == []
        merged = subprocess.run(
            [INC_AUDIT, "merge", *paths, *common, "--project", PROJECT, "--publish"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert merged.returncode == 1, merged.stderr
        creates = [w for w in fake.writes if w.method == "POST"]
        assert len(creates) == 1 and len(fake.writes) == 2  # created neutral and confidential, then written
        [issue] = [i for i in fake.issues.values() if "inc-audit" in i.labels]
        assert "14 violation(s)" in issue.description
