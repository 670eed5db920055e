"""The live sources read a cold audit in parallel and stream it: candidates' keys first (REST
list pages by number, in parallel), then the issues by iid in concurrent batches, in order, a
bounded window ahead; what was kept of an incident is dropped by ``release``."""

from __future__ import annotations

from typing import Any

import pytest
from fakegitlab import API_TOKEN, PROJECT, FakeGitLab
from fakegitlab import api as fake_api

from inc_audit.errors import SourceError
from inc_audit.model import IssueKey
from inc_audit.sources.graphql import reads as graphql_reads
from inc_audit.sources.graphql.client import GraphQL
from inc_audit.sources.graphql.source import GraphQLSource
from inc_audit.sources.http.session import connect
from inc_audit.sources.rest.source import GitLabSource
from tests.test_graphql_source import INC, incidents, operations

ISSUES = "GET /projects/:project/issues"
GRAPHQL = "POST /api/graphql"


def rest(fake: FakeGitLab, concurrency: int = 4, budget: float = 20.0) -> GitLabSource:
    gl = connect(fake.url, API_TOKEN, timeout=budget, retry_budget=budget, backoff=0.01)
    return GitLabSource(gl, project=PROJECT, concurrency=concurrency)


def graphql(fake: FakeGitLab, concurrency: int = 4) -> GraphQLSource:
    gl = connect(fake.url, API_TOKEN, timeout=20.0, retry_budget=20.0, backoff=0.01)
    return GraphQLSource(gl, GraphQL(gl, API_TOKEN, timeout=20.0), project=PROJECT, concurrency=concurrency)


def listed_pages(fake: FakeGitLab) -> list[tuple[str, str]]:
    """(labels or issue_type, page) of every list request, in the order GitLab answered them."""
    found = []
    for request in fake.requests:
        query = dict(request.query)
        if request.endpoint == ISSUES and "iids[]" not in query:
            found.append((query.get("labels") or query.get("issue_type") or "", query.get("page", "1")))
    return found


# --- the keys: REST list pages by number ------------------------------------------------------


def test_list_keys_reads_the_announced_pages_by_number_each_once(fake: FakeGitLab) -> None:
    made = incidents(fake, 250, notes=0)
    live = rest(fake)
    fake.clear_logs()
    keys = live.list_keys(INC)
    assert keys == sorted(IssueKey(PROJECT, issue.iid) for issue in made)
    pages = listed_pages(fake)
    # page 1 of each list first (labelled INC, "incident" without INC, incidents without either),
    # and page 2 of the first, as 4 readers leave room for (``first_pages``)
    assert sorted(pages[:4]) == [("INC", "1"), ("INC", "2"), ("incident", "1"), ("incident", "1")]
    assert pages[4:] == [("INC", "3")]  # announced by X-Total-Pages, asked by number
    assert all(dict(r.query).get("order_by") == "created_at" and dict(r.query).get("sort") == "asc"
               for r in fake.requests if r.endpoint == ISSUES)


