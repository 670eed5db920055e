"""A synthetic GitLab project export for the benchmark, on the real Umami templates.

``generate(n, seed)`` builds a project of ``n`` incidents with ``ExportWriter`` and the
template fillers of ``examples/build_example.py``, in the usual mix:

- 70% compliant closed incidents: a linked emergency change, a complete post-mortem
  comment, approved by alice (product manager), half by an award emoji, half by a later
  "Approved ..." comment;
- 10% open incidents, report filled in, still being handled;
- 20% violating, in four equal parts: a half-empty report (INC002), no linked change
  (CHG001), no post-mortem (IPM001), a post-mortem nobody entitled approved (IPM003).

With ``compliant_only`` every incident is a compliant closed one. Every incident has
10 to 30 notes: ordinary discussion comments, a few system notes (the link to its change,
assignments, mentions), the post-mortem and the approval comment where it has them.
The output depends only on ``n``, ``seed`` and ``compliant_only``.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "examples") not in sys.path:
    sys.path.insert(0, str(ROOT / "examples"))

import build_example as bx  # noqa: E402

AS_OF = "2026-06-01T00:00:00Z"
"""The audit moment: every closed incident's post-mortem deadline has passed by then."""

COMPLIANT_EMOJI = "compliant (emoji approval)"
COMPLIANT_COMMENT = "compliant (comment approval)"
OPEN = "open"
HALF_EMPTY = "half-empty report"
NO_CHANGE = "no linked change"
NO_POST_MORTEM = "no post-mortem"
UNAPPROVED = "unapproved post-mortem"

MIX = (
    (COMPLIANT_EMOJI, 0.35),
    (COMPLIANT_COMMENT, 0.35),
    (OPEN, 0.10),
    (HALF_EMPTY, 0.05),
    (NO_CHANGE, 0.05),
    (NO_POST_MORTEM, 0.05),
    (UNAPPROVED, 0.05),
)
COMPLIANT = (COMPLIANT_EMOJI, COMPLIANT_COMMENT)
VIOLATING = (HALF_EMPTY, NO_CHANGE, NO_POST_MORTEM, UNAPPROVED)

TEMPLATES = (
    (bx.INCIDENT, ("incident",)),
    (bx.INCIDENT_REPORT, ("INC", "incident")),
    (bx.INCIDENT_REQUEST, ("INC",)),
)
PM_AUTHORS = ("bob", "carol", "dave", "erin", "frank", "grace")
PEOPLE = ("alice", "bob", "carol", "dave", "erin", "frank", "grace")
FIRST_DAY = datetime(2024, 1, 8, 8, 0, tzinfo=timezone.utc)
LAST_CLOSED_DAY = datetime(2026, 4, 15, 8, 0, tzinfo=timezone.utc)
LAST_OPEN_DAY = datetime(2026, 5, 28, 8, 0, tzinfo=timezone.utc)

# --------------------------------------------------------------------------- text pools

