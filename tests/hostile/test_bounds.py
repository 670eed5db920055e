"""A server that inflates, trickles or answers without end, over real HTTP: every answer is
bounded in size after decompression and in total time, and the run ends in one line, exit 3."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakegitlab import PROJECT, FakeGitLab

from inc_audit.errors import SourceError
from inc_audit.sources.http.session import connect, get_json
from tests.hostile import servers
from tests.hostile.test_source import SECRET, TOKENS, cli

ROOT = Path(__file__).resolve().parents[2]
MiB = 1024 * 1024


@pytest.fixture
def fake() -> Iterator[FakeGitLab]:
    with FakeGitLab(TOKENS) as server:
        yield server
    assert server.errors == []


def errors_of(run: subprocess.CompletedProcess[str]) -> list[str]:
    assert "Traceback" not in run.stderr and "internal error" not in run.stderr, run.stderr
    return [line for line in run.stderr.splitlines() if line.startswith("inc-audit: error")]


# --- size, after decompression -----------------------------------------------------------------

MEASURE = textwrap.dedent(
    """
    import resource, sys
    from inc_audit.errors import IncAuditError
    from inc_audit.sources.http.session import connect
    try:
        connect(sys.argv[1], sys.argv[2], timeout=20.0, retry_budget=20.0)
        print("accepted")
    except IncAuditError as error:
        print(error.message)
    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)
    """
)


def test_a_gzip_answer_that_inflates_to_a_gigabyte_is_refused_in_little_memory(fake: FakeGitLab) -> None:
    fake.answer_raw(r"/user$", servers.gzip_bomb(1024 * MiB))
    run = subprocess.run([sys.executable, "-c", MEASURE, fake.url, SECRET], capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    message, peak = run.stdout.strip().splitlines()
    assert "larger than 8 MiB once decompressed" in message, run.stdout + run.stderr
    assert int(peak) < 200, f"peak RSS {peak} MiB"


def test_the_gzip_bomb_through_the_cli_is_one_line_and_exit_3(fake: FakeGitLab, tmp_path: Path) -> None:
    fake.answer_raw(r"/user$", servers.gzip_bomb(256 * MiB))
    run = cli(fake.url, cwd=tmp_path)
    assert run.returncode == 3
    [line] = errors_of(run)
    assert "larger than 8 MiB once decompressed" in line


@pytest.mark.parametrize("declared", [True, False])
def test_a_plain_answer_too_large_is_refused(fake: FakeGitLab, declared: bool) -> None:
    fake.answer_raw(r"/user$", servers.huge(64 * MiB, declared=declared))
    with pytest.raises(SourceError, match="larger than 8 MiB"):
        connect(fake.url, SECRET, timeout=10.0, retry_budget=10.0)


def test_an_answer_within_the_bound_is_read(fake: FakeGitLab) -> None:
    gl = connect(fake.url, SECRET, timeout=5.0, retry_budget=5.0)
    fake.answer_raw(r"/version$", servers.gzip_bomb(4 * MiB))
    assert len(get_json(gl, "/version", "reading the version")["username"]) == 4 * MiB


# --- time: a trickle is cut at the timeout ----------------------------------------------------


@pytest.mark.parametrize("in_headers", [True, False], ids=["headers", "body"])
def test_a_trickling_server_is_cut_at_the_timeout(fake: FakeGitLab, tmp_path: Path, in_headers: bool) -> None:
    fake.answer_raw(r"/user$", servers.trickle(in_headers=in_headers, every=0.1))
    run = cli(fake.url, "--timeout", "1", "--retry-budget", "20", cwd=tmp_path)
    assert run.returncode == 3
    [line] = errors_of(run)
    assert "still arriving when the 1s timeout was over" in line
    assert sum(1 for r in fake.requests if r.path.endswith("/user")) == 1  # not retried


def test_a_trickle_mid_scan_is_cut_too(fake: FakeGitLab) -> None:
    gl = connect(fake.url, SECRET, timeout=1.0, retry_budget=20.0)
    fake.answer_raw(r"/issues$", servers.trickle(in_headers=False, every=0.1))
    with pytest.raises(SourceError, match="timeout was over"):
        get_json(gl, f"/projects/{PROJECT.replace('/', '%2F')}/issues", "listing issues")