def test_a_list_gitlab_does_not_count_is_followed_by_its_links(
    fake: FakeGitLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = incidents(fake, 250, notes=0)
    monkeypatch.setattr(fake_api, "COUNT_LIMIT", 100)  # GitLab leaves out X-Total-Pages beyond 10,000
    live = rest(fake)
    fake.clear_logs()
    assert live.list_keys(INC) == sorted(IssueKey(PROJECT, issue.iid) for issue in made)
    # pages 1 and 2 at once (``first_pages``), then the next by page 2's link
    assert [page for label, page in listed_pages(fake) if label == "INC"][2:] == ["3"]
    assert sorted(page for label, page in listed_pages(fake) if label == "INC") == ["1", "2", "3"]


def test_a_failing_page_ends_the_listing_in_one_line(fake: FakeGitLab) -> None:
    incidents(fake, 250, notes=0)
    live = rest(fake, budget=1.0)
    fake.fault_on(r"/issues$", status=500)
    with pytest.raises(SourceError) as failed:
        live.list_keys(INC)
    assert "\n" not in failed.value.message and "listing" in failed.value.message


# --- the entries: in order, concurrent, a bounded window ahead --------------------------------


@pytest.mark.parametrize("api", ["rest", "graphql"])
def test_read_entries_gives_every_entry_in_the_order_asked(fake: FakeGitLab, api: str) -> None:
    made = incidents(fake, 130, notes=1)
    live = rest(fake) if api == "rest" else graphql(fake)
    keys = sorted((IssueKey(PROJECT, issue.iid) for issue in made), key=lambda k: -k.iid)  # any order
    gone = IssueKey(PROJECT, 9999)  # not in GitLab: left out
    read = list(live.read_entries([*keys[:70], gone, *keys[70:]]))
    assert [key for key, _ in read] == keys
    assert all(raw["iid"] == key.iid and raw["title"].startswith("incident") for key, raw in read)
    assert dict(live.list_candidates(INC)).keys() == set(keys)


def test_graphql_reads_a_bounded_window_ahead(fake: FakeGitLab, monkeypatch: pytest.MonkeyPatch) -> None:
    made = incidents(fake, 100, notes=1)
    monkeypatch.setattr(graphql_reads, "BATCH", 10)  # 10 iids an alias, 2 aliases a query: 5 queries
    live = graphql(fake, concurrency=2)
    keys = sorted(IssueKey(PROJECT, issue.iid) for issue in made)
    fake.clear_logs()
    entries = live.read_entries(keys)
    first = next(entries)
    assert first[0] == keys[0]
    assert operations(fake).count("Read") <= 3  # two in flight, one more once the first is taken
    assert [key for key, _ in entries] == keys[1:]
    assert operations(fake).count("Read") == 5


def test_candidate_issues_stream_in_order_with_their_notes(fake: FakeGitLab) -> None:
    made = incidents(fake, 120, notes=3)
    live = graphql(fake)
    fake.clear_logs()
    issues = list(live.candidate_issues(INC))
    assert [issue.iid for issue in issues] == sorted(issue.iid for issue in made)
    assert all(len(issue.notes) == 4 for issue in issues)  # 3 comments and the post-mortem
    assert fake.counts()[GRAPHQL] == 1  # 120 by iid: two aliases in one query


# --- release ----------------------------------------------------------------------------------


def test_graphql_release_drops_the_notes_and_award_emoji_of_one_incident(fake: FakeGitLab) -> None:
    made = incidents(fake, 3, notes=1)
    live = graphql(fake)
    first, second = (IssueKey(PROJECT, issue.iid) for issue in made[:2])
    issues = {issue.key: issue for issue in live.candidate_issues(INC)}
    note = issues[first].notes[-1].id  # the post-mortem, approved with an award
    assert live.raw_awards(first, note) and live.linked_issues(first)
    fake.clear_logs()
    live.release(first)
    assert first not in live._read_notes and not any(k[0] == first for k in live._awards)
    assert second in live._read_notes  # the others' stay until they are released
    assert first not in live._linked and first not in live._links  # its links too
    assert fake.requests == []
    assert [a["name"] for a in live.raw_awards(first, note)] == ["thumbsup"]  # read again when asked
    assert live.linked_issues(first)  # a later rule asking for its links has them (the same read)
    assert operations(fake) == ["Read"]


def test_rest_release_drops_the_award_emoji_read_for_one_incident(fake: FakeGitLab) -> None:
    made = incidents(fake, 2, notes=0)
    live = rest(fake)
    issues = {issue.key: issue for issue in live.candidate_issues(INC)}
    first, second = sorted(issues)
    awards: dict[IssueKey, Any] = {key: live.raw_awards(key, issues[key].notes[-1].id) for key in (first, second)}
    assert all(awards.values()) and len(made) == 2
    fake.clear_logs()
    live.release(first)
    live.raw_awards(second, issues[second].notes[-1].id)
    assert fake.requests == []  # the other's stay memoized
    live.raw_awards(first, issues[first].notes[-1].id)
    assert [r.endpoint for r in fake.requests] == ["GET /projects/:project/issues/:iid/notes/:note/award_emoji"]


def test_streaming_with_release_keeps_a_bounded_window(fake: FakeGitLab, monkeypatch: pytest.MonkeyPatch) -> None:
    made = incidents(fake, 200, notes=1)
    monkeypatch.setattr(graphql_reads, "BATCH", 10)  # 20 incidents a query, 2 queries in flight
    live = graphql(fake, concurrency=2)
    held = []
    for issue in live.candidate_issues(INC):
        held.append(len(live._read_notes) + len(live._award_notes))
        live.release(issue.key)
    assert len(held) == len(made)
    assert max(held) <= 2 * (3 * 20)  # the queries read ahead and the one being served, never all 200
    assert live._read_notes == {} and live._award_notes == {}
