"""The naive baseline: the audit written the straightforward way with python-gitlab.

One call at a time, python-gitlab's defaults (per_page 20, every page): list the
incident issues (once per incident label, once by issue_type), then for every
incident read all its notes, every note's award emoji and its links. The same rules
then run on what was read, through ``run_audit`` and a small in-memory ``Source``,
so the findings can be compared with ``inc-audit run``'s.

    GITLAB_TOKEN=... python bench/naive_baseline.py --url URL --project PATH \\
        --config .inc-audit.yml --as-of 2026-06-01T00:00:00Z --output naive.json [--sample K]

``--sample K`` reads notes, awards and links for K incidents spread evenly over the
list (the listing is always complete), so that a long run can be projected from a
shorter one; ``--stats FILE`` writes how the time was spent, as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gitlab

from inc_audit.audit import run_audit
from inc_audit.config import file as config_module
from inc_audit.formats.registry import REPORTERS, Options
from inc_audit.model import Award, Issue, IssueKey, LinkedIssue, Shard, parse_time
from inc_audit.sources.entries import award_from_api, issue_from_api, linked_from_api, note_from_api
from inc_audit.sources.interface import Source


@dataclass
class MemorySource(Source):
    """A ``Source`` over issues already read: nothing is fetched while auditing."""

    issues: dict[IssueKey, Issue]
    links: dict[IssueKey, tuple[LinkedIssue, ...]] = field(default_factory=dict)
    awards: dict[tuple[IssueKey, int], tuple[Award, ...]] = field(default_factory=dict)
    source: dict[str, str] = field(default_factory=dict)

    def describe(self) -> dict[str, str]:
        return dict(self.source)

    def candidate_issues(self, labels: tuple[str, ...], shard: Shard | None = None) -> Iterator[Issue]:
        wanted = {label.lower() for label in labels}
        keys = [
            key
            for key, issue in self.issues.items()
            if issue.issue_type == "incident" or wanted & {label.lower() for label in issue.labels}
        ]
        for key in shard.pick(keys) if shard else sorted(keys, key=lambda k: (k.project, k.iid)):
            yield self.issues[key]

    def linked_issues(self, key: IssueKey) -> tuple[LinkedIssue, ...]:
        return self.links.get(key, ())

    def note_awards(self, key: IssueKey, note_id: int) -> tuple[Award, ...]:
        return self.awards.get((key, note_id), ())


def _project_path(raw: dict[str, Any], default: str) -> str:
    full = (raw.get("references") or {}).get("full")
    return full.rsplit("#", 1)[0] if isinstance(full, str) and "#" in full else default


def evenly(items: list[Any], count: int | None) -> list[Any]:
    """``count`` items spread evenly over ``items`` (all of them when count is None)."""
    if count is None or count >= len(items):
        return list(items)
    return [items[index * len(items) // count] for index in range(count)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--project", required=True)
    parser.add_argument("--config", required=True)
    parser.add_argument("--as-of", required=True)
    parser.add_argument("--output", required=True, type=Path)
    parser.add_argument("--sample", type=int, default=None)
    parser.add_argument("--stats", type=Path, default=None)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    config = config_module.load(args.config)
    as_of = parse_time(args.as_of)
    assert as_of is not None
    gl = gitlab.Gitlab(args.url, private_token=os.environ["GITLAB_TOKEN"])
    project = gl.projects.get(args.project)
    path = str(project.path_with_namespace)

    listed: dict[int, Any] = {}
    for label in config.incident_labels:
        for issue in project.issues.list(labels=[label], state="all", get_all=True):
            listed.setdefault(issue.iid, issue)
    for issue in project.issues.list(issue_type="incident", state="all", get_all=True):
        listed.setdefault(issue.iid, issue)
    listing_done = time.perf_counter()

    chosen = evenly([listed[iid] for iid in sorted(listed)], args.sample)
    issues: dict[IssueKey, Issue] = {}
    links: dict[IssueKey, tuple[LinkedIssue, ...]] = {}
    awards: dict[tuple[IssueKey, int], tuple[Award, ...]] = {}
    for issue in chosen:
        key = IssueKey(path, int(issue.iid))
        notes = []
        for note in issue.notes.list(get_all=True):
            notes.append(note_from_api(note.attributes))
            awards[(key, note.id)] = tuple(
                award_from_api(a.attributes) for a in note.awardemojis.list(get_all=True)
            )
        links[key] = tuple(
            linked_from_api(IssueKey(_project_path(link.attributes, path), int(link.iid)), link.attributes)
            for link in issue.links.list(get_all=True)
        )
        issues[key] = issue_from_api(key, issue.attributes, [n for n in notes if n is not None])
    reading_done = time.perf_counter()

    source = MemorySource(issues, links, awards, {"kind": "gitlab", "url": args.url, "project": path})
    result = run_audit(source, config, as_of)
    args.output.write_text(REPORTERS["json"](result, Options(ignored=config.ignore)), encoding="utf-8")
    finished = time.perf_counter()

    if args.stats is not None:
        args.stats.write_text(
            json.dumps(
                {
                    "listed": len(listed),
                    "read": len(chosen),
                    "setup_and_listing_seconds": listing_done - started,
                    "reading_seconds": reading_done - listing_done,
                    "audit_seconds": finished - reading_done,
                }
            ),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