SERVICES = (
    "indexer",
    "public RPC endpoint",
    "backend API",
    "price feed",
    "WalletConnect relay",
    "NFT thumbnail service",
    "desktop auto-updater",
    "Beacon bridge",
    "token metadata cache",
    "staking dashboard",
    "operation history service",
    "fee estimator",
)
SYMPTOMS = (
    "answers HTTP 502 for about one request in {n}",
    "is {n} minutes behind the mainnet head",
    "returns stale balances for {n}% of the accounts",
    "times out after {n} seconds on every call",
    "shows an empty list for accounts with more than {n} operations",
    "crashes on start for {n}% of the desktop users",
)
DISCOVERIES = (
    "`{alert}` alert in #umami-alerts at {hh}:{mm}, then {n} support tickets.",
    "Support ticket from a user at {hh}:{mm}, confirmed by {who} on the web wallet.",
    "{who} noticed it while checking the Grafana dashboard after the {hh}:{mm} deploy.",
    "Reported by two dApp teams in the partners channel around {hh}:{mm}.",
)
ALERTS = ("IndexerBehindHead", "BlackboxProbeFailed", "HighErrorRate", "DiskSpaceLow", "NodeDown")
IMPACTS = (
    "Users cannot send tez or tokens while it lasts; about {n} sessions affected.",
    "Balances and history are stale for every user; risk of double sends.",
    "Web wallet unusable for {n}% of the users; desktop unaffected.",
    "dApp connections fail; Beacon still works. {n} support tickets so far.",
)
EVIDENCE = (
    "```\n{ts} ERROR {svc}: upstream timed out (110) after {n}ms\n{ts} ERROR api.http: 502 GET /accounts\n```",
    "Grafana: error rate at {n}% on the {svc} panel since {hh}:{mm}.",
    "```\n$ curl -s -o /dev/null -w '%{{http_code}}' https://{svc}.example/health\n502\n```\n"
    "{n} failures out of 10 probes.",
    'Log extract from {svc} (id {id}):\n\n    level=error msg="request failed" code={n}',
)
COMMENTS = (
    "Looking at the {svc} logs now.",
    "Restarted the {svc} pods, watching the error rate.",
    "Error rate back to normal at {hh}:{mm}, keeping an eye on it.",
    "Could this be related to the deploy of {day}?",
    "I can reproduce it on the web wallet, not on desktop.",
    "Rollback of the last release would take about {n} minutes.",
    "Pinged the hosting provider, ticket #{id} opened on their side.",
    "Adding the Grafana snapshot: lag peaked at {n} blocks.",
    "Users are asking in the community channel, posted a status update.",
    "The fix is in review: umami-wallet/umami-backend!{id}.",
    "Same symptoms as last month, checking whether the alert thresholds changed.",
    "Monitoring for {n} more hours before closing.",
    "Thanks all, good catch on the disk IO.",
    "Status page updated at {hh}:{mm}.",
    "Post-mortem meeting planned for {day}.",
)
SYSTEM_NOTES = (
    "assigned to @{who}",
    "mentioned in merge request umami-wallet/umami-backend!{id}",
    "mentioned in commit {sha}",
    "changed the description",
    "changed due date to {day}",
)
CHANGE_ACTIONS = (
    "Move the {svc} database to a dedicated volume and throttle autovacuum.",
    "Roll back the {svc} to the previous release and pin its dependency.",
    "Raise the {svc} connection pool to {n} and add a circuit breaker.",
    "Rotate the {svc} logs daily and grow its volume to {n} GB.",
)


@dataclass
class Incident:
    """What the generator made for one incident, so the benchmark can edit it later."""

    iid: int
    kind: str
    template: str
    labels: tuple[str, ...]
    title: str
    report: bx.Report  # as filed
    full_report: bx.Report  # every section written
    change_iid: int | None = None
    post_mortem_note: int | None = None

    @property
    def closed(self) -> bool:
        return self.kind != OPEN


def render_report(template: str, report: bx.Report) -> str:
    """An incident description on ``template``, every checklist box ticked."""
    return bx.tick(bx.incident_report(template, report))


@dataclass
class Project:
    writer: bx.ExportWriter
    incidents: list[Incident]
    changes: int

    def write(self, folder: Path) -> Path:
        return self.writer.write(folder)

    def by_kind(self, kind: str) -> list[Incident]:
        return [incident for incident in self.incidents if incident.kind == kind]

    def description(self, incident: Incident, report: bx.Report | None = None) -> str:
        return render_report(incident.template, report or incident.report)


