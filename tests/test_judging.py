"""Judging on a second core (``inc_audit.judging``): a forked helper judges some incidents, and
the audit's findings are the ones it reaches alone, whatever the helper does.

The audit's side (``_Handing`` in ``inc_audit.audit``) is tested with stand-in helpers that
answer right, wrong, not at all or die; the helper process itself in a fresh interpreter (a
fork copies only the calling thread, and the test process runs the fake GitLab's threads);
the whole in real ``inc-audit run`` processes against the fake GitLab, with ``--jobs 1``
and ``--jobs 2`` compared finding for finding.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from fakegitlab import API_TOKEN, PROJECT, FakeGitLab

from inc_audit.audit import run_audit
from inc_audit.config.file import Config
from inc_audit.judging import Helper, Judged, _Held, answered_alike
from inc_audit.model import Award, Issue, IssueKey
from inc_audit.rules import judge
from inc_audit.sources.interface import AtHand
from tests.conftest import AS_OF, EXAMPLE_CONFIG, MemorySource, change_ticket, incident, note

ROOT = Path(__file__).resolve().parents[1]
INC_AUDIT = shutil.which("inc-audit", path=str(Path(sys.executable).parent)) or "inc-audit"


@dataclass
class HeldSource(MemorySource):
    """A memory source that hands the helper its links and award emoji (``lie``: wrong links)."""

    lie: bool = False
    held: list[IssueKey] = field(default_factory=list)

    def answers_at_hand(self, key: IssueKey) -> AtHand | None:
        self.held.append(key)
        links = self.linked_issues(key)
        self.asked.pop()  # not a question of the rules
        links = () if self.lie else links
        notes = next(i.notes for i in self.issues if i.key == key)
        return AtHand(key, links, {n.id: self.awards.get((key, n.id), ()) for n in notes})


class StandIn:
    """A helper in this process: judges what it is handed (``judging`` "right"), gives up on
    each ("cannot"), or dies after the third ("dies")."""

    def __init__(self, judging: str = "right", depth: int = 2) -> None:
        self.judging, self.depth = judging, depth
        self.broken = False
        self.accepted = 0
        self.pending: list[tuple[Issue, AtHand]] = []
        self.config: Config | None = None
        self.handed = 0

    def begin(self, config: Config, as_of: Any) -> None:
        self.config, self.as_of = config, as_of

    def has_room(self) -> bool:
        return not self.broken and len(self.pending) < self.depth

    def hand(self, issue: Issue, held: AtHand) -> bool:
        self.pending.append((issue, held))
        self.handed += 1
        return True

    def judged(self, wait: bool = False) -> Iterator[Judged]:
        if self.judging == "dies" and self.handed >= 3:
            self.broken = True
            return
        while self.pending:
            issue, held = self.pending.pop(0)
            assert self.config is not None
            if self.judging == "cannot":
                yield Judged(issue.key, None)
                continue
            source = _Held(held)
            verdict = judge(issue, self.config, source, self.as_of)
            yield Judged(issue.key, verdict, tuple(source.questions))


def project() -> HeldSource:
    """Closed incidents with and without a change, post-mortems approved and not."""
    source = HeldSource()
    report_only = incident(1)
    approved = incident(2, notes=(note(20, "## Post-mortem\nRoot cause: a bad deploy.", days_ago=25),))
    change = change_ticket(3)
    source.add(report_only, approved, change, incident(4, state="opened", closed_at=None), incident(5))
    source.link(approved, change)
    source.award(approved, 20, "thumbsup", "alice")
    return source


def rows(result: Any) -> list[tuple[Any, ...]]:
    return sorted((str(i.key), f.rule, f.severity, f.message, f.section) for i in result.incidents
                  for f in i.findings) + sorted(str(i.key) for i in result.incidents)


@pytest.mark.parametrize("judging", ["right", "cannot", "dies"])
def test_the_findings_are_the_audits_own_whatever_the_helper_does(config: Config, judging: str) -> None:
    alone = rows(run_audit(project(), config, AS_OF))
    helper = StandIn(judging)
    source = project()
    result = run_audit(source, config, AS_OF, helper=helper)  # type: ignore[arg-type]
    assert rows(result) == alone
    assert helper.handed >= 3 and (not helper.pending or judging == "dies")  # a dead helper keeps its share
    taken = {"right": helper.handed, "cannot": 0, "dies": helper.handed - len(helper.pending)}[judging]
    assert helper.accepted == taken
    assert judging != "dies" or helper.pending  # handed, never judged by it: the audit judged them
    assert any("INC" in r[1] or "IPM" in r[1] or "CHG" in r[1] for r in alone if len(r) > 1)


def test_a_verdict_reached_on_other_answers_is_judged_again(config: Config) -> None:
    """The helper had links the source does not give: the audit asks, sees them differ, judges."""
    source = project()
    source.lie = True
    helper = StandIn("right")
    result = run_audit(source, config, AS_OF, helper=helper)  # type: ignore[arg-type]
    assert rows(result) == rows(run_audit(project(), config, AS_OF))
    assert IssueKey(PROJECT, 2) in source.held  # the incident with a linked change, held without it
    assert helper.accepted < helper.handed


def test_the_audit_asks_the_source_what_the_helpers_rules_asked(config: Config) -> None:
    """A cache stores what the rules asked: it must be asked as if the audit had judged."""
    alone = project()
    run_audit(alone, config, AS_OF)
    helped = project()
    run_audit(helped, config, AS_OF, helper=StandIn("right"))  # type: ignore[arg-type]
    assert sorted(helped.asked) == sorted(alone.asked) and alone.asked


def test_the_held_source_answers_only_what_it_holds() -> None:
    key, other = IssueKey(PROJECT, 1), IssueKey(PROJECT, 2)
    award = Award("thumbsup", "alice")
    held = _Held(AtHand(key, (), {7: (award,)}))
    assert held.linked_issues(key) == () and held.note_awards(key, 7) == (award,)
    assert held.refresh_awards(key, 7) is None  # a source whose awards are never stale
    for ask in (lambda: held.linked_issues(other), lambda: held.note_awards(key, 8),
                lambda: held.issue_summary(other), lambda: _Held(AtHand(key, None)).linked_issues(key)):
        with pytest.raises(Exception, match="of|issue") as raised:
            ask()
        assert type(raised.value).__name__ == "Beyond"
    assert held.questions == [("links", key, 0), ("awards", key, 7), ("refresh", key, 7)]
    fresh = _Held(AtHand(key, (), {7: (award,)}, refreshes=True))
    assert fresh.refresh_awards(key, 7) == (award,)
    with pytest.raises(Exception, match="afresh"):
        fresh.refresh_awards(key, 8)


def test_answered_alike_compares_every_answer_in_order() -> None:
    source = MemorySource()
    key = IssueKey(PROJECT, 1)
    source.awards[(key, 7)] = (Award("thumbsup", "alice"),)
    held = AtHand(key, (), {7: (Award("thumbsup", "alice"),)})
    assert answered_alike(source, held, (("links", key, 0), ("awards", key, 7), ("refresh", key, 7)))
    assert source.asked == [f"links {key}", f"awards {key} 7"]
    assert not answered_alike(source, replace(held, awards={7: ()}), (("awards", key, 7),))
    assert not answered_alike(source, replace(held, refreshes=True), (("refresh", key, 7),))


def test_no_helper_is_forked_while_threads_run(config: Config) -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert Helper.start(config, AS_OF) is None
    finally:
        stop.set()
        thread.join()


HELPER_SCRIPT = textwrap.dedent("""
    import json, os, signal, sys
    sys.path.insert(0, {tests!r})
    from conftest import AS_OF, EXAMPLE_CONFIG, incident, note
    from inc_audit.config import file as config_module
    from inc_audit.judging import Helper, _Held
    from inc_audit.rules import judge
    from inc_audit.sources.interface import AtHand
    config = config_module.load(EXAMPLE_CONFIG)
    helper = Helper.start(config, AS_OF)
    assert helper is not None, "no helper"
    helper.begin(config, AS_OF)
    issues = [incident(i, notes=(note(10 * i, "## Post-mortem\\nRoot cause: a typo."),)) for i in range(1, 6)]
    out = {{"same": [], "questions": []}}
    held = {{i.key: AtHand(i.key, (), {{10 * i.iid: ()}}) for i in issues}}
    for issue in issues[:2]:
        assert helper.hand(issue, held[issue.key])
    for judged in helper.judged(wait=True):
        here = _Held(held[judged.key])
        alone = judge(next(i for i in issues if i.key == judged.key), config, here, AS_OF)
        out["same"].append(judged.verdict == alone and judged.verdict.findings != ())
        out["questions"].append(judged.questions == tuple(here.questions))
    out["left"] = helper.in_flight
    os.kill(helper.pid, signal.SIGKILL)
    os.waitpid(helper.pid, 0)
    out["handed_to_dead"] = helper.hand(issues[2], AtHand(issues[2].key, (), {{}}))
    out["judged_by_dead"] = len(list(helper.judged(wait=True)))
    out["broken"] = helper.broken
    out["stopped"] = helper.stopped
    print(json.dumps(out))
