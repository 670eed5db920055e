"""Files and streams as an adversary leaves them: shard reports that lie about their dates,
shards or nesting (exit 2, one line), a python-gitlab configuration that is not UTF-8
(exit 2), an output closed before the report is written (quiet, no traceback)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT
from tests.hostile.test_source import INC_AUDIT


def run(*args: str, cwd: Path, env: dict[str, str] | None = None, stdout: Any = subprocess.PIPE
        ) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("CI_", "GITLAB_", "PYTHON_GITLAB"))}
    return subprocess.run([INC_AUDIT, *args], env={**environ, **(env or {})}, stdout=stdout,
                          stderr=subprocess.PIPE, text=True, timeout=120, cwd=cwd)


def one_error(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    [line] = [line for line in done.stderr.splitlines() if line.startswith("inc-audit: error")]
    return line


@pytest.fixture(scope="module")
def shards(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("shards")
    reports = []
    for index in (1, 2):
        path = folder / f"{index}.json"
        done = run("run", "--export", str(EXAMPLE_EXPORT), "--config", str(EXAMPLE_CONFIG), "--as-of", "2026-06-01",
                   "--shard", f"{index}/2", "--format", "json", "--output", str(path), "--no-cache", cwd=folder)
        assert done.returncode in (0, 1), done.stderr
        reports.append(json.loads(path.read_text()))
    return reports


def deep(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


def with_finding(change: dict[str, Any]) -> Any:
    def apply(report: dict[str, Any]) -> None:
        incident = next(i for i in report["incidents"] if i["findings"])
        incident["findings"][0].update(change)
    return apply


LIES = {
    "as_of is not a moment": lambda r: r.update(as_of="yesterday"),
    "as_of is out of range": lambda r: r.update(as_of="9999-99-99T00:00:00Z"),
    "a due date is text": with_finding({"due": "soon"}),
    "a due date is out of range": with_finding({"due": "2026-02-31"}),
    "first_seen is not a moment": with_finding({"first_seen": "then"}),
    "the shard is not K/N": lambda r: r["source"].update(shard="x"),
    "the shard has K above N": lambda r: r["source"].update(shard="3/2"),
    "the shard is 0/0": lambda r: r["source"].update(shard="0/0"),
    "the shard count is huge": lambda r: r["source"].update(shard="1/99999999999999"),
    "the shard is negative": lambda r: r["source"].update(shard="-1/2"),
    "the source nests deep": lambda r: r["source"].update(extra=deep(5000)),
}


@pytest.mark.parametrize("case", list(LIES))
def test_a_lying_shard_report_is_refused_in_one_line_with_exit_2(
    shards: list[dict[str, Any]], tmp_path: Path, case: str
) -> None:
    first, second = json.loads(json.dumps(shards[0])), shards[1]
    LIES[case](first)
    paths = [tmp_path / "1.json", tmp_path / "2.json"]
    paths[0].write_text(json.dumps(first) if case != "the source nests deep" else _nested_text(first))
    paths[1].write_text(json.dumps(second))
    done = run("merge", *map(str, paths), "--config", str(EXAMPLE_CONFIG), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "1.json" in one_error(done)


def _nested_text(report: dict[str, Any]) -> str:
    """json.dumps itself cannot write 5000 levels: the text is made by hand."""
    report["source"]["extra"] = "NESTED"
    return json.dumps(report).replace('"NESTED"', "[" * 5000 + "]" * 5000)


def test_honest_shards_still_merge(shards: list[dict[str, Any]], tmp_path: Path) -> None:
    paths = []
    for index, report in enumerate(shards, 1):
        paths.append(tmp_path / f"{index}.json")
        paths[-1].write_text(json.dumps(report))
    done = run("merge", *map(str, paths), "--config", str(EXAMPLE_CONFIG), cwd=tmp_path)
    assert done.returncode == 1, done.stderr


@pytest.mark.parametrize("content", [b"[global]\ndefault = w\n[w]\nurl = https://gitlab.example\n\xff\xfe token",
                                     b"\xff\xfe[\x00g\x00"])
def test_a_python_gitlab_config_that_is_not_utf8_is_exit_2(tmp_path: Path, content: bytes) -> None:
    config = tmp_path / "python-gitlab.cfg"
    config.write_bytes(content)
    done = run("run", "--project", "a/b", "--config", str(EXAMPLE_CONFIG), cwd=tmp_path,
               env={"PYTHON_GITLAB_CFG": str(config)})
    assert done.returncode == 2
    assert "not UTF-8" in one_error(done)


@pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
def test_a_closed_output_ends_quietly(tmp_path: Path, fmt: str) -> None:
    read, write = os.pipe()
    os.close(read)  # whoever reads it has gone, as `| head -c1` does once it has its byte
    try:
        done = run("run", "--export", str(EXAMPLE_EXPORT), "--config", str(EXAMPLE_CONFIG), "--as-of",
                   "2026-06-01", "--format", fmt, "--no-cache", cwd=tmp_path, stdout=write)
    finally:
        os.close(write)
    assert done.returncode == 3
    assert done.stderr.strip() == "" or all(line.startswith("auditing") for line in done.stderr.splitlines())
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr and "Errno 32" not in done.stderr


def test_head_c1_through_a_shell_is_quiet(tmp_path: Path) -> None:
    command = (f"'{INC_AUDIT}' run --export '{EXAMPLE_EXPORT}' --config '{EXAMPLE_CONFIG}' --as-of 2026-06-01"
               " --format json --no-cache | head -c1")
    done = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert done.stdout == "{"
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr and "Exception ignored" not in done.stderr
