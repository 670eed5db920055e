"""A checkout of another commit beside this one, to measure it in the same run.

``base_tree(commit)`` makes a ``git worktree`` of ``commit`` in a temporary folder (detached,
removed at exit) and compiles its bytecode. Its code runs with this checkout's virtual
environment and ``PYTHONPATH=<tree>``, which comes before the editable install on
``sys.path``: ``env_for(tree)`` gives that environment, ``env_for(ROOT)`` this checkout's.
"""

from __future__ import annotations

import atexit
import compileall
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BASE = "3372bf9"  # main when issue #21 was taken up


def git(*args: str) -> str:
    return subprocess.run(["git", "-C", str(ROOT), *args], check=True, capture_output=True, text=True).stdout.strip()


def base_tree(commit: str) -> Path:
    """A worktree of ``commit``, removed when this process exits."""
    folder = Path(tempfile.mkdtemp(prefix="inc-audit-base-"))
    tree = folder / "tree"
    git("worktree", "add", "--detach", str(tree), commit)

    def remove() -> None:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)

    atexit.register(remove)
    compile_tree(tree)
    return tree


def compile_tree(tree: Path) -> None:
    """Bytecode for the package, as ``pip install`` writes it (see run_bench.compile_bytecode)."""
    compileall.compile_dir(str(tree / "inc_audit"), quiet=1)


def env_for(tree: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(tree)
    env.update(extra)
    return env


def describe(commit: str) -> str:
    return git("log", "-1", "--format=%h %s", commit)[:72]