""")


def test_the_helper_process_judges_and_its_death_is_seen(tmp_path: Path) -> None:
    script = tmp_path / "helper.py"
    script.write_text(HELPER_SCRIPT.format(tests=str(ROOT / "tests")), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["same"] == [True, True] and out["left"] == 0
    assert out["questions"] == [True, True]
    assert out["judged_by_dead"] == 0 and out["broken"] is True and out["stopped"] == "it was gone"


# --- real runs -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def synthetic_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The benchmark's synthetic project of 160 incidents, 20 awaiting approval, as an export."""
    sys.path.insert(0, str(ROOT / "bench"))
    import api_compare  # noqa: PLC0415
    import synthetic  # noqa: PLC0415

    with api_compare.awaiting_mix(160, 20):
        return Path(synthetic.generate(160).write(tmp_path_factory.mktemp("synthetic")))


@pytest.fixture(scope="module")
def synthetic_gitlab(synthetic_export: Path) -> Iterator[FakeGitLab]:
    with FakeGitLab.from_export(synthetic_export, PROJECT) as server:
        yield server


def audit(gitlab: FakeGitLab, folder: Path, *args: str) -> tuple[list[Any], str]:
    folder.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("CI")} | {"GITLAB_TOKEN": API_TOKEN}
    command = [INC_AUDIT, "run", "--gitlab-url", gitlab.url, "--project", PROJECT, "--config", str(EXAMPLE_CONFIG),
               "--as-of", "2026-06-01T00:00:00Z", "--format", "json", "--output", str(folder / "audit.json"),
               "-v", "--no-progress", *args]
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr[-2000:]
    report = json.loads((folder / "audit.json").read_text(encoding="utf-8"))
    return [(i["iid"], i.get("findings")) for i in report["incidents"]], done.stderr


