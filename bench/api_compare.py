#!/usr/bin/env python3
"""REST against GraphQL: the same synthetic projects audited through each API, beside the naive baseline.

    .venv/bin/python bench/api_compare.py [--sizes 120,1000] [--latency-ms 20] [--awaiting 20]

For each size: generate a project (bench/synthetic.py, 10 to 30 notes an incident) with
``--awaiting`` of its incidents' post-mortems awaiting approval (no approver's award or
comment yet), serve it from the fake GitLab with a fixed latency, run the naive baseline
(bench/naive_baseline.py; sampled above ``--baseline-sample`` incidents and projected, as
run_bench.py does), then ``inc-audit run --api rest`` and ``--api graphql``, each cold (an
empty cache) and warm (nothing changed). Prints requests per incident, wall time (start-up
included) and the speedup over the naive baseline, then the GraphQL targets with what this
run measured. Findings must agree: REST and GraphQL on every incident, the baseline on the
incidents it read. Exit 0 when they do, 1 when they do not, 2 when a command failed; the
targets never change the exit code.

inc-audit's bytecode is compiled first, as an install does (``run_bench.compile_bytecode``).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import run_bench as rb  # noqa: E402
import synthetic  # noqa: E402

TARGET_COLD_PER_INCIDENT = 0.05  # GraphQL cold, requests per incident, at 1,000 incidents
TARGET_SPEEDUP = 30.0  # GraphQL cold against the naive baseline, at 120 incidents
TARGET_WARM_REQUESTS = 8  # GraphQL warm, nothing changed, 20 of 120 awaiting approval


@contextmanager
def awaiting_mix(n: int, awaiting: int) -> Iterator[None]:
    """synthetic.MIX with ``awaiting`` of ``n`` incidents' post-mortems unapproved."""
    saved = synthetic.MIX
    share = min(awaiting / n, 0.5) if n else 0.0
    others = [(kind, part) for kind, part in saved if kind != synthetic.UNAPPROVED]
    scale = (1 - share) / sum(part for _, part in others)
    synthetic.MIX = (*((kind, part * scale) for kind, part in others), (synthetic.UNAPPROVED, share))
    try:
        yield
    finally:
        synthetic.MIX = saved


@dataclass
class Row:
    size: int
    name: str
    run: rb.Run


def audit(served: rb.Served, workdir: Path, api: str, cache: Path, name: str) -> rb.Run:
    slug = f"{name}-{api}".replace(" ", "-")
    output = workdir / f"{slug}.json"
    command = rb.audit_command(
        rb.inc_audit_command(), served.fake.url, output,
        "--retry-budget", "60", "--timeout", "60", "--cache", str(cache), "--api", api,
    )
    served.fake.clear_logs()
    rb.say(f"{name}: inc-audit run --api {api}")
    child = rb.run_child(command, workdir, slug)
    if child.returncode not in (0, 1):
        raise rb.BenchError(f"{name} --api {api}: inc-audit exited {child.returncode}:\n{child.tail()}")
    if served.fake.errors:
        raise rb.BenchError(f"{name}: the fake GitLab failed: {served.fake.errors[-1]!r}")
    report = json.loads(output.read_text(encoding="utf-8"))
    return rb.Run(
        f"{api} {name}",
        len(served.project.incidents),
        child.wall,
        len(served.fake.requests),
        child.max_rss,
        report=report,
    )


def measure(size: int, args: argparse.Namespace, workdir: Path) -> tuple[list[Row], list[str]]:
    """The rows for one project size, and what disagreed."""
    with awaiting_mix(size, args.awaiting):
        served = rb.serve(size, workdir, f"p{size}", args.latency_ms / 1000)
    problems: list[str] = []
    try:
        sample = args.baseline_sample if args.baseline_sample < size else None
        measured, projected, _ = rb.naive_baseline(served, workdir, sample)
        rows = [Row(size, measured.name, measured)]
        if projected is not None:
            rows.append(Row(size, projected.name, projected))
        runs: dict[str, rb.Run] = {}
        for api in ("rest", "graphql"):
            cache = workdir / f"cache-{size}-{api}"
            for name in ("cold", "warm"):
                runs[f"{api} {name}"] = audit(served, workdir, api, cache, name)
                rows.append(Row(size, f"inc-audit --api {api}, {name}", runs[f"{api} {name}"]))
        everything = rb.findings_of(runs["rest cold"].report or {})
        for key, run in runs.items():
            if rb.findings_of(run.report or {}) != everything:
                problems.append(f"{size}: {key} findings differ from rest cold")
        read = {int(i["iid"]) for i in (measured.report or {}).get("incidents", [])}
        if rb.findings_of(measured.report or {}, read) != rb.findings_of(runs["graphql cold"].report or {}, read):
            problems.append(f"{size}: the naive baseline's findings differ from graphql cold")
        return rows, problems
    finally:
        served.fake.stop()


