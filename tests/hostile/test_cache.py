"""Attacks on the cache: it only speeds the audit up, it never decides it.

Who attacks: whoever can write the cache folder (a CI job on an unprotected branch that
shares the scheduled audit's cache, a runner's disk) or a crash, a full disk, a clock that
jumps. What they try: hide a violation behind a kept verdict or a listing moment in the
future, or make the audit fail with a cache it cannot read. Every run here goes through
``CachedSource`` against the fake GitLab over real HTTP, and is compared with a cold run.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from fakegitlab import API_TOKEN, PROJECT, FakeGitLab

from inc_audit.cache import store as cache_store
from inc_audit.cache.source import FILE_NAME, FULL_READ_EVERY
from inc_audit.findings import AuditResult
from tests.conftest import EXAMPLE_CONFIG, template
from tests.test_cache import NOTES, Runner, add_incident, touch
from tests.test_cli_live import INC_AUDIT

START = datetime(2026, 6, 1, 7, 0, tzinfo=timezone.utc)


@pytest.fixture
def audit(fake: FakeGitLab, tmp_path: Path, umami: Any) -> Runner:
    return Runner(fake, tmp_path / "cache", umami)


def clock(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def db(runner: Runner) -> sqlite3.Connection:
    return sqlite3.connect(runner.directory / FILE_NAME)


def sql(runner: Runner, *statements: str) -> None:
    with db(runner) as connection:
        for statement in statements:
            connection.execute(statement)


def rules_of(result: AuditResult) -> dict[str, list[str]]:
    return {i.title: sorted(f.rule for f in i.findings) for i in result.incidents}


def violating_world(fake: FakeGitLab) -> None:
    """One compliant incident, and one closed with no linked change (CHG001, a settled verdict)."""
    add_incident(fake, "compliant")
    add_incident(fake, "no change", change=False)


# -- a tampered cache hides a violation for a week at most -----------------------------------

def test_a_tampered_verdict_hides_a_violation_only_until_the_weekly_full_read(fake, audit) -> None:
    violating_world(fake)
    cold, _ = audit(clock=clock(START))
    assert rules_of(cold)["no change"] == ["CHG001"]
    # The attacker's edit: the findings gone, the milestones kept with them left (a verdict
    # without its milestones is not trusted: the rules run again).
    sql(audit, "UPDATE verdicts SET findings = json_array(json_extract(findings, '$[#-1]'))")
    hidden, _ = audit(clock=clock(START + timedelta(days=1)))
    assert rules_of(hidden)["no change"] == []  # what a warm run trusts
    week, counts = audit(clock=clock(START + FULL_READ_EVERY))
    assert audit.source is not None and audit.source.mode == "full"
    assert rules_of(week) == rules_of(cold) and counts[NOTES] == 2
    after, counts = audit(clock=clock(START + FULL_READ_EVERY + timedelta(days=1)))
    assert rules_of(after) == rules_of(cold) and NOTES not in counts  # warm again, and right


@pytest.mark.parametrize("column", ["listed_since", "relisted_at", "full_read_at"])
def test_a_moment_in_the_future_gets_a_full_read_at_once(fake, audit, column: str, capsys) -> None:
    add_incident(fake, "one")
    audit(clock=clock(START))
    sql(audit, f"UPDATE meta SET {column} = '2100-01-01T00:00:00+00:00'")
    [issue] = [i for i in fake.issues.values() if i.title == "one"]
    touch(fake, issue, description=template("incident.md"))  # a violation appears after the tamper
    result, counts = audit(clock=clock(START + timedelta(hours=1)))
    assert audit.source is not None and audit.source.mode == "full"
    assert "INC002" in rules_of(result)["one"] and counts[NOTES] == 1
    assert "moments in the future" in capsys.readouterr().err


def test_a_tampered_entry_is_replaced_by_the_full_read(fake, audit) -> None:
    add_incident(fake, "one", change=False)
    audit(clock=clock(START))
    sql(audit, "UPDATE issues SET updated_at = '2100-01-01T00:00:00.000000+00:00', raw = json_set(raw,"
               " '$.updated_at', '2100-01-01T00:00:00Z', '$.state', 'opened')")
    audit(clock=clock(START + FULL_READ_EVERY))
    with db(audit) as connection:
        [(stamp, raw)] = connection.execute("SELECT updated_at, raw FROM issues").fetchall()
    assert not stamp.startswith("2100") and json.loads(raw)["state"] == "closed"


def inc_audit(fake: FakeGitLab, config: Path, cache: Path) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CI")} | {"GITLAB_TOKEN": API_TOKEN}
    command = [INC_AUDIT, "run", "--gitlab-url", fake.url, "--project", PROJECT, "--config", str(config),
               "--cache", str(cache), "-v"]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("days, modes", [(7, ["cold", "warm", "warm"]), (0, ["cold", "full", "full"])])
def test_the_full_read_follows_the_config_through_the_real_command(fake, tmp_path, days: int, modes) -> None:
    add_incident(fake, "one")
    data = yaml.safe_load(EXAMPLE_CONFIG.read_text(encoding="utf-8")) | {"cache": {"full_read_days": days}}
    config = tmp_path / "config.yml"
    config.write_text(yaml.safe_dump(data), encoding="utf-8")
    seen = []
    for _ in modes:
        fake.clear_logs()
        run = inc_audit(fake, config, tmp_path / "cache")
        assert run.returncode in (0, 1), run.stderr
        summary = re.search(r"cache (\w+): \d+ incident\(s\) from the cache, (\d+) read from GitLab", run.stderr)
        assert summary is not None, run.stderr
        seen.append((summary.group(1), int(summary.group(2))))  # REST or GraphQL: the cache counts its reads
    assert seen == [(mode, 0 if mode == "warm" else 1) for mode in modes]


# -- a corrupt, stale or unwritable cache is read again, never fatal ------------------------

CORRUPTIONS = {
    "a bad timestamp in an issue": "UPDATE issues SET raw = json_set(raw, '$.created_at', 'yesterday-ish')",
    "a timestamp of the wrong type": "UPDATE issues SET raw = json_set(raw, '$.updated_at', 12)",
    "an issue that is not an object": "UPDATE issues SET raw = '[1, 2]'",
    "a bad timestamp in a note": "UPDATE issues SET notes = json_set(notes, '$[0].created_at', 'soon')",
    "a note of the wrong shape": "UPDATE issues SET notes = '[{\"id\": {\"x\": 1}, \"created_at\": 5}]'",
    "a bad award emoji": "UPDATE issues SET awards = replace(awards, '\"created_at\":\"', '\"created_at\":\"x')",
    "a link with no iid": "UPDATE issues SET links = '[{\"title\": \"x\"}]' WHERE links IS NOT NULL",
    "a bad verdict moment": "UPDATE verdicts SET stable_until = 'never'",
    "a bad listing moment": "UPDATE meta SET listed_since = 'a while ago'",
    "verdicts of the wrong shape": "UPDATE verdicts SET findings = '{\"rule\": 1}'",
}


@pytest.mark.parametrize("statement", CORRUPTIONS.values(), ids=list(CORRUPTIONS))
def test_a_corrupt_entry_is_read_again_never_fatal(fake, audit, statement: str) -> None:
    violating_world(fake)
    add_incident(fake, "awaiting approval", approval=None)
    cold, _ = audit(clock=clock(START))
    sql(audit, "SELECT 1" if "verdicts" in statement else "DELETE FROM verdicts", statement)
    result, _ = audit(clock=clock(START + timedelta(hours=1)))
    assert rules_of(result) == rules_of(cold)
    again, _ = audit(clock=clock(START + timedelta(hours=2)))
    assert rules_of(again) == rules_of(cold)


@pytest.mark.parametrize("keep", [0, 100, 4096, -1])
def test_a_truncated_cache_file_is_rebuilt(fake, audit, keep: int) -> None:
    violating_world(fake)
    cold, _ = audit(clock=clock(START))
    path = audit.directory / FILE_NAME
    data = path.read_bytes()
    path.write_bytes(data[: keep if keep >= 0 else len(data) // 2])
    result, _ = audit(clock=clock(START + timedelta(hours=1)))
    assert rules_of(result) == rules_of(cold)


def test_a_read_only_cache_is_used_and_not_written(fake, audit, monkeypatch, capsys) -> None:
    violating_world(fake)
    cold, _ = audit(clock=clock(START))
    real = sqlite3.connect

    def read_only(path: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        kwargs.pop("isolation_level", None)
        return real(f"file:{path}?mode=ro", *args, uri=True, **kwargs)

    monkeypatch.setattr(cache_store.sqlite3, "connect", read_only)
    [issue] = [i for i in fake.issues.values() if i.title == "compliant"]
    touch(fake, issue, description=template("incident.md"))
    result, _ = audit(clock=clock(START + timedelta(hours=1)))
    assert "INC002" in rules_of(result)["compliant"] and "could not be written" in capsys.readouterr().err
    full, _ = audit(clock=clock(START + FULL_READ_EVERY))
    assert rules_of(full) == rules_of(result)


def test_a_cache_folder_that_vanishes_mid_run_is_not_fatal(fake, audit, umami) -> None:
    violating_world(fake)
    cold, _ = audit(clock=clock(START))
    source = audit.cached(clock=clock(START + timedelta(hours=1)))
    from inc_audit.audit import run_audit

    def vanish(_: Any) -> None:
        shutil.rmtree(audit.directory, ignore_errors=True)

    result = run_audit(source, umami, START, progress=vanish)
    assert rules_of(result) == rules_of(cold)
    again, _ = audit(clock=clock(START + timedelta(hours=2)))
    assert rules_of(again) == rules_of(cold)
