#!/usr/bin/env python3
"""A cold live audit against a slow GitLab: this checkout against a base commit.

    .venv/bin/python bench/cold_live.py [--incidents 1000] [--latency-ms 1000] [--apis graphql,rest]
                                        [--base COMMIT] [--concurrency N] [--memory 1000,5000]
                                        [--answer within|after|prepared] [--runs 1] [--jobs-base N]
                                        [--jobs-now N]

Generates the synthetic project of ``run_bench.py`` (bench/synthetic.py) at ``--incidents``,
serves it from the fake GitLab (tests/fakegitlab) in this process with every request
answered in ``--latency-ms`` (``--answer within``: the fake builds its answer as the request
comes and sends it once the latency has passed, a GitLab that answers every request in that
time; ``after``: it starts building only once the latency has passed, so an answer leaves
the latency plus its building after the request, up to half a second more for a query of
200 full issues while the fake builds others on the same cores; ``prepared``: as ``within``,
with every answer built before the measured runs, by a run of each tree that is not
measured, and sent as built: a GitLab on other machines, whose work takes none of this
machine's CPU), then runs a cold
``inc-audit run --api API`` (an empty
``--cache`` folder) with a ``git worktree`` of ``--base`` and with this checkout, one after
the other, each through ``spawner.py`` (so a run's peak RSS is its own). Prints for each
run its wall time (start-up included), the requests the fake answered, requests per
incident, peak RSS, the CPU time the fake GitLab spent meanwhile (this process's, which
serves it in threads: "GitLab's own work", on the same cores as the audit), and whether
both wrote the same findings (compared finding for finding, as run_bench.py does).
``--runs N`` measures each pair N times, base and this checkout one after the other, and
prints the median wall time of each beside the runs (the machine's speed drifts: only
figures taken in turn compare).
``--jobs-base`` and ``--jobs-now`` pass ``--jobs N`` to the base's runs and to this checkout's
(``--base HEAD --jobs-base 1``: one process against a helper beside it, on the same code).
``MiB`` is the audit process's peak RSS (the largest process of the run: a helper's own memory
is apart, see docs/performance.md).
``--memory`` adds cold GraphQL runs at those sizes with no latency and ``--no-cache``,
for the live source's own peak memory. Nothing here asserts on time; exit 1 when the
findings differ, 2 when a run failed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
for _path in (str(BENCH.parent / "tests"), str(BENCH)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

from basetree import ROOT, base_tree, compile_tree, describe, env_for  # noqa: E402
from memory import Spawner  # noqa: E402

DEFAULT_BASE = "a504f0f"  # main before the live sources read in parallel
PROJECT = "umami-wallet/umami"
CONFIG = ROOT / "examples" / ".inc-audit.yml"


@dataclass
class Measured:
    api: str
    tree: str
    incidents: int
    wall: float
    requests: int
    rss_mib: float
    returncode: int
    latency: float
    findings: set[tuple[Any, ...]]
    fake_cpu: float = 0.0
    """CPU seconds the benchmark's process spent during the run: the fake GitLab answering
    (its serving threads), on the same cores as the audit."""

    @property
    def per_incident(self) -> float:
        return self.requests / self.incidents if self.incidents else 0.0


def say(message: str) -> None:
    print(f"  {message}", file=sys.stderr, flush=True)


def cold_run(spawner: Spawner, fake: Any, tree: Path, name: str, api: str, n: int, work: Path,
             concurrency: int | None, cache: bool = True, jobs: int | None = None) -> Measured:
    import run_bench as rb  # noqa: PLC0415

    folder = Path(tempfile.mkdtemp(prefix=f"cache-{name}-{api}-", dir=work))
    output = work / f"{name}-{api}-{n}.json"
    command = [sys.executable, "-m", "inc_audit", "run", "--gitlab-url", fake.url, "--project", PROJECT,
               "--config", str(CONFIG), "--as-of", rb.synthetic.AS_OF, "--format", "json",
               "--output", str(output), "--api", api, "--retry-budget", "60", "--timeout", "60"]
    command += ["--cache", str(folder)] if cache else ["--no-cache"]
    if concurrency is not None:
        command += ["--concurrency", str(concurrency)]
    if jobs is not None:
        command += ["--jobs", str(jobs)]
    env = env_for(tree, GITLAB_TOKEN=rb.READ_TOKEN)
    env = {k: v for k, v in env.items() if not k.startswith("CI_")}
    fake.clear_logs()
    cpu = time.process_time()  # this process serves the fake; the audit runs in the spawner's child
    answer = spawner.run(command, env, tree, work / f"{name}-{api}-{n}.stdout")
    fake_cpu = time.process_time() - cpu
    requests = len(fake.requests)
    findings: set[tuple[Any, ...]] = set()
    if answer["returncode"] in (0, 1) and output.is_file():
        findings = rb.findings_of(json.loads(output.read_text(encoding="utf-8")))
    else:
        tail = (work / f"{name}-{api}-{n}.stderr").read_text(encoding="utf-8", errors="replace")[-600:]
        say(f"{name} --api {api}: exit {answer['returncode']}\n{tail}")
    measured = Measured(api if cache else f"{api}*", name, n, answer["wall"], requests, answer["max_rss"] / 2**20,
                        answer["returncode"], fake.latency, findings, fake_cpu)
    say(f"{n} incidents, --api {api}, {name}: {measured.wall:.1f} s, {requests} requests,"
        f" {measured.rss_mib:.0f} MiB, exit {measured.returncode}, fake GitLab's CPU {fake_cpu:.1f} s")
    return measured


def serve(n: int, work: Path, latency: float, within: bool = True) -> Any:
    import run_bench as rb  # noqa: PLC0415

    started = time.perf_counter()
    served = rb.serve(n, work, f"synthetic-{n}", latency)
    served.fake.work_within_latency = within
    say(f"generated and served {n} incidents in {time.perf_counter() - started:.0f} s")
    return served.fake


class Prepared:
    """The fake's answers kept as it builds them, by method, target and body, and sent again as
    built (``--answer prepared``): a request asked before is answered without building.
    ``served`` and ``built`` count the answers of the runs measured once ``measuring`` is set."""

    def __init__(self, fake: Any) -> None:
        import dataclasses  # noqa: PLC0415

        self.kept: dict[tuple[str, str, bytes], Any] = {}
        self.served = self.built = 0
        self.measuring = False
        built = fake._answer

        def answer(request: Any, *args: Any) -> Any:
            key = (request.method, request.target, request.body)
            found = self.kept.get(key)
            if found is None:
                found = self.kept[key] = built(request, *args)
                self.built += self.measuring
            else:
                self.served += self.measuring
            return dataclasses.replace(found, headers=list(found.headers))

        fake._answer = answer


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--incidents", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=1000.0)
    parser.add_argument("--apis", default="graphql,rest")
    parser.add_argument("--base", default=DEFAULT_BASE)
    parser.add_argument("--concurrency", type=int, help="--concurrency for inc-audit (default: its own)")
    parser.add_argument("--memory", default="", help="sizes of peak-memory GraphQL runs, no latency, --no-cache")
    parser.add_argument("--answer", choices=("within", "after", "prepared"), default="within",
                        help="the fake's work within the latency, after it, or done before the measured runs"
                             " (default: within)")
    parser.add_argument("--runs", type=int, default=1, help="measure each pair this many times, in turn")
    parser.add_argument("--jobs-base", type=int, help="--jobs for the base's runs (default: its own)")
    parser.add_argument("--jobs-now", type=int, help="--jobs for this checkout's runs (default: its own)")
    args = parser.parse_args()
    spawner = Spawner()  # first, while this process is small
    work = Path(tempfile.mkdtemp(prefix="inc-audit-cold-live-"))
    base = base_tree(args.base)
    compile_tree(ROOT)
    rows: list[tuple[Measured, Measured]] = []
    fake = serve(args.incidents, work, args.latency_ms / 1000, args.answer != "after")
    prepared = Prepared(fake) if args.answer == "prepared" else None
    walls: dict[tuple[str, str], list[float]] = {}
    try:
        for api in (a.strip() for a in args.apis.split(",") if a.strip()):
            if prepared is not None:  # the answers built by runs that are not measured
                for name, tree, jobs in (("base", base, args.jobs_base), ("now", ROOT, args.jobs_now)):
                    cold_run(spawner, fake, tree, f"{name}-preparing", api, args.incidents, work, args.concurrency,
                             jobs=jobs)
                prepared.measuring = True
            for _ in range(max(1, args.runs)):
                runs = [cold_run(spawner, fake, tree, name, api, args.incidents, work, args.concurrency, jobs=jobs)
                        for name, tree, jobs in (("base", base, args.jobs_base), ("now", ROOT, args.jobs_now))]
                rows.append((runs[0], runs[1]))
                for run in runs:
                    walls.setdefault((api, run.tree), []).append(run.wall)
    finally:
        fake.stop()
    for size in (int(s) for s in args.memory.split(",") if s.strip()):
        fake = serve(size, work, 0.0)
        try:
            runs = [cold_run(spawner, fake, tree, name, "graphql", size, work, args.concurrency, cache=False)
                    for name, tree in (("base", base), ("now", ROOT))]
            rows.append((runs[0], runs[1]))
        finally:
            fake.stop()
    work_is = {"within": "within the latency", "after": "after the latency",
               "prepared": "done before the measured runs"}[args.answer]
    print(f"cold `inc-audit run` against the fake GitLab (its work {work_is});"
          f" base: {describe(args.base)}")
    print(f"{'incidents':>9} {'latency':>7} {'api':>7}  {'tree':<4} {'wall s':>6} {'requests':>8}"
          f" {'req/inc':>7} {'MiB':>5} {'fake CPU s':>10}  same findings")
    failed, differ = False, False
    for base_run, now_run in rows:
        latency = f"{base_run.latency:.1f}s"
        same = base_run.findings == now_run.findings and bool(now_run.findings)
        differ = differ or not same
        for run in (base_run, now_run):
            failed = failed or run.returncode not in (0, 1)
            mark = ("yes" if same else "NO") if run is now_run else ""
            print(f"{run.incidents:9d} {latency:>7} {run.api:>7}  {run.tree:<4} {run.wall:6.2f} {run.requests:8d}"
                  f" {run.per_incident:7.3f} {run.rss_mib:5.0f} {run.fake_cpu:10.1f}  {mark}")
    for (api, tree), times in walls.items():
        if len(times) > 1:
            shown = " ".join(f"{t:.2f}" for t in times)
            print(f"{api} {tree}: median {statistics.median(times):.2f} s over {len(times)} runs ({shown})")
    print("fake CPU s: the CPU time the benchmark's own process spent during the run, which is the fake"
          " GitLab building its answers (in its serving threads) on the same cores as the audit")
    if prepared is not None:
        print(f"prepared: {prepared.served} answers of the measured runs sent as built before them,"
              f" {prepared.built} built during them")
    if args.memory:
        print("graphql*: --no-cache, the live source alone (the cache's own memory is the cache's figure)")
    load = os.getloadavg()
    print(f"load average (2 cores) at the end: {load[0]:.1f}/{load[1]:.1f}/{load[2]:.1f}")
    return 2 if failed else 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
