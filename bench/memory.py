#!/usr/bin/env python3
"""Peak memory of `inc-audit run --export` as the number of incidents grows, against a base commit.

    .venv/bin/python bench/memory.py [--sizes 1000,5000,20000] [--base COMMIT] [--exports DIR]

Generates the synthetic project of ``run_bench.py`` at each size as a GitLab export (kept in
``--exports`` to reuse, else a temporary folder), then runs ``python -m inc_audit run --export``
on it with this checkout and with a ``git worktree`` of ``--base``, one after the other, each
through ``spawner.py`` (a small process started first, so a command's peak RSS is its own; see
bench/README.md). Prints each run's peak RSS and wall time, and whether both wrote the same
report, byte for byte. Nothing here asserts on time; exit 1 when the reports differ.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))
from basetree import DEFAULT_BASE, ROOT, base_tree, compile_tree, describe, env_for  # noqa: E402

CONFIG = ROOT / "examples" / ".inc-audit.yml"
AS_OF = "2026-06-01T00:00:00Z"


class Spawner:
    def __init__(self) -> None:
        import subprocess

        self.process = subprocess.Popen([sys.executable, str(BENCH / "spawner.py")], stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, text=True)

    def run(self, command: list[str], env: dict[str, str], cwd: Path, out: Path) -> dict:
        import json

        request = {"command": command, "cwd": str(cwd), "env": env, "stdout": str(out),
                   "stderr": str(out.with_suffix(".stderr")), "timeout": 3600}
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())


def export_of(n: int, folder: Path) -> Path:
    target = folder / f"synthetic-{n}"
    if not (target / "tree" / "project" / "issues.ndjson").is_file():
        import synthetic  # noqa: PLC0415  (the generator holds every incident: after the spawner starts)

        started = time.perf_counter()
        synthetic.generate(n).write(target)
        print(f"  generated {n} incidents in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return target


def prepare(args: argparse.Namespace, prefix: str) -> tuple[Spawner, tuple[float, float, float], Path, Path, Path]:
    """What a memory benchmark sets up before it measures: the spawner (first, while this process
    is small), the load at the start, a work folder, the exports' folder (``--exports`` or the
    work folder) and the base commit's compiled tree (``--base``), this checkout's compiled too."""
    spawner = Spawner()
    load_start = os.getloadavg()
    work = Path(tempfile.mkdtemp(prefix=prefix))
    exports = args.exports or work
    exports.mkdir(parents=True, exist_ok=True)
    base = base_tree(args.base)
    compile_tree(ROOT)
    return spawner, load_start, work, exports, base


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000,20000")
    parser.add_argument("--base", default=DEFAULT_BASE)
    parser.add_argument("--exports", type=Path, help="keep the generated exports here and reuse them")
    args = parser.parse_args()
    spawner, load_start, work, exports, base = prepare(args, "inc-audit-memory-")
    rows, same = [], True
    for n in (int(size) for size in args.sizes.split(",")):
        export = export_of(n, exports)
        measured = {}
        for name, tree in (("base", base), ("now", ROOT)):
            out = work / f"{name}-{n}.json"
            command = [sys.executable, "-m", "inc_audit", "run", "--export", str(export), "--config", str(CONFIG),
                       "--as-of", AS_OF, "--format", "json", "--output", str(out)]
            answer = spawner.run(command, env_for(tree), tree, work / f"{name}-{n}.stdout")
            measured[name] = (answer["max_rss"] / 2**20, answer["wall"], answer["returncode"], out)
            print(f"  {n} incidents, {name}: {measured[name][0]:.0f} MiB, {measured[name][1]:.1f} s,"
                  f" exit {measured[name][2]}", file=sys.stderr)
        equal = measured["base"][3].read_bytes() == measured["now"][3].read_bytes()
        same = same and equal
        rows.append((n, measured["base"], measured["now"], equal))
    print(f"peak memory of `inc-audit run --export`; base: {describe(args.base)}")
    print(f"{'incidents':>9} {'base MiB':>9} {'base s':>7} {'now MiB':>8} {'now s':>6}  same report")
    for n, b, now, equal in rows:
        print(f"{n:9d} {b[0]:9.0f} {b[1]:7.1f} {now[0]:8.0f} {now[1]:6.1f}  {'yes' if equal else 'NO'}")
    load_end = os.getloadavg()
    print("load average (2 cores) at start and end: "
          + ", ".join("/".join(f"{x:.1f}" for x in load) for load in (load_start, load_end)))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
