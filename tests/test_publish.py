"""Unit tests of publishing the audit issue, against a small stateful fake on ``responses``."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import pytest
import requests
import responses

from inc_audit.errors import EXIT_INCOMPLETE, PublishError
from inc_audit.publishing.audit_issue import (
    CLOSE_COMMENT,
    MARKER,
    REOPEN_COMMENT,
    AuditIssueSettings,
    PublishOutcome,
    make_plan,
    normalise,
    publish,
    with_marker,
)
from inc_audit.sources.http.budget import RetryPolicy
from inc_audit.sources.http.session import configure, connect

BASE = "https://gitlab.example.com"
API = f"{BASE}/api/v4"
TOKEN = "glpat-publish-S3cr3t"
PROJECT = "grp/proj"
BOT_ID = 1
SETTINGS = AuditIssueSettings(title="Incident audit", labels=("audit", "inc-audit"),
                              confidential=True)


class Issues:
    """The issues of one project, with GitLab's listing, create, edit and note endpoints."""

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.issues: dict[int, dict[str, Any]] = {}
        self.notes: dict[int, list[str]] = {}
        self.writes: list[tuple[str, str, dict[str, Any]]] = []
        self.before: dict[tuple[str, str], Callable[[], Any]] = {}
        self.failures: dict[tuple[str, str], list[int]] = {}
        self.listings = 0
        for method in ("GET", "POST", "PUT"):
            mock.add_callback(method, re.compile(re.escape(API) + r"/.*"), callback=self._dispatch)

    def add(self, description: str, state: str = "opened", labels: tuple[str, ...] = ("audit",
            "inc-audit"), iid: int | None = None, author: int = BOT_ID,
            confidential: bool = True) -> dict[str, Any]:
        iid = iid or max(self.issues, default=0) + 1
        issue = {
            "iid": iid, "project_id": 7, "title": "Incident audit", "description": description,
            "state": state, "labels": list(labels), "confidential": confidential,
            "author": {"id": author, "username": "audit-bot" if author == BOT_ID else f"user{author}"},
            "web_url": f"{BASE}/{PROJECT}/-/issues/{iid}",
        }
        self.issues[iid] = issue
        self.notes[iid] = []
        return issue

    def _dispatch(self, request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        assert request.headers.get("PRIVATE-TOKEN") == TOKEN
        parts = urlsplit(str(request.url))
        path = unquote(parts.path[len("/api/v4"):])
        method = str(request.method)
        fields = json.loads(request.body) if request.body else {}
        hook = self.before.pop((method, path), None)
        if hook:
            hook()
        failing = self.failures.get((method, path))
        if failing:
            return failing.pop(0), {}, json.dumps({"message": "failure"})
        status, body = self._route(method, path, dict(parse_qsl(parts.query)), fields)
        return status, {}, json.dumps(body)

    def _route(self, method: str, path: str, query: dict[str, str],
               fields: dict[str, Any]) -> tuple[int, Any]:
        if path == "/user":
            return 200, {"id": BOT_ID, "username": "audit-bot"}
        if not path.startswith(f"/projects/{PROJECT}/issues"):
            return 404, {"message": "404 Project Not Found"}
        rest = path[len(f"/projects/{PROJECT}/issues"):].strip("/").split("/")
        if method == "GET" and rest == [""]:
            self.listings += 1
            wanted = [label for label in query.get("labels", "").split(",") if label]
            found = [i for i in self.issues.values() if all(w in i["labels"] for w in wanted)]
            return 200, sorted(found, key=lambda i: i["iid"])
        self.writes.append((method, path, fields))
        if method == "POST" and rest == [""]:
            issue = self.add(fields["description"], labels=tuple(fields["labels"].split(",")))
            issue.update(title=fields["title"], confidential=fields["confidential"])
            return 201, issue
        issue = self.issues[int(rest[0])]
        if method == "PUT":
            if "description" in fields:
                issue["description"] = fields["description"]
            if "confidential" in fields:
                issue["confidential"] = fields["confidential"]
            event = fields.get("state_event")
            if event:
                issue["state"] = "closed" if event == "close" else "opened"
            return 200, issue
        self.notes[issue["iid"]].append(fields["body"])
        return 201, {"id": 1, "body": fields["body"]}

    def kinds(self) -> list[str]:
        """Each write as "PUT 3 description,state_event" or "POST 3 note" or "POST new"."""
        described = []
        for method, path, fields in self.writes:
            parts = path.split("/issues")[1].strip("/").split("/")
            if method == "POST" and parts == [""]:
                described.append("POST new")
            elif method == "POST":
                described.append(f"POST {parts[0]} note")
            else:
                described.append(f"PUT {parts[0]} {','.join(sorted(fields))}")
        return described


@pytest.fixture
def server() -> Any:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield Issues(mock)


@pytest.fixture
def gl(server: Issues) -> Any:
    client = connect(BASE, TOKEN, timeout=1.0, retry_budget=5.0)
    configure(client, RetryPolicy(timeout=1.0, budget=5.0, backoff=0.001, sleep=lambda s: None))
    return client


BODY = "## Violations\n\n- #4: no timeline\n"


def run(gl: Any, body: str = BODY, violations: bool = True, **kwargs: Any) -> PublishOutcome:
    return publish(gl, PROJECT, body, violations, SETTINGS, **kwargs)


def test_creates_the_issue_when_violations_exist(server: Issues, gl: Any) -> None:
    outcome = run(gl)
    assert outcome.action == "created"
    assert outcome.url == f"{BASE}/{PROJECT}/-/issues/1"
    assert server.kinds() == ["POST new"]
    _, _, fields = server.writes[0]
    assert fields["title"] == "Incident audit" and fields["confidential"] is True
    assert fields["labels"] == "audit,inc-audit"
    assert fields["description"].startswith(BODY.rstrip()) and MARKER in fields["description"]


def test_nothing_to_report_and_no_issue_creates_nothing(server: Issues, gl: Any) -> None:
    outcome = run(gl, "No violations.", violations=False)
    assert (outcome.action, outcome.url) == ("none", "")
    assert server.writes == []


def test_identical_body_writes_nothing(server: Issues, gl: Any) -> None:
    server.add(with_marker(BODY).replace("\n", "  \r\n") + "\n\n")
    outcome = run(gl)
    assert outcome.action == "unchanged"
    assert server.writes == []


def test_two_publishes_leave_one_issue_and_the_second_edits_nothing(
    server: Issues, gl: Any
) -> None:
    assert run(gl).action == "created"
    count = len(server.writes)
    assert run(gl).action == "unchanged"
    assert len(server.writes) == count and len(server.issues) == 1


def test_changed_body_edits_only_the_description(server: Issues, gl: Any) -> None:
    server.add(with_marker("## Violations\n\n- #2: old\n"))
    outcome = run(gl)
    assert outcome.action == "updated"
    assert server.kinds() == ["PUT 1 description"]
    assert server.issues[1]["description"] == with_marker(BODY)
    assert "-- #2: old" in outcome.diff and "+- #4: no timeline" in outcome.diff


def test_no_violations_left_updates_then_closes_with_a_comment(server: Issues, gl: Any) -> None:
    server.add(with_marker(BODY))
    outcome = run(gl, "No violations.", violations=False)
    assert outcome.action == "closed"
    assert server.kinds() == ["PUT 1 description,state_event", "POST 1 note"]
    assert server.issues[1]["state"] == "closed"
    assert server.notes[1] == [CLOSE_COMMENT]
    assert CLOSE_COMMENT == (
        "No violations left: closing. inc-audit will reopen this issue if one returns."
    )


def test_closed_issue_with_nothing_to_report_is_left_alone(server: Issues, gl: Any) -> None:
    server.add(with_marker("No violations."), state="closed")
    assert run(gl, "No violations, still.", violations=False).action == "unchanged"
    assert server.writes == []


def test_returning_violation_reopens_with_a_comment(server: Issues, gl: Any) -> None:
    server.add(with_marker("No violations."), state="closed")
    outcome = run(gl)
    assert outcome.action == "reopened"
    assert server.kinds() == ["PUT 1 description,state_event", "POST 1 note"]
    assert server.issues[1]["state"] == "opened"
    assert server.notes[1] == [REOPEN_COMMENT]


def test_reopen_with_the_same_body_only_changes_the_state(server: Issues, gl: Any) -> None:
    server.add(with_marker(BODY), state="closed")
    assert run(gl).action == "reopened"
    assert server.kinds() == ["PUT 1 state_event", "POST 1 note"]


def test_issues_without_the_marker_or_labels_are_not_the_audit_issue(
    server: Issues, gl: Any
) -> None:
    server.add(BODY)
    server.add(with_marker(BODY), labels=("audit",))
    assert run(gl).action == "created"
    assert len(server.issues) == 3


def test_duplicates_keep_the_oldest_and_close_the_others(server: Issues, gl: Any) -> None:
    server.add("unrelated", labels=())
    server.add(with_marker(BODY))
    server.add(with_marker(BODY))
    server.add(with_marker(BODY), state="closed")
    outcome = run(gl)
    assert outcome.action == "unchanged" and outcome.url.endswith("/issues/2")
    assert server.kinds() == ["PUT 3 state_event", "POST 3 note"]
    assert server.notes[3] == [
        "Duplicate of #2: inc-audit keeps a single audit issue, closing this one."
    ]
    server.writes.clear()
    run(gl)
    assert server.writes == []


def test_an_issue_created_by_a_concurrent_run_is_found_before_creating(
    server: Issues, gl: Any
) -> None:
    calls = {"n": 0}

    def other_run_creates() -> None:
        calls["n"] += 1
        if calls["n"] == 2:
            server.add(with_marker(BODY))

    original = server._route

    def route(method: str, path: str, query: dict[str, str], fields: dict[str, Any]) -> Any:
        if method == "GET" and path.endswith("/issues"):
            other_run_creates()
        return original(method, path, query, fields)

    server._route = route  # type: ignore[method-assign]
    outcome = run(gl)
    assert outcome.action == "unchanged"
    assert server.writes == [] and len(server.issues) == 1


def test_a_creation_racing_ours_leaves_one_open_issue(server: Issues, gl: Any) -> None:
    server.before[("POST", f"/projects/{PROJECT}/issues")] = lambda: server.add(with_marker(BODY))
    outcome = run(gl)
    assert outcome.action == "unchanged" and outcome.url.endswith("/issues/1")
    assert [i["state"] for i in server.issues.values()] == ["opened", "closed"]
    assert server.notes[2] == [
        "Duplicate of #1: inc-audit keeps a single audit issue, closing this one."
    ]


def test_dry_run_writes_nothing_and_shows_the_diff(server: Issues, gl: Any) -> None:
    server.add(with_marker("## Violations\n\n- #2: old\n"))
    outcome = run(gl, "No violations.", violations=False, dry_run=True)
    assert server.writes == []
    assert outcome.action == "closed"
    assert outcome.diff.startswith("--- #1 current\n+++ #1 new\n")
    assert "-- #2: old" in outcome.diff and "+No violations." in outcome.diff
    assert "close #1" in outcome.diff and CLOSE_COMMENT in outcome.diff


def test_dry_run_of_a_creation(server: Issues, gl: Any) -> None:
    outcome = run(gl, dry_run=True)
    assert outcome == PublishOutcome("created", "", outcome.diff)
    assert "+- #4: no timeline" in outcome.diff and "create the audit issue" in outcome.diff
    assert server.writes == [] and server.issues == {}


def test_a_transient_write_failure_is_retried(server: Issues, gl: Any) -> None:
    server.add(with_marker("old"))
    server.failures[("PUT", f"/projects/{PROJECT}/issues/1")] = [502, 429]
    assert run(gl).action == "updated"
    assert server.issues[1]["description"] == with_marker(BODY)


def test_a_refused_write_is_a_publish_error(server: Issues, gl: Any) -> None:
    server.add(with_marker("old"))
    server.failures[("PUT", f"/projects/{PROJECT}/issues/1")] = [403]
    with pytest.raises(PublishError) as caught:
        run(gl)
    assert "lacks access (403)" in caught.value.message and "api" in (caught.value.hint or "")
    assert TOKEN not in str(caught.value)
    assert caught.value.exit_code == EXIT_INCOMPLETE


def test_a_write_that_keeps_failing_is_a_publish_error(server: Issues, gl: Any) -> None:
    server.failures[("POST", f"/projects/{PROJECT}/issues")] = [500] * 50
    with pytest.raises(PublishError, match="creating the audit issue: HTTP 500"):
        run(gl)


def test_a_missing_project_is_a_publish_error(server: Issues, gl: Any) -> None:
    with pytest.raises(PublishError, match=r"project other/proj not found \(404\)"):
        publish(gl, "other/proj", BODY, True, SETTINGS)


def test_plan_and_normalise_are_pure() -> None:
    assert normalise("a  \r\nb\t\n\n") == "a\nb"
    assert with_marker(with_marker(BODY)) == with_marker(BODY)
    plan = make_plan([], "x", has_violations=False)
    assert (plan.action, plan.steps) == ("none", ())


def test_dry_run_with_nothing_to_change_has_an_empty_diff(server: Issues, gl: Any) -> None:
    server.add(with_marker(BODY))
    assert run(gl, dry_run=True) == PublishOutcome("unchanged", f"{BASE}/{PROJECT}/-/issues/1", "")


def test_issues_another_user_opened_are_never_the_audit_issue(server: Issues, gl: Any) -> None:
    server.add(with_marker(BODY), author=99, confidential=False)
    outcome = run(gl)
    assert outcome.action == "created" and outcome.url.endswith("/issues/2")
    assert outcome.impostors == (f"{BASE}/{PROJECT}/-/issues/1",)
    assert server.kinds() == ["POST new"]
    assert server.issues[1]["description"] == with_marker(BODY) and server.notes[1] == []


def test_a_public_audit_issue_is_made_confidential_before_it_is_edited(server: Issues, gl: Any) -> None:
    server.add(with_marker("old"), confidential=False)
    assert run(gl).action == "updated"
    assert server.kinds() == ["PUT 1 confidential", "PUT 1 description"]
    assert server.issues[1]["confidential"] is True


def test_a_public_audit_issue_with_nothing_to_write_is_still_made_confidential(
    server: Issues, gl: Any
) -> None:
    server.add(with_marker(BODY), confidential=False)
    assert run(gl).action == "updated"
    assert server.kinds() == ["PUT 1 confidential"]


def test_gitlab_refusing_confidentiality_stops_every_write(server: Issues, gl: Any) -> None:
    server.add(with_marker("old"), confidential=False)
    original = server._route

    def ignore_confidential(method: str, path: str, query: dict[str, str], fields: dict[str, Any]) -> Any:
        status, body = original(method, path, query, {k: v for k, v in fields.items() if k != "confidential"})
        return status, body

    server._route = ignore_confidential  # type: ignore[method-assign]
    with pytest.raises(PublishError, match="did not make audit issue #1 confidential"):
        run(gl)
    assert server.issues[1]["description"] == with_marker("old")


def test_a_public_audit_issue_stays_public_when_the_config_says_so(server: Issues, gl: Any) -> None:
    server.add(with_marker("old"), confidential=False)
    public = AuditIssueSettings(title="Incident audit", labels=("audit", "inc-audit"), confidential=False)
    assert publish(gl, PROJECT, BODY, True, public).action == "updated"
    assert server.kinds() == ["PUT 1 description"]


def test_a_dry_run_diff_is_shown_through_the_view_on_both_sides(server: Issues, gl: Any) -> None:
    server.add(with_marker("## Violations\n\n- #2: Seed phrase leak\n"), confidential=False)
    outcome = run(gl, dry_run=True, view=lambda text: text.replace("Seed phrase", "(withheld)"))
    assert "Seed phrase" not in outcome.diff and "-- #2: (withheld) leak" in outcome.diff
    assert "- make #1 confidential" in outcome.diff and "- edit the description of #1" in outcome.diff
    assert server.writes == []


def test_the_plan_makes_a_public_issue_confidential_first() -> None:
    kept = {"iid": 4, "description": with_marker(BODY), "state": "closed", "confidential": False}
    plan = make_plan([kept], with_marker(BODY), has_violations=False, confidential=True)
    assert (plan.action, [step.describe() for step in plan.steps]) == ("updated", ["make #4 confidential"])
    assert make_plan([kept], with_marker(BODY), has_violations=False).steps == ()


def audited(day: str, pipeline: str = "") -> str:
    by = f" by pipeline #{pipeline}" if pipeline else ""
    return f"{BODY}\nLast audited on {day}{by}. This line is renewed at least every 7 days.\n"


def test_a_run_that_changes_only_the_last_audited_line_writes_nothing(server: Issues, gl: Any) -> None:
    server.add(with_marker(audited("2026-06-01", "100")))
    for day, pipeline in (("2026-06-02", "101"), ("2026-06-07", "106")):
        outcome = run(gl, audited(day, pipeline))
        assert outcome.action == "unchanged" and outcome.diff == ""
    assert server.writes == []
    dry = run(gl, audited("2026-06-03", "102"), dry_run=True)
    assert dry.action == "unchanged" and dry.diff == ""


def test_the_last_audited_line_is_renewed_once_a_week_and_with_any_other_change(server: Issues, gl: Any) -> None:
    server.add(with_marker(audited("2026-06-01", "100")))
    assert run(gl, audited("2026-06-08", "107")).action == "updated"
    assert server.kinds() == ["PUT 1 description"]
    assert "Last audited on 2026-06-08 by pipeline #107" in server.issues[1]["description"]
    changed = audited("2026-06-09", "108").replace(BODY, BODY + "\n- a new finding")
    assert run(gl, changed).action == "updated"
    assert "Last audited on 2026-06-09 by pipeline #108" in server.issues[1]["description"]


def test_a_closed_audit_issue_gets_its_weekly_line_and_stays_closed(server: Issues, gl: Any) -> None:
    server.add(with_marker(audited("2026-06-01")), state="closed")
    assert run(gl, audited("2026-06-05"), violations=False).action == "unchanged"
    assert run(gl, audited("2026-06-08"), violations=False).action == "updated"
    assert server.issues[1]["state"] == "closed" and "2026-06-08" in server.issues[1]["description"]