class _Words:
    """Deterministic text: the pools above, filled from one seeded random stream."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def fill(self, pattern: str, **extra: object) -> str:
        r = self.rng
        values: dict[str, object] = {
            "n": r.randint(2, 95),
            "hh": f"{r.randint(0, 23):02d}",
            "mm": f"{r.randint(0, 59):02d}",
            "svc": r.choice(SERVICES),
            "who": r.choice(PEOPLE),
            "alert": r.choice(ALERTS),
            "id": r.randint(100, 99999),
            "sha": f"{r.getrandbits(40):010x}",
            "day": f"2026-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}",
            "ts": f"2026-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}T{r.randint(0, 23):02d}:"
            f"{r.randint(0, 59):02d}:{r.randint(0, 59):02d}Z",
        }
        values.update(extra)
        return pattern.format(**values)

    def pick(self, pool: tuple[str, ...], **extra: object) -> str:
        return self.fill(self.rng.choice(pool), **extra)

    def report(self, iid: int) -> bx.Report:
        service = self.rng.choice(SERVICES)
        nature = f"The {service} {self.pick(SYMPTOMS)} (incident {iid}).\n{self.pick(COMMENTS, svc=service)}"
        return bx.Report(
            nature=nature,
            discovered=self.pick(DISCOVERIES),
            impact=self.pick(IMPACTS),
            evidence=self.pick(EVIDENCE, svc=service),
        )

    def post_mortem(self, iid: int, change: int | None) -> str:
        handled = f"#{iid}" + (f", handled with the emergency change #{change}." if change else ".")
        pm = bx.PostMortem(
            handled=handled,
            timeline=f"- {self.fill('{day} {hh}:{mm}')} alert\n- {self.fill('{hh}:{mm}')} incident filed\n"
            f"- {self.fill('{hh}:{mm}')} mitigated",
            root_cause=self.pick(COMMENTS) + " " + self.pick(SYMPTOMS) + ".",
            impact=self.pick(IMPACTS),
            recommendations=f"- {self.pick(CHANGE_ACTIONS)}\n- Alert earlier on the {self.rng.choice(SERVICES)}.",
        )
        return bx.bold_post_mortem(pm) if self.rng.random() < 0.1 else bx.post_mortem(pm)

    def change(self, iid: int) -> str:
        action = self.pick(CHANGE_ACTIONS)
        return bx.change_request(
            bx.Change(
                summary=f"Emergency change for #{iid}: {action}",
                area=f"Backend: {self.rng.choice(SERVICES)}.",
                current=self.pick(SYMPTOMS).capitalize() + ".",
                desired=f"{action} Success: no error for {self.rng.randint(2, 48)} hours.",
                procedure=f"1. {self.pick(CHANGE_ACTIONS)}\n2. Watch the dashboard for an hour.",
                rollback=f"Revert to the previous configuration, about {self.rng.randint(5, 60)} minutes.",
            )
        )


def _kinds(n: int, rng: random.Random, compliant_only: bool) -> list[str]:
    """Exactly the mix's proportions (largest remainders), shuffled."""
    mix = ((COMPLIANT_EMOJI, 0.5), (COMPLIANT_COMMENT, 0.5)) if compliant_only else MIX
    counts = {kind: int(n * share) for kind, share in mix}
    rest = sorted(mix, key=lambda item: (n * item[1]) % 1, reverse=True)
    for kind, _ in rest[: n - sum(counts.values())]:
        counts[kind] += 1
    kinds = [kind for kind, count in counts.items() for _ in range(count)]
    rng.shuffle(kinds)
    return kinds