def print_tables(rows: list[Row], problems: list[str], args: argparse.Namespace) -> None:
    print(
        f"REST against GraphQL: inc-audit run on synthetic projects, {args.latency_ms:g} ms latency a request,"
        f" {args.awaiting} incidents awaiting approval in each"
    )
    print(f"load average of this machine ({os.cpu_count()} cores) at start and at end: {args.load_start}, {_load()}\n")
    body = []
    for row in rows:
        baseline = next(
            (r.run for r in rows if r.size == row.size and "naive" in r.name and r.run.incidents == row.size), None
        )
        body.append(
            [
                str(row.size),
                row.name,
                rb.fmt_seconds(row.run.wall),
                str(row.run.requests or ""),
                f"{row.run.per_incident:.3f}" if row.run.per_incident is not None else "",
                "" if "naive" in row.name else rb.fmt_ratio(rb.ratio(baseline, row.run)),
            ]
        )
    print(rb.table(["incidents", "run", "wall", "requests", "per incident", "vs naive"], body, right=(0, 2, 3, 4, 5)))
    print()
    print("Targets (GraphQL):")
    for line in targets(rows):
        print(f"  {line}")
    print()
    print("Findings: " + ("REST, GraphQL and the naive baseline agree" if not problems else "; ".join(problems)))


def targets(rows: list[Row]) -> Iterator[str]:
    def find(size: int, name: str) -> rb.Run | None:
        return next((r.run for r in rows if r.size == size and r.name == name), None)

    def naive(size: int) -> rb.Run | None:
        return next((r.run for r in rows if r.size == size and "naive" in r.name and r.run.incidents == size), None)

    cold_1000 = find(1000, "inc-audit --api graphql, cold")
    if cold_1000 is not None and cold_1000.per_incident is not None:
        verdict = "PASS" if cold_1000.per_incident <= TARGET_COLD_PER_INCIDENT else "FAIL"
        yield f"cold, 1,000 incidents: {cold_1000.per_incident:.3f} requests per incident (at most 0.05): {verdict}"
    else:
        yield "cold, 1,000 incidents: n/a (not run)"
    cold_120, baseline = find(120, "inc-audit --api graphql, cold"), naive(120)
    speedup = rb.ratio(baseline, cold_120)
    if speedup is not None:
        verdict = "PASS" if speedup >= TARGET_SPEEDUP else "FAIL"
        yield f"cold, 120 incidents: {speedup:.1f}x faster than the naive baseline (at least 30x): {verdict}"
    else:
        yield "cold, 120 incidents: n/a (not run)"
    warm_120 = find(120, "inc-audit --api graphql, warm")
    if warm_120 is not None and warm_120.requests is not None:
        verdict = "PASS" if warm_120.requests <= TARGET_WARM_REQUESTS else "FAIL"
        yield f"warm, nothing changed, 120 incidents: {warm_120.requests} requests (at most 8): {verdict}"
    else:
        yield "warm, 120 incidents: n/a (not run)"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="120,1000", help="project sizes, comma-separated [120,1000]")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="latency of every request [20]")
    parser.add_argument("--awaiting", type=int, default=20, help="incidents awaiting approval in each project [20]")
    parser.add_argument(
        "--baseline-sample", type=int, default=120, help="incidents the naive baseline reads; above it, projected [120]"
    )
    parser.add_argument("--json", type=Path, help="also write the rows as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    return parser.parse_args(argv)


def _load() -> str:
    return "/".join(f"{value:.1f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    args.load_start = _load()
    workdir = Path(tempfile.mkdtemp(prefix="inc-audit-api-"))
    rb._SPAWNER = rb.Spawner()
    rb.compile_bytecode()
    rows: list[Row] = []
    problems: list[str] = []
    try:
        for size in (int(s) for s in args.sizes.split(",") if s.strip()):
            found, wrong = measure(size, args, workdir)
            rows += found
            problems += wrong
    except rb.BenchError as error:
        print(f"api_compare: {error}", file=sys.stderr)
        return 2
    finally:
        rb._SPAWNER.close()
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print_tables(rows, problems, args)
    if args.json:
        data: list[dict[str, Any]] = [
            {"incidents": r.size, "run": r.name, "wall": r.run.wall, "requests": r.run.requests} for r in rows
        ]
        args.json.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
