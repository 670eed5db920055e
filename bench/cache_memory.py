#!/usr/bin/env python3
"""Peak memory of a cached live audit (`inc-audit run --cache`), cold then warm, as the number
of incidents grows, against a base commit.

    .venv/bin/python bench/cache_memory.py [--sizes 1000,5000] [--apis rest,graphql] [--base COMMIT]
                                           [--exports DIR]

Generates the synthetic project of ``run_bench.py`` at each size (as ``memory.py`` does: kept in
``--exports`` to reuse), serves it from the fake GitLab (``FakeGitLab.from_export``) in this
process, and runs ``python -m inc_audit run --cache DIR`` against it twice per API, a cold run
into a fresh folder and then a warm one over the same folder, with this checkout and with a
``git worktree`` of ``--base``, each through ``spawner.py`` (a small process started first, so
a command's peak RSS is its own). Prints each run's peak RSS and wall time, whether both trees
wrote the same report, byte for byte, and whether they left the same cache: every row of every
table, but the listing moments and the verdicts' fingerprint (it covers inc-audit's code).
Nothing here asserts on time; exit 1 when the reports or the caches differ, or a run was not
the cold or warm run it should be (``-v``'s summary line).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sqlite3
import sys
from contextlib import closing
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for _path in (str(ROOT / "tests"), str(BENCH)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from basetree import DEFAULT_BASE, describe, env_for  # noqa: E402
from memory import AS_OF, CONFIG, export_of, prepare  # noqa: E402

PROJECT = "umami-wallet/umami"


def contents(cache: Path) -> dict[str, list[tuple[object, ...]]]:
    """What a cache holds, comparable across inc-audit's code: rows sorted, without the listing
    moments (the clock) and the verdicts' fingerprint (it covers the code)."""
    queries = {
        "meta": "SELECT shard, fingerprint, labels FROM meta",
        "candidates": "SELECT shard, project, iid FROM candidates",
        "issues": "SELECT project, iid, updated_at, notes_count, raw, notes, links, awards FROM issues",
        "verdicts": "SELECT project, iid, updated_at, notes_count, links, findings, stable_after, stable_until"
                    " FROM verdicts",
    }
    with closing(sqlite3.connect(cache / "cache.sqlite3")) as db:
        held = {name: sorted(db.execute(query), key=repr) for name, query in queries.items()}
        held["format"] = [tuple(db.execute("PRAGMA user_version").fetchone())]
    return held


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000")
    parser.add_argument("--apis", default="rest,graphql")
    parser.add_argument("--base", default=DEFAULT_BASE)
    parser.add_argument("--exports", type=Path, help="keep the generated exports here and reuse them")
    args = parser.parse_args()
    spawner, load_start, work, exports, base = prepare(args, "inc-audit-cache-memory-")
    from fakegitlab import READ_TOKEN, FakeGitLab  # noqa: PLC0415  (after the spawner starts)

    rows, same = [], True
    for n in (int(size) for size in args.sizes.split(",")):
        export = export_of(n, exports)
        fake = FakeGitLab.from_export(export, PROJECT)
        fake.start()
        try:
            for api in args.apis.split(","):
                measured: dict[str, dict[str, tuple[float, float, int]]] = {}
                reports: dict[str, list[bytes]] = {}
                caches: dict[str, list[dict[str, list[tuple[object, ...]]]]] = {}
                for name, tree in (("base", base), ("now", ROOT)):
                    cache = work / f"cache-{name}-{n}-{api}"
                    shutil.rmtree(cache, ignore_errors=True)
                    measured[name], reports[name], caches[name] = {}, [], []
                    for run in ("cold", "warm"):
                        out = work / f"{name}-{n}-{api}-{run}.json"
                        command = [sys.executable, "-m", "inc_audit", "run", "--gitlab-url", fake.url, "--project",
                                   PROJECT, "--api", api, "--config", str(CONFIG), "--as-of", AS_OF, "--format",
                                   "json", "--output", str(out), "--cache", str(cache), "-v"]
                        answer = spawner.run(command, env_for(tree, GITLAB_TOKEN=READ_TOKEN), tree,
                                             work / f"{name}-{n}-{api}-{run}.stdout")
                        stderr = (work / f"{name}-{n}-{api}-{run}.stderr").read_text(errors="replace")
                        mode = re.search(r"cache (\w+): ", stderr)
                        if mode is None or mode.group(1) != run:
                            print(f"  {name} {run}: not a {run} run:\n{stderr[-2000:]}", file=sys.stderr)
                            same = False
                        measured[name][run] = (answer["max_rss"] / 2**20, answer["wall"], answer["returncode"])
                        reports[name].append(out.read_bytes() if out.exists() else b"")
                        caches[name].append(contents(cache))
                        print(f"  {n} incidents, {api}, {name}, {run}: {measured[name][run][0]:.0f} MiB,"
                              f" {measured[name][run][1]:.1f} s, exit {measured[name][run][2]}", file=sys.stderr)
                equal_reports = reports["base"] == reports["now"] and all(reports["now"])
                equal_caches = caches["base"] == caches["now"]
                same = same and equal_reports and equal_caches
                rows.append((n, api, measured, equal_reports, equal_caches))
        finally:
            fake.stop()
    print(f"peak memory of `inc-audit run --cache` against the fake GitLab; base: {describe(args.base)}")
    print(f"{'incidents':>9} {'api':>7} {'run':>4} {'base MiB':>9} {'base s':>7} {'now MiB':>8} {'now s':>6}"
          "  same report  same cache")
    for n, api, measured, equal_reports, equal_caches in rows:
        for run in ("cold", "warm"):
            b, now = measured["base"][run], measured["now"][run]
            print(f"{n:9d} {api:>7} {run:>4} {b[0]:9.0f} {b[1]:7.1f} {now[0]:8.0f} {now[1]:6.1f}"
                  f"  {'yes' if equal_reports else 'NO':>11}  {'yes' if equal_caches else 'NO':>10}")
    load_end = os.getloadavg()
    print("load average (2 cores) at start and end: "
          + ", ".join("/".join(f"{x:.1f}" for x in load) for load in (load_start, load_end)))
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
