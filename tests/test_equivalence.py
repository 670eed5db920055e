"""The same project read through GraphQL, through REST and from its export gives the same findings.

Every scenario is audited three ways (two when it exists only on the fake GitLab) and the
findings compared finding for finding: the example export, synthetic projects in the
benchmark's mix, a project built to need every follow-up read (many notes, many links,
incidents without a label, a group of two projects), and randomly generated projects
(a property test over the generator's seed, size and a few random edits).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

import pytest
from fakegitlab import API_TOKEN, PROJECT, FakeGitLab
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inc_audit.audit import read_ahead, run_audit
from inc_audit.config import file as config_module
from inc_audit.model import parse_time
from inc_audit.sources.export.source import ExportSource
from inc_audit.sources.graphql.client import GraphQL
from inc_audit.sources.graphql.source import GraphQLSource
from inc_audit.sources.http.session import connect
from inc_audit.sources.rest.source import GitLabSource
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT, filled_change, filled_post_mortem, filled_report

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import synthetic  # noqa: E402

AS_OF = parse_time(synthetic.AS_OF)
assert AS_OF is not None
Findings = list[tuple[Any, ...]]


def findings(source: Any, config: config_module.Config, read_ahead_too: bool = True) -> Findings:
    if read_ahead_too and hasattr(source, "prefetch"):
        read_ahead(source, config, AS_OF)
    result = run_audit(source, config, AS_OF)
    assert result.complete
    rows = [
        (str(i.key), i.state, f.rule, f.severity, f.message, f.where, f.section, f.line)
        for i in result.incidents
        for f in i.findings
    ]
    return sorted(rows) + sorted((str(i.key), "audited") for i in result.incidents)


def live(fake: FakeGitLab, api: str, **target: Any) -> Any:
    gl = connect(fake.url, API_TOKEN, timeout=5.0, retry_budget=5.0, backoff=0.01)
    where = target or {"project": PROJECT}
    if api == "rest":
        return GitLabSource(gl, concurrency=4, **where)
    return GraphQLSource(gl, GraphQL(gl, API_TOKEN), concurrency=4, **where)


def three_ways(export: Path, config: config_module.Config) -> tuple[Findings, Findings, Findings]:
    with FakeGitLab.from_export(export, PROJECT) as fake:
        rest = findings(live(fake, "rest"), config)
        graphql = findings(live(fake, "graphql"), config)
        assert fake.errors == []
    return findings(ExportSource(export, project=PROJECT), config), rest, graphql


@pytest.fixture(scope="module")
def config() -> config_module.Config:
    return config_module.load(EXAMPLE_CONFIG)


def test_the_example_export(config: config_module.Config) -> None:
    export, rest, graphql = three_ways(EXAMPLE_EXPORT, config)
    assert export == rest == graphql
    assert any(row[1] != "audited" for row in graphql)  # there is something to agree on


@pytest.mark.parametrize("seed", [1])
def test_synthetic_projects(seed: int, tmp_path: Path, config: config_module.Config) -> None:
    path = synthetic.generate(24, seed=seed).write(tmp_path / "export")
    export, rest, graphql = three_ways(path, config)
    assert export == rest == graphql
    assert {row[2] for row in graphql if len(row) > 2} >= {"INC002", "CHG001", "IPM001", "IPM003"}


def test_a_project_that_needs_every_follow_up(fake: FakeGitLab, config: config_module.Config) -> None:
    """130 notes, 25 links, awards past the first page of notes, an incident with no label,
    a labelled issue of another type, and a second project in the group."""
    other = "umami-wallet/indexer"
    long = fake.add_issue(
        PROJECT,
        title="long",
        description=filled_report(),
        labels=["INC"],
        issue_type="incident",
        state="closed",
        created_at="2026-03-01T00:00:00Z",
        closed_at="2026-03-02T00:00:00Z",
    )
    for index in range(130):
        fake.add_note(
            long, f"note {index}", author="bob", created_at=f"2026-03-02T01:{index // 60:02d}:{index % 60:02d}Z"
        )
    post_mortem = fake.add_note(long, filled_post_mortem(), author="dave", created_at="2026-03-03T00:00:00Z")
    fake.add_award(post_mortem, "thumbsup", user="alice", created_at="2026-03-04T00:00:00Z")
    for index in range(25):
        ticket = fake.add_issue(
            PROJECT,
            title=f"change {index}",
            description=filled_change() if index == 24 else "",
            labels=["CHG"] if index % 2 else [],
            created_at="2026-03-01T00:00:00Z",
        )
        fake.link(long, ticket)
    fake.add_issue(PROJECT, title="no label", description="", issue_type="incident", created_at="2026-03-05T00:00:00Z")
    fake.add_issue(
        PROJECT,
        title="labelled task",
        description="",
        labels=["incident"],
        issue_type="task",
        created_at="2026-03-05T00:00:00Z",
    )
    elsewhere = fake.add_issue(
        other,
        title="other project",
        description=filled_report(),
        labels=["INC"],
        issue_type="incident",
        state="closed",
        created_at="2026-03-06T00:00:00Z",
        closed_at="2026-03-07T00:00:00Z",
    )
    fake.add_note(elsewhere, filled_post_mortem(), author="dave", created_at="2026-03-08T00:00:00Z")
    fake.link(elsewhere, long)
    for target in ({"project": PROJECT}, {"group": "umami-wallet"}):
        fake.clear_logs()
        rest = findings(live(fake, "rest", **target), config)
        graphql = findings(live(fake, "graphql", **target), config)
        assert rest == graphql
        operations = [dict(r.query).get("operation") for r in fake.requests if r.endpoint == "POST /api/graphql"]
        assert operations.count("More") >= 2  # the notes and the links past their first page
    keys = {row[0] for row in graphql}
    assert {f"{PROJECT}#1", f"{other}#1", f"{PROJECT}#27", f"{PROJECT}#28"} <= keys


def _edit(fake: FakeGitLab, rng: random.Random) -> None:
    """A few random edits GitLab allows: awards given or taken, notes added, labels and state changed."""
    with fake.lock:
        issues = sorted(fake.issues.values(), key=lambda i: i.id)
        for issue in rng.sample(issues, k=min(len(issues), rng.randint(0, 6))):
            action = rng.choice(["award", "unaward", "note", "unlabel", "reopen", "approve"])
            notes = [n for n in issue.notes if not n.system]
            if action == "award" and notes:
                fake.add_award(
                    rng.choice(notes),
                    rng.choice(["thumbsup", "white_check_mark", "eyes"]),
                    user=rng.choice(["alice", "bob", "mallory"]),
                    created_at="2026-05-20T00:00:00Z",
                )
            elif action == "unaward" and notes:
                rng.choice(notes).awards.clear()
            elif action == "note":
                fake.add_note(
                    issue,
                    rng.choice(["LGTM", "Approved.", "## Post-mortem\n\nTBD"]),
                    author=rng.choice(["alice", "dave"]),
                    created_at="2026-05-21T00:00:00Z",
                )
            elif action == "unlabel":
                issue.labels = []
            elif action == "reopen":
                issue.state, issue.closed_at = "opened", None
            elif action == "approve":
                fake.add_note(issue, "Approved at the review.", author="alice", created_at="2026-05-22T00:00:00Z")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), size=st.integers(1, 10), compliant_only=st.booleans())
def test_random_projects_read_the_same_through_graphql_and_rest(
    seed: int,
    size: int,
    compliant_only: bool,
    tmp_path_factory: pytest.TempPathFactory,
    config: config_module.Config,
) -> None:
    folder = tmp_path_factory.mktemp("random")
    path = synthetic.generate(size, seed=seed, compliant_only=compliant_only).write(folder)
    expected_export = findings(ExportSource(path, project=PROJECT), config)
    with FakeGitLab.from_export(path, PROJECT) as fake:
        assert findings(live(fake, "graphql"), config) == expected_export
        _edit(fake, random.Random(seed))
        rest = findings(live(fake, "rest"), config)
        graphql = findings(live(fake, "graphql"), config)
        assert fake.errors == []
    assert rest == graphql
