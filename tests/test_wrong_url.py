"""A mistyped GitLab URL (no such host, nothing listening) fails at once with one line and
exit 3, not after the whole retry budget; once GitLab has answered, a refused connection is a
restart and is retried as before."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from fakegitlab import API_TOKEN, PROJECT, FakeGitLab

from inc_audit.errors import SourceError
from inc_audit.sources.http.session import connect, get_json

INC_AUDIT = shutil.which("inc-audit", path=str(Path(sys.executable).parent)) or "inc-audit"
NO_SUCH_HOST = "https://gitlab.inc-audit-test.invalid"  # .invalid never resolves (RFC 6761)


def closed_port() -> str:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def attempts(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every HTTP attempt the session sends (python-gitlab's retries included)."""
    sent: list[str] = []
    original = requests.Session.request

    def counted(self: requests.Session, method: Any, url: Any, *args: Any, **kwargs: Any) -> requests.Response:
        sent.append(str(url))
        return original(self, method, url, *args, **kwargs)

    monkeypatch.setattr(requests.Session, "request", counted)
    yield sent


@pytest.mark.parametrize(("url", "reason"), [(closed_port(), "connection refused"), (NO_SUCH_HOST, "no such host")])
def test_the_first_request_to_no_gitlab_is_not_retried(url: str, reason: str, attempts: list[str]) -> None:
    with pytest.raises(SourceError) as caught:
        connect(url, API_TOKEN, timeout=5.0, retry_budget=600.0, backoff=0.01)
    assert len(attempts) == 1
    assert caught.value.exit_code == 3
    assert f"cannot reach GitLab at {url}: {reason}" in caught.value.message
    assert "--gitlab-url" in (caught.value.hint or "")


def test_a_refusal_after_gitlab_answered_is_retried(attempts: list[str]) -> None:
    with FakeGitLab() as fake:
        gl = connect(fake.url, API_TOKEN, timeout=1.0, retry_budget=1.0, backoff=0.01)
        fake.stop()
        with pytest.raises(SourceError, match="gave up after"):
            get_json(gl, f"/projects/{PROJECT.replace('/', '%2F')}", "reading the project")
    assert len(attempts) > 2


@pytest.mark.parametrize("url", [closed_port(), NO_SUCH_HOST])
def test_inc_audit_run_on_a_wrong_url_is_one_line_and_exit_3_long_before_the_budget(url: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CI_")} | {"GITLAB_TOKEN": API_TOKEN}
    config = str(Path(__file__).resolve().parent.parent / "examples" / ".inc-audit.yml")
    command = [INC_AUDIT, "run", "--config", config, "--gitlab-url", url, "--project", PROJECT, "--retry-budget", "600"]
    # A retried failure would take the whole 600 s budget: the timeout only says "well before it".
    done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 3, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"inc-audit: error: cannot reach GitLab at {url}: "), lines
    assert API_TOKEN not in done.stderr
