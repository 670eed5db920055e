"""GitLab conventions a team meets when it adopts inc-audit: which project is audited and why,
where the token comes from, what a dry run says, and the progress bar."""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from fakegitlab import API_TOKEN, PROJECT, FakeGitLab

from inc_audit.cli import progress
from inc_audit.cli.settings import TargetSettings
from inc_audit.cli.target import Target
from inc_audit.cli.token import resolve
from inc_audit.config.file import load_defaults
from inc_audit.errors import ConfigError
from inc_audit.model import IssueKey
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT

INC_AUDIT = shutil.which("inc-audit", path=str(Path(sys.executable).parent)) or "inc-audit"
CENTRAL = "compliance/audits"  # the CI job's own project, when a central project audits another


@pytest.fixture(autouse=True)
def in_a_temporary_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def fake() -> Iterator[FakeGitLab]:
    with FakeGitLab.from_export(EXAMPLE_EXPORT, PROJECT, tokens={API_TOKEN: ("inc-audit-bot", ["api"])}) as server:
        yield server
    assert server.errors == []


def clean_env(**extra: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("CI", "GITLAB", "PYTHON_GITLAB", "NO_COLOR"))}
    return {**keep, "HOME": os.getcwd(), **extra}


def inc_audit(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([INC_AUDIT, *args], env=env, capture_output=True, text=True, timeout=120)


def config_file(tmp_path: Path, **gitlab: str) -> Path:
    text = EXAMPLE_CONFIG.read_text()
    if gitlab:  # the example's gitlab: section replaced (a key written twice is refused)
        head, rest = text.split("gitlab:\n", 1)
        lines = rest.splitlines(keepends=True)
        while lines and lines[0].startswith(" "):
            lines.pop(0)
        text = head + "gitlab:\n" + "".join(f"  {key}: {value}\n" for key, value in gitlab.items()) + "".join(lines)
    path = tmp_path / "audit.yml"
    path.write_text(text)
    return path


# --- which project is audited, and why ------------------------------------------------------

CI = {"CI_PROJECT_PATH": CENTRAL, "CI_SERVER_URL": "https://ci.example.com"}


@pytest.mark.parametrize(
    ("options", "config", "project", "group", "why"),
    [
        ({"project": "a/b"}, {"gitlab_project": "c/d"}, "a/b", None, "--project"),
        ({"group": "g"}, {"gitlab_project": "c/d"}, None, "g", "--group"),
        ({}, {"gitlab_project": "c/d"}, "c/d", None, "gitlab.project in the config"),
        ({}, {"gitlab_group": "umami-wallet"}, None, "umami-wallet", "gitlab.group in the config"),
        ({}, {}, CENTRAL, None, "CI_PROJECT_PATH, this pipeline's own project"),
        ({"project": ""}, {}, CENTRAL, None, "CI_PROJECT_PATH, this pipeline's own project"),
    ],
)
def test_an_explicit_project_or_the_config_wins_over_the_ci_jobs_own(options, config, project, group, why):
    target = Target.resolve(TargetSettings(**options), replace(load_defaults(), **config), CI)
    assert (target.project, target.group, target.why) == (project, group, why)


def test_the_gitlab_url_follows_the_same_order():
    config = replace(load_defaults(), gitlab_url="https://b")
    assert Target.resolve(TargetSettings(gitlab_url="https://a"), config, CI).url == "https://a"
    assert Target.resolve(TargetSettings(), config, CI).url == "https://b"
    assert Target.resolve(TargetSettings(), load_defaults(), CI).url == "https://ci.example.com"


def test_verbose_says_which_project_was_chosen_and_why(fake, tmp_path):
    env = clean_env(GITLAB_TOKEN=API_TOKEN, CI_PROJECT_PATH=CENTRAL, CI_SERVER_URL=fake.url)
    config = config_file(tmp_path, project=PROJECT)
    result = inc_audit("run", "-v", "--config", str(config), "--as-of", "2026-06-01", env=env)
    assert result.returncode == 1, result.stderr
    said = result.stderr.splitlines()
    assert f"inc-audit: auditing project {PROJECT} on {fake.url} (from gitlab.project in the config)" in said
    assert "inc-audit: token from GITLAB_TOKEN" in said
    assert "umami-wallet/umami#7" in result.stdout


# --- the token ------------------------------------------------------------------------------


def python_gitlab_cfg(tmp_path: Path, url: str, token: str = API_TOKEN, default: str = "work") -> Path:
    path = tmp_path / "python-gitlab.cfg"
    path.write_text(
        f"[global]\ndefault = {default}\n\n"
        "[other]\nurl = https://gitlab.other.example\nprivate_token = glpat-not-this-one\n\n"
        f"[work]\nurl = {url}/\nprivate_token = {token}\n"
    )
    return path


def test_the_token_variable_comes_first():
    found = resolve("https://gitlab.example.com", environ={"GITLAB_TOKEN": "glpat-abc"})
    assert (found.token, found.origin) == ("glpat-abc", "GITLAB_TOKEN")
    other = resolve("https://gitlab.example.com", "AUDIT_TOKEN", {"AUDIT_TOKEN": "glpat-def", "GITLAB_TOKEN": "x"})
    assert (other.token, other.origin) == ("glpat-def", "AUDIT_TOKEN")


def test_python_gitlabs_config_gives_the_token_of_the_section_for_this_gitlab(tmp_path):
    cfg = python_gitlab_cfg(tmp_path, "https://gitlab.example.com", default="other")
    found = resolve("https://gitlab.example.com", environ={"PYTHON_GITLAB_CFG": str(cfg)})
    assert (found.token, found.origin) == (API_TOKEN, "python-gitlab config [work]")
    assert resolve(None, environ={"PYTHON_GITLAB_CFG": str(cfg)}).url == "https://gitlab.other.example"


def test_a_python_gitlab_config_for_another_gitlab_gives_no_token(tmp_path):
    cfg = python_gitlab_cfg(tmp_path, "https://gitlab.example.com")
    with pytest.raises(ConfigError, match="GITLAB_TOKEN is not set"):
        resolve("https://elsewhere.example", environ={"PYTHON_GITLAB_CFG": str(cfg)})


def test_a_live_audit_runs_on_the_token_of_the_python_gitlab_config(fake, tmp_path):
    cfg = python_gitlab_cfg(tmp_path, fake.url)
    env = clean_env(PYTHON_GITLAB_CFG=str(cfg))
    result = inc_audit(
        "run", "-v", "--gitlab-url", fake.url, "--project", PROJECT, "--config", str(EXAMPLE_CONFIG), env=env
    )
    assert result.returncode == 1, result.stderr
    assert "inc-audit: token from python-gitlab config [work]" in result.stderr.splitlines()
    assert API_TOKEN not in result.stdout + result.stderr


def test_a_live_audit_runs_on_the_token_of_another_variable(fake):
    env = clean_env(AUDIT_TOKEN=API_TOKEN)
    args = ("--gitlab-url", fake.url, "--project", PROJECT, "--config", str(EXAMPLE_CONFIG))
    result = inc_audit("run", "--token-variable", "AUDIT_TOKEN", *args, env=env)
    assert result.returncode == 1, result.stderr
    assert API_TOKEN not in result.stdout + result.stderr
    assert inc_audit("run", *args, env=env).returncode == 2


def test_with_only_the_job_token_it_says_the_job_token_cannot_read_issues(fake):
    job_token = "glcbt-64_SecretJobToken"
    env = clean_env(CI="true", GITLAB_CI="true", CI_JOB_TOKEN=job_token, CI_SERVER_URL=fake.url)
    result = inc_audit("run", "--project", PROJECT, "--config", str(EXAMPLE_CONFIG), env=env)
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith(
        "inc-audit: error: GITLAB_TOKEN is not set, and the job token (CI_JOB_TOKEN) cannot read issues"
    )
    assert "Protected" in line and "unprotected branch" in line
    assert job_token not in result.stdout + result.stderr


def test_in_ci_the_missing_token_error_names_protected_variables():
    with pytest.raises(ConfigError) as caught:
        resolve("https://gitlab.example.com", environ={"GITLAB_CI": "true"})
    assert caught.value.message == "GITLAB_TOKEN is not set" and "protected branches" in (caught.value.hint or "")
    with pytest.raises(ConfigError) as outside:
        resolve("https://gitlab.example.com", environ={})
    assert "python-gitlab" in (outside.value.hint or "")


def test_a_broken_python_gitlab_config_is_one_clear_error(tmp_path):
    broken = tmp_path / "broken.cfg"
    broken.write_text("url = https://gitlab.example.com\n")
    with pytest.raises(ConfigError, match="cannot read the python-gitlab config"):
        resolve("https://gitlab.example.com", environ={"PYTHON_GITLAB_CFG": str(broken)})
    with pytest.raises(ConfigError, match="PYTHON_GITLAB_CFG names no file"):
        resolve("https://gitlab.example.com", environ={"PYTHON_GITLAB_CFG": str(tmp_path / "missing.cfg")})


# --- the dry run ----------------------------------------------------------------------------


def test_a_dry_run_never_says_created(fake):
    env = clean_env(GITLAB_TOKEN=API_TOKEN)
    args = ("run", "--gitlab-url", fake.url, "--project", PROJECT, "--config", str(EXAMPLE_CONFIG), "--publish")
    before = inc_audit(*args, "--dry-run", env=env)
    assert "would open a new audit issue" in before.stderr
    assert fake.writes == []
    created = inc_audit(*args, env=env)
    assert "audit issue created" in created.stderr
    after = inc_audit(*args, "--dry-run", env=env)
    assert "would leave the audit issue as it is" in after.stderr
    for run in (before, after):
        assert "created" not in run.stdout + run.stderr


# --- the progress bar -----------------------------------------------------------------------


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def issue(iid: int):
    from dataclasses import dataclass

    @dataclass
    class Stub:
        key: IssueKey
        title: str

    return Stub(IssueKey(PROJECT, iid), f"incident {iid}")


def test_the_bar_shows_done_total_rate_and_time_left():
    clock, out = Clock(), Terminal()
    bar = progress.Bar(out, color=False, clock=clock)
    bar.listed(100)
    for iid in range(1, 11):
        clock.now += 0.5
        bar.audited(issue(iid))
    last = out.getvalue().split("\r")[-1]
    assert "10/100" in last and "2.0/s" in last and "0:45 left" in last
    bar.finished()
    assert out.getvalue().endswith("\r" + " " * len(last.rstrip()) + "\r") or out.getvalue().endswith("\r")


def test_the_bar_is_redrawn_a_bounded_number_of_times():
    clock, out = Clock(), Terminal()
    bar = progress.Bar(out, color=False, clock=clock)
    bar.listed(1000)
    for iid in range(1, 1001):
        clock.now += 0.001  # a thousand incidents in one second
        bar.audited(issue(iid))
    drawings = out.getvalue().count("\r")
    assert drawings <= 1000 * 0.001 / progress.REDRAW_EVERY + 3
    assert "1000/1000" in out.getvalue().split("\r")[-1]


@pytest.mark.parametrize(
    ("tty", "asked", "environ", "kind"),
    [
        (True, None, {}, progress.Bar),
        (False, None, {}, progress.Silent),
        (True, None, {"CI": "true"}, progress.Silent),
        (True, None, {"GITLAB_CI": "true"}, progress.Silent),
        (True, None, {"TERM": "dumb"}, progress.Silent),
        (False, True, {"CI": "true"}, progress.Bar),
        (True, False, {}, progress.Silent),
    ],
)
def test_a_bar_only_on_a_terminal_outside_ci_unless_asked(tty, asked, environ, kind):
    stream = Terminal() if tty else io.StringIO()
    assert type(progress.choose(stream, asked, verbose=False, environ=environ)) is kind


@pytest.mark.parametrize("environ", [{"NO_COLOR": ""}, {"NO_COLOR": "1"}, {"TERM": "dumb"}])
def test_no_color_and_a_dumb_terminal_get_no_colour(environ):
    out = Terminal()
    bar = progress.choose(out, True, verbose=False, environ=environ)
    bar.listed(2)
    bar.audited(issue(1))
    bar.audited(issue(2))
    assert "#" in out.getvalue() and "\x1b[" not in out.getvalue()
    coloured = Terminal()
    other = progress.choose(coloured, True, verbose=False, environ={})
    other.listed(1)
    other.audited(issue(1))
    assert "\x1b[" in coloured.getvalue()


def test_verbose_prints_one_line_per_incident_instead():
    out = io.StringIO()
    observer = progress.choose(out, None, verbose=True, environ={})
    observer.audited(issue(7))
    assert out.getvalue() == f"auditing {PROJECT}#7 incident 7\n"


def test_a_piped_live_audit_draws_no_bar_and_progress_forces_one(fake):
    env = clean_env(GITLAB_TOKEN=API_TOKEN)
    args = [INC_AUDIT, "run", "--gitlab-url", fake.url, "--project", PROJECT, "--config", str(EXAMPLE_CONFIG)]
    piped = subprocess.run([*args, "--no-cache"], env=env, capture_output=True, timeout=120)
    assert b"\r" not in piped.stderr and b"auditing" not in piped.stderr
    for cache in ("--no-cache", "--cache=.inc-audit-cache"):  # the live source, and the cache in front of it
        in_ci = {**env, "CI": "true"}
        forced = subprocess.run([*args, cache, "--progress"], env=in_ci, capture_output=True, timeout=120)
        drawings = forced.stderr.decode().split("\r")
        last = next(d for d in reversed(drawings) if d.strip())
        assert re.search(r"auditing \[#+\] (\d+)/\1 ", last), last
        assert forced.stdout == piped.stdout


@pytest.mark.parametrize(
    ("environ", "allowed"),
    [
        ({}, True),
        ({"NO_COLOR": ""}, False),
        ({"NO_COLOR": "1"}, False),
        ({"TERM": "dumb"}, False),
        ({"TERM": "xterm"}, True),
    ],
)
def test_colour_is_allowed_unless_no_color_or_a_dumb_terminal(environ, allowed):
    assert progress.colour_allowed(environ) is allowed


def test_a_central_project_can_keep_the_audit_issue_with_it(fake, tmp_path):
    """audit_issue.project names where the issue lives; without it, the audited project."""
    fake.add_project(CENTRAL)
    config = tmp_path / "central.yml"
    example = EXAMPLE_CONFIG.read_text()
    assert "audit_issue:\n" in example
    config.write_text(example.replace("audit_issue:\n", f"audit_issue:\n  project: {CENTRAL}\n", 1))
    env = clean_env(GITLAB_TOKEN=API_TOKEN, CI_PROJECT_PATH=CENTRAL)
    args = ("--gitlab-url", fake.url, "--project", PROJECT, "--config", str(config), "--publish")
    result = inc_audit("run", *args, env=env)
    assert result.returncode == 1, result.stderr
    assert f"/{CENTRAL}/-/issues/" in result.stderr
