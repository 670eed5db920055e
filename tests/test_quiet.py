"""-q / --quiet, for scripts: no progress and no notices on stderr, only errors (and warnings);
stdout and the exit code stay what they are without it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fakegitlab import API_TOKEN, PROJECT, FakeGitLab

from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT

INC_AUDIT = shutil.which("inc-audit", path=str(Path(sys.executable).parent)) or "inc-audit"
TEMPLATES = Path(__file__).resolve().parent.parent / "examples" / "umami-templates"


def inc_audit(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CI")} | (env or {})
    return subprocess.run([INC_AUDIT, *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command", ["run", "agenda", "check", "templates", "merge"])
def test_every_scripted_command_takes_quiet(command: str, tmp_path: Path) -> None:
    done = inc_audit(command, "--help", cwd=tmp_path)
    assert "-q, --quiet" in done.stdout


def test_quiet_leaves_out_the_notices_and_keeps_stdout_and_the_exit_code(tmp_path: Path) -> None:
    no_roles = tmp_path / "no-roles.yml"
    no_roles.write_text("labels:\n  incident: [INC, incident]\n", encoding="utf-8")
    args = ["run", "--export", str(EXAMPLE_EXPORT), "--config", str(no_roles), "--as-of", "2026-06-01"]
    loud, hushed = inc_audit(*args, cwd=tmp_path), inc_audit(*args, "-q", cwd=tmp_path)
    assert "no roles are configured" in loud.stderr
    assert hushed.stderr == ""
    assert (hushed.returncode, hushed.stdout) == (loud.returncode, loud.stdout) and loud.stdout
    gate = ["templates", str(TEMPLATES), "--config", str(EXAMPLE_CONFIG)]
    assert "carry every required section" in inc_audit(*gate, cwd=tmp_path).stderr
    assert inc_audit(*gate, "--quiet", cwd=tmp_path).stderr == ""


def test_quiet_still_prints_an_error(tmp_path: Path) -> None:
    done = inc_audit("run", "-q", "--export", str(tmp_path / "no-such-export"), "--config", str(EXAMPLE_CONFIG),
                     cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2
    assert done.stderr.startswith("inc-audit: error: ") and len(done.stderr.splitlines()) == 1


def test_a_quiet_live_publish_and_agenda_say_nothing_on_stderr(tmp_path: Path) -> None:
    with FakeGitLab.from_export(EXAMPLE_EXPORT, PROJECT) as gitlab:
        live = ["--gitlab-url", gitlab.url, "--project", PROJECT, "--config", str(EXAMPLE_CONFIG), "--as-of",
                "2026-06-01"]  # fmt: skip
        env = {"GITLAB_TOKEN": API_TOKEN}
        done = inc_audit("run", *live, "--publish", "--progress", "-q", cwd=tmp_path, env=env)
        assert done.returncode == 1 and done.stderr == ""
        assert [i for i in gitlab.issues.values() if "inc-audit" in i.labels]
        agenda = inc_audit("agenda", *live, "--meeting", "2026-06-04", "-q", cwd=tmp_path, env=env)
        assert agenda.returncode == 0 and agenda.stderr == "" and "#7" in agenda.stdout
