"""Kept verdicts (``CachedSource.cached_verdict``): a warm run runs no rule on an incident
whose findings cannot have changed, and gives the findings a cache-less run gives."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import closing
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from fakegitlab import API_TOKEN, PROJECT, FakeGitLab

from inc_audit import audit as audit_module
from inc_audit import rules
from inc_audit.audit import read_ahead, run_audit
from inc_audit.cache import source as cache_module
from inc_audit.cache.source import FILE_NAME, CachedSource, fingerprint
from inc_audit.config import file as config_module
from inc_audit.findings import AuditResult, Finding
from inc_audit.model import Issue, IssueKey
from inc_audit.reading import markdown
from inc_audit.rules import Verdict, judge
from inc_audit.sources.http.session import connect
from inc_audit.sources.rest.source import GitLabSource
from tests.conftest import (
    AS_OF,
    MemorySource,
    filled_change,
    filled_post_mortem,
    filled_report,
    incident,
    note,
    umami_config,
)
from tests.test_cache import AWARDS, CLOSED, LINKS, LISTING, NOTES, add_incident, by_issue, rules_of, touch


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@pytest.fixture
def config() -> config_module.Config:
    return umami_config()


class Run:
    """What one audit run gave: its result, its requests, and which incidents the rules
    ran on (``judged``) and how many bodies were parsed, read-ahead included."""

    def __init__(self, result: AuditResult, counts: dict[str, int], judged: list[int], parsed: int) -> None:
        self.result, self.counts, self.judged, self.parsed = result, counts, sorted(judged), parsed


class Runner:
    def __init__(self, fake: FakeGitLab, directory: Path, config: config_module.Config, monkeypatch: Any) -> None:
        self.fake, self.directory, self.config = fake, directory, config
        self.source: CachedSource | None = None
        self.judged: list[int] = []
        self.parsed = 0

        def counting_judge(issue: Issue, *args: Any) -> Verdict:
            self.judged.append(issue.iid)
            return judge(issue, *args)

        real_parse = markdown.parse

        def counting_parse(text: str) -> Any:
            self.parsed += 1
            return real_parse(text)

        monkeypatch.setattr(audit_module, "judge", counting_judge)
        for module in (rules.context, rules.postmortem):  # where the rules parse
            monkeypatch.setattr(module, "parse", counting_parse)
        monkeypatch.setattr(markdown, "parse", counting_parse)  # what read_ahead imports

    def __call__(self, as_of: datetime = AS_OF, progress: Any = None) -> Run:
        gl = connect(self.fake.url, API_TOKEN, timeout=2.0, retry_budget=2.0, backoff=0.01)
        live = GitLabSource(gl, project=PROJECT, concurrency=4)
        self.source = CachedSource(live, self.directory, fingerprint(self.config, live.describe()))
        read_ahead(self.source, self.config, as_of)
        self.fake.clear_logs()
        self.judged, self.parsed = [], 0
        result = run_audit(self.source, self.config, as_of, progress=progress)
        return Run(result, dict(self.fake.counts()), self.judged, self.parsed)


@pytest.fixture
def audit(fake: FakeGitLab, tmp_path: Path, config: config_module.Config, monkeypatch: Any) -> Runner:
    return Runner(fake, tmp_path / "cache", config, monkeypatch)


def cacheless(fake: FakeGitLab, config: config_module.Config, as_of: datetime = AS_OF) -> AuditResult:
    gl = connect(fake.url, API_TOKEN, timeout=2.0, retry_budget=2.0)
    return run_audit(GitLabSource(gl, project=PROJECT), config, as_of)


def late_incident(fake: FakeGitLab, title: str) -> Any:
    """Closed on CLOSED with a linked change and no post-mortem yet."""
    with fake.lock:
        issue = fake.add_issue(
            PROJECT, title=title, description=filled_report(), labels=["INC"], issue_type="incident",
            state="closed", created_at="2026-03-31T00:00:00Z", closed_at=CLOSED,
        )
        ticket = fake.add_issue(PROJECT, title=f"Change for {title}", description=filled_change(), labels=["CHG"])
        fake.link(issue, ticket)
        return issue


# --- nothing changed ---------------------------------------------------------------------------


def test_a_warm_run_runs_no_rule_and_parses_nothing_for_settled_incidents(fake, audit, config):
    emoji = add_incident(fake, "approved by emoji")
    comment = add_incident(fake, "approved by comment", approval="comment")
    opened = add_incident(fake, "still open", closed=False, change=False)
    no_change = add_incident(fake, "no change", change=False)
    half_empty = add_incident(fake, "half empty", description="## Summary\n\nTBD\n")
    waiting = add_incident(fake, "waiting", approval=None)
    cold = audit()
    assert cold.judged == sorted(i.iid for i in (emoji, comment, opened, no_change, half_empty, waiting))
    assert cold.result == cacheless(fake, config)
    assert rules_of(cold.result)[no_change.iid] == ["CHG001"] and rules_of(cold.result)[waiting.iid] == ["IPM003"]
    assert rules_of(cold.result)[half_empty.iid]

    warm = audit()
    assert warm.result == cold.result
    assert warm.judged == [waiting.iid]  # awaiting approval: judged on every run
    assert warm.counts == {LISTING: 1, AWARDS: 1} and by_issue(fake, AWARDS) == [str(waiting.iid)]
    assert warm.parsed == 3  # its post-mortem (read-ahead and rules) and report (rules); nothing else
    assert audit.source is not None and audit.source.mode == "warm"

    again = audit()
    assert again.result == cold.result and again.judged == [waiting.iid]


def test_a_kept_verdict_gives_the_findings_as_they_were_found(fake, audit):
    add_incident(fake, "no change", change=False)
    add_incident(fake, "half empty", description="## Summary\n\nTBD\n", approval="comment")
    cold = audit()
    warm = audit()
    assert warm.judged == [] and warm.result == cold.result
    findings = [f for i in warm.result.incidents for f in i.findings]
    assert findings and all(isinstance(f, Finding) for f in findings)
    assert {f.rule for f in findings} >= {"CHG001", "INC001"}


def test_the_notes_of_sections_recognised_by_their_text_are_kept_with_the_verdict(fake, audit, config):
    labels = (
        "what: the price feed froze at 18:00 and never restarted\n"
        "how found: alice saw the EUR value stand still\n"
        "risk: users see a portfolio 8 % too high\n"
        "proof: `kubectl logs job/price-pull` shows HTTP 429 then nothing\n"
    )
    issue = add_incident(fake, "plain labels", description=labels)
    cold = audit()
    [incident] = [i for i in cold.result.incidents if i.key.iid == issue.iid]
    assert len(incident.notes) == 1 and incident.notes[0].startswith("Incident Report: section 'Nature of the")
    assert incident.as_dict()["notes"] == list(incident.notes)
    assert cold.result == cacheless(fake, config)
    warm = audit()
    assert warm.judged == [] and warm.result == cold.result  # the notes too, from the cache
    assert [i.notes for i in warm.result.incidents if i.key.iid == issue.iid] == [incident.notes]


# --- time alone ----------------------------------------------------------------------------------


def test_deadlines_reopen_a_verdict_and_no_request_is_made_for_them(fake, audit, config):
    late = late_incident(fake, "post-mortem not written yet")  # IPM001 due on April 8
    pending = add_incident(fake, "not approved yet", approval=None)  # IPM003 due on April 9

    def run(when: str) -> Run:
        as_of = moment(when)
        done = audit(as_of)
        assert done.result == cacheless(fake, config, as_of)
        return done

    first = run("2026-04-05")
    assert rules_of(first.result) == {late.iid: [], pending.iid: []}
    inside = run("2026-04-06")
    assert inside.judged == [] and inside.counts == {LISTING: 1}

    overdue = run("2026-04-08T12:00:00")
    assert overdue.judged == [late.iid] and overdue.counts == {LISTING: 1}
    assert rules_of(overdue.result) == {late.iid: ["IPM001"], pending.iid: []}
    overdue_again = run("2026-04-08T18:00:00")
    assert overdue_again.judged == []

    unapproved = run("2026-04-10")
    assert unapproved.judged == [pending.iid]  # IPM001 holds from April 8 on: kept
    assert rules_of(unapproved.result) == {late.iid: ["IPM001"], pending.iid: ["IPM003"]}
    assert unapproved.counts == {LISTING: 1, AWARDS: 1}
    assert run("2026-04-11").judged == [pending.iid]

    earlier = run("2026-04-05")  # an audit dated before a deadline the verdict passed
    assert earlier.judged == [late.iid, pending.iid]
    assert rules_of(earlier.result) == {late.iid: [], pending.iid: []}


def test_the_verdict_window_lies_between_the_deadlines_the_rules_asked_about(umami):
    grace = timedelta(days=umami.due_days)
    closed = AS_OF - timedelta(days=3)
    fresh = incident(closed_at=closed, notes=())
    verdict = judge(fresh, umami, MemorySource(), AS_OF)
    assert "IPM001" not in rules_in(verdict) and verdict.settled and verdict.links == {fresh.key}
    assert verdict.stable_after is None and verdict.stable_until == closed + grace
    assert verdict.holds_at(AS_OF) and verdict.holds_at(closed + grace)
    assert not verdict.holds_at(closed + grace + timedelta(seconds=1))

    overdue = incident(closed_at=AS_OF - timedelta(days=30), notes=())
    verdict = judge(overdue, umami, MemorySource(), AS_OF)
    assert "IPM001" in rules_in(verdict) and verdict.settled
    assert verdict.stable_after == AS_OF - timedelta(days=30) + grace and verdict.stable_until is None
    assert not verdict.holds_at(AS_OF - timedelta(days=30))

    posted = AS_OF - timedelta(days=2)
    waiting = incident(closed_at=AS_OF - timedelta(days=30), notes=(note(1, filled_post_mortem(), days_ago=2),))
    verdict = judge(waiting, umami, MemorySource(), AS_OF)  # its approval is not due yet
    assert rules_in(verdict) == [f.rule for f in verdict.findings if f.rule != "IPM003"] and verdict.settled
    assert verdict.stable_after is None and verdict.stable_until == posted + grace

    opened = incident(state="opened", closed_at=None, notes=(note(1, filled_post_mortem(), days_ago=2),))
    verdict = judge(opened, umami, MemorySource(), AS_OF)  # an open incident's post-mortem has a deadline too
    assert "IPM003" not in rules_in(verdict) and verdict.settled and verdict.links == frozenset()
    assert verdict.stable_after is None and verdict.stable_until == posted + grace
    verdict = judge(opened, umami, MemorySource(), posted + grace + timedelta(seconds=1))
    assert "IPM003" in rules_in(verdict) and not verdict.settled

    unapproved = incident(closed_at=AS_OF - timedelta(days=30), notes=(note(1, filled_post_mortem(), days_ago=25),))
    verdict = judge(unapproved, umami, MemorySource(), AS_OF)
    assert "IPM003" in rules_in(verdict) and not verdict.settled

    ignored = replace(umami, ignore=("IPM",))
    verdict = judge(fresh, ignored, MemorySource(), AS_OF)
    assert verdict.stable_after is None and verdict.stable_until is None


def rules_in(verdict: Verdict) -> list[str]:
    return [f.rule for f in verdict.findings]


def test_a_rule_reading_the_audit_moment_directly_leaves_its_verdict_unsettled(umami, monkeypatch):
    def peeking(ctx: rules.Context) -> Iterator[Finding]:
        if ctx.as_of.year > 3000:
            yield ctx.finding("INC003", "never")

    monkeypatch.setitem(rules.RULES, "INC003", replace(rules.RULES["INC003"], check=peeking))
    assert not judge(incident(), umami, MemorySource(), AS_OF).settled


# --- approvals, edits, links ------------------------------------------------------------------


def test_an_incident_awaiting_approval_is_judged_every_run_and_a_new_emoji_is_seen(fake, audit, config):
    approved = add_incident(fake, "approved")
    waiting = add_incident(fake, "waiting", approval=None)
    first = audit()
    assert rules_of(first.result) == {approved.iid: [], waiting.iid: ["IPM003"]}
    second = audit()
    assert second.judged == [waiting.iid] and second.result == first.result
    with fake.lock:  # an award emoji does not touch the issue
        fake.add_award(waiting.notes[0], "thumbsup", user="alice")
    third = audit()
    assert third.judged == [waiting.iid] and third.counts == {LISTING: 1, AWARDS: 1}
    assert rules_of(third.result) == {approved.iid: [], waiting.iid: []}
    assert third.result == cacheless(fake, config)
    fourth = audit()  # approved now: its verdict is kept
    assert fourth.judged == [] and fourth.counts == {LISTING: 1} and fourth.result == third.result


def test_an_edited_incident_is_judged_again(fake, audit, config):
    kept = add_incident(fake, "kept")
    edited = add_incident(fake, "edited")
    audit()
    heading = "### What is the evidence (i.e. screenshots, logs, etc)?"
    touch(fake, edited, description=edited.description.replace(heading, f"{heading}\n\nTBD\n\n### Older notes"))
    second = audit()
    assert second.judged == [edited.iid] and by_issue(fake, NOTES) == [str(edited.iid)]
    assert rules_of(second.result) == {kept.iid: [], edited.iid: ["INC002"]}
    assert second.result == cacheless(fake, config)
    third = audit()
    assert third.judged == [] and third.result == second.result


def test_a_new_comment_is_judged(fake, audit, config):
    waiting = add_incident(fake, "waiting", approval=None)
    audit()
    with fake.lock:
        fake.add_note(waiting, "Approved, thanks.", author="alice")
    touch(fake, waiting)
    second = audit()
    assert second.judged == [waiting.iid] and rules_of(second.result) == {waiting.iid: []}
    assert audit().judged == []


def test_an_edited_change_ticket_gets_its_incident_judged_again(fake, audit, config):
    subject = add_incident(fake, "subject")
    [ticket] = [i for i in fake.issues.values() if i.title == "Change for subject"]
    audit()
    touch(fake, ticket, description="## Rollback plan\n\nTBD\n")
    second = audit()
    assert second.judged == [subject.iid] and second.counts == {LISTING: 1, LINKS: 1}
    assert "CHG002" in rules_of(second.result)[subject.iid]
    assert second.result == cacheless(fake, config)
    assert audit().judged == []


def test_a_known_incident_is_judged_again_when_the_links_of_the_incident_it_relies_on_change(fake, audit, config):
    earlier = add_incident(fake, "earlier")
    [ticket] = [i for i in fake.issues.values() if i.title == "Change for earlier"]
    known = add_incident(fake, "known", change=False, labels=("INC", "incident::known"))
    with fake.lock:
        fake.link(known, earlier)
    first = audit()
    assert rules_of(first.result) == {earlier.iid: [], known.iid: []}  # the earlier incident's change counts
    assert audit().judged == []
    # The change ticket stops being one: the earlier incident's links are read again, the
    # known incident's links (which show the earlier incident, unchanged) are not.
    touch(fake, ticket, labels=["bug"])
    second = audit()
    assert second.counts == {LISTING: 1, LINKS: 1} and by_issue(fake, LINKS) == [str(earlier.iid)]
    assert second.judged == [earlier.iid, known.iid]
    assert rules_of(second.result) == {earlier.iid: ["CHG001"], known.iid: ["CHG001"]}
    assert second.result == cacheless(fake, config)
    assert audit().judged == []


# --- what verdicts are kept for -------------------------------------------------------------------


def test_a_config_change_judges_everything_again(fake, audit, config):
    issues = [add_incident(fake, "one"), add_incident(fake, "two", change=False)]
    audit()
    assert audit().judged == []
    audit.config = replace(config, ignore=("CHG001",), digest=config.digest + "-ignoring CHG001")
    changed = audit()
    assert changed.judged == sorted(i.iid for i in issues)
    assert rules_of(changed.result) == {issues[0].iid: [], issues[1].iid: []}
    assert changed.result == cacheless(fake, audit.config)
    assert audit().judged == []


def test_other_inc_audit_code_judges_everything_again_without_reading_again(fake, audit, monkeypatch):
    issues = [add_incident(fake, "one"), add_incident(fake, "two", approval="comment")]
    audit()
    monkeypatch.setattr(cache_module, "code_digest", lambda: "other code")
    other = audit()
    assert other.judged == sorted(i.iid for i in issues) and other.counts == {LISTING: 1}
    assert audit().judged == []


class Stop(Exception):
    pass


def test_verdicts_are_kept_only_by_a_complete_scan(fake, audit):
    issues = [add_incident(fake, f"incident {n}") for n in range(3)]

    def stop_at_the_second(issue: Issue) -> None:
        if issue.iid == issues[1].iid:
            raise Stop

    with pytest.raises(Stop):
        audit(progress=stop_at_the_second)
    assert audit.source is not None and not audit.source.saved
    assert audit.judged == [issues[0].iid]
    assert not (audit.directory / FILE_NAME).exists()
    cold = audit()
    assert audit.source.mode == "cold" and cold.judged == sorted(i.iid for i in issues)

    for issue in issues:
        touch(fake, issue)
    with pytest.raises(Stop):
        audit(progress=stop_at_the_second)
    rerun = audit()  # what the interrupted scan judged and read is gone with it
    assert rerun.judged == sorted(i.iid for i in issues) and rerun.counts[NOTES] == 3
    assert audit().judged == []


def test_verdicts_follow_the_incidents_out_of_the_cache(fake, audit):
    leaving = add_incident(fake, "leaving")
    staying = add_incident(fake, "staying")
    audit()
    assert verdict_rows(audit.directory) == {leaving.iid, staying.iid}
    touch(fake, leaving, labels=["bug"], issue_type="issue")
    audit()
    assert verdict_rows(audit.directory) == {staying.iid}


def test_an_unsettled_verdict_is_not_kept_and_drops_the_one_before(fake, audit):
    subject = add_incident(fake, "subject")
    audit()
    assert verdict_rows(audit.directory) == {subject.iid}
    with fake.lock:
        subject.notes[0].awards.clear()
        fake.awards.clear()
    touch(fake, subject)
    run = audit()
    assert rules_of(run.result) == {subject.iid: ["IPM003"]}
    assert verdict_rows(audit.directory) == set()


def test_a_garbage_verdict_makes_the_cache_rebuilt(fake, audit, capsys):
    add_incident(fake, "one")
    first = audit()
    with closing(sqlite3.connect(audit.directory / FILE_NAME)) as db:
        db.execute("UPDATE verdicts SET findings = '[[1, 2]]'")
        db.commit()
    second = audit()
    assert second.result == first.result and "unreadable" in capsys.readouterr().err
    assert audit.source is not None and audit.source.mode == "cold" and second.judged


def test_a_verdict_is_given_only_for_an_issue_the_cache_served_this_run(fake, audit):
    subject = add_incident(fake, "subject")
    audit()
    audit()
    assert audit.source is not None
    served = incident(subject.iid, key=IssueKey(PROJECT, subject.iid))
    assert audit.source.cached_verdict(served, AS_OF) == ()
    assert audit.source.cached_verdict(replace(served, key=IssueKey(PROJECT, 999)), AS_OF) is None
    gl = connect(fake.url, API_TOKEN, timeout=2.0, retry_budget=2.0)
    unscanned = CachedSource(GitLabSource(gl, project=PROJECT), audit.directory, audit.source.fingerprint)
    assert unscanned.cached_verdict(served, AS_OF) is None


def verdict_rows(directory: Path) -> set[int]:
    with closing(sqlite3.connect(directory / FILE_NAME)) as db:
        return {int(iid) for (iid,) in db.execute("SELECT iid FROM verdicts")}


# --- issues served with a kept verdict ------------------------------------------------------------


def test_an_issue_with_a_kept_verdict_is_served_with_its_notes_decoded_only_when_read(fake, audit, monkeypatch):
    subject = add_incident(fake, "subject", approval="comment")
    audit()
    served: list[Issue] = []
    run = audit(progress=served.append)
    assert run.judged == [] and audit.source is not None

    decoded: list[int] = []
    real = cache_module.notes_from_api

    def counting(raws: Any) -> Any:
        decoded.append(len(raws))
        return real(raws)

    monkeypatch.setattr(cache_module, "notes_from_api", counting)
    [issue] = served
    assert decoded == []
    live = GitLabSource(connect(fake.url, API_TOKEN, timeout=2.0, retry_budget=2.0), project=PROJECT)
    [fresh] = live.candidate_issues(("INC",))
    assert issue.notes == fresh.notes and len(issue.notes) == 2 and decoded == [2]
    assert issue.notes == fresh.notes and decoded == [2]  # once
    assert replace(issue, title="other").notes == fresh.notes and replace(issue, notes=()).notes == ()
    assert (issue.key, issue.title, issue.description, issue.closed_at) == (
        fresh.key, fresh.title, fresh.description, fresh.closed_at,
    ) and subject.iid == issue.iid


def test_unreadable_notes_behind_a_verdict_that_no_longer_holds_are_read_again(fake, audit, config, capsys):
    late = late_incident(fake, "post-mortem not written yet")
    audit(moment("2026-04-05"))
    with closing(sqlite3.connect(audit.directory / FILE_NAME)) as db:
        db.execute("UPDATE issues SET notes = 'not json'")
        db.commit()
    kept = audit(moment("2026-04-06"))
    assert kept.judged == [] and kept.counts == {LISTING: 1} and capsys.readouterr().err == ""
    overdue = audit(moment("2026-04-10"))
    assert overdue.judged == [late.iid] and rules_of(overdue.result) == {late.iid: ["IPM001"]}
    assert overdue.counts == {LISTING: 1, NOTES: 1} and "unreadable" in capsys.readouterr().err
    assert overdue.result == cacheless(fake, config, moment("2026-04-10"))
    again = audit(moment("2026-04-11"))
    assert again.judged == [] and again.counts == {LISTING: 1} and again.result.incidents == overdue.result.incidents


# --- the same findings as a cache-less run, whatever the audit moment -----------------------------


def test_kept_verdicts_give_a_cacheless_runs_findings_across_audit_moments(tmp_path, monkeypatch):
    """A generated project (the benchmark's mix: compliant, open, half-empty, no change, no
    post-mortem, unapproved), audited through one cache at moments around its incidents'
    deadlines, in no particular order: each result equals a cache-less audit's."""
    import random

    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "bench"))
    import synthetic

    from tests.conftest import EXAMPLE_CONFIG

    config = config_module.load(EXAMPLE_CONFIG)
    export = synthetic.generate(30, seed=7).write(tmp_path / "export")
    with FakeGitLab.from_export(export, PROJECT) as fake:
        grace = timedelta(days=config.due_days)
        moments = set()
        for issue in fake.issues.values():
            if issue.issue_type != "incident":
                continue
            for start in (issue.closed_at, *(n.created_at for n in issue.notes if not n.system)):
                if start is not None:
                    moments |= {start + grace - timedelta(hours=1), start + grace + timedelta(hours=1)}
        rng = random.Random(7)
        chosen = rng.sample(sorted(moments), 6) + [moment(synthetic.AS_OF.rstrip("Z")), moment("2030-01-01")]
        rng.shuffle(chosen)
        runner = Runner(fake, tmp_path / "cache", config, monkeypatch)
        for as_of in chosen + chosen[:2]:
            run = runner(as_of)
            assert run.result == cacheless(fake, config, as_of), as_of
        kinds = {rule for incident in cacheless(fake, config).incidents for rule in rules_of_one(incident)}
        assert {"INC002", "CHG001", "IPM001", "IPM003"} <= kinds
        again = runner(as_of)  # the same moment again: only incidents awaiting approval are judged
        awaiting = {i.key.iid for i in again.result.incidents if "IPM003" in rules_of_one(i)}
        assert set(again.judged) == awaiting and len(again.judged) < len(again.result.incidents) / 4


def rules_of_one(incident: Any) -> list[str]:
    return [f.rule for f in incident.findings]
