"""Attacks on the GitLab source through the fake GitLab over real HTTP: a redirect that
would carry the token away, URLs that would put secrets in requests, data of the wrong
shape, and a server that dies mid-scan."""

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
from fakegitlab.store import now
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inc_audit.audit import read_ahead, run_audit
from inc_audit.cache.source import CachedSource, fingerprint
from inc_audit.config import file as config_module
from inc_audit.errors import ConfigError, SourceError
from inc_audit.findings import AuditResult, Finding
from inc_audit.formats.registry import REPORTERS, Options
from inc_audit.sources.http.session import connect, ensure_pool, get_json
from inc_audit.sources.rest.source import GitLabSource
from tests.conftest import AS_OF, EXAMPLE_CONFIG, EXAMPLE_EXPORT

INC_AUDIT = shutil.which("inc-audit", path=str(Path(sys.executable).parent)) or "inc-audit"
SECRET = "glpat-Sup3rSecretT0ken-xyz"
TOKENS = {API_TOKEN: ("bot", ["api"]), SECRET: ("bot", ["api"])}
CONFIG = config_module.load(EXAMPLE_CONFIG)
LABELS = CONFIG.incident_labels


@pytest.fixture
def fake() -> Iterator[FakeGitLab]:
    with FakeGitLab(TOKENS) as server:
        yield server
    assert server.errors == []


@pytest.fixture
def elsewhere() -> Iterator[FakeGitLab]:
    """Another host on the loopback network, with the same tokens: it would accept a leaked one."""
    with FakeGitLab(TOKENS, host="127.0.0.2") as server:
        yield server


def incidents(fake: FakeGitLab, count: int) -> None:
    for number in range(1, count + 1):
        fake.add_issue(PROJECT, title=f"Incident {number}", labels=["incident"], issue_type="incident")


def cli(url: str, *args: str, token: str = SECRET, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CI_")}
    env["GITLAB_TOKEN"] = token
    command = [INC_AUDIT, "run", "--gitlab-url", url, "--project", PROJECT, "--config", str(EXAMPLE_CONFIG),
               "--as-of", "2026-06-01", "--retry-budget", "2", "--no-cache", "--api", "rest", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, cwd=cwd)


# --- the token goes nowhere else -------------------------------------------------------------


def test_a_redirect_to_another_host_is_refused_and_the_token_stays_home(
    fake: FakeGitLab, elsewhere: FakeGitLab
) -> None:
    fake.redirect_to = elsewhere.url
    with pytest.raises(ConfigError) as refused:
        connect(fake.url, SECRET, timeout=2.0, retry_budget=2.0)
    assert "another host" in str(refused.value) and "127.0.0.2" in str(refused.value)
    assert SECRET not in str(refused.value)
    assert not any(r.credential for r in elsewhere.requests)


def test_a_redirect_mid_scan_is_refused_too(fake: FakeGitLab, elsewhere: FakeGitLab) -> None:
    incidents(fake, 3)
    source = GitLabSource(connect(fake.url, SECRET, timeout=2.0, retry_budget=2.0), project=PROJECT)
    fake.redirect_to = elsewhere.url
    with pytest.raises(ConfigError, match="another host"):
        list(source.candidate_issues(LABELS))
    assert not any(r.credential for r in elsewhere.requests)


def test_the_cli_says_so_in_one_line_and_exits_2(fake: FakeGitLab, elsewhere: FakeGitLab, tmp_path: Path) -> None:
    fake.redirect_to = elsewhere.url
    run = cli(fake.url, cwd=tmp_path)
    assert run.returncode == 2
    [error] = run.stderr.strip().splitlines()  # the error, and how to fix it, in one line
    assert error.startswith("inc-audit: error:") and "another host" in error and "token was not sent" in error
    assert SECRET not in run.stderr + run.stdout
    assert not any(r.credential for r in elsewhere.requests)


def test_no_request_at_all_leaves_for_another_host(fake: FakeGitLab, elsewhere: FakeGitLab) -> None:
    gl = connect(fake.url, SECRET, timeout=2.0, retry_budget=2.0)
    ensure_pool(gl, 16)  # as a source widens it: the guard stays
    with pytest.raises(ConfigError, match="another host"):
        get_json(gl, f"{elsewhere.url}/api/v4/user", "following a URL GitLab gave")
    assert elsewhere.requests == []


def test_another_port_of_the_same_host_is_another_host(fake: FakeGitLab) -> None:
    with FakeGitLab(TOKENS) as moved:
        fake.redirect_to = moved.url
        with pytest.raises(ConfigError, match="another host"):
            connect(fake.url, SECRET, timeout=2.0, retry_budget=2.0)
        assert not any(r.credential for r in moved.requests)


def test_a_redirect_loop_on_gitlabs_own_host_is_one_line_not_a_traceback(fake: FakeGitLab) -> None:
    fake.redirect_to = fake.url + "/"
    with pytest.raises(ConfigError, match="redirect"):
        connect(fake.url, SECRET, timeout=2.0, retry_budget=2.0)


# --- URLs that would carry secrets -------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "http://user:hunter22@{host}",
        "http://oauth2@{host}",
        "http://{host}/?private_token=hunter22",
        "http://{host}/?",
        "http://{host}/#frag",
        "http://[::1",
        "http://{host}:99999",
        "http://{host}:port",
        "http://gitlab example.com",
        "gitlab.example.com",
        "ftp://{host}",
    ],
)
def test_connect_refuses_urls_with_secrets_or_malformed(fake: FakeGitLab, url: str) -> None:
    host = fake.url.removeprefix("http://")
    fake.clear_logs()
    with pytest.raises(ConfigError) as refused:
        connect(url.format(host=host), SECRET, timeout=2.0, retry_budget=2.0)
    message = str(refused.value)
    assert "hunter22" not in message and SECRET not in message and "\n" not in message
    assert fake.requests == []  # refused before any request


