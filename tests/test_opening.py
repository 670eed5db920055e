"""A live audit's first requests, made at once: the listing started before the token check and
the project read have answered, the speculative first pages of the keys' lists, the own issues
listed as the token's user's, the cancellation that reaches every thread they start, and the
first reads by iid started from the listing's first pages."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from fakegitlab import API_TOKEN, PROJECT, READ_TOKEN, FakeGitLab

from inc_audit.cache.fingerprint import fingerprint
from inc_audit.cache.source import CachedSource
from inc_audit.errors import ConfigError, SourceError
from inc_audit.model import IssueKey
from inc_audit.publishing import ownership
from inc_audit.sources.graphql.client import GraphQL
from inc_audit.sources.graphql.early import FIRST_PAGE_WAIT
from inc_audit.sources.graphql.source import GraphQLSource
from inc_audit.sources.http.budget import cancelled_by, cancelling
from inc_audit.sources.http.parallel import beside, ordered_map
from inc_audit.sources.http.session import cancel_opening, checked, connect, token_user
from inc_audit.sources.rest.pages import first_pages
from inc_audit.sources.rest.source import GitLabSource
from tests.conftest import umami_config
from tests.test_graphql_source import INC, incidents, operations
from tests.test_live_parallel import ISSUES, listed_pages


def test_the_first_wave_asks_page_1_of_every_list_and_more_of_the_first_at_once(fake: FakeGitLab) -> None:
    made = incidents(fake, 850, notes=0)
    gl = connect(fake.url, API_TOKEN, timeout=20.0, retry_budget=20.0)
    fake.clear_logs()
    keys = GitLabSource(gl, project=PROJECT, concurrency=8).list_keys(INC)
    assert keys == sorted(IssueKey(PROJECT, issue.iid) for issue in made)
    assert first_pages(8, 3) == (6, 1, 1) and first_pages(1, 3) == (1, 1, 1) and first_pages(8, 1) == (8,)
    pages = listed_pages(fake)
    # pages 1 to 6 of the list labelled INC, page 1 of the two others ("incident" without INC,
    # incidents without either) at once; then the pages the INC list announced beyond them
    assert sorted(pages[:8]) == [("INC", str(n)) for n in range(1, 7)] + [("incident", "1"), ("incident", "1")]
    assert sorted(pages[8:]) == [("INC", "7"), ("INC", "8"), ("INC", "9")]


def test_a_listing_started_early_is_the_one_list_keys_gives(fake: FakeGitLab) -> None:
    made = incidents(fake, 150, notes=0)
    gl = connect(fake.url, API_TOKEN, timeout=20.0, retry_budget=20.0, wait=False)
    source = GitLabSource(gl, project=PROJECT, concurrency=8, wait=False)
    assert source.path == PROJECT and source.id == PROJECT  # as given, until GitLab answers
    source.start_listing(INC)
    checked(gl)
    source.opened()
    assert type(source.id) is int  # the project read has answered
    keys = source.list_keys(INC)
    assert keys == sorted(IssueKey(PROJECT, issue.iid) for issue in made)
    listed = sum(r.endpoint == ISSUES for r in fake.requests)
    assert listed == sum(first_pages(8, 3))  # the lists' first wave, once: list_keys asked nothing more
    assert all("%2F" in r.path for r in fake.requests if r.endpoint == ISSUES)  # the project by its path
    assert source.list_keys(INC) == keys  # asked again: listed again
    assert sum(r.endpoint == ISSUES for r in fake.requests) == 2 * listed


def test_a_failed_token_check_is_raised_where_it_is_awaited(fake: FakeGitLab) -> None:
    gl = connect(fake.url, "not-a-token", timeout=5.0, retry_budget=2.0, wait=False)
    source = GitLabSource(gl, project=PROJECT, wait=False)
    for wait in (lambda: checked(gl), source.opened, lambda: token_user(gl)):
        with pytest.raises(ConfigError, match=r"\(401\)"):
            wait()
    cancel_opening(gl)


def test_own_issues_are_the_token_users_listed_as_created_by_me(fake: FakeGitLab) -> None:
    ours = fake.add_issue(PROJECT, title="Incident policy audit", labels=["inc-audit"], author="alice")
    fake.add_issue(PROJECT, title="An incident alice opened", labels=["incident"], author="alice")
    fake.add_issue(PROJECT, title="Incident policy audit", labels=["inc-audit"], author="bob")
    gl = connect(fake.url, READ_TOKEN, timeout=20.0, retry_budget=20.0, wait=False)
    fake.clear_logs()
    me, own = ownership.own_issues(gl, (PROJECT,), (("inc-audit",),), ("Incident policy audit",))
    assert me.username == "alice"
    assert own == frozenset({f"{PROJECT}#{ours.iid}".lower()})  # alice's, and inc-audit's by its labels
    [listed] = [r for r in fake.requests if r.endpoint == ISSUES]
    assert dict(listed.query)["scope"] == "created_by_me" and "author_id" not in dict(listed.query)


def test_cancelling_a_caller_cancels_the_readers_it_starts() -> None:
    outer, stop = threading.Event(), threading.Event()
    with cancelled_by(outer):
        seen = list(ordered_map(lambda _: cancelling(), [1, 2, 3], workers=2))
        started = beside(cancelling, stop=stop).result()
    assert all(outer in events for events in seen)
    assert outer in started and stop in started
    assert cancelling() == ()


def early_source(fake: FakeGitLab, first_page: bool = False) -> GraphQLSource:
    """A cold GraphQL source of a project reading early; with ``first_page``, it asks the first
    incident label's first page with its first requests. Four readers: the listing's first wave
    is pages 1 and 2 of the INC list (``first_pages``), so a few hundred incidents leave it more."""
    gl = connect(fake.url, API_TOKEN, timeout=20.0, retry_budget=20.0, wait=False)
    source = GraphQLSource(gl, GraphQL(gl, API_TOKEN, timeout=20.0), project=PROJECT, concurrency=4, wait=False)
    source.early = lambda: True
    if first_page:
        source.start_first_page(INC)
    source.start_listing(INC)
    checked(gl)
    source.opened()
    return source


def test_the_first_pages_keys_are_read_while_the_listing_reads_the_others(fake: FakeGitLab) -> None:
    made = incidents(fake, 250, notes=3)
    fake.clear_logs()
    source = early_source(fake)
    issues = list(source.candidate_issues(INC))
    iids = [issue.iid for issue in issues]
    # the 200 INC incidents of the lists' first pages (2 of 100) were read first, the other 50 after
    first = sorted(issue.iid for issue in made)[:200]
    assert iids == first + sorted(set(iids) - set(first))
    assert sorted(iids) == sorted(issue.iid for issue in made)
    assert all(len(issue.notes) == 3 + 1 for issue in issues)  # and the post-mortem
    assert operations(fake).count("Read") == 2  # as many reads by iid as without: 200, then 50
    pages = listed_pages(fake)
    assert pages[-1] == ("INC", "3")  # the INC list's third page, read beside the first 200


def test_an_early_read_the_run_does_not_ask_for_is_dropped(fake: FakeGitLab) -> None:
    made = incidents(fake, 250, notes=0)
    source = early_source(fake)
    keys = source.list_keys(INC)
    one = IssueKey(PROJECT, made[-1].iid)
    assert [key for key, _ in source.read_entries([one])] == [one]  # not the early read's keys: it is dropped
    assert [key for key, _ in source.read_entries(keys)] == keys
    # the early reads (the first wave's 200, the 50 the listing's end started), the one issue, then all
    assert operations(fake).count("Read") == 1 + 1 + 1 + 2


def test_the_listings_end_starts_the_next_reads_before_they_are_asked(fake: FakeGitLab) -> None:
    made = incidents(fake, 250, notes=1)
    fake.clear_logs()
    source = early_source(fake)
    keys = source.list_keys(INC)  # its thread started the first wave's read (200), then the last's (50)
    deadline = time.monotonic() + 20
    while operations(fake).count("Read") < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert operations(fake).count("Read") == 2  # before anything asked for the entries
    assert keys[:200] == sorted(keys, key=lambda k: k.iid)[:200]  # the first wave's, then the last's
    read = [key for key, _ in source.read_entries(keys)]
    assert read == keys and sorted(k.iid for k in read) == sorted(i.iid for i in made)
    assert operations(fake).count("Read") == 2  # taken, not asked again


def held_listing(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """A gate the listing waits at once its pages are read, before it ends (``last_wave``)."""
    gate = threading.Event()
    original = GraphQLSource.last_wave

    def held(self: GraphQLSource, known: set[IssueKey]) -> None:
        assert gate.wait(30)
        original(self, known)

    monkeypatch.setattr(GraphQLSource, "last_wave", held)
    return gate


@pytest.mark.parametrize("cached", [False, True], ids=["no cache", "cold cache"])
def test_the_first_waves_incidents_are_audited_before_the_listing_is_done(
    fake: FakeGitLab, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, cached: bool
) -> None:
    made = incidents(fake, 450, notes=2)
    gate = held_listing(monkeypatch)
    fake.clear_logs()
    live = first_page_source(fake)
    source: GraphQLSource | CachedSource = live
    if cached:
        source = CachedSource(live, tmp_path / "cache", fingerprint(umami_config(), live.describe()))
    listed: list[int] = []
    source.on_listed = listed.append
    candidates = source.candidate_issues(INC)
    # the first page (the oldest and newest 100), then the other 100 of the listing's first two pages
    early = [next(candidates) for _ in range(300)]
    assert not gate.is_set() and not listed  # the listing has not ended
    by_creation = sorted(made, key=lambda issue: (issue.created_at, issue.id))
    assert sorted(issue.iid for issue in early[200:]) == sorted(issue.iid for issue in by_creation[100:200])
    assert operations(fake).count("Read") == 1
    gate.set()
    rest = list(candidates)
    assert listed == [450]
    iids = [issue.iid for issue in early + rest]
    assert sorted(iids) == sorted(issue.iid for issue in made) and len(set(iids)) == 450  # each once
    assert all(len(issue.notes) == 2 + 1 for issue in early + rest)  # and the post-mortem
    assert operations(fake).count("First") == 2 and operations(fake).count("Read") == 2  # 100, then 150
    if cached:
        gl = connect(fake.url, API_TOKEN, timeout=20.0, retry_budget=20.0)
        again = CachedSource(GraphQLSource(gl, GraphQL(gl, API_TOKEN, timeout=20.0), project=PROJECT),
                             tmp_path / "cache", source.fingerprint)
        warm = list(again.candidate_issues(INC))
        assert again.mode == "warm" and again.stats["incidents from the cache"] == 450
        assert [(i.iid, i.notes) for i in sorted(warm, key=lambda i: i.iid)] == [
            (i.iid, i.notes) for i in sorted(early + rest, key=lambda i: i.iid)
        ]


def first_page_source(fake: FakeGitLab) -> GraphQLSource:
    return early_source(fake, first_page=True)


def test_the_oldest_and_newest_incidents_are_audited_before_the_listing_is_done(fake: FakeGitLab) -> None:
    made = incidents(fake, 350, notes=3)
    fake.clear_logs()
    source = first_page_source(fake)
    candidates = source.candidate_issues(INC)
    listed: list[int] = []
    source.on_listed = listed.append
    first = [next(candidates) for _ in range(200)]
    assert not listed  # the listing has not been taken yet: these came from the first page
    by_creation = sorted(made, key=lambda issue: (issue.created_at, issue.id))
    ends = {issue.iid for issue in by_creation[:100] + by_creation[-100:]}
    assert [issue.iid for issue in first] == sorted(ends)  # the oldest and newest 100, by iid
    rest = list(candidates)
    assert listed == [350]
    iids = [issue.iid for issue in first + rest]
    assert sorted(iids) == sorted(issue.iid for issue in made) and len(set(iids)) == 350  # each once
    assert all(len(issue.notes) == 3 + 1 for issue in first + rest)  # and the post-mortem
    assert operations(fake).count("First") == 2
    assert operations(fake).count("Read") == 2  # the first wave (100 left of 200), then the 50 after


def test_the_first_page_gives_what_the_reads_by_iid_give(fake: FakeGitLab) -> None:
    incidents(fake, 60, notes=2)
    incidents(fake, 60, notes=2, approved=False)

    def read(source: GraphQLSource) -> dict[IssueKey, tuple[object, ...]]:
        return {i.key: (i, i.notes, source.linked_issues(i.key)) for i in source.candidate_issues(INC)}

    by_iid = read(early_source(fake))
    fake.clear_logs()
    paged = read(first_page_source(fake))
    assert paged == by_iid
    assert operations(fake).count("First") == 2 and operations(fake).count("Read") == 0  # 120: two ends of 100


def test_a_first_page_that_fails_leaves_its_incidents_to_the_reads_by_iid(fake: FakeGitLab, monkeypatch) -> None:
    made = incidents(fake, 150, notes=0)

    def refused(*_: object) -> dict[IssueKey, dict[str, object]]:
        raise ConfigError("GitLab refused the query")

    monkeypatch.setattr(GraphQLSource, "_read_page", refused)
    fake.clear_logs()
    iids = [issue.iid for issue in first_page_source(fake).candidate_issues(INC)]
    assert sorted(iids) == sorted(issue.iid for issue in made) and len(iids) == 150
    assert operations(fake).count("Read") == 1  # all 150 by iid, as without a first page (two aliases)


def test_no_first_page_is_taken_by_a_run_that_does_not_read_early(fake: FakeGitLab) -> None:
    incidents(fake, 30, notes=0)
    source = first_page_source(fake)
    source.early = lambda: False  # --api auto on a GitLab whose GraphQL cannot serve the audit
    assert source.take_first_page() == []
    assert len(list(source.candidate_issues(INC))) == 30


def test_a_first_wave_read_that_fails_ends_the_scan_with_its_error(
    fake: FakeGitLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    incidents(fake, 450, notes=0)
    gate = held_listing(monkeypatch)

    def refused(*_: object) -> dict[IssueKey, dict[str, object]]:
        raise SourceError("reading issues 101, 102 of umami-wallet/umami: GitLab answered 500")

    monkeypatch.setattr(GraphQLSource, "_read_query", refused)
    source = first_page_source(fake)
    candidates = source.candidate_issues(INC)
    assert len([next(candidates) for _ in range(200)]) == 200  # the first page
    with pytest.raises(SourceError, match="GitLab answered 500"):
        next(candidates)  # the first wave's read: the listing has not ended, the scan does
    gate.set()


def test_a_first_page_later_than_the_first_wave_is_not_read_again_by_the_last(
    fake: FakeGitLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = incidents(fake, 450, notes=0)
    gate = held_listing(monkeypatch)
    original = GraphQLSource._read_page

    def late(self: GraphQLSource, *args: object) -> dict[IssueKey, dict[str, object]]:
        time.sleep(FIRST_PAGE_WAIT + 0.5)  # the first wave is planned without it
        return original(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(GraphQLSource, "_read_page", late)
    fake.clear_logs()
    source = first_page_source(fake)
    candidates = source.candidate_issues(INC)
    early = [next(candidates) for _ in range(300)]  # the first page, then the first wave's 100 others
    gate.set()
    iids = [issue.iid for issue in early + list(candidates)]
    assert sorted(iids) == sorted(issue.iid for issue in made) and len(set(iids)) == 450
    # the first wave read the first page's oldest 100 again (it could not wait for them); the
    # last wave, planned once the page was taken, reads only the 150 no one read
    assert operations(fake).count("Read") == 2
