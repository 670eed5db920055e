"""The command line takes what it has loaded out of the garbage collector's walks; a library
user keeps Python's defaults."""

from __future__ import annotations

import gc
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from inc_audit.cli import main
from inc_audit.cli.collector import YOUNG

ROOT = Path(__file__).resolve().parents[1]

# Registered before the command line's own exit hook, so it runs after it (atexit is LIFO).
PROBE = """
import atexit, gc, sys
atexit.register(lambda: sys.stderr.write(f"frozen={gc.get_freeze_count()} young={gc.get_threshold()[0]}\\n"))
from inc_audit.cli import command_line
command_line()
"""


def _frozen_at_exit(*args: str) -> tuple[int, int]:
    child = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    counts = [line for line in child.stderr.splitlines() if line.startswith("frozen=")]
    assert counts, child.stderr
    frozen, young = (int(part.split("=")[1]) for part in counts[-1].split())
    assert young == YOUNG  # the youngest generation collected less often
    return child.returncode, frozen


def test_a_command_line_run_leaves_its_objects_to_reference_counting_at_exit() -> None:
    code, frozen = _frozen_at_exit(
        "run", "--export", "examples/umami-export", "--config", "examples/.inc-audit.yml", "--as-of", "2026-06-01"
    )
    assert code == 1  # the example's violations: the run went through
    assert frozen > 10_000  # the modules, the rules' data and the run's own objects


def test_a_usage_error_exits_the_same_way() -> None:
    code, frozen = _frozen_at_exit("run", "--no-such-option")
    assert code == 2
    assert frozen > 1_000


def test_in_process_callers_keep_the_collector_as_it_was() -> None:
    before, threshold = gc.get_freeze_count(), gc.get_threshold()
    result = CliRunner().invoke(main, ["rules"])
    assert result.exit_code == 0, result.output
    assert gc.get_freeze_count() == before and gc.get_threshold() == threshold
