"""Unit tests of the GitLab API source and its retry helper, against ``responses``."""

from __future__ import annotations

import email.utils
import json
import re
import socket
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import requests
import responses

from inc_audit.errors import EXIT_INCOMPLETE, ConfigError, SourceError
from inc_audit.model import Award, Issue, IssueKey, LinkedIssue, Note, parse_time
from inc_audit.redaction import redact, safe_url
from inc_audit.sources.http.budget import RetryPolicy, retry_after
from inc_audit.sources.http.session import configure, connect
from inc_audit.sources.rest.pages import first_pages
from inc_audit.sources.rest.source import DEFAULT_CONCURRENCY, GitLabSource

BASE = "https://gitlab.example.com"
API = f"{BASE}/api/v4"
TOKEN = "glpat-S3cr3t-t0ken-value"

Handler = Callable[[dict[str, str]], "tuple[int, dict[str, str], Any]"]


class Api:
    """A routed fake of the REST API: (method, path) -> handler, with a request log."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.routes: dict[tuple[str, str], Handler] = {}
        self.log: list[tuple[str, str, dict[str, str]]] = []
        self.listed: list[dict[str, Any]] = []  # the issues the lists gave, for GitLab's iids[] filter
        for method in ("GET", "POST", "PUT"):
            mock.add_callback(method, re.compile(re.escape(API) + r"/.*"), callback=self._dispatch)

    def on(self, method: str, path: str, handler: Handler | Any) -> None:
        if not callable(handler):
            payload = handler
            handler = lambda query: (200, {}, payload)  # noqa: E731
        self.routes[(method, path)] = handler

    def pages(self, path: str, *pages: list[Any], link: bool = False) -> None:
        """A paginated list as GitLab pages it: offset (X-Next-Page and a Link to page=N), or
        keyset when ``link`` (a Link to an opaque cursor, no X-Next-Page)."""

        def handler(query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
            number = int(query.get("page", query.get("cursor", "1")))
            headers: dict[str, str] = {}
            if number < len(pages):
                if link:
                    headers["Link"] = f'<{API}{path}?cursor={number + 1}&per_page=100>; rel="next"'
                else:
                    headers["X-Next-Page"] = str(number + 1)
                    headers["Link"] = f'<{API}{path}?page={number + 1}&per_page=100>; rel="next"'
            return 200, headers, pages[number - 1] if number <= len(pages) else []  # past the end: empty

        self.on("GET", path, handler)

    def count(self, method: str, path: str) -> int:
        return sum(1 for m, p, _ in self.log if (m, p) == (method, path))

    def _dispatch(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        assert request.headers.get("PRIVATE-TOKEN") == TOKEN
        assert TOKEN not in str(request.url)
        parts = urlsplit(str(request.url))
        path = parts.path[len("/api/v4"):]
        pairs = parse_qsl(parts.query)
        query = dict(pairs)
        self.log.append((str(request.method), path, query))
        iids = [value for name, value in pairs if name == "iids[]"]
        if iids and request.method == "GET" and re.fullmatch(r"/projects/[^/]+/issues", path):
            return 200, {}, json.dumps(self._by_iid(unquote(path.split("/")[2]), iids))
        handler = self.routes.get((str(request.method), path))
        if handler is None:
            return 404, {}, json.dumps({"message": "404 Not Found"})
        status, headers, body = handler(query)
        if isinstance(body, Exception):
            raise body
        if status == 200 and path.endswith("/issues") and isinstance(body, list):
            self.listed += [raw for raw in body if isinstance(raw, dict)]
        return status, headers, body.decode() if isinstance(body, bytes) else json.dumps(body)

    def _by_iid(self, project: str, iids: list[str]) -> list[Any]:
        """GitLab's ``iids[]`` filter, over the issues the lists have given (the latest copy of each)."""
        found: dict[Any, Any] = {}
        for raw in self.listed:
            references = raw.get("references") if isinstance(raw.get("references"), dict) else {}
            home = str(raw.get("project_id")) == project or str(references.get("full", "")).startswith(f"{project}#")
            if home and str(raw.get("iid")) in iids:
                found[raw.get("iid")] = raw
        return list(found.values())


