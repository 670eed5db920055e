"""A crash is never a verdict: exit 1 means violations; a failure to import inc-audit itself,
or any bug, exits 4 with one line saying "internal error", the version and how to report it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from inc_audit import __version__, errors, launcher
from inc_audit.cli import common

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
EXAMPLE = [
    "run",
    "--export",
    str(EXAMPLES / "umami-export"),
    "--config",
    str(EXAMPLES / ".inc-audit.yml"),
    "--as-of",
    "2026-06-01",
]
BREAK_IMPORT = """import sys
sys.modules[{module!r}] = None  # `import {module}` now fails as if the module were not installed
"""


def program() -> list[str]:
    """The installed console script beside this Python, else ``python -m inc_audit`` (the same launcher)."""
    script = Path(sys.executable).with_name("inc-audit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "inc_audit"]


def run_with_broken(module: str, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sitecustomize.py").write_text(BREAK_IMPORT.format(module=module), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(shim), str(ROOT)])}
    return subprocess.run([*program(), *args], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120)


def test_the_launcher_and_the_errors_agree_on_the_code() -> None:
    assert launcher.EXIT_INTERNAL == errors.EXIT_INTERNAL == 4
    assert launcher.REPORT_HOW == errors.REPORT_HOW
    others = (errors.EXIT_CLEAN, errors.EXIT_VIOLATIONS, errors.EXIT_USAGE, errors.EXIT_INCOMPLETE)
    assert errors.EXIT_INTERNAL not in others


@pytest.mark.parametrize("module", ["inc_audit.formats", "inc_audit.cli.run", "click"])
def test_a_failed_import_exits_4_with_one_line_never_1(module: str, tmp_path: Path) -> None:
    done = run_with_broken(module, tmp_path, *EXAMPLE)
    assert done.returncode == 4, done.stderr
    lines = done.stderr.splitlines()
    assert lines[0].startswith(f"inc-audit: internal error (inc-audit {__version__}): ModuleNotFoundError"), lines
    assert "report it" in lines[1]
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_debug_shows_the_traceback_of_a_failed_import(tmp_path: Path) -> None:
    done = run_with_broken("inc_audit.formats", tmp_path, "--debug", *EXAMPLE)
    assert done.returncode == 4
    assert "Traceback" in done.stderr and "internal error" in done.stderr


def test_the_unbroken_program_still_finds_violations_with_1(tmp_path: Path) -> None:
    done = run_with_broken("no_such_module_at_all", tmp_path, *EXAMPLE)
    assert done.returncode == 1, done.stderr
    assert "internal error" not in done.stderr


def test_a_bug_inside_a_command_exits_4(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught, common.handled_errors(debug=False):
        raise KeyError("a bug")
    assert caught.value.code == errors.EXIT_INTERNAL
    err = capsys.readouterr().err
    assert f"inc-audit: internal error (inc-audit {__version__}): KeyError: 'a bug'" in err


def test_an_exception_escaping_the_command_line_exits_4(monkeypatch: pytest.MonkeyPatch,
                                                       capsys: pytest.CaptureFixture[str]) -> None:  # fmt: skip
    import inc_audit.cli

    def explode() -> None:
        raise RuntimeError("escaped")

    monkeypatch.setattr(inc_audit.cli, "command_line", explode)
    with pytest.raises(SystemExit) as caught:
        launcher.launch()
    assert caught.value.code == 4
    assert "internal error" in capsys.readouterr().err


def test_help_lists_exit_code_4() -> None:
    done = subprocess.run([*program(), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "4 internal error" in " ".join(done.stdout.split())


def test_the_readme_documents_exit_code_4() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    row = next(line for line in readme.splitlines() if line.startswith("| 4 |"))
    assert "internal error" in row and "Never 1" in row