def test_the_cli_refuses_a_url_with_user_info_in_one_line(fake: FakeGitLab, tmp_path: Path) -> None:
    url = fake.url.replace("http://", "http://admin:hunter22@")
    run = cli(url, cwd=tmp_path)
    assert run.returncode == 2
    [error] = run.stderr.strip().splitlines()
    assert "user name or password" in error
    assert "hunter22" not in run.stderr + run.stdout
    assert fake.requests == []


# --- a dead server ------------------------------------------------------------------------------


def test_no_queued_read_starts_after_one_has_failed_for_good(fake: FakeGitLab) -> None:
    incidents(fake, 12)
    gl = connect(fake.url, SECRET, timeout=8.0, retry_budget=8.0, backoff=0.01)
    fake.fault_on(r"/issues/1/notes$", delay=1.0)  # the first read is slow: the others run ahead
    fake.fault_on(r"/issues/2/notes$", status=404)  # and the second fails for good at once
    with pytest.raises(SourceError, match="404"):
        list(GitLabSource(gl, project=PROJECT, concurrency=2).candidate_issues(LABELS))
    failed = max(r.seq for r in fake.requests if r.path.endswith("/issues/2/notes"))
    later = {r.path.rsplit("/issues/", 1)[1] for r in fake.requests if r.seq > failed and r.path.endswith("/notes")}
    assert later <= {"1/notes"}  # the slow first read may have reached the server last; no other


def test_a_failure_cancels_the_reads_still_retrying(fake: FakeGitLab) -> None:
    incidents(fake, 12)
    gl = connect(fake.url, SECRET, timeout=5.0, retry_budget=3.0, backoff=0.01)
    fake.fault_on(r"/issues/1/notes$", delay=0.3, status=404)  # fails for good
    fake.fault_on(r"/issues/[2-4]/notes$", delay=0.3, status=503)  # while these are retrying
    with pytest.raises(SourceError, match="404"):
        list(GitLabSource(gl, project=PROJECT, concurrency=4).candidate_issues(LABELS))
    given_up = max(r.seq for r in fake.requests if r.path.endswith("/issues/1/notes"))
    after = [r for r in fake.requests if r.seq > given_up]
    assert len(after) <= 3  # at most the attempts already on the wire


# --- data of the wrong shape ----------------------------------------------------------------

TARGET = 14  # a closed incident with a post-mortem whose award emoji are read, linked to a change
LISTING = "GET /projects/:project/issues"
NOTES = "GET /projects/:project/issues/:iid/notes"
LINKS = "GET /projects/:project/issues/:iid/links"
AWARDS = "GET /projects/:project/issues/:iid/notes/:note/award_emoji"
Mangle = Callable[[Any], Any]


@pytest.fixture(scope="module")
def umami() -> Iterator[FakeGitLab]:
    with FakeGitLab.from_export(EXAMPLE_EXPORT, PROJECT, tokens=TOKENS) as server:
        yield server
    assert server.errors == []


