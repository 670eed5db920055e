#!/usr/bin/env python3
"""The CPU the rules spend per incident and per comment, on the synthetic project.

    .venv/bin/python bench/rules_cpu.py [--incidents 120] [--awaiting 20] [--runs 5] [--base COMMIT]

Builds the synthetic project of ``api_compare.py`` (``--incidents`` incidents with 10 to 30
comments each, ``--awaiting`` of them awaiting approval) as a GitLab export, then runs
``run_audit`` on it in ``--runs`` fresh Python processes. Each process reads the export
first (not timed: that is the source's work), then times one audit: the rules' work on
every incident, with the schemas and phrasings loaded on first use as in a real run
(``first run``, the figure to quote); then a second audit in the same process (``again``),
with them loaded and every text already in the memos: the memos' ceiling, not a real run.
Prints the best and the median of the runs as CPU seconds (``time.process_time``) and
wall seconds, per incident and per comment, and a digest of the findings: two versions of
the code that print the same digest reached the same verdicts on this project.

With ``--base``, each run of this checkout is paired with one of a ``git worktree`` of that
commit, one after the other, and both tables are printed with the ratio of their best first
runs: the machine's speed drifts over minutes, so only figures taken in turn compare.

No network and no GitLab: only the rules run. Nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
CONFIG = ROOT / "examples" / ".inc-audit.yml"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))


def build(n: int, awaiting: int, folder: Path) -> Path:
    """The synthetic project as a GitLab export in ``folder``."""
    import api_compare  # noqa: PLC0415  (brings the benchmark's modules only when building)
    import synthetic  # noqa: PLC0415

    with api_compare.awaiting_mix(n, awaiting):
        project = synthetic.generate(n)
    return Path(project.write(folder / f"p{n}-export"))


def child(export: Path) -> None:
    """One process: read the export, then time two audits of it; print JSON."""
    from datetime import datetime  # noqa: PLC0415

    import synthetic  # noqa: PLC0415

    import inc_audit.cli  # noqa: F401, PLC0415  (imported as a real run imports it)
    from inc_audit.audit import run_audit  # noqa: PLC0415
    from inc_audit.config import file as configuration  # noqa: PLC0415
    from inc_audit.sources.export.source import ExportSource  # noqa: PLC0415

    config = configuration.load(CONFIG)
    as_of = datetime.fromisoformat(synthetic.AS_OF.replace("Z", "+00:00"))
    source = ExportSource(export, project=config.gitlab_project, web_base="")
    timings = []
    for _ in range(2):
        cpu, wall = time.process_time(), time.perf_counter()
        result = run_audit(source, config, as_of)
        timings.append((time.process_time() - cpu, time.perf_counter() - wall))
    issues = source.issues  # every issue read again from the file: once, not once per incident
    comments = sum(len(issues[incident.key].notes) for incident in result.incidents)
    findings = [(str(i.key), [f.as_dict() for f in i.findings]) for i in result.incidents]
    digest = hashlib.sha256(json.dumps(findings, sort_keys=True, default=str).encode()).hexdigest()[:16]
    import inc_audit  # noqa: PLC0415

    print(json.dumps({"code": str(Path(inc_audit.__file__).parent), "incidents": len(result.incidents),
                      "comments": comments, "timings": timings,
                      "findings": sum(len(i.findings) for i in result.incidents), "digest": digest}))


def measure(export: Path, runs: int, trees: tuple[Path, ...] = (ROOT,)) -> list[list[dict[str, object]]]:
    """``runs`` child runs of each tree, the trees in turn; each tree's results."""
    from basetree import env_for  # noqa: PLC0415

    out: list[list[dict[str, object]]] = [[] for _ in trees]
    for _ in range(runs):
        for index, tree in enumerate(trees):
            done = subprocess.run([sys.executable, __file__, "--child", str(export)], env=env_for(tree),
                                  capture_output=True, text=True, check=True)
            out[index].append(json.loads(done.stdout.strip().splitlines()[-1]))
    return out


def table(results: list[dict[str, object]]) -> None:
    first = results[0]
    incidents, comments = int(first["incidents"]), int(first["comments"])  # type: ignore[call-overload]
    print(f"code: {first['code']}")
    print(f"{incidents} incidents, {comments} comments, {first['findings']} findings, "
          f"findings digest {first['digest']}")
    digests = {r["digest"] for r in results}
    if len(digests) > 1:
        print(f"the runs disagree: digests {sorted(digests)}")  # type: ignore[type-var]
    print(f"{'audit':<10} {'measure':<6} {'best s':>7} {'median s':>9} {'ms/incident':>12} {'us/comment':>11}")
    for which, name in ((0, "first run"), (1, "again")):
        for column, unit in ((0, "cpu"), (1, "wall")):
            values = [r["timings"][which][column] for r in results]  # type: ignore[index]
            best, median = min(values), statistics.median(values)
            print(f"{name:<10} {unit:<6} {best:>7.3f} {median:>9.3f} {1000 * best / incidents:>12.2f} "
                  f"{1e6 * best / comments:>11.1f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=120)
    parser.add_argument("--awaiting", type=int, default=20)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--export", type=Path, help="an export built before (skips building)")
    parser.add_argument("--base", help="a commit to measure in turn with this checkout")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return 0
    from basetree import base_tree, describe  # noqa: PLC0415

    trees = (base_tree(args.base), ROOT) if args.base else (ROOT,)
    with tempfile.TemporaryDirectory(prefix="rules-cpu-") as work:
        export = args.export or build(args.incidents, args.awaiting, Path(work))
        results = measure(export, args.runs, trees)
    for each in results:
        table(each)
    if args.base:
        base, now = (min(r["timings"][0][0] for r in each) for each in results)  # type: ignore[index]
        same = results[0][0]["digest"] == results[1][0]["digest"]
        print(f"base {describe(args.base)}")
        print(f"best first run's CPU, this checkout / base: {now / base:.3f}; same findings digest: "
              f"{'yes' if same else 'NO'}")
        return 0 if same else 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
