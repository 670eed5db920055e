"""How many hostile inputs each class of tests/hostile/ tries: `python tests/hostile/count.py`;
with `--run`, the suite is run too and each file's outcome (passed, failed) printed.

A test tries one input per parametrized case, and a property test (hypothesis) up to its
``max_examples`` per case. The counts come from pytest's own collection and each test's
hypothesis settings, never from a hand-kept table.
"""

from __future__ import annotations

import importlib
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from xml.etree import ElementTree as ET

ROOT = Path(__file__).resolve().parents[2]


def collected() -> list[str]:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "tests/hostile"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )
    return [line for line in run.stdout.splitlines() if "::" in line]


def inputs_of(node: str) -> tuple[str, int, bool]:
    """The node's file, how many inputs it tries, and whether it is a property test."""
    path, name = node.split("::", 1)
    module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
    test = getattr(module, name.split("[", 1)[0])
    settings = getattr(test, "_hypothesis_internal_use_settings", None)
    if getattr(test, "is_hypothesis_test", False) and settings is not None:
        return path, int(settings.max_examples), True
    return path, 1, False


def outcomes() -> dict[str, Counter[str]]:
    """Run tests/hostile/ once; per file, how many tests passed, failed or were skipped."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "junit.xml"
        subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}", "tests/hostile"],
            cwd=ROOT, capture_output=True, text=True, check=False,
        )
        found: dict[str, Counter[str]] = defaultdict(Counter)
        for case in ET.parse(report).iter("testcase"):
            path = case.get("classname", "").replace(".", "/") + ".py"
            state = next((child.tag for child in case if child.tag in ("failure", "error", "skipped")), "passed")
            found[path][state] += 1
    return found


def main() -> None:
    sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for node in collected():
        path, inputs, prop = inputs_of(node)
        totals[path][0] += 1
        totals[path][1] += inputs
        totals[path][2] += prop
    run = outcomes() if "--run" in sys.argv[1:] else {}
    print(f"{'file':<32} {'tests':>5} {'property':>8} {'inputs':>7}  outcome")
    for path, (tests, inputs, props) in sorted(totals.items()):
        outcome = ", ".join(f"{n} {state}" for state, n in sorted(run.get(path, Counter()).items()))
        print(f"{path:<32} {tests:>5} {props:>8} {inputs:>7}  {outcome}")
    tests, inputs = sum(t[0] for t in totals.values()), sum(t[1] for t in totals.values())
    print(f"{'total':<32} {tests:>5} {sum(t[2] for t in totals.values()):>8} {inputs:>7}")


if __name__ == "__main__":
    main()