@pytest.fixture(scope="module")
def baseline(umami: FakeGitLab) -> dict[int, tuple[Finding, ...]]:
    result = audit(umami)
    assert result.complete and TARGET in {i.key.iid for i in result.incidents}
    return {i.key.iid: i.findings for i in result.incidents}


@pytest.fixture(scope="module")
def small() -> Iterator[FakeGitLab]:
    """The target, another incident and the changes they link: what one example needs."""
    with FakeGitLab.from_export(EXAMPLE_EXPORT, PROJECT, tokens=TOKENS) as server:
        with server.lock:
            server.issues = {id: i for id, i in server.issues.items() if i.iid in (TARGET, 15, 17, 19)}
        yield server
    assert server.errors == []


@pytest.fixture(scope="module")
def small_baseline(small: FakeGitLab) -> dict[int, tuple[Finding, ...]]:
    result = audit(small)
    assert result.complete and {i.key.iid for i in result.incidents} == {TARGET, 17}
    return {i.key.iid: i.findings for i in result.incidents}


def audit(fake: FakeGitLab, concurrency: int = 4) -> AuditResult:
    gl = connect(fake.url, API_TOKEN, timeout=5.0, retry_budget=5.0, backoff=0.01)
    source = GitLabSource(gl, project=PROJECT, concurrency=concurrency)
    read_ahead(source, CONFIG, AS_OF)
    return run_audit(source, CONFIG, AS_OF)


def corrupt(fake: FakeGitLab, endpoint: str, mangle: Mangle) -> None:
    """Mangle what ``endpoint`` answers about the target incident, and only that."""

    def about_target(body: Any, args: dict[str, str]) -> Any:
        if endpoint == LISTING:
            return [mangle(entry) if entry.get("iid") == TARGET else entry for entry in body]
        return mangle(body) if args.get("iid") == str(TARGET) else body

    fake.corrupt = {endpoint: about_target}


def set_field(name: str, value: Any) -> Mangle:
    return lambda entry: {**entry, name: value}


def in_each(mangle: Mangle) -> Mangle:
    return lambda entries: [mangle(entry) for entry in entries]


def write_every_format(result: AuditResult) -> None:
    for reporter in REPORTERS.values():
        reporter(result, Options()).encode("utf-8")  # a surrogate left anywhere would fail here


WRONG_SHAPES = {
    "a note is not an object": (NOTES, lambda notes: [*notes, "a note"]),
    "a note id is text": (NOTES, in_each(set_field("id", "seven"))),
    "a note body is a list": (NOTES, in_each(set_field("body", ["x"]))),
    "system is the text false": (NOTES, in_each(set_field("system", "false"))),
    "an author is a string": (NOTES, in_each(set_field("author", "alice"))),
    "an award emoji is not an object": (AWARDS, lambda awards: [*awards, 42]),
    "an award's user is a list": (AWARDS, in_each(set_field("user", ["bob"]))),
    "labels is a string": (LISTING, set_field("labels", "incident")),
    "a label is a number": (LISTING, set_field("labels", ["incident", 7])),
    "issue_type is an object": (LISTING, set_field("issue_type", {"name": "incident"})),
    "confidential is the text false": (LISTING, set_field("confidential", "false")),
    "created_at is malformed": (LISTING, set_field("created_at", "yesterday")),
    "created_at is a number": (LISTING, set_field("created_at", 1717200000)),
    "closed_at is out of range": (LISTING, set_field("closed_at", "9999-12-31T23:59:59.000-05:00")),
    "updated_at is in the year 1": (LISTING, set_field("updated_at", "0001-01-01T00:00:00Z")),
    "a link's iid is text": (LINKS, in_each(set_field("iid", "15"))),
    "a link's labels is an object": (LINKS, in_each(set_field("labels", {"name": "CHG"}))),
    "a link entry is not an object": (LINKS, lambda links: [*links, None]),
}


@pytest.mark.parametrize("case", list(WRONG_SHAPES))
def test_a_field_of_the_wrong_type_makes_that_incident_unreadable_and_only_it(
    umami: FakeGitLab, baseline: dict[int, tuple[Finding, ...]], case: str
) -> None:
    corrupt(umami, *WRONG_SHAPES[case])
    try:
        result = audit(umami)
    finally:
        umami.corrupt = {}
    by_iid = {i.key.iid: i for i in result.incidents}
    assert [f.rule for f in by_iid[TARGET].findings] == ["SRC001"]
    assert {iid: i.findings for iid, i in by_iid.items() if iid != TARGET} == {
        iid: found for iid, found in baseline.items() if iid != TARGET
    }
    assert not result.complete
    write_every_format(result)


