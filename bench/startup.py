#!/usr/bin/env python3
"""Start-up per command: this checkout against a base commit, measured in the same run.

    .venv/bin/python bench/startup.py [--base COMMIT] [--runs 15]

Each command runs ``--runs`` times as ``python -m inc_audit ...`` in a fresh process, the
base and this checkout interleaved (so both see the same load on a shared machine). It prints
the best and the median wall time of each, the modules each imported (``-X importtime``,
counted once), and the load average at start and end. Nothing here asserts on time.
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
from basetree import DEFAULT_BASE, ROOT, base_tree, compile_tree, describe, env_for  # noqa: E402

EXAMPLES = ROOT / "examples"
COMMANDS: list[tuple[str, list[str]]] = [
    ("--version", ["--version"]),
    ("--help", ["--help"]),
    ("rules", ["rules"]),
    ("templates (the gate)", ["templates", str(EXAMPLES / "umami-templates"),
                              "--config", str(EXAMPLES / ".inc-audit.yml")]),
    ("check FILE", ["check", str(EXAMPLES / "umami-templates" / "incident.md")]),
    ("run --export (example)", ["run", "--export", str(EXAMPLES / "umami-export"), "--config",
                                str(EXAMPLES / ".inc-audit.yml"), "--as-of", "2026-06-01T00:00:00Z"]),
]


def once(tree: Path, args: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "inc_audit", *args], env=env_for(tree), cwd=tree,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def once_python(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env_for(ROOT), check=False)
    return time.perf_counter() - start


def modules(tree: Path, args: list[str]) -> int:
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "inc_audit", *args], env=env_for(tree),
                          cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
    return sum(1 for line in done.stderr.splitlines() if line.startswith("import time:") and "|" in line) - 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default=DEFAULT_BASE, help=f"the commit to compare with [{DEFAULT_BASE}]")
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    load_start = os.getloadavg()
    base = base_tree(args.base)
    compile_tree(ROOT)
    print(f"start-up per command, {args.runs} runs each, interleaved; base: {describe(args.base)}")
    print(f"{'command':<24} {'base best':>9} {'base med':>9} {'now best':>9} {'now med':>9} "
          f"{'modules base':>12} {'now':>5}")
    floor = [min(once_python(code) for _ in range(args.runs)) for code in ("pass", "import click")]
    print(f"{'python itself':<24} {floor[0]:9.3f}  (with click: {floor[1]:.3f}, best of {args.runs})")
    for name, argv in COMMANDS:
        times: dict[str, list[float]] = {"base": [], "now": []}
        for _ in range(args.runs):
            times["base"].append(once(base, argv))
            times["now"].append(once(ROOT, argv))
        b, n = times["base"], times["now"]
        print(f"{name:<24} {min(b):9.3f} {statistics.median(b):9.3f} {min(n):9.3f} {statistics.median(n):9.3f} "
              f"{modules(base, argv):12d} {modules(ROOT, argv):5d}")
    load_end = os.getloadavg()
    print("load average (2 cores) at start and end: "
          + ", ".join("/".join(f"{x:.1f}" for x in load) for load in (load_start, load_end)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
