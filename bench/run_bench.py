#!/usr/bin/env python3
"""The "Scale" benchmark: inc-audit against a naive python-gitlab audit, on a fake GitLab.

    .venv/bin/python bench/run_bench.py [--incidents N] [--latency-ms 20] [--quick]

In one run: generate a synthetic project (bench/synthetic.py), serve it from the fake
GitLab of tests/fakegitlab with a fixed latency per request, run the naive baseline
(bench/naive_baseline.py) and ``inc-audit run`` cold, warm, and after a few changes,
then a project where every incident is compliant cold and warm, a peak-memory run at
5,000 incidents, and the markdown parsing comparison. Prints a table of the runs and
the Scale issue's targets with what this run measured. Every figure printed comes
from this run; nothing here asserts on time. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for _path in (str(ROOT / "tests"), str(BENCH)):
    if _path not in sys.path:
        sys.path.insert(0, _path)

import synthetic  # noqa: E402
from fakegitlab import READ_TOKEN, FakeGitLab  # noqa: E402
from fakegitlab.store import now as fake_now  # noqa: E402
from naive_baseline import MemorySource  # noqa: E402

from inc_audit.audit import run_audit  # noqa: E402
from inc_audit.config import file as config_module  # noqa: E402
from inc_audit.model import Award, Issue, IssueKey, LinkedIssue, Note, parse_time  # noqa: E402
from inc_audit.reading import validity  # noqa: E402

PROJECT = "umami-wallet/umami"
CONFIG = ROOT / "examples" / ".inc-audit.yml"
NEW_OPTIONS = ("--cache", "--no-cache", "--concurrency", "--max-rps", "--shard")
RUN_TIMEOUT = 1800.0
MB = 1024 * 1024
_ISSUE_PATH = re.compile(r"/projects/[^/]+/issues/(\d+)(?:/|$)")


class BenchError(Exception):
    """A run of the benchmark failed (not a target missed: a command that broke)."""


# --------------------------------------------------------------------------- plumbing

START = time.perf_counter()


def say(message: str) -> None:
    print(f"[{time.perf_counter() - START:7.1f}s] {message}", file=sys.stderr, flush=True)


def inc_audit_command() -> str:
    beside = Path(sys.executable).parent / "inc-audit"
    found = str(beside) if beside.exists() else shutil.which("inc-audit")
    if not found:
        raise BenchError("the inc-audit command is not installed: run with the project's venv python")
    return found


def compile_bytecode() -> None:
    """Compile inc-audit's modules as an install would, before anything is timed.

    pip compiles a package's bytecode when it installs it, and a checkout installed with
    ``pip install -e`` writes it on its first run, unless PYTHONDONTWRITEBYTECODE is set (as
    it is on this machine and on some CI runners): then every run would compile the whole
    package again, and start-up would measure the compiler rather than inc-audit.
    """
    import compileall

    package = ROOT / "inc_audit"
    if not compileall.compile_dir(str(package), quiet=1, force=False):
        raise BenchError(f"could not compile {package}")
    say("inc-audit's bytecode compiled, as an install does")


def audit_command(inc_audit: str, url: str, output: Path, *extra: str) -> list[str]:
    """``inc-audit run`` on the synthetic project served at ``url``, its JSON report to ``output``."""
    return [
        inc_audit, "run", "--gitlab-url", url, "--project", PROJECT, "--config", str(CONFIG),
        "--as-of", synthetic.AS_OF, "--format", "json", "--output", str(output), *extra,
    ]


def child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CI_")}
    env["GITLAB_TOKEN"] = READ_TOKEN
    return env


@dataclass
class Child:
    """One finished command: exit code, wall time and its own peak RSS."""

    returncode: int
    wall: float
    max_rss: int  # bytes
    stdout: Path
    stderr: Path

    def tail(self, lines: int = 15) -> str:
        text = self.stderr.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        return "\n".join(text[-lines:])


class Spawner:
    """The small process that runs every measured command (see spawner.py for why)."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(BENCH / "spawner.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, command: list[str], workdir: Path, name: str, timeout: float = RUN_TIMEOUT) -> Child:
        """Run a command; its wall time and its own peak RSS."""
        stdout, stderr = workdir / f"{name}.stdout", workdir / f"{name}.stderr"
        request = {
            "command": command,
            "cwd": str(workdir),
            "env": child_env(),
            "stdout": str(stdout),
            "stderr": str(stderr),
            "timeout": timeout,
        }
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(json.dumps(request) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise BenchError("the spawner process died")
        answer = json.loads(line)
        if "error" in answer:
            raise BenchError(f"cannot run {command[0]}: {answer['error']}")
        return Child(answer["returncode"], answer["wall"], answer["max_rss"], stdout, stderr)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait()


_SPAWNER: Spawner | None = None


def run_child(command: list[str], workdir: Path, name: str, timeout: float = RUN_TIMEOUT) -> Child:
    """Run a command through the spawner, measuring its wall time and its own peak RSS."""
    assert _SPAWNER is not None, "main() starts the spawner first"
    return _SPAWNER.run(command, workdir, name, timeout)


def detect_options(inc_audit: str) -> dict[str, bool]:
    """Which of the Scale issue's options ``inc-audit run --help`` lists."""
    result = subprocess.run([inc_audit, "run", "--help"], capture_output=True, text=True, env=child_env())
    text = result.stdout
    return {option: re.search(rf"(?<![\w-]){re.escape(option)}(?![\w-])", text) is not None for option in NEW_OPTIONS}


@dataclass
class Run:
    """A row of the runs table."""

    name: str
    incidents: int
    wall: float | None = None
    requests: int | None = None
    max_rss: int | None = None
    note: str = ""
    skipped: str | None = None
    report: dict[str, Any] | None = field(default=None, repr=False)
    by_iid: Counter[int] = field(default_factory=Counter, repr=False)
    other_requests: int = 0

    @property
    def per_incident(self) -> float | None:
        return self.requests / self.incidents if self.requests is not None and self.incidents else None


def requests_by_iid(fake: FakeGitLab) -> tuple[Counter[int], int]:
    """Requests per issue iid (notes, links, awards, the issue itself), and the rest (lists...)."""
    per_iid: Counter[int] = Counter()
    other = 0
    for request in fake.requests:
        match = _ISSUE_PATH.search(request.path)
        if match:
            per_iid[int(match.group(1))] += 1
        else:
            other += 1
    return per_iid, other


class Auditor:
    """Runs ``inc-audit run`` against a fake GitLab, in a subprocess."""

    def __init__(self, inc_audit: str, options: dict[str, bool], workdir: Path) -> None:
        self.inc_audit = inc_audit
        self.options = options
        self.workdir = workdir

    @property
    def has_cache(self) -> bool:
        return self.options["--cache"]

    def run(self, fake: FakeGitLab, name: str, incidents: int, cache: Path | None) -> Run:
        slug = re.sub(r"\W+", "-", name).strip("-")
        output = self.workdir / f"{slug}.json"
        command = audit_command(self.inc_audit, fake.url, output, "--retry-budget", "30")
        if cache is not None and self.has_cache:
            command += ["--cache", str(cache)]
        fake.clear_logs()
        say(f"{name}: inc-audit run ({incidents} incidents)")
        child = run_child(command, self.workdir, slug)
        if child.returncode not in (0, 1):
            raise BenchError(f"{name}: inc-audit exited {child.returncode}:\n{child.tail()}")
        if fake.errors:
            raise BenchError(f"{name}: the fake GitLab failed: {fake.errors[-1]!r}")
        per_iid, other = requests_by_iid(fake)
        report = json.loads(output.read_text(encoding="utf-8"))
        return Run(
            name,
            incidents,
            child.wall,
            len(fake.requests),
            child.max_rss,
            report=report,
            by_iid=per_iid,
            other_requests=other,
        )


# --------------------------------------------------------------------------- findings


def findings_of(report: dict[str, Any], iids: set[int] | None = None) -> set[tuple[Any, ...]]:
    """A JSON report's findings as a set, each one (iid, rule, severity, message, where, section, line)."""
    return {
        (incident["iid"], f["rule"], f["severity"], f["message"], f.get("where"), f.get("section"), f.get("line"))
        for incident in report["incidents"]
        if iids is None or incident["iid"] in iids
        for f in incident["findings"]
    }


def result_findings(result: Any) -> set[tuple[Any, ...]]:
    return {
        (incident.key.iid, f.rule, f.severity, f.message, f.where, f.section, f.line)
        for incident in result.incidents
        for f in incident.findings
    }


def rules_by_iid(report: dict[str, Any]) -> dict[int, set[str]]:
    return {incident["iid"]: {f["rule"] for f in incident["findings"]} for incident in report["incidents"]}


EXPECTED_RULES = {
    synthetic.COMPLIANT_EMOJI: set(),
    synthetic.COMPLIANT_COMMENT: set(),
    synthetic.OPEN: set(),
    synthetic.HALF_EMPTY: {"INC002"},
    synthetic.NO_CHANGE: {"CHG001"},
    synthetic.NO_POST_MORTEM: {"IPM001"},
    synthetic.UNAPPROVED: {"IPM003"},
}


def mix_mismatches(project: synthetic.Project, report: dict[str, Any]) -> list[str]:
    """Incidents whose findings are not the rules their kind was generated to break."""
    found = rules_by_iid(report)
    wrong = []
    for incident in project.incidents:
        got = found.get(incident.iid)
        if got != EXPECTED_RULES[incident.kind]:
            wrong.append(f"#{incident.iid} ({incident.kind}): {sorted(got) if got is not None else 'not audited'}")
    return wrong


def describe_difference(expected: set[Any], actual: set[Any]) -> str:
    if expected == actual:
        return f"same ({len(actual)} findings)"
    missing, extra = expected - actual, actual - expected
    sample = sorted(missing | extra, key=repr)[:3]
    return f"DIFFERENT: {len(missing)} missing, {len(extra)} extra, e.g. {sample}"


def store_source(fake: FakeGitLab, project_path: str) -> MemorySource:
    """The fake's current data as an in-memory source: what an audit should find right now."""
    with fake.lock:
        home = fake.find_project(project_path)
        assert home is not None
        users = {user.id: user.username for user in fake.users.values()}
        records = [issue for issue in fake.issues.values() if issue.project_id == home.id]
        by_id = {issue.id: issue for issue in fake.issues.values()}
        issues: dict[IssueKey, Issue] = {}
        awards: dict[tuple[IssueKey, int], tuple[Award, ...]] = {}
        for record in records:
            key = IssueKey(project_path, record.iid)
            notes = tuple(
                Note(n.id, n.body, users[n.author_id], n.created_at, n.system, n.updated_at) for n in record.notes
            )
            for n in record.notes:
                awards[(key, n.id)] = tuple(Award(a.name, users[a.user_id], a.created_at) for a in n.awards)
            issues[key] = Issue(
                key=key,
                title=record.title,
                description=record.description,
                labels=tuple(record.labels),
                issue_type=record.issue_type,
                state=record.state,
                author=users[record.author_id],
                created_at=record.created_at,
                updated_at=record.updated_at,
                closed_at=record.closed_at if record.state == "closed" else None,
                confidential=record.confidential,
                notes=tuple(sorted(notes, key=lambda n: (n.created_at, n.id))),
            )
        links: dict[IssueKey, tuple[LinkedIssue, ...]] = {}
        for record in records:
            others = [by_id[link.other(record.id)] for link in fake.links_of(record)]
            links[IssueKey(project_path, record.iid)] = tuple(
                issues[IssueKey(project_path, other.iid)].as_linked() for other in others if other.project_id == home.id
            )
    return MemorySource(issues, links, awards, {"kind": "memory"})


def oracle_findings(fake: FakeGitLab) -> set[tuple[Any, ...]]:
    config = config_module.load(CONFIG)
    as_of = parse_time(synthetic.AS_OF)
    assert as_of is not None
    return result_findings(run_audit(store_source(fake, PROJECT), config, as_of))


# --------------------------------------------------------------------------- the steps


@dataclass
class Served:
    project: synthetic.Project
    fake: FakeGitLab
    export: Path


def serve(n: int, workdir: Path, name: str, latency: float, compliant_only: bool = False) -> Served:
    say(f"{name}: generating {n} incidents{' (all compliant)' if compliant_only else ''}")
    project = synthetic.generate(n, compliant_only=compliant_only)
    export = project.write(workdir / f"{name}-export")
    say(
        f"{name}: {n} incidents, {project.changes} change tickets, "
        f"{sum(len(i['notes']) for i in project.writer.issues.values())} notes; loading the fake GitLab"
    )
    fake = FakeGitLab.from_export(export, PROJECT)
    fake.latency = latency
    fake.start()
    return Served(project, fake, export)


def naive_baseline(served: Served, workdir: Path, sample: int | None) -> tuple[Run, Run | None, dict[str, Any]]:
    """The naive baseline, measured on ``sample`` incidents; a projection to all when sampled."""
    n = len(served.project.incidents)
    fake = served.fake
    output, stats_file = workdir / "naive.json", workdir / "naive-stats.json"
    command = [
        sys.executable,
        str(BENCH / "naive_baseline.py"),
        "--url",
        fake.url,
        "--project",
        PROJECT,
        "--config",
        str(CONFIG),
        "--as-of",
        synthetic.AS_OF,
        "--output",
        str(output),
        "--stats",
        str(stats_file),
    ]
    if sample is not None and sample < n:
        command += ["--sample", str(sample)]
    fake.clear_logs()
    read = min(sample or n, n)
    say(f"naive baseline: python-gitlab, one call at a time ({read} of {n} incidents)")
    child = run_child(command, workdir, "naive")
    if child.returncode != 0:
        raise BenchError(f"naive baseline exited {child.returncode}:\n{child.tail()}")
    stats = json.loads(stats_file.read_text(encoding="utf-8"))
    per_iid, other = requests_by_iid(fake)
    report = json.loads(output.read_text(encoding="utf-8"))
    measured = Run(
        "naive baseline" + (f" (measured on {read} of {n})" if read < n else ""),
        read,
        child.wall,
        len(fake.requests),
        child.max_rss,
        report=report,
        by_iid=per_iid,
        other_requests=other,
    )
    if read >= n:
        measured.incidents = n
        return measured, None, stats
    factor = n / read
    per_incident_seconds = stats["reading_seconds"] + stats["audit_seconds"]
    wall = child.wall - per_incident_seconds + per_incident_seconds * factor
    requests = other + round(sum(per_iid.values()) * factor)
    projected = Run(
        f"naive baseline (projected to {n})",
        n,
        wall,
        requests,
        None,
        note=f"listing measured in full; reads and audit of {read} incidents x {factor:.2f}",
    )
    measured.note = "peak RSS of the sampled run"
    return measured, projected, stats


def warm_breakdown(run: Run, cold_report: dict[str, Any], changed: Iterable[int] = ()) -> dict[str, Any]:
    """Where a warm run's requests went, by what the cold run found on each incident.

    Incidents in ``changed`` (edited or approved since) are counted apart.
    """
    changed = set(changed)
    rules = {iid: found for iid, found in rules_by_iid(cold_report).items() if iid not in changed}
    awaiting = {iid for iid, found in rules.items() if "IPM003" in found}
    edit_only = {iid for iid, found in rules.items() if found and "IPM003" not in found}
    clean = {iid for iid, found in rules.items() if not found}
    counts = run.by_iid
    return {
        "changed_incidents": len(changed),
        "changed_requests": sum(counts[i] for i in changed),
        "edit_only_incidents": len(edit_only),
        "edit_only_requests": sum(counts[i] for i in edit_only),
        "awaiting_incidents": len(awaiting),
        "awaiting_requests": sum(counts[i] for i in awaiting),
        "awaiting_max_per_incident": max((counts[i] for i in awaiting), default=0),
        "clean_incidents": len(clean),
        "clean_requests": sum(counts[i] for i in clean),
        "other_issue_requests": sum(c for i, c in counts.items() if i not in rules and i not in changed),
        "listing_and_setup_requests": run.other_requests,
    }


def change_things(served: Served) -> tuple[list[str], set[int]]:
    """Edit 5 descriptions (bumping updated_at) and approve one unapproved post-mortem by emoji."""
    project, fake = served.project, served.fake
    done: list[str] = []
    touched: set[int] = set()
    half_empty = project.by_kind(synthetic.HALF_EMPTY)[:3]
    compliant = project.by_kind(synthetic.COMPLIANT_EMOJI)[:2]
    edits: list[tuple[synthetic.Incident, str, str]] = [
        (incident, project.description(incident, incident.full_report), "report completed") for incident in half_empty
    ]
    if compliant:
        first = compliant[0]
        extended = first.full_report._replace(evidence=(first.full_report.evidence or "") + "\n\nDashboard link added.")
        edits.append((first, project.description(first, extended), "evidence extended"))
    if len(compliant) > 1:
        second = compliant[1]
        edits.append(
            (
                second,
                project.description(second, second.full_report._replace(evidence="TBD")),
                "evidence replaced by TBD",
            )
        )
    with fake.lock:
        for incident, text, what in edits:
            issue = fake.issue(PROJECT, incident.iid)
            assert issue is not None
            issue.description = text
            issue.updated_at = fake_now()
            done.append(f"#{incident.iid} {what}")
            touched.add(incident.iid)
        for incident in project.by_kind(synthetic.UNAPPROVED)[:1]:
            assert incident.post_mortem_note is not None
            note = fake.notes[incident.post_mortem_note]
            fake.add_award(note, "thumbsup", user="alice", created_at=fake_now())
            done.append(f"#{incident.iid} post-mortem approved by alice (thumbsup)")
            touched.add(incident.iid)
    return done, touched


def parse_benchmark(count: int, rounds: int) -> dict[str, Any]:
    """inc_audit.reading.markdown.parse + the report schema's problems() vs bare mistune, same bodies."""
    import mistune

    from inc_audit.reading.markdown import parse
    from inc_audit.reading.schemas import load

    say(f"parsing: generating {count} filled report bodies")
    bodies = list(synthetic.report_bodies(count))
    schema = load("report")
    bare = mistune.create_markdown(renderer=None)
    for body in bodies[:50]:  # warm both up (imports, regex compilation, lru caches of the parser)
        bare(body)
        validity.problems(schema, parse(body))
    bare_times, ours_times = [], []
    flagged = 0
    for number in range(rounds):
        say(f"parsing: round {number + 1} of {rounds}, bare mistune then inc-audit, {count} bodies each")
        started = time.perf_counter()
        for body in bodies:
            bare(body)
        bare_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        flagged = 0
        for body in bodies:
            if validity.problems(schema, parse(body)):
                flagged += 1
        ours_times.append(time.perf_counter() - started)
    bare_best, ours_best = min(bare_times), min(ours_times)
    return {
        "bodies": count,
        "rounds": rounds,
        "bare_seconds": bare_best,
        "inc_audit_seconds": ours_best,
        "ratio": ours_best / bare_best,
        "bodies_with_problems": flagged,
        "mean_body_chars": sum(map(len, bodies)) / len(bodies),
    }


# --------------------------------------------------------------------------- printing


def table(headers: list[str], rows: Iterable[list[str]], right: Iterable[int] = ()) -> str:
    rows = [list(map(str, row)) for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    right = set(right)

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def fmt_seconds(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"


def fmt_mb(value: int | None) -> str:
    return "n/a" if value is None else f"{value / MB:.0f}"


def fmt_ratio(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}x"


def ratio(slow: Run | None, fast: Run | None) -> float | None:
    if slow is None or fast is None or slow.wall is None or fast.wall is None or fast.wall <= 0:
        return None
    return slow.wall / fast.wall


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="The Scale benchmark: inc-audit vs a naive python-gitlab audit, on the fake GitLab.",
    )
    parser.add_argument("--incidents", type=int, default=None, help="incidents in the project (1000; --quick: 100)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="fake GitLab latency per request (20)")
    parser.add_argument("--quick", action="store_true", help="100 incidents, 2,000 parsed bodies, no 5,000 step")
    parser.add_argument(
        "--baseline-sample",
        default=None,
        metavar="K|all",
        help="incidents the naive baseline reads, spread evenly, projected to all (min(250, N/4); 'all' for every one)",
    )
    parser.add_argument(
        "--memory-incidents",
        type=int,
        default=None,
        help="incidents of the peak-memory step (5000; --quick: skipped); 0 skips it",
    )
    parser.add_argument(
        "--memory-latency-ms",
        type=float,
        default=0.0,
        help="fake GitLab latency during the peak-memory step (0: memory does not depend on it)",
    )
    parser.add_argument("--parse-bodies", type=int, default=None, help="bodies to parse (10000; --quick: 2000)")
    parser.add_argument(
        "--inc-audit",
        default=None,
        metavar="COMMAND",
        help="the inc-audit executable to measure (default: the one beside this python)",
    )
    parser.add_argument("--json", type=Path, default=None, metavar="FILE", help="also write the measurements as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (exports, reports, logs)")
    args = parser.parse_args(argv)
    args.incidents = args.incidents or (100 if args.quick else 1000)
    if args.memory_incidents is None:
        args.memory_incidents = 0 if args.quick else 5000
    args.parse_bodies = args.parse_bodies or (2000 if args.quick else 10_000)
    args.parse_rounds = 1 if args.quick else 2
    if args.baseline_sample is None:
        args.sample = min(250, max(1, -(-args.incidents // 4)))
    elif str(args.baseline_sample).lower() == "all":
        args.sample = None
    else:
        args.sample = int(args.baseline_sample)
    return args


def main(argv: list[str] | None = None) -> int:
    global _SPAWNER
    args = parse_args(argv)
    _SPAWNER = Spawner()  # first, while this process is small
    compile_bytecode()
    inc_audit = args.inc_audit or inc_audit_command()
    options = detect_options(inc_audit)
    workdir = Path(tempfile.mkdtemp(prefix="inc-audit-bench-"))
    latency = args.latency_ms / 1000
    missing_cache = "n/a (option missing: --cache)"
    say(
        f"work folder {workdir}; options found: " + ", ".join(f"{o} {'yes' if v else 'no'}" for o, v in options.items())
    )
    auditor = Auditor(inc_audit, options, workdir)
    runs: list[Run] = []
    checks: list[tuple[str, str]] = []
    details: dict[str, Any] = {}
    failed_checks = 0
    try:
        startup = run_child([inc_audit, "--version"], workdir, "version")

        # 1-2. the project, served with a fixed latency
        main_served = serve(args.incidents, workdir, "main", latency)
        n = args.incidents
        try:
            # 3. the naive baseline
            naive, projected, naive_stats = naive_baseline(main_served, workdir, args.sample)
            runs.append(naive)
            if projected is not None:
                runs.append(projected)
            baseline = projected or naive

            # 4. inc-audit cold, warm, after changes
            cache = workdir / "cache-main"
            cache.mkdir()
            cold = auditor.run(main_served.fake, "inc-audit cold", n, cache)
            runs.append(cold)
            assert cold.report is not None and naive.report is not None

            # 5. the same findings?
            sampled = {incident["iid"] for incident in naive.report["incidents"]}
            verdict = describe_difference(findings_of(naive.report), findings_of(cold.report, sampled))
            scope = f"on the {len(sampled)} incidents it read" if len(sampled) < n else f"on all {n} incidents"
            checks.append((f"naive baseline vs inc-audit cold, findings {scope}", verdict))
            failed_checks += not verdict.startswith("same")
            wrong = mix_mismatches(main_served.project, cold.report)
            checks.append(
                (
                    "inc-audit cold vs the generated mix (rules each incident was made to break)",
                    "as generated" if not wrong else f"DIFFERENT for {len(wrong)}: {wrong[:3]}",
                )
            )
            failed_checks += bool(wrong)

            warm = changed = None
            if auditor.has_cache:
                warm = auditor.run(main_served.fake, "inc-audit warm, nothing changed", n, cache)
                runs.append(warm)
                assert warm.report is not None
                verdict = describe_difference(findings_of(cold.report), findings_of(warm.report))
                checks.append(("inc-audit warm vs cold, findings", verdict))
                failed_checks += not verdict.startswith("same")
                details["warm_breakdown"] = warm_breakdown(warm, cold.report)

                done, touched = change_things(main_served)
                details["changes"] = done
                changed = auditor.run(main_served.fake, "inc-audit warm, after 5 edits + 1 approval", n, cache)
                changed.note = f"{len(done)} changes, listed below"
                runs.append(changed)
                assert changed.report is not None
                say("changed run: auditing the fake's current data in-process, for the expected findings")
                verdict = describe_difference(oracle_findings(main_served.fake), findings_of(changed.report))
                checks.append(("inc-audit after changes vs an in-process audit of the changed data", verdict))
                failed_checks += not verdict.startswith("same")
                details["changed_breakdown"] = warm_breakdown(changed, cold.report, touched)
            else:
                runs.append(Run("inc-audit warm, nothing changed", n, skipped=missing_cache))
                runs.append(Run("inc-audit warm, after 5 edits + 1 approval", n, skipped=missing_cache))
        finally:
            main_served.fake.stop()

        # every incident compliant: cold then warm
        compliant_cold = compliant_warm = None
        if auditor.has_cache:
            served = serve(n, workdir, "compliant", latency, compliant_only=True)
            try:
                cache = workdir / "cache-compliant"
                cache.mkdir()
                compliant_cold = auditor.run(served.fake, "compliant project, cold", n, cache)
                compliant_warm = auditor.run(served.fake, "compliant project, warm, nothing changed", n, cache)
                runs += [compliant_cold, compliant_warm]
                assert compliant_cold.report is not None and compliant_warm.report is not None
                empty = not findings_of(compliant_cold.report) and not findings_of(compliant_warm.report)
                checks.append(("compliant project: no finding, cold and warm", "none" if empty else "FINDINGS"))
                failed_checks += not empty
            finally:
                served.fake.stop()
        else:
            runs.append(Run("compliant project, cold", n, skipped=missing_cache + ", only needed for warm"))
            runs.append(Run("compliant project, warm, nothing changed", n, skipped=missing_cache))

        # peak memory at 5,000 incidents
        memory = None
        if args.memory_incidents > 0:
            m = args.memory_incidents
            served = serve(m, workdir, "memory", args.memory_latency_ms / 1000)
            try:
                cache = workdir / "cache-memory"
                cache.mkdir()
                memory = auditor.run(served.fake, f"peak memory, {m} incidents, cold", m, cache)
                memory.note = f"latency {args.memory_latency_ms:g} ms"
                runs.append(memory)
            finally:
                served.fake.stop()

        # parsing
        parsing = parse_benchmark(args.parse_bodies, args.parse_rounds)
    finally:
        _SPAWNER.close()
        if args.keep:
            say(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)

    # 6. the tables
    print_report(
        sys.argv[1:] if argv is None else argv,
        args,
        options,
        startup,
        runs,
        checks,
        details,
        baseline,
        naive,
        naive_stats,
        cold,
        warm,
        compliant_cold,
        compliant_warm,
        memory,
        parsing,
    )
    if args.json is not None:
        args.json.write_text(
            json.dumps(
                {
                    "arguments": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
                    "options": options,
                    "startup_seconds": startup.wall,
                    "runs": [{k: v for k, v in vars(r).items() if k not in ("report", "by_iid")} for r in runs],
                    "checks": checks,
                    "details": details,
                    "parsing": parsing,
                },
                indent=2,
                default=str,
            )
            + "\n",
            encoding="utf-8",
        )
    return 1 if failed_checks else 0


def print_report(
    argv: list[str],
    args: argparse.Namespace,
    options: dict[str, bool],
    startup: Child,
    runs: list[Run],
    checks: list[tuple[str, str]],
    details: dict[str, Any],
    baseline: Run,
    naive: Run,
    naive_stats: dict[str, Any],
    cold: Run,
    warm: Run | None,
    compliant_cold: Run | None,
    compliant_warm: Run | None,
    memory: Run | None,
    parsing: dict[str, Any],
) -> None:
    out = print
    n = args.incidents
    out()
    out("command: " + " ".join(["python bench/run_bench.py", *argv]))
    out(
        f"inc-audit Scale benchmark: {n} incidents, fake GitLab latency {args.latency_ms:g} ms/request, "
        f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
    )
    out(
        "options of inc-audit run: "
        + ", ".join(f"{o} {'yes' if v else 'MISSING'}" for o, v in options.items())
        + " (defaults used, --cache pointed at a fresh folder per project)"
    )
    out(
        f"process start (inc-audit --version): {startup.wall:.2f} s, {startup.max_rss / MB:.0f} MB; "
        "included in every inc-audit wall time below"
    )
    out()
    rows = []
    for run in runs:
        if run.skipped:
            rows.append([run.name, str(run.incidents), "n/a", "n/a", "n/a", "n/a", run.skipped])
            continue
        per = run.per_incident
        rows.append(
            [
                run.name,
                str(run.incidents),
                fmt_seconds(run.wall),
                str(run.requests),
                "n/a" if per is None else f"{per:.3f}",
                fmt_mb(run.max_rss),
                run.note,
            ]
        )
    out(
        table(
            ["run", "incidents", "wall s", "requests", "req/incident", "peak RSS MB", "notes"],
            rows,
            right=(1, 2, 3, 4, 5),
        )
    )
    out()
    speedup = ratio(baseline, cold)
    warm_ratio = ratio(cold, warm)
    compliant_ratio = ratio(compliant_cold, compliant_warm)
    projected_note = f" (naive projected from {naive.incidents} of {n} incidents)" if baseline is not naive else ""
    out(f"cold vs naive baseline: {fmt_ratio(speedup)} faster{projected_note}")
    out(
        f"warm vs cold, some violating: {fmt_ratio(warm_ratio)} faster"
        if warm_ratio
        else "warm vs cold, some violating: n/a (option missing: --cache)"
    )
    out(
        f"warm vs cold, every incident compliant: {fmt_ratio(compliant_ratio)} faster"
        if compliant_ratio
        else "warm vs cold, every incident compliant: n/a (option missing: --cache)"
    )
    out(
        f"naive baseline: {naive_stats['setup_and_listing_seconds']:.2f} s connecting and listing "
        f"{naive_stats['listed']} incidents, "
        f"{naive_stats['reading_seconds']:.2f} s reading {naive_stats['read']}, {naive_stats['audit_seconds']:.2f} s "
        "auditing them"
    )
    breakdown = details.get("warm_breakdown")
    if breakdown:
        out(
            f"warm, nothing changed: {breakdown['edit_only_requests']} request(s) for the "
            f"{breakdown['edit_only_incidents']} incidents whose violations only an edit fixes; "
            f"{breakdown['awaiting_requests']} for the {breakdown['awaiting_incidents']} awaiting approval "
            f"(max {breakdown['awaiting_max_per_incident']} per incident); {breakdown['clean_requests']} for the "
            f"{breakdown['clean_incidents']} without violation; {breakdown['other_issue_requests']} for other issues; "
            f"{breakdown['listing_and_setup_requests']} listing and setup"
        )
    changed = details.get("changed_breakdown")
    if changed:
        out("changes before the last warm run: " + "; ".join(details.get("changes", [])))
        out(
            f"after changes: {changed['changed_requests']} request(s) for the {changed['changed_incidents']} "
            f"incidents changed; of the others, {changed['edit_only_requests']} for edit-only violating ones, "
            f"{changed['awaiting_requests']} for those awaiting approval, {changed['clean_requests']} for those "
            f"without violation, {changed['other_issue_requests']} for other issues; "
            f"{changed['listing_and_setup_requests']} listing and setup"
        )
    out(
        f"parsing {parsing['bodies']} filled report bodies (mean {parsing['mean_body_chars']:.0f} chars, best of "
        f"{parsing['rounds']}): inc-audit parse + problems() {parsing['inc_audit_seconds']:.2f} s, "
        f"bare mistune {parsing['bare_seconds']:.2f} s, ratio {parsing['ratio']:.2f}x"
    )
    out()
    out(table(["check", "result"], [list(c) for c in checks]))
    out()

    def mark(ok: bool | None) -> str:
        return "n/a" if ok is None else ("PASS" if ok else "FAIL")

    targets = []
    targets.append(
        [
            "cold audit vs naive baseline",
            ">= 20x faster",
            fmt_ratio(speedup) + projected_note,
            mark(None if speedup is None else speedup >= 20),
        ]
    )
    per_cold = cold.per_incident
    targets.append(
        [
            "requests per incident, cold",
            "<= 3",
            "n/a" if per_cold is None else f"{per_cold:.3f}",
            mark(None if per_cold is None else per_cold <= 3),
        ]
    )
    per_warm = compliant_warm.per_incident if compliant_warm else None
    targets.append(
        [
            "requests per incident, warm, nothing changed, every incident compliant",
            "<= 0.05",
            "n/a (option missing: --cache)" if per_warm is None else f"{per_warm:.3f}",
            mark(None if per_warm is None else per_warm <= 0.05),
        ]
    )
    if breakdown:
        ok = breakdown["edit_only_requests"] == 0 and breakdown["awaiting_max_per_incident"] <= 1
        measured = (
            f"{breakdown['edit_only_requests']} for {breakdown['edit_only_incidents']} edit-only; "
            f"{breakdown['awaiting_requests']} for {breakdown['awaiting_incidents']} awaiting approval "
            f"(max {breakdown['awaiting_max_per_incident']}/incident)"
        )
    else:
        ok, measured = None, "n/a (option missing: --cache)"
    targets.append(
        [
            "warm, nothing changed, some violating",
            "0 per edit-only incident, <= 1 per awaiting approval",
            measured,
            mark(ok),
        ]
    )
    targets.append(
        [
            "warm vs cold, every incident compliant",
            ">= 20x faster",
            "n/a (option missing: --cache)" if compliant_ratio is None else fmt_ratio(compliant_ratio),
            mark(None if compliant_ratio is None else compliant_ratio >= 20),
        ]
    )
    if memory is not None and memory.max_rss is not None:
        label = f"{memory.max_rss / MB:.0f} MB at {memory.incidents} incidents"
        verdict = mark(memory.max_rss < 200 * MB) if memory.incidents == 5000 else "n/a (not at 5,000)"
        targets.append(["peak memory at 5,000 incidents", "< 200 MB", label, verdict])
    else:
        targets.append(
            ["peak memory at 5,000 incidents", "< 200 MB", "not measured (--quick or --memory-incidents 0)", "n/a"]
        )
    targets.append(
        [
            f"parsing {parsing['bodies']:,} real-template bodies vs bare mistune",
            "within 2x",
            f"{parsing['ratio']:.2f}x",
            mark(parsing["ratio"] <= 2),
        ]
    )
    out(table(["target", "goal", "measured", "result"], targets))
    out()
    out(f"benchmark wall time: {time.perf_counter() - START:.0f} s")


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as error:
        print(f"run_bench: error: {error}", file=sys.stderr)
        sys.exit(2)