@pytest.mark.parametrize("entry", [None, "14", {"iid": "14", "title": "x"}, {"title": "no iid"}])
def test_a_listing_entry_without_an_issue_number_makes_the_run_incomplete(
    umami: FakeGitLab, baseline: dict[int, tuple[Finding, ...]], entry: Any
) -> None:
    umami.corrupt = {LISTING: lambda body, args: [*body, entry]}
    try:
        result = audit(umami)
    finally:
        umami.corrupt = {}
    assert {i.key.iid: i.findings for i in result.incidents} == baseline
    assert not result.complete
    assert result.notes and all("cannot be read" in line for line in result.notes)


def test_a_note_id_gitlab_does_not_know_makes_its_incident_unreadable_not_the_run(
    small: FakeGitLab, small_baseline: dict[int, tuple[Finding, ...]]
) -> None:
    """A note id of the right type that names no note (0): its award emoji answer 404. That
    incident cannot be read (SRC001); the others are audited as before (found by hypothesis)."""
    result, by_iid = audited_but_the_target(small, small_baseline, NOTES, in_each(set_field("id", 0)))
    assert [f.rule for f in by_iid[TARGET].findings] == ["SRC001"] and not result.complete


def audited_but_the_target(
    small: FakeGitLab, small_baseline: dict[int, tuple[Finding, ...]], endpoint: str, mangle: Any
) -> tuple[Any, dict[int, Any]]:
    """The audit with ``endpoint``'s answers mangled, and its incidents by iid; every incident
    but TARGET has its findings of the unmangled audit."""
    corrupt(small, endpoint, mangle)
    try:
        result = audit(small, concurrency=2)
    finally:
        small.corrupt = {}
    by_iid = {i.key.iid: i for i in result.incidents}
    assert {iid: i.findings for iid, i in by_iid.items() if iid != TARGET} == {
        iid: found for iid, found in small_baseline.items() if iid != TARGET
    }
    return result, by_iid


hostile_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=8).map(
    lambda text: text + "\ud83d"
)
hostile = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | hostile_text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
FIELDS = {
    LISTING: ["iid", "title", "description", "labels", "issue_type", "state", "created_at", "updated_at",
              "closed_at", "confidential", "web_url", "author", "references", "project_id"],
    NOTES: ["id", "body", "created_at", "updated_at", "system", "author"],
    LINKS: ["iid", "title", "description", "labels", "issue_type", "state", "web_url", "confidential"],
    AWARDS: ["name", "user", "created_at"],
}


@given(endpoint=st.sampled_from(list(FIELDS)), data=st.data())
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_whatever_gitlab_answers_the_audit_goes_on(
    small: FakeGitLab, small_baseline: dict[int, tuple[Finding, ...]], endpoint: str, data: st.DataObject
) -> None:
    name = data.draw(st.sampled_from(FIELDS[endpoint]))
    # An issue number of the right type but naming another issue is a question about that
    # issue: GitLab's 404 ends the run as incomplete (test_404_mid_scan_means_incomplete).
    value = data.draw(hostile.filter(lambda v: not (name == "iid" and type(v) is int)))
    mangle = set_field(name, value) if endpoint == LISTING else in_each(set_field(name, value))
    result, by_iid = audited_but_the_target(small, small_baseline, endpoint, mangle)
    unreadable = TARGET in by_iid and [f.rule for f in by_iid[TARGET].findings] == ["SRC001"]
    assert result.complete == (not unreadable and not result.notes)
    assert TARGET in by_iid or result.notes
    write_every_format(result)


# --- through the command line ------------------------------------------------------------------


@pytest.fixture
def fresh() -> Iterator[FakeGitLab]:
    with FakeGitLab.from_export(EXAMPLE_EXPORT, PROJECT, tokens=TOKENS) as server:
        yield server
    assert server.errors == []


def with_broken_characters(fake: FakeGitLab) -> None:
    """Half emoji, as GitLab can return them in JSON ("\\ud83d"), in every kind of text."""
    for issue in fake.issues.values():
        issue.title += " \ud83d"
        issue.description += "\n\n\udc00 trailing half emoji \ud83d"
        for note in issue.notes:
            note.body += " \ud83d"
    fake.corrupt = {LISTING: lambda body, args: [{**e, "web_url": e["web_url"] + "\ud83d"} for e in body]}