@pytest.mark.parametrize("reading", [
    ("--api", "graphql", "--cache", "{cache}"),
    ("--api", "graphql", "--no-cache"),
    ("--api", "rest", "--no-cache"),
])
def test_two_processes_reach_the_findings_of_one(synthetic_gitlab: FakeGitLab, tmp_path: Path,
                                                 reading: tuple[str, ...]) -> None:
    def args(jobs: str) -> list[str]:
        return [a.format(cache=tmp_path / f"cache-{jobs}") for a in reading] + ["--jobs", jobs]

    alone, said_alone = audit(synthetic_gitlab, tmp_path / "one", *args("1"))
    helped, said = audit(synthetic_gitlab, tmp_path / "two", *args("2"))
    assert helped == alone and len(alone) >= 150
    assert "a second process judged" not in said_alone
    judged = int(said.split("a second process judged ")[1].split()[0])
    assert judged > 0, said
    if "--cache" in reading:  # warm: the verdicts the helper reached were kept like the audit's
        warm, said_warm = audit(synthetic_gitlab, tmp_path / "warm", *args("2"))
        assert warm == alone
        assert "verdicts" in said_warm or "from the cache" in said_warm


def test_warm_loads_what_the_first_incident_would(config: Config) -> None:
    """After ``warm``, judging an incident loads no schema the rules had not loaded."""
    from inc_audit.reading import schemas
    from inc_audit.rules import warm

    approved = incident(2, notes=(note(20, "## Post-mortem\nRoot cause: a bad deploy."),
                                  note(21, "Approved at the IPM meeting.", author="alice")))
    schemas.load.cache_clear()
    warm(config, AS_OF)
    loaded = schemas.load.cache_info()
    assert loaded.currsize >= 2  # the report's and the post-mortem's schemas at least
    judge(approved, config, MemorySource().add(approved), AS_OF)
    assert schemas.load.cache_info().misses == loaded.misses


