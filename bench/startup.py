#!/usr/bin/env python3
"""Start-up per command: this checkout against a base commit, measured in the same run.

    .venv/bin/python bench/startup.py [--base COMMIT] [--runs 15] [--installed PATH/bin/inc-audit]

Each command runs ``--runs`` times as ``python -m inc_audit ...`` in a fresh process, the
base and this checkout interleaved (so both see the same load on a shared machine). It prints
the best and the median wall time of each (for ``run --export``, the time to its first byte of
output, on stdout or stderr), the modules each imported (``-X importtime``, counted once), the
interpreter's own start beside them (``python -c pass``, ``python -S -c pass``, and with click
imported; measured between the commands' runs, so under the same load), and the load average
at start and end. With ``--installed``, the console script of an installed wheel (no editable
finder, its bytecode compiled by pip; ``.ci/smoke --keep`` leaves one) runs in the same rounds,
in its own column. Nothing here asserts on time.

Both trees run with this checkout's virtual environment, their bytecode compiled first (as
``pip install`` does; this machine sets PYTHONDONTWRITEBYTECODE), ``PYTHONPATH`` naming the tree
(``basetree.env_for``). The editable install's finder is imported at start by both (about 70
of the modules of ``--version`` on this machine, and a few ms); an installed wheel has none.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from basetree import ROOT, base_tree, compile_tree, describe, env_for  # noqa: E402

STARTED_FROM = "a504f0f"  # main before commands imported only what they use (issue #21, start-up)
EXAMPLES = ROOT / "examples"
CONFIG = ["--config", str(EXAMPLES / ".inc-audit.yml")]
COMMANDS: list[tuple[str, list[str]]] = [
    ("--version", ["--version"]),
    ("--help", ["--help"]),
    ("templates (the gate)", ["templates", str(EXAMPLES / "umami-templates"), *CONFIG]),
    ("rules", ["rules"]),
    ("check FILE", ["check", str(EXAMPLES / "umami-templates" / "incident.md"), *CONFIG]),
    ("run --export, 1st output", ["run", "--export", str(EXAMPLES / "umami-export"), *CONFIG,
                                  "--as-of", "2026-06-01T00:00:00Z"]),
]
FLOOR = [("python -c pass", ["-c", "pass"]), ("python -S -c pass", ["-S", "-c", "pass"]),
         ("python -c 'import click'", ["-c", "import click"])]


def once(tree: Path, args: list[str], program: list[str] | None = None) -> float:
    """Seconds from the start of ``python -m inc_audit ARGS`` (or ``program ARGS``) to its first
    byte of output (or its exit, when it prints nothing); the process is let finish, unmeasured,
    before the next run."""
    start = time.perf_counter()
    command = [*(program or [sys.executable, "-m", "inc_audit"]), *args]
    env = env_for(tree) if program is None else {k: v for k, v in env_for(tree).items() if k != "PYTHONPATH"}
    process = subprocess.Popen(command, env=env, cwd=tree, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    first = process.stdout.read(1)
    elapsed = time.perf_counter() - start
    process.stdout.read()
    process.wait()
    return elapsed if first else time.perf_counter() - start


def once_python(args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, *args], env=env_for(ROOT), check=False)
    return time.perf_counter() - start


def modules(tree: Path, args: list[str]) -> int:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "inc_audit", *args], env=env_for(tree),
                          cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    return sum(1 for line in done.stderr.splitlines() if line.startswith("import time:") and "|" in line) - 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=STARTED_FROM, help=f"the commit to compare with [{STARTED_FROM}]")
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--installed", help="an installed inc-audit console script to time beside")
    args = parser.parse_args()
    load_start = os.getloadavg()
    base = base_tree(args.base)
    compile_tree(ROOT)
    print(f"start-up per command, {args.runs} runs each, interleaved, wall seconds; base: {describe(args.base)}")
    print(f"{'command':<26} {'base best':>9} {'base med':>9} {'now best':>9} {'now med':>9} "
          f"{'modules base':>12} {'now':>5}" + (f" {'installed best':>14} {'med':>6}" if args.installed else ""))
    floor: dict[str, list[float]] = {name: [] for name, _ in FLOOR}
    for name, argv in COMMANDS:
        times: dict[str, list[float]] = {"base": [], "now": [], "installed": []}
        for _ in range(args.runs):
            times["base"].append(once(base, argv))
            times["now"].append(once(ROOT, argv))
            if args.installed:
                times["installed"].append(once(ROOT, argv, [args.installed]))
            for python, python_argv in FLOOR:  # the interpreter's own start, under the same load
                floor[python].append(once_python(python_argv))
        b, n, i = times["base"], times["now"], times["installed"]
        print(f"{name:<26} {min(b):9.3f} {statistics.median(b):9.3f} {min(n):9.3f} {statistics.median(n):9.3f} "
              f"{modules(base, argv):12d} {modules(ROOT, argv):5d}"
              + (f" {min(i):14.3f} {statistics.median(i):6.3f}" if i else ""))
    for python, spent in floor.items():
        print(f"{python:<26} {'':>9} {'':>9} {min(spent):9.3f} {statistics.median(spent):9.3f}")
    load_end = os.getloadavg()
    print("load average (2 cores) at start and end: "
          + ", ".join("/".join(f"{x:.1f}" for x in load) for load in (load_start, load_end)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
