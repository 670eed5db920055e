"""Data of the wrong shape through GitLab's GraphQL API (the fake GitLab's POST /api/graphql,
mangled on its way by ``corrupt_graphql``): as over REST, an incident GitLab describes in a
shape inc-audit cannot read is reported unreadable (SRC001) and the others are audited; a
listing page broken as a whole ends the run with one line. Nothing is published either way."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fakegitlab import API_TOKEN, PROJECT, FakeGitLab
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inc_audit.audit import read_ahead, run_audit
from inc_audit.config import file as config_module
from inc_audit.findings import AuditResult, Finding
from inc_audit.sources.graphql.client import GraphQL
from inc_audit.sources.graphql.source import GraphQLSource
from inc_audit.sources.http.session import connect
from tests.conftest import AS_OF, EXAMPLE_CONFIG, EXAMPLE_EXPORT

INC_AUDIT = shutil.which("inc-audit", path=str(Path(sys.executable).parent)) or "inc-audit"
SECRET = "glpat-Sup3rSecretT0ken-xyz"
TOKENS = {API_TOKEN: ("bot", ["api"]), SECRET: ("bot", ["api"])}
CONFIG = config_module.load(EXAMPLE_CONFIG)
TARGET = 14  # a closed incident with a post-mortem whose award emoji are read, linked to a change
Mangle = Callable[[dict[str, Any]], Any]


@pytest.fixture
def fresh() -> Iterator[FakeGitLab]:
    with FakeGitLab.from_export(EXAMPLE_EXPORT, PROJECT, tokens=TOKENS) as server:
        yield server
    assert server.errors == []


def cli(fake: FakeGitLab, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CI_")}
    env["GITLAB_TOKEN"] = SECRET
    command = [INC_AUDIT, "run", "--gitlab-url", fake.url, "--project", PROJECT, "--config", str(EXAMPLE_CONFIG),
               "--as-of", "2026-06-01", "--retry-budget", "2", "--no-cache", "--api", "graphql", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, cwd=cwd)


def is_target(value: dict[str, Any]) -> bool:
    """An Issue node of the target (a linked work item has a type of its own)."""
    reference = value.get("reference")
    return "workItemType" not in value and isinstance(reference, str) and reference.endswith(f"#{TARGET}")


def about_target(mangle: Mangle) -> Callable[[Any], Any]:
    """A ``corrupt_graphql`` that mangles every Issue node of the target, wherever it is."""

    def walk(value: Any) -> Any:
        if isinstance(value, list):
            return [walk(item) for item in value]
        if not isinstance(value, dict):
            return value
        walked = {name: walk(item) for name, item in value.items()}
        return mangle(walked) if is_target(walked) else walked

    return walk


def set_field(name: str, value: Any) -> Mangle:
    return lambda node: {**node, name: value}


def in_connection(name: str, mangle: Callable[[list[Any]], Any]) -> Mangle:
    """Mangle the nodes of the target's ``name`` connection (when the query asked for it)."""

    def change(node: dict[str, Any]) -> dict[str, Any]:
        connection = node.get(name)
        if not isinstance(connection, dict):
            return node
        return {**node, name: {**connection, "nodes": mangle(connection.get("nodes") or [])}}

    return change


WRONG_SHAPES: dict[str, tuple[Mangle, str]] = {
    "the iid is not a number": (set_field("iid", "fourteen"), "iid"),
    "a note is not an object": (in_connection("notes", lambda notes: [*notes, "a note"]), "a note is text"),
    "createdAt is malformed": (set_field("createdAt", "last tuesday"), "created_at 'last tuesday'"),
    "a label node is not an object": (in_connection("labels", lambda labels: [*labels, 7]), "a label is a number"),
    "a label's title is a list": (in_connection("labels", lambda _: [{"title": ["incident"]}]), "a label is a list"),
    "the notes connection is null": (set_field("notes", None), "notes is null"),
}


@pytest.mark.parametrize("case", list(WRONG_SHAPES))
def test_an_incident_of_the_wrong_shape_is_unreadable_and_the_run_exits_3(
    fresh: FakeGitLab, tmp_path: Path, case: str
) -> None:
    mangle, reason = WRONG_SHAPES[case]
    fresh.corrupt_graphql = about_target(mangle)
    report = tmp_path / "audit.json"
    run = cli(fresh, tmp_path, "--publish", "--format", "json", "--output", str(report))
    assert run.returncode == 3, run.stderr
    assert "internal error" not in run.stderr and "Traceback" not in run.stderr
    assert "incomplete" in run.stderr.splitlines()[-1]
    document = json.loads(report.read_text())
    assert document["complete"] is False
    by_iid = {i["iid"]: i for i in document["incidents"]}
    assert [f["rule"] for f in by_iid[TARGET]["findings"]] == ["SRC001"]
    assert reason in json.dumps(by_iid[TARGET]["findings"])
    assert len(by_iid) == 12 and all(
        f["rule"] != "SRC001" for iid, i in by_iid.items() if iid != TARGET for f in i["findings"]
    )
    assert fresh.writes == []