def generate(n: int, seed: int = 1, compliant_only: bool = False) -> Project:
    """A project of ``n`` incidents (and their change tickets), deterministic for a seed."""
    rng = random.Random(f"inc-audit-bench/{seed}/{n}/{compliant_only}")
    words = _Words(rng)
    writer = bx.new_writer()
    incidents: list[Incident] = []
    next_iid = 1
    changes = 0
    span = (LAST_CLOSED_DAY - FIRST_DAY).total_seconds()
    for number, kind in enumerate(_kinds(n, rng, compliant_only)):
        iid, next_iid = next_iid, next_iid + 1
        template, labels = TEMPLATES[rng.randrange(len(TEMPLATES))]
        full = words.report(iid)
        report = full
        if kind == HALF_EMPTY:
            blank = rng.sample(range(4), 2)
            report = bx.Report(*(None if i in blank else part for i, part in enumerate(full)))
        if kind == OPEN:
            created = LAST_OPEN_DAY - timedelta(days=rng.uniform(1, 60))
        else:  # spread over two years, in order of iid
            created = FIRST_DAY + timedelta(seconds=span * (number + rng.random()) / n)
        title = f"{rng.choice(SERVICES).capitalize()} {words.pick(SYMPTOMS)}"
        incident = Incident(iid, kind, template, labels, title, report, full)
        incidents.append(incident)
        author = rng.choice(("dave", "erin", "frank", "grace", "carol"))
        writer.add_issue(
            title,
            render_report(template, report),
            author,
            created,
            labels=labels,
            iid=iid,
            assignees=rng.sample(PEOPLE, 2),
        )

        total = rng.randint(10, 30)
        used = 0
        moment = created + timedelta(minutes=rng.randint(5, 40))
        wants_change = kind != NO_CHANGE and (kind != OPEN or rng.random() < 0.5)
        if wants_change:
            change_iid, next_iid = next_iid, next_iid + 1
            changes += 1
            lead = rng.choice(("bob", "dave"))
            writer.add_issue(
                f"CHG: {words.pick(CHANGE_ACTIONS)}",
                words.change(iid),
                lead,
                moment,
                labels=bx.CHG_LABELS,
                issue_type="issue",
                iid=change_iid,
            )
            writer.link(iid, change_iid, lead, moment + timedelta(minutes=2))
            incident.change_iid = change_iid
            used += 1
        for _ in range(rng.randint(1, 3)):
            moment += timedelta(minutes=rng.randint(3, 300))
            writer.add_note(iid, words.pick(SYSTEM_NOTES), rng.choice(PEOPLE), moment, system=True, action="note")
            used += 1

        has_pm = kind in (*COMPLIANT, HALF_EMPTY, NO_CHANGE, UNAPPROVED)
        approval_comment = kind == COMPLIANT_COMMENT or (kind == UNAPPROVED and rng.random() < 0.25)
        reserved = int(has_pm) + int(approval_comment)
        discussion = max(total - used - reserved, 0)
        after_pm = rng.randint(0, min(2, discussion)) if has_pm else 0
        for _ in range(discussion - after_pm):
            moment += timedelta(minutes=rng.randint(5, 600))
            writer.add_note(iid, words.pick(COMMENTS), rng.choice(PEOPLE), moment)
        if kind == OPEN:
            continue

        closer = rng.choice(("dave", "erin", "bob"))
        moment += timedelta(hours=rng.randint(1, 48))
        if incident.change_iid is not None:
            writer.close(incident.change_iid, closer, moment)
        writer.close(iid, closer, moment + timedelta(minutes=10))
        if not has_pm:
            continue
        moment += timedelta(days=rng.uniform(1, 5))
        pm_author = rng.choice(PM_AUTHORS)
        pm = writer.add_note(iid, words.post_mortem(iid, incident.change_iid), pm_author, moment)
        incident.post_mortem_note = pm
        approved_at = moment + timedelta(days=rng.uniform(0.5, 3))
        if kind == UNAPPROVED:  # nobody entitled: the author, or someone who is no approver
            who = rng.choice((pm_author, "frank", "grace", "erin"))
            if approval_comment:
                writer.add_note(iid, "Approved from my side.", pm_author, approved_at)
            elif rng.random() < 0.6:
                writer.award(pm, rng.choice(("thumbsup", "white_check_mark")), who, approved_at)
        elif approval_comment:
            writer.add_note(
                iid,
                rng.choice(
                    (
                        "Approved at the IPM meeting of {day}.",
                        "approved, thanks for the write-up",
                        "**Approved.**",
                        "Approved",
                    )
                ).format(day=approved_at.date().isoformat()),
                "alice",
                approved_at,
            )
        else:
            writer.award(pm, rng.choice(("thumbsup", "white_check_mark")), "alice", approved_at)
        for _ in range(after_pm):
            approved_at += timedelta(hours=rng.randint(1, 30))
            writer.add_note(iid, words.pick(COMMENTS), rng.choice(PEOPLE), approved_at)
    return Project(writer, incidents, changes)


def report_bodies(count: int, seed: int = 7) -> Iterator[str]:
    """``count`` distinct incident reports, filled in, on the three incident templates."""
    rng = random.Random(f"inc-audit-bench/bodies/{seed}")
    words = _Words(rng)
    for number in range(count):
        template, _ = TEMPLATES[number % len(TEMPLATES)]
        yield render_report(template, words.report(100_000 + number))
