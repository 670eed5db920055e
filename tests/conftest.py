"""Fixtures shared by the tests: the vendored fixtures, an in-memory source, issue builders."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from inc_audit.config import file as config_module
from inc_audit.model import Award, Issue, IssueKey, LinkedIssue, Note, Shard
from inc_audit.sources.interface import Source

if TYPE_CHECKING:
    from fakegitlab import FakeGitLab

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples"
EXAMPLE_EXPORT = EXAMPLES / "umami-export"
EXAMPLE_CONFIG = EXAMPLES / ".inc-audit.yml"
AS_OF = datetime(2026, 6, 1, tzinfo=timezone.utc)
PROJECT = "umami-wallet/umami"


@pytest.fixture(autouse=True)
def outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests run as at a terminal: reports withhold confidential titles when ``CI`` is set."""
    monkeypatch.delenv("CI", raising=False)


FIXTURES = ROOT / "tests" / "fixtures"
GITLAB_FIXTURES = FIXTURES / "gitlab"  # GitLab's own fixtures: see tests/fixtures/gitlab/SOURCE.md
TEMPLATES = FIXTURES / "umami-templates"  # the team's real issue templates: see tests/fixtures/README.md
TEMPLATE_FILES = sorted(p for p in TEMPLATES.glob("*.md") if p.name != "README.md")


def template(name: str) -> str:
    return (TEMPLATES / name).read_text(encoding="utf-8")


FILLER = "The indexer stopped following the chain at block 4,812,331; balances were stale for 40 minutes."


def fill(text: str, schema_kinds: tuple[str, ...] = ("report", "post-mortem", "change")) -> str:
    """A template as a careful person files it: every known section written, every box ticked."""
    from inc_audit.reading.markdown import parse
    from inc_audit.reading.schemas import load

    document = parse(text)
    lines = text.replace("\r\n", "\n").split("\n")
    wanted = set()
    for kind in schema_kinds:
        schema = load(kind)
        for part in schema.parts:
            section = schema.find(document, part)
            if section is not None and part.group == "sections":
                wanted.add(section.heading.line)
    out = []
    for number, line in enumerate(lines, 1):
        out.append(line.replace("- [ ]", "- [x]").replace("-  []", "- [x]").replace("- []", "- [x]"))
        if number in wanted:
            out.append(FILLER)
    return "\n".join(out)


def filled_report(name: str = "incident.md") -> str:
    return fill(template(name))


def filled_post_mortem() -> str:
    return fill(template("Incident Port-Mortem.md"))


def filled_change() -> str:
    return fill(template("Change Emergency.md"))


@pytest.fixture
def fake() -> Iterator[FakeGitLab]:
    """A fake GitLab on 127.0.0.1 for one test, which ends with no request it could not serve.
    A module that needs it loaded with more defines its own ``fake``. Imported here, as the tests
    import it (``fakegitlab``, on pytest's path), so that they patch the module it runs."""
    from fakegitlab import FakeGitLab

    with FakeGitLab() as server:
        yield server
    assert server.errors == []


@pytest.fixture
def config() -> config_module.Config:
    return config_module.load(EXAMPLE_CONFIG) if EXAMPLE_CONFIG.exists() else umami_config()


def umami_config() -> config_module.Config:
    raw = {
        "roles": {
            "product_manager": {"primary": "alice", "backups": ["bob"]},
            "development_lead": {"primary": "bob", "backups": ["carol"]},
            "operations_manager": {"primary": "dave", "backups": ["erin"]},
        },
        "labels": {"exempt": ["not-an-incident"]},
    }
    config_module.validate(raw, "test")
    return config_module.build(raw, None)


@pytest.fixture
def umami() -> config_module.Config:
    return umami_config()


def at(days: float) -> datetime:
    """A moment ``days`` before AS_OF."""
    return AS_OF - timedelta(days=days)


def note(id: int, body: str, author: str = "dave", days_ago: float = 20, system: bool = False) -> Note:
    return Note(id=id, body=body, author=author, created_at=at(days_ago), system=system)


def incident(iid: int = 1, **changes: object) -> Issue:
    base = Issue(
        key=IssueKey(PROJECT, iid),
        title=f"Incident {iid}",
        description=filled_report(),
        labels=("incident",),
        issue_type="incident",
        state="closed",
        author="frank",
        created_at=at(40),
        updated_at=at(30),
        closed_at=at(30),
        web_url=f"https://gitlab.example.com/{PROJECT}/-/issues/{iid}",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def change_ticket(iid: int, description: str | None = None, **changes: object) -> Issue:
    fields: dict[str, object] = {
        "title": "Emergency change",
        "labels": ("CHG", "Change::Emergency", "Change"),
        "issue_type": "issue",
        **changes,
    }
    return incident(iid, description=filled_change() if description is None else description, **fields)


@dataclass
class MemorySource(Source):
    """A ``Source`` held in memory, counting what the rules ask of it."""

    issues: list[Issue] = field(default_factory=list)
    links: dict[IssueKey, list[IssueKey]] = field(default_factory=dict)
    awards: dict[tuple[IssueKey, int], tuple[Award, ...]] = field(default_factory=dict)
    asked: list[str] = field(default_factory=list)
    unreadable: dict[IssueKey, str] = field(default_factory=dict)
    """Issues the source cannot read, with why: links to them come back ``unreadable``."""

    def add(self, *issues: Issue) -> MemorySource:
        self.issues.extend(issues)
        return self

    def link(self, a: Issue, b: Issue) -> MemorySource:
        self.links.setdefault(a.key, []).append(b.key)
        self.links.setdefault(b.key, []).append(a.key)
        return self

    def award(self, issue: Issue, note_id: int, name: str, user: str, days_ago: float = 5) -> MemorySource:
        key = (issue.key, note_id)
        self.awards[key] = (*self.awards.get(key, ()), Award(name, user, at(days_ago)))
        return self

    def describe(self) -> dict[str, str]:
        return {"kind": "export", "path": "memory", "project": PROJECT}

    def candidate_issues(self, labels: tuple[str, ...], shard: Shard | None = None) -> Iterator[Issue]:
        wanted = {label.lower() for label in labels}
        found = {i.key: i for i in self.issues if i.issue_type == "incident" or wanted & {x.lower() for x in i.labels}}
        for key in shard.pick(found) if shard else sorted(found, key=lambda k: (k.project, k.iid)):
            yield found[key]

    def linked_issues(self, key: IssueKey) -> tuple[LinkedIssue, ...]:
        self.asked.append(f"links {key}")
        by_key = {i.key: i for i in self.issues}
        return tuple(
            LinkedIssue(k, "", (), "", "unknown", unreadable=self.unreadable[k])
            if k in self.unreadable
            else by_key[k].as_linked()
            for k in self.links.get(key, ())
            if k in by_key or k in self.unreadable
        )

    def note_awards(self, key: IssueKey, note_id: int) -> tuple[Award, ...]:
        self.asked.append(f"awards {key} {note_id}")
        return self.awards.get((key, note_id), ())

    def issue_summary(self, key: IssueKey) -> LinkedIssue:
        self.asked.append(f"issue {key}")
        found = next((i for i in self.issues if i.key == key), None)
        if found is None or key in self.unreadable:
            return LinkedIssue(key, "", (), "", "unknown", unreadable=self.unreadable.get(key, "not found (404)"))
        return found.as_linked()
