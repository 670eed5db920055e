"""Attacks on the GitLab source through the fake GitLab over real HTTP: a redirect that
would carry the token away, URLs that would put secrets in requests, data of the wrong
shape, and a server that dies mid-scan."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakegitlab import API_TOKEN, PROJECT, FakeGitLab

from inc_audit import config as config_module
from inc_audit.errors import ConfigError, SourceError
from inc_audit.sources.http import connect
from inc_audit.sources.rest import GitLabSource
from tests.conftest import EXAMPLE_CONFIG

INC_AUDIT = shutil.which("inc-audit", path=str(Path(sys.executable).parent)) or "inc-audit"
SECRET = "glpat-Sup3rSecretT0ken-xyz"
TOKENS = {API_TOKEN: ("bot", ["api"]), SECRET: ("bot", ["api"])}
CONFIG = config_module.load(EXAMPLE_CONFIG)
LABELS = CONFIG.incident_labels


@pytest.fixture
def fake() -> Iterator[FakeGitLab]:
    with FakeGitLab(TOKENS) as server:
        yield server
    assert server.errors == []


@pytest.fixture
def elsewhere() -> Iterator[FakeGitLab]:
    """Another host on the loopback network, with the same tokens: it would accept a leaked one."""
    with FakeGitLab(TOKENS, host="127.0.0.2") as server:
        yield server


def incidents(fake: FakeGitLab, count: int) -> None:
    for number in range(1, count + 1):
        fake.add_issue(PROJECT, title=f"Incident {number}", labels=["incident"], issue_type="incident")


def cli(url: str, *args: str, token: str = SECRET, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CI_")}
    env["GITLAB_TOKEN"] = token
    command = [INC_AUDIT, "run", "--gitlab-url", url, "--project", PROJECT, "--config", str(EXAMPLE_CONFIG),
               "--as-of", "2026-06-01", "--retry-budget", "2", "--no-cache", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, cwd=cwd)


# --- the token goes nowhere else -------------------------------------------------------------


def test_a_redirect_to_another_host_is_refused_and_the_token_stays_home(
    fake: FakeGitLab, elsewhere: FakeGitLab
) -> None:
    fake.redirect_to = elsewhere.url
    with pytest.raises(ConfigError) as refused:
        connect(fake.url, SECRET, timeout=2.0, retry_budget=2.0)
    assert "another host" in str(refused.value) and "127.0.0.2" in str(refused.value)
    assert SECRET not in str(refused.value)
    assert not any(r.credential for r in elsewhere.requests)


def test_a_redirect_mid_scan_is_refused_too(fake: FakeGitLab, elsewhere: FakeGitLab) -> None:
    incidents(fake, 3)
    source = GitLabSource(connect(fake.url, SECRET, timeout=2.0, retry_budget=2.0), project=PROJECT)
    fake.redirect_to = elsewhere.url
    with pytest.raises(ConfigError, match="another host"):
        list(source.candidate_issues(LABELS))
    assert not any(r.credential for r in elsewhere.requests)


def test_the_cli_says_so_in_one_line_and_exits_2(fake: FakeGitLab, elsewhere: FakeGitLab, tmp_path: Path) -> None:
    fake.redirect_to = elsewhere.url
    run = cli(fake.url, cwd=tmp_path)
    assert run.returncode == 2
    error, hint = run.stderr.strip().splitlines()  # the error, and how to fix it
    assert error.startswith("inc-audit: error:") and "another host" in error and "token was not sent" in hint
    assert SECRET not in run.stderr + run.stdout
    assert not any(r.credential for r in elsewhere.requests)


def test_another_port_of_the_same_host_is_another_host(fake: FakeGitLab) -> None:
    with FakeGitLab(TOKENS) as moved:
        fake.redirect_to = moved.url
        with pytest.raises(ConfigError, match="another host"):
            connect(fake.url, SECRET, timeout=2.0, retry_budget=2.0)
        assert not any(r.credential for r in moved.requests)


def test_a_redirect_loop_on_gitlabs_own_host_is_one_line_not_a_traceback(fake: FakeGitLab) -> None:
    fake.redirect_to = fake.url + "/"
    with pytest.raises(ConfigError, match="redirect"):
        connect(fake.url, SECRET, timeout=2.0, retry_budget=2.0)


# --- URLs that would carry secrets -------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://user:hunter22@{host}",
        "http://oauth2@{host}",
        "http://{host}/?private_token=hunter22",
        "http://{host}/?",
        "http://{host}/#frag",
        "http://[::1",
        "http://{host}:99999",
        "http://{host}:port",
        "http://gitlab example.com",
        "gitlab.example.com",
        "ftp://{host}",
    ],
)
def test_connect_refuses_urls_with_secrets_or_malformed(fake: FakeGitLab, url: str) -> None:
    host = fake.url.removeprefix("http://")
    fake.clear_logs()
    with pytest.raises(ConfigError) as refused:
        connect(url.format(host=host), SECRET, timeout=2.0, retry_budget=2.0)
    message = str(refused.value)
    assert "hunter22" not in message and SECRET not in message and "\n" not in message
    assert fake.requests == []  # refused before any request


def test_the_cli_refuses_a_url_with_user_info_in_one_line(fake: FakeGitLab, tmp_path: Path) -> None:
    url = fake.url.replace("http://", "http://admin:hunter22@")
    run = cli(url, cwd=tmp_path)
    assert run.returncode == 2
    error, _hint = run.stderr.strip().splitlines()
    assert "user name or password" in error
    assert "hunter22" not in run.stderr + run.stdout
    assert fake.requests == []


# --- a dead server ------------------------------------------------------------------------------


def test_no_queued_read_starts_after_one_has_failed_for_good(fake: FakeGitLab) -> None:
    incidents(fake, 12)
    gl = connect(fake.url, SECRET, timeout=8.0, retry_budget=8.0, backoff=0.01)
    fake.fault_on(r"/issues/1/notes$", delay=1.0)  # the first read is slow: the others run ahead
    fake.fault_on(r"/issues/2/notes$", status=404)  # and the second fails for good at once
    with pytest.raises(SourceError, match="404"):
        list(GitLabSource(gl, project=PROJECT, concurrency=2).candidate_issues(LABELS))
    failed = max(r.seq for r in fake.requests if r.path.endswith("/issues/2/notes"))
    later = {r.path.rsplit("/issues/", 1)[1] for r in fake.requests if r.seq > failed and r.path.endswith("/notes")}
    assert later <= {"1/notes"}  # the slow first read may have reached the server last; no other


def test_a_failure_cancels_the_reads_still_retrying(fake: FakeGitLab) -> None:
    incidents(fake, 12)
    gl = connect(fake.url, SECRET, timeout=5.0, retry_budget=3.0, backoff=0.01)
    fake.fault_on(r"/issues/1/notes$", delay=0.3, status=404)  # fails for good
    fake.fault_on(r"/issues/[2-4]/notes$", delay=0.3, status=503)  # while these are retrying
    with pytest.raises(SourceError, match="404"):
        list(GitLabSource(gl, project=PROJECT, concurrency=4).candidate_issues(LABELS))
    given_up = max(r.seq for r in fake.requests if r.path.endswith("/issues/1/notes"))
    after = [r for r in fake.requests if r.seq > given_up]
    assert len(after) <= 3  # at most the attempts already on the wire
