"""The package's layering holds: each stage imports only from the stages below it, and no two
siblings import each other (the contracts in pyproject.toml's [tool.importlinter])."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = [sys.executable, "-c", "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())"]


def lint(where: Path) -> subprocess.CompletedProcess[str]:
    """``lint-imports`` run in ``where``, on the copy of inc_audit found there first."""
    env = {**os.environ, "PYTHONPATH": str(where)}
    return subprocess.run([*LINT, "--no-cache"], cwd=where, env=env, capture_output=True, text=True, timeout=300)


def copy_of_the_package(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "inc_audit", tmp_path / "inc_audit", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_import_contracts_are_kept() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "added", "broken", "path"),
    [
        ("reading/lines.py", "from inc_audit.rules import RULES",
         "inc_audit.reading is not allowed to import inc_audit.rules", "inc_audit.reading.lines -> inc_audit.rules"),
        ("sources/entries.py", "import inc_audit.rules.owners",
         "inc_audit.sources is not allowed to import inc_audit.rules",
         "inc_audit.sources.entries -> inc_audit.rules.owners"),
    ],
)
def test_an_import_that_climbs_a_layer_breaks_a_contract(
    tmp_path: Path, module: str, added: str, broken: str, path: str
) -> None:
    tree = copy_of_the_package(tmp_path)
    target = tree / "inc_audit" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{added}  # noqa\n", encoding="utf-8")
    result = lint(tree)
    assert result.returncode != 0
    assert broken in result.stdout and path in result.stdout