def test_a_lone_surrogate_is_repaired_in_every_format(fresh: FakeGitLab, tmp_path: Path) -> None:
    with_broken_characters(fresh)
    reports = {name: tmp_path / f"report.{name}" for name in REPORTERS}
    options = [f"--report={name}={path}" for name, path in reports.items()]
    run = cli(fresh.url, "--format", "text", *options, cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    assert "\ufffd" in run.stdout and "Traceback" not in run.stderr
    written = {name: path.read_text(encoding="utf-8") for name, path in reports.items()}
    assert all("\ufffd" in written[name] for name in ("json", "markdown", "junit"))


def test_a_lone_surrogate_is_repaired_in_the_audit_issue(fresh: FakeGitLab, tmp_path: Path) -> None:
    with_broken_characters(fresh)
    run = cli(fresh.url, "--publish", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    [audit_issue] = [i for i in fresh.issues.values() if "inc-audit" in i.labels]
    assert "\ufffd" in audit_issue.description
    assert not any("\ud800" <= ch <= "\udfff" for ch in audit_issue.description + audit_issue.title)


def test_an_unreadable_incident_is_reported_and_nothing_is_published(fresh: FakeGitLab, tmp_path: Path) -> None:
    corrupt(fresh, NOTES, lambda notes: [*notes, "not a note"])
    report = tmp_path / "audit.json"
    run = cli(fresh.url, "--publish", "--format", "json", "--output", str(report), cwd=tmp_path)
    assert run.returncode == 3, run.stderr
    assert "Traceback" not in run.stderr and "incomplete" in run.stderr.splitlines()[-1]
    document = json.loads(report.read_text())
    assert document["complete"] is False
    by_iid = {i["iid"]: [f["rule"] for f in i["findings"]] for i in document["incidents"]}
    assert by_iid[TARGET] == ["SRC001"] and len(by_iid) == 12
    assert fresh.writes == []


def test_the_cache_never_keeps_what_could_not_be_read(fresh: FakeGitLab, tmp_path: Path) -> None:
    def cached_audit() -> AuditResult:
        gl = connect(fresh.url, API_TOKEN, timeout=5.0, retry_budget=5.0, backoff=0.01)
        live = GitLabSource(gl, project=PROJECT, concurrency=4)
        source = CachedSource(live, tmp_path, fingerprint(CONFIG, live.describe()))
        read_ahead(source, CONFIG, AS_OF)
        return run_audit(source, CONFIG, AS_OF)

    clean = cached_audit()
    shapes = ((NOTES, in_each(set_field("id", "seven"))), (LINKS, in_each(set_field("iid", "15"))))
    for endpoint, mangle in shapes:
        corrupt(fresh, endpoint, mangle)
        touched = next(i for i in fresh.issues.values() if i.iid == TARGET)
        touched.updated_at = now()  # so that the cache reads it again
        broken = cached_audit()
        assert [f.rule for i in broken.incidents if i.key.iid == TARGET for f in i.findings] == ["SRC001"]
        fresh.corrupt = {}
        again = cached_audit()
        assert again.complete and [i.findings for i in again.incidents] == [i.findings for i in clean.incidents]


def test_checking_one_unreadable_incident_exits_3(fresh: FakeGitLab, tmp_path: Path) -> None:
    corrupt(fresh, NOTES, in_each(set_field("created_at", "last tuesday")))
    env = {k: v for k, v in os.environ.items() if not k.startswith("CI_")}
    env["GITLAB_TOKEN"] = SECRET
    command = [INC_AUDIT, "check", f"{PROJECT}#{TARGET}", "--gitlab-url", fresh.url, "--config", str(EXAMPLE_CONFIG)]
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert run.returncode == 3, run.stderr
    assert "SRC001" in run.stdout and "created_at 'last tuesday' is not a timestamp" in run.stdout


@pytest.mark.parametrize("endpoint", [LISTING, NOTES])
@pytest.mark.parametrize("page", [{"message": "a list?"}, "incidents", None, 7])
def test_a_page_that_is_not_a_list_is_one_line_and_exit_3(
    fresh: FakeGitLab, tmp_path: Path, endpoint: str, page: Any
) -> None:
    """python-gitlab's list would index it (a traceback, or a list of characters)."""
    fresh.corrupt = {endpoint: lambda body, args: page}
    run = cli(fresh.url, "--publish", cwd=tmp_path)
    assert run.returncode == 3, run.stderr
    [line] = [line for line in run.stderr.splitlines() if line.startswith("inc-audit: error")]
    assert "was not a list" in line and "Traceback" not in run.stderr
    assert fresh.writes == []