def break_page(body: Any) -> Any:
    """The nodes of a read by iid are an object, not a list."""
    scope = (body.get("data") or {}).get("project") or {}
    if isinstance(scope.get("found0"), dict):
        scope["found0"]["nodes"] = {"iid": "14"}
    return body


def null_page(body: Any) -> Any:
    scope = (body.get("data") or {}).get("project") or {}
    if "found0" in scope:
        scope["found0"] = None
    return body


@pytest.mark.parametrize("mangle", [break_page, null_page], ids=["nodes-an-object", "page-null"])
def test_a_read_broken_as_a_whole_is_one_line_and_exit_3(
    fresh: FakeGitLab, tmp_path: Path, mangle: Callable[[Any], Any]
) -> None:
    fresh.corrupt_graphql = mangle
    report = tmp_path / "audit.json"
    run = cli(fresh, tmp_path, "--publish", "--format", "json", "--output", str(report))
    assert run.returncode == 3, run.stderr
    [error, *hint] = run.stderr.strip().splitlines()
    assert error.startswith("inc-audit: error:") and "GraphQL" in error and "reading issues" in error
    assert "internal error" not in run.stderr and len(hint) <= 1
    assert SECRET not in run.stderr + run.stdout
    assert fresh.writes == [] and not report.exists()


# --- any wrong-typed value, in process --------------------------------------------------------


@pytest.fixture(scope="module")
def small() -> Iterator[FakeGitLab]:
    """The target, another incident and the changes they link: what one example needs."""
    with FakeGitLab.from_export(EXAMPLE_EXPORT, PROJECT, tokens=TOKENS) as server:
        with server.lock:
            server.issues = {id: i for id, i in server.issues.items() if i.iid in (TARGET, 15, 17, 19)}
        yield server
    assert server.errors == []


def audit(fake: FakeGitLab) -> AuditResult:
    gl = connect(fake.url, API_TOKEN, timeout=5.0, retry_budget=5.0, backoff=0.01)
    client = GraphQL(gl, API_TOKEN, timeout=5.0)
    try:
        source = GraphQLSource(gl, client, project=PROJECT)
        read_ahead(source, CONFIG, AS_OF)
        return run_audit(source, CONFIG, AS_OF)
    finally:
        client.close()


@pytest.fixture(scope="module")
def small_baseline(small: FakeGitLab) -> dict[int, tuple[Finding, ...]]:
    result = audit(small)
    assert result.complete and {i.key.iid for i in result.incidents} == {TARGET, 17}
    return {i.key.iid: i.findings for i in result.incidents}


wrong = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
FIELDS = ["iid", "title", "description", "state", "type", "confidential", "createdAt", "updatedAt", "closedAt",
          "webUrl", "projectId", "author", "labels", "notes", "linkedWorkItems", "userNotesCount"]


@given(name=st.sampled_from(FIELDS), value=wrong, in_notes=st.booleans())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_whatever_graphql_answers_the_other_incidents_are_audited(
    small: FakeGitLab, small_baseline: dict[int, tuple[Finding, ...]], name: str, value: Any, in_notes: bool
) -> None:
    if in_notes:  # the same value in each of the target's notes instead
        note_field = {"title": "body", "state": "system", "type": "id"}.get(name, name)
        mangle = in_connection("notes", lambda notes: [{**n, note_field: value} if isinstance(n, dict) else n
                                                       for n in notes])
    else:
        mangle = set_field(name, value)
    small.corrupt_graphql = about_target(mangle)
    try:
        result = audit(small)
    finally:
        small.corrupt_graphql = None
    by_iid = {i.key.iid: i for i in result.incidents}
    assert {iid: i.findings for iid, i in by_iid.items() if iid != TARGET} == {
        iid: found for iid, found in small_baseline.items() if iid != TARGET
    }
    unreadable = TARGET in by_iid and [f.rule for f in by_iid[TARGET].findings] == ["SRC001"]
    assert result.complete == (not unreadable and not result.notes)
    assert TARGET in by_iid or result.notes
