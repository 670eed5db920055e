"""Parallel reads, one keep-alive session, and the request budget, against the fake GitLab."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses
from fakegitlab import API_TOKEN, PROJECT, FakeGitLab

from inc_audit.audit import read_ahead, run_audit
from inc_audit.config import file as config_module
from inc_audit.errors import SourceError
from inc_audit.findings import AuditResult
from inc_audit.sources.export.source import ExportSource
from inc_audit.sources.http.budget import RequestBudget, RetryPolicy
from inc_audit.sources.http.parallel import ordered_map
from inc_audit.sources.http.session import configure, connect, get_json
from inc_audit.sources.rest.pages import first_pages
from inc_audit.sources.rest.source import GitLabSource
from tests.conftest import AS_OF, EXAMPLE_CONFIG, EXAMPLE_EXPORT, filled_report

CONFIG = config_module.load(EXAMPLE_CONFIG)
LABELS = CONFIG.incident_labels


@pytest.fixture
def fake() -> Iterator[FakeGitLab]:
    with FakeGitLab.from_export(EXAMPLE_EXPORT, PROJECT) as server:
        yield server
    assert server.errors == []


def client(fake: FakeGitLab, budget: float = 5.0, **options: Any) -> Any:
    return connect(fake.url, API_TOKEN, timeout=2.0, retry_budget=budget, backoff=0.01, **options)


def audit(fake: FakeGitLab, concurrency: int, ahead: bool = True, **options: Any) -> AuditResult:
    source = GitLabSource(client(fake, **options), project=PROJECT, concurrency=concurrency)
    if ahead:
        read_ahead(source, CONFIG, AS_OF)
    return run_audit(source, CONFIG, AS_OF)


def exported() -> AuditResult:
    return run_audit(ExportSource(EXAMPLE_EXPORT, project=PROJECT), CONFIG, AS_OF)


def same_findings(a: AuditResult, b: AuditResult) -> bool:
    def key(result: AuditResult) -> list[tuple[Any, ...]]:
        return [(i.key, i.state, i.findings) for i in result.incidents]

    return key(a) == key(b)


# --- parallel reads ------------------------------------------------------------------------


def test_eight_readers_give_the_same_issues_in_the_same_order_as_one(fake: FakeGitLab) -> None:
    fake.latency = 0.002
    gl = client(fake)
    one = list(GitLabSource(gl, project=PROJECT, concurrency=1).candidate_issues(LABELS))
    fake.slow_every, fake.slow_seconds = 4, 0.05  # answers come back out of order
    eight = list(GitLabSource(gl, project=PROJECT, concurrency=8).candidate_issues(LABELS))
    assert eight == one
    assert [(i.key.project, i.iid) for i in eight] == sorted((i.key.project, i.iid) for i in one)


def test_read_ahead_makes_the_same_requests_and_findings(fake: FakeGitLab) -> None:
    fake.clear_logs()
    plain = audit(fake, concurrency=1, ahead=False)
    sequential = fake.counts()
    fake.clear_logs()
    parallel = audit(fake, concurrency=8)
    counts, lists = fake.counts(), "GET /projects/:project/issues"
    assert {k: v for k, v in counts.items() if k != lists} == {k: v for k, v in sequential.items() if k != lists}
    # with 8 readers the keys' lists ask their first pages at once: on this small project, pages past their end
    spare = sum(first_pages(8, len(LABELS) + 1)) - sum(first_pages(1, len(LABELS) + 1))
    assert sequential[lists] <= counts[lists] <= sequential[lists] + spare
    assert plain == parallel
    assert same_findings(parallel, exported())


def test_the_readers_share_one_keep_alive_pool(fake: FakeGitLab, caplog: pytest.LogCaptureFixture) -> None:
    fake.latency = 0.005
    assert fake._httpd is not None
    opened = []
    original = fake._httpd.process_request_thread

    def counting(request: Any, address: Any) -> None:
        opened.append(address)
        original(request, address)

    fake._httpd.process_request_thread = counting  # type: ignore[method-assign]
    caplog.set_level(logging.WARNING, logger="urllib3.connectionpool")
    gl = client(fake)
    source = GitLabSource(gl, project=PROJECT, concurrency=16)
    read_ahead(source, CONFIG, AS_OF)
    fake.clear_logs()
    run_audit(source, CONFIG, AS_OF)
    requests_made = sum(fake.counts().values())
    assert requests_made > 30
    assert len(opened) <= 16 + 2 + 1  # the readers, the main thread, and GET /user's
    assert gl.session.get_adapter(gl.url)._pool_maxsize >= 16
    assert not [r for r in caplog.records if "pool is full" in r.getMessage()]


def test_a_failed_read_ends_the_scan_and_nothing_queued_starts(fake: FakeGitLab) -> None:
    source = GitLabSource(client(fake, budget=0.5), project=PROJECT, concurrency=4)
    fake.latency = 0.01
    fake.drop_after = 6
    with pytest.raises(SourceError):
        list(source.candidate_issues(LABELS))
    fake.drop_after = None
    fake.clear_logs()
    time.sleep(0.1)
    assert fake.requests == []  # no reader is still at work


def test_ordered_map_keeps_order_and_stops_early() -> None:
    started: list[int] = []
    lock = threading.Lock()

    def slow(n: int) -> int:
        with lock:
            started.append(n)
        time.sleep(0.002 * (n % 3))
        return n * n

    assert list(ordered_map(slow, list(range(40)), 4)) == [n * n for n in range(40)]
    started.clear()
    results = ordered_map(slow, list(range(1000)), 4)
    assert next(results) == 0
    results.close()
    assert len(started) <= 4 * 4 + 1

    def failing(n: int) -> int:
        if n == 5:
            raise SourceError("boom")
        return n

    with pytest.raises(SourceError, match="boom"):
        list(ordered_map(failing, list(range(100)), 4))


# --- faults, in parallel -------------------------------------------------------------------


def test_502s_and_429s_in_parallel_change_nothing(fake: FakeGitLab) -> None:
    expected = audit(fake, concurrency=1, ahead=False)
    fake.fail_every = 3
    fake.rate_limit_every = 4
    fake.retry_after = 0
    fake.clear_logs()
    assert audit(fake, concurrency=8) == expected
    statuses = [r.status for r in fake.requests]
    assert statuses.count(502) > 5 and statuses.count(429) > 5


def test_retry_after_is_honoured_in_parallel(fake: FakeGitLab) -> None:
    expected = audit(fake, concurrency=1, ahead=False)
    fake.rate_limit_every = 25
    fake.retry_after = 1
    start = time.monotonic()
    fake.clear_logs()
    assert audit(fake, concurrency=8) == expected
    assert 429 in [r.status for r in fake.requests] and time.monotonic() - start >= 1.0


def test_each_call_reads_its_own_answers_headers() -> None:
    """A 429's Retry-After in one thread is not the wait of another thread's 502."""
    base, api = "https://gitlab.example.com", "https://gitlab.example.com/api/v4"
    waits: dict[str, list[float]] = {"a": [], "b": []}
    barrier = threading.Barrier(2)
    with responses.RequestsMock() as mock:
        mock.get(f"{api}/user", json={"username": "bot"})
        gl = connect(base, "glpat-x", timeout=1.0, retry_budget=3.0)
        mock.get(f"{api}/a", status=429, headers={"Retry-After": "30"})
        mock.get(f"{api}/b", status=502)
        mock.get(f"{api}/b", json={"ok": True})

        def sleep(seconds: float) -> None:
            waits[threading.current_thread().name].append(seconds)
            time.sleep(min(seconds, 0.01))

        configure(gl, RetryPolicy(timeout=1.0, budget=3.0, backoff=0.01, sleep=sleep))
        outcome: dict[str, Any] = {}

        def run(name: str) -> None:
            barrier.wait()
            try:
                outcome[name] = get_json(gl, f"/{name}", f"reading {name}")
            except SourceError as error:
                outcome[name] = error

        threads = [threading.Thread(target=run, args=(name,), name=name) for name in ("a", "b")]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert isinstance(outcome["a"], SourceError) and "asked to wait 30s" in outcome["a"].message
    assert outcome["b"] == {"ok": True}
    assert waits["a"] == [] and waits["b"] and max(waits["b"]) < 1.0


# --- the request budget ------------------------------------------------------------------------


def small_project(count: int) -> FakeGitLab:
    fake = FakeGitLab()
    with fake.lock:
        for number in range(count):
            fake.add_issue(
                PROJECT, title=f"Incident {number}", description=filled_report(), labels=["INC"], issue_type="incident"
            )
    return fake


def test_max_rps_keeps_a_run_under_the_rate_limit() -> None:
    with small_project(5) as fake:
        gl = client(fake, max_rps=10)
        fake.rate_limit = (6, 0.5)  # 12 a second, in fixed windows: a burst of 8 readers would pass it
        source = GitLabSource(gl, project=PROJECT, concurrency=8)
        fake.clear_logs()
        start = time.monotonic()
        issues = list(source.candidate_issues(LABELS))
        elapsed = time.monotonic() - start
        statuses = [r.status for r in fake.requests]
    assert len(issues) == 5
    assert 429 not in statuses
    assert elapsed >= (len(statuses) - 1) / 10 * 0.95


def test_low_ratelimit_remaining_waits_for_the_reset_instead_of_a_429() -> None:
    with small_project(12) as fake:
        gl = client(fake, budget=10.0)
        fake.rate_limit = (10, 1.0)
        source = GitLabSource(gl, project=PROJECT, concurrency=8)
        fake.clear_logs()
        issues = list(source.candidate_issues(LABELS))
        statuses = [r.status for r in fake.requests]
    assert len(issues) == 12 and len(statuses) > 10
    assert 429 not in statuses


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def headers(limit: int, remaining: int, reset_in: float) -> dict[str, str]:
    return {
        "RateLimit-Limit": str(limit),
        "RateLimit-Remaining": str(remaining),
        "RateLimit-Reset": str(int(time.time() + reset_in)),
    }


def test_budget_paces_requests_at_max_rps() -> None:
    clock = Clock()
    policy = RetryPolicy(sleep=clock.sleep, clock=clock)
    budget = RequestBudget(max_rps=4)
    starts = []
    for _ in range(5):
        budget.acquire(policy, deadline=1e9)
        starts.append(clock.now)
        budget.release()
    assert [round(b - a, 6) for a, b in zip(starts, starts[1:], strict=False)] == [0.25] * 4
    with pytest.raises(Exception, match="max_rps"):
        RequestBudget(max_rps=0)


def test_budget_waits_for_the_reset_when_little_is_left_within_the_deadline() -> None:
    clock = Clock()
    policy = RetryPolicy(sleep=clock.sleep, clock=clock)
    budget = RequestBudget()
    budget.observe(200, headers(100, 50, 30), policy)
    budget.acquire(policy, deadline=clock.now + 60)
    budget.release()
    assert clock.sleeps == []
    budget.observe(200, headers(100, 9, 30), policy)  # below 10% left
    budget.acquire(policy, deadline=clock.now + 60)
    budget.release()
    assert 28 <= sum(clock.sleeps) <= 31
    clock.sleeps.clear()
    budget.observe(200, headers(100, 5, 3600), policy)
    budget.acquire(policy, deadline=clock.now + 60)  # the reset is past the retry budget: go
    assert clock.sleeps == []


def test_budget_with_a_tiny_limit_sends_one_request_a_window() -> None:
    clock = Clock()
    policy = RetryPolicy(sleep=clock.sleep, clock=clock)
    budget = RequestBudget()
    budget.observe(200, headers(1, 0, 2), policy)
    budget.acquire(policy, deadline=clock.now + 60)
    assert 1 <= sum(clock.sleeps) <= 2.1
    clock.sleeps.clear()
    budget.release()
    budget.acquire(policy, deadline=clock.now + 60)  # the new window is not known yet: go
    assert clock.sleeps == []
    budget.release()


def test_budget_keeps_the_lowest_remaining_of_a_window_and_ignores_older_windows() -> None:
    clock = Clock()
    policy = RetryPolicy(sleep=clock.sleep, clock=clock)
    budget = RequestBudget()
    budget.observe(200, headers(100, 40, 30), policy)
    budget.observe(200, headers(100, 60, 30), policy)  # an earlier answer arriving late
    assert budget.remaining == 40
    budget.observe(200, headers(100, 90, 90), policy)  # a new window
    assert budget.remaining == 90
    budget.observe(200, headers(100, 1, 30), policy)  # from the old window
    assert budget.remaining == 90
    budget.observe(429, {"Retry-After": "5"}, policy)  # one thread's 429 holds back the others
    assert budget.pause_until == clock.now + 5
    budget.acquire(policy, deadline=clock.now + 60)
    assert 4.9 <= sum(clock.sleeps) <= 5.1


def test_budget_is_shared_by_threads(fake: FakeGitLab) -> None:
    gl = client(fake, max_rps=50)
    source = GitLabSource(gl, project=PROJECT, concurrency=8)
    fake.clear_logs()
    start = time.monotonic()
    list(source.candidate_issues(LABELS))
    made = sum(fake.counts().values())
    assert time.monotonic() - start >= (made - 1) / 50 * 0.95


def test_a_bad_concurrency_is_a_config_error(fake: FakeGitLab) -> None:
    from inc_audit.errors import ConfigError

    with pytest.raises(ConfigError, match="concurrency"):
        GitLabSource(client(fake), project=PROJECT, concurrency=0)


def test_requests_sessions_are_not_recreated(fake: FakeGitLab) -> None:
    gl = client(fake)
    session = gl.session
    GitLabSource(gl, project=PROJECT, concurrency=32)
    assert gl.session is session and isinstance(session, requests.Session)
    assert session.get_adapter(gl.url)._pool_maxsize >= 32