class Clock:
    """A fake clock that sleeping advances."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def api() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        server = Api(mock)
        server.on("GET", "/user", {"id": 1, "username": "audit-bot"})
        yield server


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def gl(api: Api, clock: Clock) -> Any:
    client = connect(BASE, TOKEN, timeout=2.0, retry_budget=30.0)
    configure(client, RetryPolicy(timeout=2.0, budget=30.0, backoff=0.5, sleep=clock.sleep,
                                  clock=clock))
    return client


def project_route(api: Api, path: str = "grp/proj", project_id: int = 7) -> None:
    encoded = path.replace("/", "%2F")
    api.on("GET", f"/projects/{encoded}",
           {"id": project_id, "path_with_namespace": path, "web_url": f"{BASE}/{path}"})


def raw_issue(iid: int, project_id: int = 7, path: str = "grp/proj", **extra: Any) -> dict:
    issue = {
        "id": 1000 + iid, "iid": iid, "project_id": project_id,
        "title": f"Issue {iid}", "description": f"Description {iid}",
        "labels": ["incident"], "issue_type": "incident", "state": "opened",
        "author": {"id": 2, "username": "alice"},
        "created_at": "2024-03-01T10:00:00.000Z", "updated_at": "2024-03-02T10:00:00.000Z",
        "closed_at": None, "confidential": False,
        "web_url": f"{BASE}/{path}/-/issues/{iid}",
        "references": {"full": f"{path}#{iid}"},
    }
    issue.update(extra)
    return issue


def raw_note(note_id: int, created: str, system: bool = False, body: str = "") -> dict:
    return {
        "id": note_id, "body": body or f"note {note_id}", "author": {"username": "bob"},
        "created_at": created, "updated_at": created, "system": system,
    }


def assert_clean(error: BaseException) -> None:
    assert TOKEN not in str(error)
    assert TOKEN not in repr(error.args)
    assert "\n" not in str(error)


# --- connecting and error translation ---------------------------------------------------


def test_missing_token_is_a_config_error() -> None:
    with pytest.raises(ConfigError) as caught:
        connect(BASE, None)
    assert caught.value.message == "GITLAB_TOKEN is not set"
    assert "read_api" in (caught.value.hint or "")
    with pytest.raises(ConfigError):
        connect(BASE, "   ")


def test_connect_checks_the_token_first(api: Api) -> None:
    connect(BASE, TOKEN)
    assert api.log[0][:2] == ("GET", "/user")


def test_401_says_the_token_was_refused(api: Api) -> None:
    api.on("GET", "/user", lambda q: (401, {}, {"message": f"401 Unauthorized {TOKEN}"}))
    with pytest.raises(ConfigError) as caught:
        connect(BASE, TOKEN)
    assert caught.value.message == "GitLab refused the token (401)"
    assert caught.value.hint == "check GITLAB_TOKEN: it may be expired or revoked"
    assert_clean(caught.value)


def test_403_says_the_token_lacks_access(api: Api, gl: Any) -> None:
    api.on("GET", "/projects/grp%2Fproj", lambda q: (403, {}, {"message": "403 Forbidden"}))
    with pytest.raises(ConfigError) as caught:
        GitLabSource(gl, project="grp/proj")
    assert caught.value.message.startswith("the token lacks access (403)")
    assert "read_api" in str(caught.value) and "member" in str(caught.value)
    assert_clean(caught.value)


def test_404_names_the_project(api: Api, gl: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        GitLabSource(gl, project="grp/missing")
    assert caught.value.message == "project grp/missing not found (404)"
    assert caught.value.hint == (
        "check --project / CI_PROJECT_PATH and that the token can see it"
    )
    assert_clean(caught.value)


def test_404_mid_scan_means_incomplete(api: Api, gl: Any) -> None:
    project_route(api)
    api.pages("/projects/7/issues", [raw_issue(1)])
    source = GitLabSource(gl, project="grp/proj")
    with pytest.raises(SourceError) as caught:
        list(source.candidate_issues(("incident",)))
    assert "404" in caught.value.message and "grp/proj#1" in caught.value.message
    assert caught.value.exit_code == EXIT_INCOMPLETE


def test_connection_error_is_a_source_error_naming_the_url(api: Api) -> None:
    """python-gitlab retries a refused connection (sleeping 0.1 s, 0.2 s, ... itself, on the
    real clock) until the next sleep and attempt would overrun the retry budget."""
    failure = requests.exceptions.ConnectionError(
        f"HTTPSConnectionPool(host='gitlab.example.com', port=443): Max retries exceeded with url:"
        f" /api/v4/projects?private_token={TOKEN} (Caused by NewConnectionError('[Errno 111]"
        " Connection refused'))"
    )
    api.on("GET", "/projects/grp%2Fproj", lambda q: (200, {}, failure))
    gl = connect(BASE, TOKEN, timeout=0.2, retry_budget=1.0)
    with pytest.raises(SourceError) as caught:
        GitLabSource(gl, project="grp/proj")
    error = caught.value
    assert error.exit_code == EXIT_INCOMPLETE
    assert BASE in error.message and "reading project grp/proj" in error.message
    assert "Connection refused" in error.message
    assert_clean(error)
    attempts = api.count("GET", "/projects/grp%2Fproj")
    assert attempts >= 3 and f"gave up after {attempts} attempts" in error.message


def test_timeout_is_retried_then_reported(api: Api) -> None:
    api.on("GET", "/projects/grp%2Fproj", lambda q: (200, {}, requests.exceptions.ReadTimeout()))
    gl = connect(BASE, TOKEN, timeout=0.2, retry_budget=1.0)
    with pytest.raises(SourceError, match="no answer before the timeout"):
        GitLabSource(gl, project="grp/proj")
    assert api.count("GET", "/projects/grp%2Fproj") >= 3


def test_a_tls_failure_is_not_retried(api: Api, gl: Any) -> None:
    """python-gitlab would retry it (an SSLError is a ConnectionError): a bad certificate stays bad."""
    failure = requests.exceptions.SSLError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")
    api.on("GET", "/projects/grp%2Fproj", lambda q: (200, {}, failure))
    with pytest.raises(SourceError, match="TLS failure .*CERTIFICATE_VERIFY_FAILED"):
        GitLabSource(gl, project="grp/proj")
    assert api.count("GET", "/projects/grp%2Fproj") == 1


def test_url_credentials_never_appear(api: Api) -> None:
    with pytest.raises(ConfigError) as caught:
        connect("ftp://user:hunter2@gitlab.example.com", TOKEN)
    assert "hunter2" not in str(caught.value)


# --- retries ------------------------------------------------------------------------------


def flaky(statuses: list[int], payload: Any, headers: dict[str, str] | None = None) -> Handler:
    """Answer each status of ``statuses`` once, then ``payload`` for good."""
    queue = list(statuses)

    def handler(query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        if queue:
            return queue.pop(0), dict(headers or {}), {"message": "try later"}
        return 200, {}, payload

    return handler


def test_502_then_200_is_retried(api: Api, gl: Any, clock: Clock) -> None:
    api.on("GET", "/projects/grp%2Fproj",
           flaky([502, 503], {"id": 7, "path_with_namespace": "grp/proj"}))
    source = GitLabSource(gl, project="grp/proj")
    assert source.path == "grp/proj"
    assert api.count("GET", "/projects/grp%2Fproj") == 3
    assert len(clock.sleeps) == 2 and clock.sleeps[1] > 0


def test_429_honours_retry_after(api: Api, gl: Any, clock: Clock) -> None:
    api.on("GET", "/projects/grp%2Fproj",
           flaky([429], {"id": 7, "path_with_namespace": "grp/proj"}, {"Retry-After": "7"}))
    GitLabSource(gl, project="grp/proj")
    assert clock.sleeps == [7.0]


def test_429_beyond_the_budget_gives_up_at_once(api: Api, gl: Any, clock: Clock) -> None:
    api.on("GET", "/projects/grp%2Fproj",
           flaky([429], {"id": 7}, {"Retry-After": "3600"}))
    with pytest.raises(SourceError, match="asked to wait 3600s"):
        GitLabSource(gl, project="grp/proj")
    assert clock.sleeps == []


def test_retry_budget_bounds_the_time_spent(api: Api, gl: Any, clock: Clock) -> None:
    api.on("GET", "/projects/grp%2Fproj", lambda q: (503, {}, {"message": "down"}))
    with pytest.raises(SourceError) as caught:
        GitLabSource(gl, project="grp/proj")
    assert clock.now <= 30.0
    assert "HTTP 503" in caught.value.message and "attempts" in caught.value.message
    assert len(clock.sleeps) >= 4


def test_other_4xx_is_not_retried(api: Api, gl: Any, clock: Clock) -> None:
    api.on("GET", "/projects/grp%2Fproj", lambda q: (400, {}, {"error": "labels is invalid"}))
    with pytest.raises(SourceError, match="HTTP 400: labels is invalid"):
        GitLabSource(gl, project="grp/proj")
    assert clock.sleeps == []


def test_429_with_retry_after_as_a_date_is_waited_for(api: Api, gl: Any, clock: Clock) -> None:
    """python-gitlab would call int() on it and fail; the session reads the date."""
    when = email.utils.formatdate(time.time() + 6, usegmt=True)
    api.on("GET", "/projects/grp%2Fproj",
           flaky([429], {"id": 7, "path_with_namespace": "grp/proj"}, {"Retry-After": when}))
    GitLabSource(gl, project="grp/proj")
    assert api.count("GET", "/projects/grp%2Fproj") == 2
    assert 3 <= sum(clock.sleeps) <= 6.1


def test_an_answer_that_is_not_json_is_one_line(api: Api, gl: Any) -> None:
    api.on("GET", "/projects/grp%2Fproj", lambda q: (200, {}, b"<html>a proxy's page</html>"))
    with pytest.raises(SourceError, match="the answer was not valid JSON") as caught:
        GitLabSource(gl, project="grp/proj")
    assert caught.value.exit_code == EXIT_INCOMPLETE


def test_pagination_that_loops_ends_the_read_in_one_line(api: Api, gl: Any) -> None:
    project_route(api)
    link = f'<{API}/projects/7/issues?page=2&per_page=100>; rel="next"'
    api.on("GET", "/projects/7/issues", lambda q: (200, {"Link": link}, [raw_issue(1)]))
    with pytest.raises(SourceError) as caught:
        GitLabSource(gl, project="grp/proj").list_candidates(("incident",))
    assert "pagination looped" in caught.value.message and caught.value.exit_code == EXIT_INCOMPLETE
    wave = first_pages(DEFAULT_CONCURRENCY, 2)  # the first pages of both lists (label, type), asked at once
    assert api.count("GET", "/projects/7/issues") == sum(wave) + 1  # then page 2 once more, by the link


@pytest.mark.parametrize("page", [{"message": "a list?"}, "text", None, 7])
def test_a_page_that_is_not_a_list_ends_the_read_in_one_line(api: Api, gl: Any, page: Any) -> None:
    project_route(api)
    api.pages("/projects/7/issues", [raw_issue(1)], page)  # type: ignore[arg-type]
    with pytest.raises(SourceError) as caught:
        GitLabSource(gl, project="grp/proj").list_candidates(("incident",))
    # the lists are read at once: the one named is whichever met the bad page first
    assert "was not a list" in caught.value.message and "while listing i" in caught.value.message
    assert caught.value.exit_code == EXIT_INCOMPLETE


def test_a_failing_later_page_is_retried_alone(api: Api, gl: Any, clock: Clock) -> None:
    project_route(api)
    api.pages("/projects/7/issues", [raw_issue(1)])
    failures = iter([502, 502])

    def notes(query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        if query.get("page") == "2":
            status = next(failures, 200)
            if status != 200:
                return status, {}, {"message": "bad gateway"}
            return 200, {}, [raw_note(2, "2024-03-01T12:00:00Z")]
        link = f'<{API}/projects/7/issues/1/notes?page=2&per_page=100>; rel="next"'
        return 200, {"X-Next-Page": "2", "Link": link}, [raw_note(1, "2024-03-01T11:00:00Z")]

    api.on("GET", "/projects/7/issues/1/notes", notes)
    issues = list(GitLabSource(gl, project="grp/proj").candidate_issues(("incident",)))
    assert [n.id for n in issues[0].notes] == [1, 2]
    pages = [q.get("page") for m, p, q in api.log if p == "/projects/7/issues/1/notes"]
    assert pages == [None, "2", "2", "2"]


def test_dead_server_is_reported_within_the_budget() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    start = time.monotonic()
    with pytest.raises(SourceError) as caught:
        connect(f"http://127.0.0.1:{port}", TOKEN, timeout=0.5, retry_budget=1.5)
    assert time.monotonic() - start < 3.0
    assert f"http://127.0.0.1:{port}" in caught.value.message
    assert_clean(caught.value)


# --- reading issues -----------------------------------------------------------------------


def test_candidates_one_listing_per_label_plus_incidents_deduplicated(api: Api, gl: Any) -> None:
    project_route(api)
    listings = {
        "incident": [raw_issue(3), raw_issue(1)],
        "sev::1": [raw_issue(1), raw_issue(5, issue_type="issue", labels=["sev::1"])],
        "type": [raw_issue(3), raw_issue(9, labels=[])],
    }

    def issues(query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        assert query["state"] == "all" and query["per_page"] == "100"
        if "issue_type" in query:
            assert query["issue_type"] == "incident" and "labels" not in query
            return 200, {}, listings["type"]
        return 200, {}, listings[query["labels"]]

    api.on("GET", "/projects/7/issues", issues)
    for iid in (1, 3, 5, 9):
        api.on("GET", f"/projects/7/issues/{iid}/notes", [])
    source = GitLabSource(gl, project="grp/proj")
    found = list(source.candidate_issues(("incident", "sev::1", "incident")))
    assert [i.iid for i in found] == [1, 3, 5, 9]
    lists = [q for m, p, q in api.log if p == "/projects/7/issues" and "page" not in q]
    assert len(lists) == 4  # one per label, one of incidents, then the four entries by iids[]
    negated = sorted(str(q.get("not[labels]")) for q in lists[:3])  # the lists' first pages are read at once
    assert negated == ["None", "incident", "incident,sev::1"]
    assert found[2].issue_type == "issue" and found[2].labels == ("sev::1",)
    assert not any("award_emoji" in p or "links" in p for _, p, _ in api.log)


def test_issue_is_built_like_the_export_would(api: Api, gl: Any) -> None:
    project_route(api)
    raw = raw_issue(
        4, state="closed", closed_at="2024-03-03T09:30:00.000Z", confidential=True,
        labels=["incident", "sev::2"], issue_type="incident", description=None,
    )
    api.pages("/projects/7/issues", [raw])
    api.pages(
        "/projects/7/issues/4/notes",
        [raw_note(12, "2024-03-01T12:00:00Z"), raw_note(11, "2024-03-01T11:00:00Z", True)],
        [raw_note(10, "2024-03-01T10:30:00Z"), {"id": 13, "body": "no date"}],
        link=True,
    )
    [issue] = GitLabSource(gl, project="grp/proj").candidate_issues(("incident",))
    assert replace(issue, notes=()) == Issue(
        key=IssueKey("grp/proj", 4), title="Issue 4", description="",
        labels=("incident", "sev::2"), issue_type="incident", state="closed", author="alice",
        created_at=parse_time("2024-03-01T10:00:00Z"), updated_at=parse_time("2024-03-02T10:00Z"),
        closed_at=parse_time("2024-03-03T09:30:00Z"), confidential=True,
        web_url=f"{BASE}/grp/proj/-/issues/4",
    )
    assert issue.notes == (
        Note(10, "note 10", "bob", parse_time("2024-03-01T10:30:00Z"), False,
             parse_time("2024-03-01T10:30:00Z")),
        Note(11, "note 11", "bob", parse_time("2024-03-01T11:00:00Z"), True,
             parse_time("2024-03-01T11:00:00Z")),
        Note(12, "note 12", "bob", parse_time("2024-03-01T12:00:00Z"), False,
             parse_time("2024-03-01T12:00:00Z")),
    )
    cursors = [q.get("cursor") for _, p, q in api.log if p.endswith("/notes")]
    assert cursors == [None, "2"]


def test_closed_without_closed_at_uses_updated_at(api: Api, gl: Any) -> None:
    project_route(api)
    api.pages("/projects/7/issues", [raw_issue(2, state="closed", type="INCIDENT",
                                               issue_type=None)])
    api.on("GET", "/projects/7/issues/2/notes", [])
    [issue] = GitLabSource(gl, project="grp/proj").candidate_issues(())
    assert issue.closed_at == issue.updated_at
    assert issue.issue_type == "incident"


def test_group_scan_covers_every_project_in_path_then_iid_order(api: Api, gl: Any) -> None:
    api.on("GET", "/groups/ops", {"id": 3, "full_path": "ops"})
    api.on("GET", "/projects/12", {"id": 12, "path_with_namespace": "ops/sub/db"})
    listing = [
        raw_issue(2, project_id=11, path="ops/web"),
        raw_issue(1, project_id=12, path="ops/sub/db", references={}),
        raw_issue(1, project_id=11, path="ops/web"),
    ]
    api.on("GET", "/groups/3/issues", listing)
    api.on("GET", "/projects/11/issues/1/notes", [raw_note(1, "2024-01-01T00:00:00Z")])
    api.on("GET", "/projects/11/issues/2/notes", [])
    api.on("GET", "/projects/12/issues/1/notes", [])
    source = GitLabSource(gl, group="ops")
    keys = [i.key for i in source.candidate_issues(("incident",))]
    assert keys == [IssueKey("ops/sub/db", 1), IssueKey("ops/web", 1), IssueKey("ops/web", 2)]
    assert source.describe() == {"kind": "gitlab", "url": BASE, "group": "ops"}
    assert api.count("GET", "/projects/12") == 1


def test_describe_a_project(api: Api, gl: Any) -> None:
    project_route(api)
    source = GitLabSource(gl, project="grp/proj")
    assert source.describe() == {"kind": "gitlab", "url": BASE, "project": "grp/proj"}


def test_project_or_group_not_both(gl: Any) -> None:
    with pytest.raises(ConfigError):
        GitLabSource(gl, project="a/b", group="a")
    with pytest.raises(ConfigError):
        GitLabSource(gl)


# --- links and awards --------------------------------------------------------------------


def test_linked_issues_come_from_the_links_endpoint_and_are_cached(api: Api, gl: Any) -> None:
    project_route(api)
    api.on("GET", "/projects/7/issues/4/links", [
        {"id": 9, "iid": 8, "project_id": 7, "title": "Postmortem", "state": "closed",
         "labels": ["postmortem"], "description": "Root cause: DNS", "issue_type": "issue",
         "web_url": f"{BASE}/grp/proj/-/issues/8", "confidential": False,
         "link_type": "relates_to"},
        {"id": 20, "iid": 2, "project_id": 99, "title": "Fix", "state": "opened",
         "labels": [], "description": None, "issue_type": "task",
         "references": {"full": "other/repo#2"}, "web_url": "", "confidential": True},
    ])
    source = GitLabSource(gl, project="grp/proj")
    key = IssueKey("grp/proj", 4)
    linked = source.linked_issues(key)
    assert linked == (
        LinkedIssue(IssueKey("grp/proj", 8), "Postmortem", ("postmortem",), "Root cause: DNS",
                    "closed", "issue", f"{BASE}/grp/proj/-/issues/8", False),
        LinkedIssue(IssueKey("other/repo", 2), "Fix", (), "", "opened", "task", "", True),
    )
    assert source.linked_issues(key) is linked
    assert api.count("GET", "/projects/7/issues/4/links") == 1


def test_note_awards_read_every_page_only_when_asked(api: Api, gl: Any) -> None:
    project_route(api)
    path = "/projects/7/issues/4/notes/55/award_emoji"
    api.pages(
        path,
        [{"id": 1, "name": "thumbsup", "user": {"username": "carol"},
          "created_at": "2024-03-01T10:00:00Z"}],
        [{"id": 2, "name": "white_check_mark", "user": {"username": "dave"},
          "created_at": "2024-03-01T11:00:00Z"}],
    )
    source = GitLabSource(gl, project="grp/proj")
    assert api.count("GET", path) == 0
    awards = source.note_awards(IssueKey("grp/proj", 4), 55)
    assert awards == (
        Award("thumbsup", "carol", parse_time("2024-03-01T10:00:00Z")),
        Award("white_check_mark", "dave", parse_time("2024-03-01T11:00:00Z")),
    )
    assert api.count("GET", path) == 2


def test_awards_of_an_issue_outside_the_scan_use_the_encoded_path(api: Api, gl: Any) -> None:
    project_route(api)
    api.on("GET", "/projects/other%2Frepo/issues/2/notes/5/award_emoji", [])
    source = GitLabSource(gl, project="grp/proj")
    assert source.note_awards(IssueKey("other/repo", 2), 5) == ()


# --- helpers ---------------------------------------------------------------------------------


def test_redact_masks_secrets_query_tokens_and_userinfo() -> None:
    text = (f"GET https://user:pw@host/api?private_token=abc&x=1 failed with {TOKEN}; "
            "job_token=zzz")
    clean = redact(text, [TOKEN, None, ""])
    assert TOKEN not in clean and "abc" not in clean and "pw@" not in clean and "zzz" not in clean
    assert "x=1" in clean


def test_safe_url_drops_credentials_and_query() -> None:
    assert safe_url("https://u:p@gitlab.example.com:8443/gl/?private_token=x") == (
        "https://gitlab.example.com:8443/gl"
    )


def test_retry_after_reads_seconds_and_dates() -> None:
    assert retry_after({"Retry-After": "3"}) == 3.0
    assert retry_after({}) is None
    assert retry_after({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert 0 < (retry_after({"RateLimit-Reset": str(int(time.time()) + 30)}) or 0) <= 30


def test_an_error_message_with_a_broken_character_can_be_printed(api: Api, gl: Any) -> None:
    api.on("GET", "/projects/grp%2Fproj", lambda q: (400, {}, {"error": "label \ud83d is invalid"}))
    with pytest.raises(SourceError) as failed:
        GitLabSource(gl, project="grp/proj")
    assert "label \ufffd is invalid" in str(failed.value)
    str(failed.value).encode("utf-8")
