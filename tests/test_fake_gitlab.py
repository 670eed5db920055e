"""The fake GitLab server: GitLab's JSON schemas, pagination, filters, auth, faults, writes."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import gitlab
import pytest
import requests
from fakegitlab import API_TOKEN, PROJECT, READ_TOKEN, FakeGitLab
from fakegitlab.schemas import validator
from fakegitlab.store import Issue

from inc_audit.sources.export.source import ExportSource

pytest_plugins = ["fakegitlab.fixtures"]

ENCODED = PROJECT.replace("/", "%2F")
EXAMPLE_EXPORT = Path(__file__).resolve().parents[1] / "examples" / "umami-export"
LINK_FIELDS = ("issue_link_id", "link_type", "link_created_at", "link_updated_at")


def get(gl: FakeGitLab, path: str, token: str | None = READ_TOKEN, **params: Any) -> Any:
    headers = {"PRIVATE-TOKEN": token} if token else {}
    return requests.get(gl.api_url + path, headers=headers, params=params, timeout=5)


def client(gl: FakeGitLab, token: str = API_TOKEN, **options: Any) -> gitlab.Gitlab:
    return gitlab.Gitlab(gl.url, private_token=token, **options)


@pytest.fixture
def umami(fake_gitlab: FakeGitLab) -> FakeGitLab:
    """Twelve issues in umami-wallet/umami, one in a subgroup project, one in another group."""
    gl = fake_gitlab
    for n in range(1, 13):
        gl.add_issue(
            PROJECT,
            title=f"Issue {n}" + (" wallet crash" if n % 4 == 0 else ""),
            description="indexer lag" if n == 5 else "",
            labels=["incident", "sev::2"] if n % 3 == 0 else (["incident"] if n % 2 else []),
            issue_type="incident" if n % 3 == 0 else "issue",
            state="closed" if n <= 4 else "opened",
            created_at=f"2026-01-{n:02d}T10:00:00.000Z",
            updated_at=f"2026-02-{13 - n:02d}T10:00:00.000Z",
        )
    gl.add_issue("umami-wallet/infra/ops", title="Ops incident", issue_type="incident")
    gl.add_issue("other-group/thing", title="Elsewhere", labels=["incident"])
    return gl


def iids(response: requests.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [item["iid"] for item in response.json()]


# -- (a) GitLab's own schemas --------------------------------------------------------------


def test_issue_lists_match_gitlab_schema(complex_gitlab: FakeGitLab, api_schemas: Path) -> None:
    issues = get(complex_gitlab, f"/projects/{ENCODED}/issues", per_page=100).json()
    assert len(issues) == 12
    validator(api_schemas, "public_api/v4/issues.json").validate(issues)
    one = get(complex_gitlab, f"/projects/{ENCODED}/issues/10").json()
    validator(api_schemas, "public_api/v4/issue.json").validate(one)
    assert one["created_at"] == "2016-06-14T15:02:08.340Z"


def test_notes_match_gitlab_schema(complex_gitlab: FakeGitLab, api_schemas: Path) -> None:
    notes_schema = validator(api_schemas, "public_api/v4/notes.json")
    for issue in get(complex_gitlab, f"/projects/{ENCODED}/issues", per_page=100).json():
        notes = get(complex_gitlab, f"/projects/{ENCODED}/issues/{issue['iid']}/notes").json()
        assert len(notes) == issue["user_notes_count"]
        notes_schema.validate(notes)
    posted = requests.post(
        f"{complex_gitlab.api_url}/projects/{ENCODED}/issues/10/notes",
        headers={"PRIVATE-TOKEN": API_TOKEN},
        json={"body": "Acknowledged."},
        timeout=5,
    )
    notes_schema.validate([posted.json()])


def test_links_match_issue_link_schema(umami: FakeGitLab, api_schemas: Path) -> None:
    incident, change = umami.issue(PROJECT, 3), umami.issue(PROJECT, 7)
    ops = umami.issue("umami-wallet/infra/ops", 1)
    assert incident and change and ops
    umami.link(incident, change)
    umami.link(ops, incident)
    source = get(umami, f"/projects/{ENCODED}/issues/3").json()
    linked = get(umami, f"/projects/{ENCODED}/issues/3/links").json()
    assert [(item["references"]["full"], item["link_type"]) for item in linked] == [
        (f"{PROJECT}#7", "relates_to"),
        ("umami-wallet/infra/ops#1", "relates_to"),
    ]
    issue_link = validator(api_schemas, "public_api/v4/issue_link.json")
    for item in linked:
        target = {k: v for k, v in item.items() if k not in LINK_FIELDS}
        issue_link.validate(
            {
                "source_issue": source,
                "target_issue": target,
                **{k: item[k] for k in LINK_FIELDS[1:]},
            }
        )
    assert get(umami, f"/projects/{ENCODED}/issues/7/links").json()[0]["iid"] == 3


def test_the_format_checker_really_checks(api_schemas: Path) -> None:
    notes = validator(api_schemas, "public_api/v4/notes.json")
    author = {
        "id": 1,
        "name": "A",
        "username": "a",
        "state": "active",
        "avatar_url": "https://x.test/a.png",
        "web_url": "https://x.test/a",
    }
    note = {
        "id": 1,
        "body": "b",
        "attachment": None,
        "author": author,
        "system": False,
        "created_at": "2016-06-14T15:02:08.340Z",
        "updated_at": "2016-06-14T15:02:08.340Z",
        "noteable_id": 1,
        "noteable_type": "Issue",
    }
    notes.validate([note])
    assert not notes.is_valid([{**note, "created_at": "2016-06-14 lunchtime"}])
    assert not notes.is_valid([{**note, "created_at": "2016-02-30T10:00:00Z"}])
    assert not notes.is_valid([{**note, "author": {**author, "web_url": "not a uri"}}])
    assert not notes.is_valid([{**note, "project_id": 5}])


def test_award_emoji_on_notes(complex_gitlab: FakeGitLab) -> None:
    response = get(complex_gitlab, f"/projects/{ENCODED}/issues/10/notes/351/award_emoji")
    [award] = response.json()
    assert response.headers["X-Total"] == "1"
    assert set(award) == {
        "id",
        "name",
        "user",
        "created_at",
        "updated_at",
        "awardable_id",
        "awardable_type",
    }
    assert (award["id"], award["name"], award["awardable_id"], award["awardable_type"]) == (
        1,
        "clapper",
        351,
        "Note",
    )
    assert award["user"]["username"] == "user-1"
    assert award["created_at"] == "2020-01-07T11:55:22.234Z"
    assert get(complex_gitlab, f"/projects/{ENCODED}/issues/10/notes/352/award_emoji").json() == []


# -- export seeding ------------------------------------------------------------------------


def test_export_issues_match_the_export_reader(
    complex_gitlab: FakeGitLab, export_complex: Path
) -> None:
    source = ExportSource(export_complex, project=PROJECT)
    served = {
        i["iid"]: i for i in get(complex_gitlab, f"/projects/{ENCODED}/issues", per_page=100).json()
    }
    assert sorted(served) == sorted(key.iid for key in source.issues)
    for key, issue in source.issues.items():
        api = served[key.iid]
        assert (api["title"], tuple(api["labels"]), api["state"], api["issue_type"]) == (
            issue.title,
            issue.labels,
            issue.state,
            issue.issue_type,
        )
        assert api["author"]["username"] == issue.author
        assert (api["closed_at"] is None) == (issue.closed_at is None)
    assert served[10]["id"] == 40 and served[2]["type"] == "INCIDENT"


def write_export(folder: Path, issues: list[dict[str, Any]]) -> Path:
    tree = folder / "tree" / "project"
    tree.mkdir(parents=True)
    (tree / "issues.ndjson").write_text("\n".join(json.dumps(i) for i in issues) + "\n")
    (tree / "project_members.ndjson").write_text(
        json.dumps({"user_id": 7, "user": {"id": 7, "username": "dave"}}) + "\n"
    )
    return folder


def raw_issue(iid: int, *notes: str) -> dict[str, Any]:
    return {
        "id": 100 + iid,
        "iid": iid,
        "title": f"t{iid}",
        "author_id": 7,
        "state": "opened",
        "created_at": f"2026-03-0{iid}T10:00:00.000Z",
        "updated_at": f"2026-03-0{iid}T10:00:00.000Z",
        "notes": [
            {
                "id": 1000 + 10 * iid + n,
                "note": body,
                "system": True,
                "author_id": 7,
                "created_at": f"2026-03-0{iid}T11:0{n}:00.000Z",
            }
            for n, body in enumerate(notes)
        ],
    }


def test_links_are_recovered_from_system_notes(tmp_path: Path) -> None:
    export = write_export(
        tmp_path,
        [
            raw_issue(
                1, "marked this issue as related to #2", "marked this issue as related to #3"
            ),
            raw_issue(2, "marked this issue as related to #1"),
            raw_issue(3, "removed the relation with #1"),
        ],
    )
    with FakeGitLab.from_export(export, PROJECT) as gl:
        assert [i["iid"] for i in get(gl, f"/projects/{ENCODED}/issues/1/links").json()] == [2]
        assert get(gl, f"/projects/{ENCODED}/issues/3/links").json() == []
        assert get(gl, f"/projects/{ENCODED}/issues/1").json()["author"]["username"] == "dave"


def test_the_example_export_loads_with_its_links() -> None:
    if not (EXAMPLE_EXPORT / "tree").is_dir():
        pytest.skip(f"{EXAMPLE_EXPORT} is not there yet")
    source = ExportSource(EXAMPLE_EXPORT, project=PROJECT)
    with FakeGitLab.from_export(EXAMPLE_EXPORT) as gl:
        for key, others in source.links.items():
            linked = get(gl, f"/projects/{ENCODED}/issues/{key.iid}/links").json()
            assert sorted(i["iid"] for i in linked) == sorted(o.iid for o in others)


# -- (b) pagination ------------------------------------------------------------------------


def links_of(response: requests.Response) -> dict[str, str]:
    return {rel: link["url"] for rel, link in response.links.items()}


def test_pagination_headers_are_gitlabs(umami: FakeGitLab) -> None:
    response = get(umami, f"/projects/{ENCODED}/issues", per_page=5, page=2, state="all")
    assert {
        k: response.headers[k]
        for k in ("X-Page", "X-Per-Page", "X-Next-Page", "X-Prev-Page", "X-Total", "X-Total-Pages")
    } == {
        "X-Page": "2",
        "X-Per-Page": "5",
        "X-Next-Page": "3",
        "X-Prev-Page": "1",
        "X-Total": "12",
        "X-Total-Pages": "3",
    }
    base = f"{umami.api_url}/projects/{ENCODED}/issues"
    assert links_of(response) == {
        "prev": f"{base}?page=1&per_page=5&state=all",
        "next": f"{base}?page=3&per_page=5&state=all",
        "first": f"{base}?page=1&per_page=5&state=all",
        "last": f"{base}?page=3&per_page=5&state=all",
    }
    last = get(umami, f"/projects/{ENCODED}/issues", per_page=5, page=3)
    assert (last.headers["X-Next-Page"], len(last.json())) == ("", 2)
    assert set(links_of(last)) == {"prev", "first", "last"}


def test_page_sizes_and_empty_lists(umami: FakeGitLab) -> None:
    assert get(umami, f"/projects/{ENCODED}/issues").headers["X-Per-Page"] == "20"
    assert get(umami, f"/projects/{ENCODED}/issues", per_page=500).headers["X-Per-Page"] == "100"
    empty = get(umami, f"/projects/{ENCODED}/issues", search="no such words")
    assert empty.json() == []
    assert (empty.headers["X-Total"], empty.headers["X-Total-Pages"]) == ("0", "1")
    assert set(links_of(empty)) == {"first", "last"}


def test_link_walk_with_requests_keeps_the_query(umami: FakeGitLab) -> None:
    url: str | None = f"{umami.api_url}/projects/{ENCODED}/issues?labels=incident&per_page=2"
    seen: list[int] = []
    while url:
        response = requests.get(url, headers={"PRIVATE-TOKEN": READ_TOKEN}, timeout=5)
        seen += iids(response)
        url = response.links.get("next", {}).get("url")
    assert seen == [12, 11, 9, 7, 6, 5, 3, 1]
    assert umami.counts()["GET /projects/:project/issues"] == 4


def test_python_gitlab_walks_every_page(umami: FakeGitLab) -> None:
    project = client(umami).projects.get(PROJECT)
    assert [i.iid for i in project.issues.list(get_all=True, per_page=5)] == list(range(12, 0, -1))
    walked = project.issues.list(iterator=True, per_page=5, state="opened")
    assert [i.iid for i in walked] == list(range(12, 4, -1))
    assert umami.counts()["GET /projects/:project/issues"] == 5
    listed = [r for r in umami.requests if r.endpoint.endswith("/issues")]
    assert [dict(r.query)["page"] for r in listed[1:3]] == ["2", "3"]


# -- (c) filters ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"labels": "incident"}, [12, 11, 9, 7, 6, 5, 3, 1]),
        ({"labels": "incident,sev::2"}, [12, 9, 6, 3]),
        ({"labels": "sev::2,nothing"}, []),
        ({"labels": "None"}, [10, 8, 4, 2]),
        ({"labels": "Any", "state": "closed"}, [3, 1]),
        ({"issue_type": "incident"}, [12, 9, 6, 3]),
        ({"state": "closed"}, [4, 3, 2, 1]),
        ({"state": "opened", "issue_type": "issue"}, [11, 10, 8, 7, 5]),
        ({"iids[]": ["2", "5", "40"]}, [5, 2]),
        ({"updated_after": "2026-02-10T10:00:00Z"}, [3, 2, 1]),
        ({"updated_before": "2026-02-02T10:00:00.000Z"}, [12, 11]),
        ({"search": "WALLET crash"}, [12, 8, 4]),
        ({"search": "indexer"}, [5]),
        ({"order_by": "updated_at", "sort": "asc", "per_page": 3}, [12, 11, 10]),
        ({"order_by": "created_at", "sort": "asc", "per_page": 3}, [1, 2, 3]),
    ],
)
def test_issue_filters(umami: FakeGitLab, params: dict[str, Any], expected: list[int]) -> None:
    assert iids(get(umami, f"/projects/{ENCODED}/issues", **params)) == expected


def test_group_issues_cover_subgroups(umami: FakeGitLab) -> None:
    found = get(umami, "/groups/umami-wallet/issues", issue_type="incident").json()
    assert [i["references"]["full"] for i in found][:2] == [
        "umami-wallet/infra/ops#1",
        f"{PROJECT}#12",
    ]
    assert len(found) == 5
    assert get(umami, "/groups/other-group/issues").json()[0]["title"] == "Elsewhere"
    group = get(umami, "/groups/umami-wallet").json()
    assert (group["full_path"], group["parent_id"]) == ("umami-wallet", None)
    assert iids(get(umami, f"/groups/{group['id']}/issues", per_page=1)) == [1]


def test_projects_by_id_and_by_path(umami: FakeGitLab) -> None:
    by_path = get(umami, f"/projects/{ENCODED}").json()
    assert by_path["path_with_namespace"] == PROJECT
    assert get(umami, f"/projects/{by_path['id']}").json() == by_path
    assert by_path["namespace"]["full_path"] == "umami-wallet"


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"state": "open"}, "state does not have a valid value"),
        ({"order_by": "title"}, "order_by does not have a valid value"),
        ({"updated_after": "yesterday"}, "updated_after is invalid"),
        ({"per_page": "many"}, "per_page is invalid"),
    ],
)
def test_bad_filters_answer_400(umami: FakeGitLab, params: dict[str, str], error: str) -> None:
    response = get(umami, f"/projects/{ENCODED}/issues", **params)
    assert (response.status_code, response.json()) == (400, {"error": error})


def test_notes_sort_and_paginate(complex_gitlab: FakeGitLab) -> None:
    path = f"/projects/{ENCODED}/issues/10/notes"
    newest = [n["id"] for n in get(complex_gitlab, path).json()]
    assert newest == list(range(358, 350, -1))
    oldest = get(complex_gitlab, path, sort="asc", per_page=3, page=2)
    assert [n["id"] for n in oldest.json()] == [354, 355, 356]
    assert oldest.headers["X-Total-Pages"] == "3"


# -- (d) auth and unknown things ------------------------------------------------------------


def test_missing_or_wrong_token_is_401(umami: FakeGitLab) -> None:
    for token in (None, "tok-wrong"):
        response = get(umami, "/user", token=token)
        assert (response.status_code, response.json()) == (401, {"message": "401 Unauthorized"})
    with pytest.raises(gitlab.GitlabAuthenticationError):
        client(umami, token="tok-wrong").auth()


def test_bearer_token_and_current_user(umami: FakeGitLab) -> None:
    response = requests.get(
        umami.api_url + "/user", timeout=5, headers={"Authorization": f"Bearer {API_TOKEN}"}
    )
    assert response.json()["username"] == "bot"
    gl = client(umami, token=READ_TOKEN)
    gl.auth()
    assert gl.user is not None and gl.user.username == "alice"
    assert gl.version()[0] == "17.5.0-ee"


def test_writes_with_read_api_are_403(umami: FakeGitLab) -> None:
    response = requests.post(
        f"{umami.api_url}/projects/{ENCODED}/issues",
        timeout=5,
        headers={"PRIVATE-TOKEN": READ_TOKEN},
        json={"title": "x"},
    )
    assert response.status_code == 403
    assert response.json() == {
        "error": "insufficient_scope",
        "error_description": "The request requires higher privileges than provided by the "
        "access token.",
        "scope": "api",
    }
    assert 'error="insufficient_scope"' in response.headers["WWW-Authenticate"]
    with pytest.raises(gitlab.GitlabCreateError) as caught:
        client(umami, token=READ_TOKEN).projects.get(PROJECT, lazy=True).issues.create(
            {"title": "x"}
        )
    assert caught.value.response_code == 403
    assert umami.writes == []


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/nowhere", {"error": "404 Not Found"}),
        ("/projects/1/merge_requests", {"error": "404 Not Found"}),
        ("/projects/nobody%2Fnothing", {"message": "404 Project Not Found"}),
        ("/projects/999/issues", {"message": "404 Project Not Found"}),
        ("/groups/nobody/issues", {"message": "404 Group Not Found"}),
        (f"/projects/{ENCODED}/issues/99", {"message": "404 Not found"}),
        (f"/projects/{ENCODED}/issues/1/notes/5/award_emoji", {"message": "404 Not found"}),
    ],
)
def test_unknown_things_are_404(umami: FakeGitLab, path: str, body: dict[str, str]) -> None:
    response = get(umami, path)
    assert (response.status_code, response.json()) == (404, body)


def test_no_token_is_ever_echoed() -> None:
    secret = "glpat-very-secret"
    with FakeGitLab(tokens={secret: ("carol", ["api"])}) as gl:
        gl.add_issue(PROJECT, title="t")
        echoed(gl, secret)


def echoed(gl: FakeGitLab, secret: str) -> None:
    responses = [
        requests.get(
            f"{gl.api_url}/projects/{ENCODED}/issues?private_token={secret}&per_page=2",
            timeout=5,
        ),
        requests.get(f"{gl.api_url}/nowhere", headers={"PRIVATE-TOKEN": secret}, timeout=5),
        requests.put(
            f"{gl.api_url}/projects/{ENCODED}/issues/1",
            timeout=5,
            headers={"PRIVATE-TOKEN": secret},
            data={"private_token": secret, "title": "t"},
        ),
    ]
    assert [r.status_code for r in responses] == [200, 404, 200]
    for response in responses:
        assert secret not in response.text and secret not in str(response.headers)
    assert secret not in repr(gl.requests) + repr(gl.writes)
    assert gl.writes[0].fields == {"title": "t"}


# -- (e) faults ----------------------------------------------------------------------------


def test_fail_every_nth_answers_502(umami: FakeGitLab) -> None:
    umami.fail_every = 3
    statuses = [get(umami, "/version").status_code for _ in range(6)]
    assert statuses == [200, 200, 502, 200, 200, 502]
    failed = get(umami, "/version"), get(umami, "/version"), get(umami, "/version")
    assert "GitLab is taking too much time to respond" in failed[2].text
    umami.clear_logs()
    gl = client(umami, retry_transient_errors=True)
    assert len(gl.projects.get(PROJECT).issues.list(get_all=True, per_page=5)) == 12
    assert [r.status for r in umami.requests].count(502) == 1


def test_rate_limit_every_nth_answers_429(umami: FakeGitLab) -> None:
    umami.rate_limit_every, umami.retry_after = 2, 0
    assert get(umami, "/version").status_code == 200
    throttled = get(umami, "/version")
    assert (throttled.status_code, throttled.headers["Retry-After"]) == (429, "0")
    assert throttled.headers["RateLimit-Remaining"] == "0"
    assert {"RateLimit-Limit", "RateLimit-Reset", "RateLimit-Observed"} <= set(throttled.headers)
    umami.clear_logs()
    assert len(client(umami).projects.get(PROJECT).issues.list(get_all=True, per_page=5)) == 12
    assert [r.status for r in umami.requests] == [200, 429, 200, 429, 200, 429, 200]


def test_a_real_rate_limit_counts_down_then_429s(umami: FakeGitLab) -> None:
    umami.rate_limit = (3, 60.0)
    answers = [get(umami, "/version") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert [a.headers["RateLimit-Remaining"] for a in answers] == ["2", "1", "0", "0"]
    assert [a.headers["RateLimit-Observed"] for a in answers] == ["1", "2", "3", "4"]
    assert all(a.headers["RateLimit-Limit"] == "3" for a in answers)
    assert 59 <= int(answers[3].headers["Retry-After"]) <= 60
    assert int(answers[3].headers["RateLimit-Reset"]) >= time.time() + 58
    umami.rate_limit = None
    assert "RateLimit-Limit" not in get(umami, "/version").headers


def test_latency_and_slow_answers(umami: FakeGitLab) -> None:
    umami.latency = 0.05
    started = time.monotonic()
    get(umami, "/version")
    assert time.monotonic() - started >= 0.05
    umami.latency, umami.slow_every, umami.slow_seconds = 0.0, 2, 30.0
    assert get(umami, "/version").status_code == 200
    with pytest.raises(requests.Timeout):
        requests.get(umami.api_url + "/version", headers={"PRIVATE-TOKEN": READ_TOKEN}, timeout=0.1)


def test_drop_after_and_go_away(umami: FakeGitLab) -> None:
    session = requests.Session()
    session.headers["PRIVATE-TOKEN"] = READ_TOKEN
    umami.drop_after = 2
    assert [session.get(umami.api_url + "/version", timeout=5).status_code for _ in "ab"] == [
        200,
        200,
    ]
    with pytest.raises(requests.ConnectionError):
        session.get(umami.api_url + "/version", timeout=5)
    assert umami.requests[-1].status is None
    umami.drop_after = None
    assert session.get(umami.api_url + "/version", timeout=5).status_code == 200
    umami.go_away()
    with pytest.raises(requests.ConnectionError):
        session.get(umami.api_url + "/version", timeout=5)
    with pytest.raises(requests.ConnectionError):
        client(umami).projects.get(PROJECT)


def test_stop_is_quick_with_open_and_sleeping_connections() -> None:
    gl = FakeGitLab().start()
    session = requests.Session()
    session.headers["PRIVATE-TOKEN"] = READ_TOKEN
    assert session.get(gl.api_url + "/version", timeout=5).status_code == 200
    gl.slow_every, gl.slow_seconds = 1, 30.0
    with pytest.raises(requests.Timeout):
        requests.get(gl.api_url + "/version", headers={"PRIVATE-TOKEN": READ_TOKEN}, timeout=0.1)
    started = time.monotonic()
    gl.stop()
    assert time.monotonic() - started < 0.5
    with pytest.raises(RuntimeError):
        gl.url  # noqa: B018


# -- (f) writes through python-gitlab --------------------------------------------------------


@pytest.fixture
def project(umami: FakeGitLab) -> Iterator[Any]:
    yield client(umami).projects.get(PROJECT)


def test_create_issue_through_python_gitlab(umami: FakeGitLab, project: Any) -> None:
    created = project.issues.create(
        {
            "title": "Payments stalled",
            "description": "## Summary",
            "labels": ["incident", "sev::1"],
            "issue_type": "incident",
            "confidential": True,
        }
    )
    assert (created.iid, created.state, created.author["username"]) == (13, "opened", "bot")
    assert (created.labels, created.issue_type, created.confidential) == (
        ["incident", "sev::1"],
        "incident",
        True,
    )
    assert iids(get(umami, f"/projects/{ENCODED}/issues", labels="sev::1")) == [13]
    [write] = umami.writes
    assert (write.method, write.endpoint, write.status) == (
        "POST",
        "/projects/:project/issues",
        201,
    )
    assert write.fields["labels"] == ["incident", "sev::1"]


def test_edit_issue_through_python_gitlab(umami: FakeGitLab, project: Any) -> None:
    issue = project.issues.get(5)
    before = issue.updated_at
    issue.labels = ["incident", "needs-review"]
    issue.state_event = "close"
    issue.save()
    assert (issue.state, issue.labels, issue.attributes["closed_by"]["username"]) == (
        "closed",
        ["incident", "needs-review"],
        "bot",
    )
    assert issue.closed_at is not None and issue.updated_at > before
    project.issues.update(5, {"add_labels": "sev::3", "remove_labels": "needs-review"})
    assert project.issues.get(5).labels == ["incident", "sev::3"]
    issue = project.issues.get(5)
    issue.state_event = "reopen"
    issue.save()
    assert (issue.state, issue.closed_at) == ("opened", None)
    assert [(w.method, w.fields) for w in umami.writes] == [
        ("PUT", {"labels": ["incident", "needs-review"], "state_event": "close"}),
        ("PUT", {"add_labels": "sev::3", "remove_labels": "needs-review"}),
        ("PUT", {"state_event": "reopen"}),
    ]


def test_an_edit_that_changes_nothing_keeps_updated_at(umami: FakeGitLab, project: Any) -> None:
    before = project.issues.get(3).updated_at
    project.issues.update(3, {"title": "Issue 3", "labels": "incident,sev::2"})
    assert project.issues.get(3).updated_at == before


def test_form_encoded_writes(umami: FakeGitLab) -> None:
    headers = {"PRIVATE-TOKEN": API_TOKEN}
    created = requests.post(
        f"{umami.api_url}/projects/{ENCODED}/issues",
        headers=headers,
        data={"title": "Form", "labels": "a,b", "confidential": "true"},
        timeout=5,
    )
    assert created.status_code == 201
    assert (created.json()["labels"], created.json()["confidential"]) == (["a", "b"], True)
    edited = requests.put(
        f"{umami.api_url}/projects/{ENCODED}/issues/13",
        headers=headers,
        data={"labels[]": ["c", "d"], "state_event": "close"},
        timeout=5,
    )
    assert (edited.json()["labels"], edited.json()["state"]) == (["c", "d"], "closed")
    missing = requests.post(
        f"{umami.api_url}/projects/{ENCODED}/issues",
        headers=headers,
        data={"description": "no title"},
        timeout=5,
    )
    assert (missing.status_code, missing.json()) == (400, {"error": "title is missing"})
    assert [w.status for w in umami.writes] == [201, 200, 400]


def test_notes_through_python_gitlab(umami: FakeGitLab, project: Any) -> None:
    issue = project.issues.get(3)
    note = issue.notes.create({"body": "Post-mortem is due."})
    assert (note.author["username"], note.noteable_iid, note.system) == ("bot", 3, False)
    assert project.issues.get(3).user_notes_count == 1
    assert [n.body for n in issue.notes.list(get_all=True)] == ["Post-mortem is due."]
    assert [(w.endpoint, w.fields) for w in umami.writes] == [
        ("/projects/:project/issues/:iid/notes", {"body": "Post-mortem is due."})
    ]


def test_a_read_only_run_logs_no_writes(complex_gitlab: FakeGitLab) -> None:
    project = client(complex_gitlab).projects.get(PROJECT)
    for issue in project.issues.list(get_all=True, labels="test2"):
        for note in issue.notes.list(get_all=True):
            note.awardemojis.list(get_all=True)
        issue.links.list()
    assert complex_gitlab.writes == [] and complex_gitlab.errors == []
    counts = complex_gitlab.counts()
    assert counts["GET /projects/:project/issues/:iid/notes/:note/award_emoji"] == 16
    assert counts["GET /projects/:project/issues/:iid/links"] == 2


def test_seeded_issue_helpers(fake_gitlab: FakeGitLab) -> None:
    issue: Issue = fake_gitlab.add_issue(
        PROJECT, title="t", state="closed", created_at="2026-01-01T00:00:00Z"
    )
    note = fake_gitlab.add_note(issue, "Resolved.", author="dave")
    fake_gitlab.add_award(note, "thumbsup", user="alice")
    served = get(fake_gitlab, f"/projects/{ENCODED}/issues/1").json()
    assert (served["closed_at"], served["user_notes_count"]) == ("2026-01-01T00:00:00.000Z", 1)
    awards = get(fake_gitlab, f"/projects/{ENCODED}/issues/1/notes/{note.id}/award_emoji").json()
    assert [(a["name"], a["user"]["username"]) for a in awards] == [("thumbsup", "alice")]
    with pytest.raises(ValueError):
        fake_gitlab.add_issue(PROJECT, title="dup", iid=1)


@pytest.mark.parametrize("within", [False, True])
def test_latency_with_the_work_inside_it_or_after_it(umami: FakeGitLab, within: bool) -> None:
    umami.latency, umami.work_within_latency = 0.5, within
    answering = threading.Event()
    original = umami._answer

    def answer(*args: Any) -> Any:
        answering.set()
        return original(*args)

    umami._answer = answer  # type: ignore[method-assign]
    started = time.monotonic()
    with ThreadPoolExecutor(1) as pool:
        asked: Future[Any] = pool.submit(get, umami, "/version")
        assert answering.wait(0.3) is within  # built as the request came, or once the latency is over
        assert asked.result(timeout=10).status_code == 200
    assert time.monotonic() - started >= 0.5  # either way, the answer leaves after the latency