def test_warm_never_fails(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    from inc_audit.errors import ConfigError
    from inc_audit.rules import warm

    def unreadable(self: Config, kind: str) -> Any:
        raise ConfigError(f"schema {kind} cannot be read")

    monkeypatch.setattr(Config, "schema", unreadable)
    assert warm(config, AS_OF) is None


def test_what_cannot_be_handed_over_stops_the_helper_not_the_audit(config: Config) -> None:
    """A configuration pickle cannot carry (a function in it) is no crash: the audit judges alone."""
    down_r, down_w = os.pipe()
    up_r, up_w = os.pipe()
    helper = Helper(0, down_w, up_r)  # no process: close() signals nothing
    try:
        helper.begin(replace(config, calendar=lambda: None), AS_OF)  # type: ignore[arg-type]
        assert helper.broken and helper.stopped.startswith("begin: ")
        assert not helper.has_room() and not helper.hand(incident(1), AtHand(IssueKey(PROJECT, 1), ()))
    finally:
        helper.close()
        for fd in (down_r, up_w):
            os.close(fd)


@pytest.mark.parametrize(("v2", "v1", "period", "limited"), [
    ("max 100000\n", None, None, False),
    ("100000 100000\n", None, None, True),  # docker --cpus=1
    ("150000 100000\n", None, None, True),  # 1.5 cores: one whole
    ("400000 100000\n", None, None, False),
    (None, "-1\n", "100000\n", False),
    (None, "50000\n", "100000\n", True),
    ("garbled\n", None, None, False),
])
def test_a_containers_cpu_quota_counts_as_cores(tmp_path: Path, v2: str | None, v1: str | None, period: str | None,
                                                limited: bool) -> None:
    from inc_audit.judging import cores

    files = (tmp_path / "cpu.max", tmp_path / "v1" / "cpu.cfs_quota_us")
    files[1].parent.mkdir()
    for path, text in ((files[0], v2), (files[1], v1), (files[1].parent / "cpu.cfs_period_us", period)):
        if text is not None:
            path.write_text(text, encoding="ascii")
    machine = cores((tmp_path / "none", tmp_path / "none"))
    assert cores(files) == (1 if limited else min(machine, 4 if v2 and v2.startswith("4") else machine))


@pytest.mark.parametrize(("v2", "v1", "room"), [
    ("max\n", None, True),
    (str(512 << 20) + "\n", None, False),  # a runner given 512 MiB
    (str(4 << 30) + "\n", None, True),
    (None, str(256 << 20) + "\n", False),
    (None, "9223372036854771712\n", True),  # cgroup v1's "no limit"
    (None, None, True),
])
def test_a_container_with_little_memory_gets_no_helper(tmp_path: Path, v2: str | None, v1: str | None,
                                                       room: bool) -> None:
    from inc_audit.judging import roomy

    files = (tmp_path / "memory.max", tmp_path / "memory.limit_in_bytes")
    for path, text in zip(files, (v2, v1), strict=True):
        if text is not None:
            path.write_text(text, encoding="ascii")
    assert roomy(files) is room


def test_jobs_beyond_two_is_refused_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run([INC_AUDIT, "run", "--jobs", "3", "--export", str(ROOT / "examples" / "umami-export")],
                          capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 2 and "--jobs" in done.stderr and "Traceback" not in done.stderr


CLOSE_SCRIPT = textwrap.dedent("""
    import os, sys
    sys.path.insert(0, {tests!r})
    from conftest import AS_OF, EXAMPLE_CONFIG
    from inc_audit.config import file as config_module
    from inc_audit.judging import Helper
    helper = Helper.start(config_module.load(EXAMPLE_CONFIG), AS_OF)
    assert helper is not None
    os.kill(helper.pid, 19)  # SIGSTOP: a helper that would never read its pipe's end
    os.waitpid(helper.pid, os.WUNTRACED)  # stopped for sure (a SIGTERM would then stay pending)
    helper.close()
    print("closed")
""")


def test_close_ends_the_helper_whatever_it_is_doing(tmp_path: Path) -> None:
    script = tmp_path / "close.py"
    script.write_text(CLOSE_SCRIPT.format(tests=str(ROOT / "tests")), encoding="utf-8")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 0 and done.stdout.strip() == "closed", done.stderr
    # (closing its pipe alone would leave a stopped helper waited on until the timeout fails the test)


def test_an_export_is_judged_on_two_cores_only_when_asked(synthetic_export: Path, tmp_path: Path) -> None:
    """``--jobs 2`` on an export: the same report, byte for byte, as one process; by default one."""
    export = synthetic_export
    reports = {}
    for jobs in ("1", "2", None):
        folder = tmp_path / f"jobs-{jobs}"
        folder.mkdir()
        command = [INC_AUDIT, "run", "--export", str(export), "--config", str(EXAMPLE_CONFIG), "--as-of",
                   "2026-06-01T00:00:00Z", "--format", "json", "--output", str(folder / "audit.json"), "-v",
                   "--no-progress", *(["--jobs", jobs] if jobs else [])]
        env = {k: v for k, v in os.environ.items() if not k.startswith("CI")}
        done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 1, done.stderr[-2000:]
        reports[jobs] = (folder / "audit.json").read_bytes()
        judged = "a second process judged" in done.stderr
        assert judged is (jobs == "2"), done.stderr[-500:]
        if jobs == "2":
            assert int(done.stderr.split("a second process judged ")[1].split()[0]) > 0
    assert reports["1"] == reports["2"] == reports[None]


def test_an_exports_answers_hold_every_notes_award_emoji() -> None:
    """The export read every note's award emoji: a note without any has none, not an unknown."""
    from inc_audit.sources.export.source import ExportSource

    source = ExportSource(ROOT / "examples" / "umami-export")
    for issue in source.candidate_issues(("INC", "incident")):
        held = source.answers_at_hand(issue.key)
        assert held is not None and held.complete
        assert held.links == source.linked_issues(issue.key)
        for comment in issue.notes:
            assert held.awards_of(comment.id) == source.note_awards(issue.key, comment.id)
    assert any(h is not None and h.awards for h in map(source.answers_at_hand, source.summaries))  # some have
    assert _Held(AtHand(IssueKey(PROJECT, 1), (), {}, complete=True)).note_awards(IssueKey(PROJECT, 1), 99) == ()


def _children(pid: int) -> list[int]:
    try:
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc")
@pytest.mark.parametrize("sig", ["SIGTERM", "SIGINT", "SIGKILL"])
def test_an_audit_ended_by_a_signal_leaves_no_helper_behind(synthetic_gitlab: FakeGitLab, tmp_path: Path,
                                                            sig: str) -> None:
    import signal
    import time

    synthetic_gitlab.latency = 0.3  # the audit is still reading when the signal comes
    env = {k: v for k, v in os.environ.items() if not k.startswith("CI")} | {"GITLAB_TOKEN": API_TOKEN}
    command = [INC_AUDIT, "run", "--gitlab-url", synthetic_gitlab.url, "--project", PROJECT, "--config",
               str(EXAMPLE_CONFIG), "--api", "graphql", "--no-cache", "--jobs", "2", "--output",
               str(tmp_path / "audit.txt")]
    try:
        audit = subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        helpers: list[int] = []
        for _ in range(200):  # the helper is forked first thing; wait until it shows
            helpers = _children(audit.pid)
            if helpers or audit.poll() is not None:
                break
            time.sleep(0.05)
        assert helpers and audit.poll() is None
        audit.send_signal(getattr(signal, sig))
        audit.communicate(timeout=60)
        for _ in range(200):
            if not any(map(_running, helpers)):
                break
            time.sleep(0.05)
        assert not any(map(_running, helpers)), f"the helper outlived an audit ended by {sig}"
    finally:
        synthetic_gitlab.latency = 0.0
