"""Paths an adversary prepares in a repository: a template that is a symbolic link out of
the repository, a FIFO or a device is refused, not read (the gate would hang or leak a
file); `init` and the cache never write through a symbolic link or into a FIFO. Each is
one line and exit 2, naming the path, and nothing is written where the link points."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fakegitlab import FakeGitLab

from tests.conftest import EXAMPLE_CONFIG, TEMPLATES
from tests.hostile.test_source import INC_AUDIT, TOKENS, incidents


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CI_", "GITLAB_", "PYTHON_GITLAB"))}
    env["HOME"] = str(cwd)
    return subprocess.run([INC_AUDIT, *args], env=env, capture_output=True, text=True, timeout=60, cwd=cwd)


def one_error(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr, done.stderr
    [line] = [line for line in done.stderr.splitlines() if line.startswith("inc-audit: error")]
    return line


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(TEMPLATES, root / ".gitlab" / "issue_templates")
    (tmp_path / "secret.md").write_text("## Summary\n\nthe deploy key is hunter22\n")
    return root


def odd(kind: str, path: Path, outside: Path) -> None:
    if kind == "link out":
        path.symlink_to(outside / "secret.md")
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "device":
        path.symlink_to("/dev/zero")  # a device, as a link (mknod needs privileges)


# --- templates -------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["link out", "fifo", "device"])
def test_an_odd_template_is_refused_not_read(repo: Path, kind: str) -> None:
    template = repo / ".gitlab" / "issue_templates" / "Incident Odd.md"
    odd(kind, template, repo.parent)
    done = run("templates", cwd=repo)
    assert done.returncode == 2
    line = one_error(done)
    assert "Incident Odd.md" in line and "hunter22" not in done.stdout + done.stderr


def test_a_link_inside_the_repository_is_read(repo: Path) -> None:
    folder = repo / ".gitlab" / "issue_templates"
    first = sorted(folder.glob("*.md"))[0]
    (folder / "Copy.md").symlink_to(first)
    done = run("templates", cwd=repo)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("kind", ["link out", "fifo"])
def test_init_reads_no_odd_template(repo: Path, kind: str) -> None:
    odd(kind, repo / ".gitlab" / "issue_templates" / "Incident Odd.md", repo.parent)
    done = run("init", "--offline", cwd=repo)
    assert done.returncode == 2 and "Incident Odd.md" in one_error(done)


# --- what init writes -------------------------------------------------------------------------


@pytest.mark.parametrize("name", [".inc-audit.yml", ".gitlab-ci.yml"])
@pytest.mark.parametrize("kind", ["dangling link", "link", "fifo"])
def test_init_never_writes_through_a_link_or_into_a_fifo(repo: Path, name: str, kind: str) -> None:
    target = repo.parent / "elsewhere.yml"
    path = repo / name
    if kind == "fifo":
        os.mkfifo(path)
    else:
        if kind == "link":
            target.write_text("untouched\n")
        path.symlink_to(target)
    done = run("init", "--offline", "--force", cwd=repo)
    assert done.returncode == 2
    assert name in one_error(done)
    assert not target.exists() or target.read_text() == "untouched\n"


# --- the cache ---------------------------------------------------------------------------------


@pytest.fixture
def fake() -> Iterator[FakeGitLab]:
    with FakeGitLab(TOKENS) as server:
        incidents(server, 2)
        yield server


@pytest.mark.parametrize("kind", ["folder is a link", "file is a link", "file is a fifo", "journal is a link"])
def test_the_cache_never_writes_through_a_link(fake: FakeGitLab, tmp_path: Path, kind: str) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    cache = tmp_path / "cache"
    if kind == "folder is a link":
        cache.symlink_to(elsewhere, target_is_directory=True)
    else:
        cache.mkdir()
        name = "cache.sqlite3-journal" if kind == "journal is a link" else "cache.sqlite3"
        if kind == "file is a fifo":
            os.mkfifo(cache / name)
        else:
            (cache / name).symlink_to(elsewhere / "stolen")
    done = subprocess.run([*cached_command(fake, cache)], capture_output=True, text=True, timeout=60, cwd=tmp_path,
                          env=_env())
    assert done.returncode == 2, done.stderr
    assert str(cache) in one_error(done)
    assert list(elsewhere.iterdir()) == []


def cached_command(fake: FakeGitLab, cache: Path) -> list[str]:
    from fakegitlab import PROJECT

    return [INC_AUDIT, "run", "--gitlab-url", fake.url, "--project", PROJECT, "--config", str(EXAMPLE_CONFIG),
            "--as-of", "2026-06-01", "--retry-budget", "2", "--api", "rest", "--cache", str(cache)]


def _env() -> dict[str, str]:
    from tests.hostile.test_source import SECRET

    env = {k: v for k, v in os.environ.items() if not k.startswith("CI_")}
    env["GITLAB_TOKEN"] = SECRET
    return env
