"""Incidents from a GitLab project export (the ndjson tree, packed or not).

GitLab does not export links between issues; they are recovered from the
system notes it writes on both sides of a link, replayed in order.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from inc_audit.errors import InputError
from inc_audit.model import Award, Issue, IssueKey, LinkedIssue, Note, Shard
from inc_audit.sources.export import fields
from inc_audit.sources.export.archive import ISSUES_FILE, MEMBERS_FILE, PROJECT_FILE, ExportTree
from inc_audit.sources.interface import AtHand, Source
from inc_audit.text import repair

__all__ = [
    "ISSUES_FILE",
    "MEMBERS_FILE",
    "PROJECT_FILE",
    "ExportSource",
    "ExportTree",
    "issue_type_of",
    "recover_links",
]


KNOWN_TYPES = {
    "issue",
    "incident",
    "test_case",
    "requirement",
    "task",
    "objective",
    "key_result",
    "epic",
    "ticket",
}

DESCRIBED_AT_ONCE = 1_000
"""Candidates whose neighbours' descriptions are held at once (``ExportSource.candidate_issues``)."""
_REFERENCE = re.compile(r"(?:(?P<project>[\w.\-]+(?:/[\w.\-]+)+))?#(?P<iid>\d+)")
_LINKED = re.compile(r"^marked this (?:issue|incident) as (?:related to|blocking|blocked by) (.+)$")
_UNLINKED = re.compile(r"^removed the relation with (.+)$")


def issue_type_of(raw: dict[str, Any]) -> str:
    """The work item type GitLab's importer would give this issue."""
    work_item = raw.get("work_item_type")
    work_item = work_item if isinstance(work_item, dict) else {}
    for candidate in (work_item.get("base_type"), work_item.get("name"), raw.get("issue_type")):
        if isinstance(candidate, str):
            name = candidate.strip().lower().replace(" ", "_")
            if name in KNOWN_TYPES:
                return name
    return "issue"


def link_events(body: str, project: str) -> list[tuple[str, IssueKey]]:
    """("add" | "remove", other issue) for each reference in a link system note."""
    text = body.strip().rstrip(".")
    for action, pattern in (("add", _LINKED), ("remove", _UNLINKED)):
        match = pattern.match(text)
        if match:
            return [
                (action, IssueKey(ref.group("project") or project, int(ref.group("iid"))))
                for ref in _REFERENCE.finditer(match.group(1))
            ]
    return []


LinkEvent = tuple[Any, int, str, IssueKey, IssueKey]


def link_events_of(issue: Issue) -> list[LinkEvent]:
    """(moment, note id, "add" | "remove", this issue, other issue) of each link system note."""
    return [
        (note.created_at, note.id, action, issue.key, other)
        for note in issue.notes
        if note.system
        for action, other in link_events(note.body, issue.key.project)
    ]


def references_of(issue: Issue) -> set[IssueKey]:
    """Every issue a system note of ``issue`` names ("mentioned in issue #12", links)."""
    return {
        IssueKey(ref.group("project") or issue.key.project, int(ref.group("iid")))
        for note in issue.notes
        if note.system
        for ref in _REFERENCE.finditer(note.body)
    }


def replay_links(events: Iterable[LinkEvent]) -> dict[IssueKey, tuple[IssueKey, ...]]:
    """Replay link events, oldest first, on both sides of each link."""
    links: dict[IssueKey, dict[IssueKey, None]] = {}
    for _, _, action, here, other in sorted(events, key=lambda e: (e[0], e[1])):
        for a, b in ((here, other), (other, here)):
            if a == b:
                continue
            bucket = links.setdefault(a, {})
            if action == "add":
                bucket[b] = None
            else:
                bucket.pop(b, None)
    return {key: tuple(others) for key, others in links.items() if others}


def recover_links(issues: Iterable[Issue]) -> dict[IssueKey, tuple[IssueKey, ...]]:
    """Replay every link system note, oldest first, on both sides of each link."""
    return replay_links(event for issue in issues for event in link_events_of(issue))


class ExportSource(Source):
    """A ``Source`` over a GitLab project export, streamed.

    The issues file is read twice, a line at a time. The first pass checks every issue,
    recovers the links and keeps a summary of each issue (``Summary``: what a rule reads of
    another issue, its description compressed) and the award emoji there are; the second
    (``candidate_issues``) reads each candidate again from its place in the file, with its
    notes, by project then iid, and hands it over, so only one incident's notes are in
    memory at a time.
    """

    def __init__(self, path: str | Path, project: str | None = None, web_base: str = "") -> None:
        self.path = Path(path)
        self.tree = tree = ExportTree(self.path)
        if ISSUES_FILE not in tree.files:
            raise InputError(
                f"{self.path} is not a GitLab project export: {ISSUES_FILE} is missing",
                "give the .tar.gz GitLab produced or its unpacked folder",
            )
        self.project = repair(project or _project_name(self.path, tree.project()))
        self.web_base = repair(web_base.rstrip("/"))
        self.usernames = _usernames(tree)
        self.has_members = MEMBERS_FILE in tree.files
        self.summaries: dict[IssueKey, bytes] = {}
        """Each issue's ``Summary``, packed; read from its first line (a later copy is ignored)."""
        self.awards: dict[tuple[IssueKey, int], tuple[Award, ...]] = {}
        self._award_notes: dict[IssueKey, tuple[int, ...]] = {}  # the notes of each issue in ``awards`` (small)
        events: list[LinkEvent] = []
        self.references: dict[IssueKey, tuple[IssueKey, ...]] = {}
        """The issues each issue's system notes name, where it names any."""
        for line, raw in tree.records(ISSUES_FILE):
            issue = self._issue(raw, fields.Place(str(self.path), ISSUES_FILE, line), keep_awards=True)
            if issue.key not in self.summaries:
                self.summaries[issue.key] = Summary.pack(issue, line, tree.position, with_description=False)
                events.extend(link_events_of(issue))
                named = references_of(issue)
                if named:
                    self.references[issue.key] = tuple(named)
        self.links = replay_links(events)

    def _describe_around(self, candidates: Iterable[IssueKey]) -> set[IssueKey]:
        """Describe the issues the rules may read beside ``candidates``: those they link or
        name, and those the linked ones link (a known incident looks at its incident's links).
        The issues described here, which were not before."""
        near: set[IssueKey] = set()
        for key in candidates:
            near.update(self.references.get(key, ()))
            for other in self.links.get(key, ()):
                near.add(other)
                near.update(self.links.get(other, ()))
        bare = {key for key in near if key in self.summaries and Summary(self.summaries[key]).description is None}
        self._describe(bare)
        return bare

    def _forget_descriptions(self, keys: Iterable[IssueKey]) -> None:
        """Pack the summaries of ``keys`` without their descriptions again (read again if asked)."""
        for key in keys:
            self.summaries[key] = Summary(self.summaries[key]).without_description()

    def _describe(self, keys: set[IssueKey]) -> None:
        """Give the summaries of ``keys`` their descriptions: a rule may read those (a linked
        issue, one that mentions an incident); only their lines are read again."""
        for issue, summary in self._read(keys):
            self.summaries[issue.key] = Summary.pack(issue, summary.line, summary.position)

    @property
    def issues(self) -> dict[IssueKey, Issue]:
        """Every issue of the export, with its notes, by key: all in memory (for tools and
        tests; the audit streams them through ``candidate_issues``)."""
        return {issue.key: issue for issue in self._stream(set(self.summaries))}

    def _stream(self, wanted: set[IssueKey]) -> Iterator[Issue]:
        """The issues of ``wanted``, built again from the file, by project then iid."""
        for issue, _ in self._read(wanted):
            yield issue

    def _read(self, keys: Iterable[IssueKey]) -> Iterator[tuple[Issue, Summary]]:
        """The issues of ``keys`` (with their summaries) by project then iid, each read again
        from its place in the file; in the file's order where places are unknown (UTF-16)."""
        ordered = sorted((key for key in keys if key in self.summaries), key=lambda k: (k.project, k.iid))
        if not ordered:
            return
        if Summary(self.summaries[ordered[0]]).position is not None:  # every line's place is known (UTF-8)
            for key in ordered:
                summary = Summary(self.summaries[key])  # one at a time: they are packed to stay small
                assert summary.position is not None
                raw = self.tree.read_at(ISSUES_FILE, summary.line, summary.position)
                yield self._issue(raw, fields.Place(str(self.path), ISSUES_FILE, summary.line)), summary
            return
        by_line = {summary.line: summary for summary in (Summary(self.summaries[key]) for key in ordered)}
        for line, raw in self.tree.records(ISSUES_FILE, only=set(by_line)):
            yield self._issue(raw, fields.Place(str(self.path), ISSUES_FILE, line)), by_line[line]

    def unjudged(self, roles_configured: bool) -> tuple[str, ...]:
        """Rules this export cannot judge: approvals by named people need the members' user names."""
        return ("IPM003",) if roles_configured and not self.has_members else ()

    def notices(self, roles_configured: bool) -> list[str]:
        """What the audit of this export cannot tell, to say on stderr."""
        if not self.summaries:
            return [f"the export {self.path} holds no issues: nothing was audited (is it the right export?)"]
        if self.has_members:
            return []
        missing = f"the export {self.path} has no {MEMBERS_FILE}, so user names are unknown"
        if roles_configured:
            return [f"{missing}: approvals (IPM003) are not checked, since roles name people"]
        return [f"{missing}: people show as user-<id>"]

    def describe(self) -> dict[str, str]:
        return {"kind": "export", "path": str(self.path), "project": self.project}

    def candidate_issues(self, labels: tuple[str, ...], shard: Shard | None = None) -> Iterator[Issue]:
        wanted = {label.lower() for label in labels}
        keys = [
            key
            for key, issue in ((key, Summary(packed)) for key, packed in self.summaries.items())
            if issue.issue_type == "incident" or wanted & {lab.lower() for lab in issue.labels}
        ]
        picked = shard.pick(keys) if shard else keys
        if self.on_listed is not None:
            self.on_listed(len(picked))
        ordered = sorted(picked, key=lambda k: (k.project, k.iid))
        for start in range(0, len(ordered), DESCRIBED_AT_ONCE):
            # The issues around a slice of the candidates are described while it is audited,
            # then packed small again: the descriptions held stay bounded by the slice.
            chunk = ordered[start : start + DESCRIBED_AT_ONCE]
            described = self._describe_around(chunk)
            yield from self._stream(set(chunk))
            self._forget_descriptions(described)

    def linked_issues(self, key: IssueKey) -> tuple[LinkedIssue, ...]:
        return tuple(self.issue_summary(other) for other in self.links.get(key, ()))

    def issue_summary(self, key: IssueKey) -> LinkedIssue:
        if key not in self.summaries:
            return self._absent(key)
        summary = Summary(self.summaries[key])
        if summary.description is None:  # referenced by no note: not expected
            self._describe({key})
            summary = Summary(self.summaries[key])
        return summary.linked(key)

    def _absent(self, key: IssueKey) -> LinkedIssue:
        where = "another project, " if key.project != self.project else ""
        return LinkedIssue(key, "", (), "", "unknown", unreadable=f"{where}not in this export")

    def note_awards(self, key: IssueKey, note_id: int) -> tuple[Award, ...]:
        return self.awards.get((key, note_id), ())

    def answers_at_hand(self, key: IssueKey) -> AtHand | None:
        """The incident's links and every award emoji of its notes: the export holds them all."""
        found = ((note_id, self.awards.get((key, note_id))) for note_id in self._award_notes.get(key, ()))
        return AtHand(key, self.linked_issues(key), {n: awards for n, awards in found if awards}, complete=True)

    def _user(self, user_id: int | None, fallback: dict[str, Any] | None = None) -> str:
        if user_id in self.usernames:
            return self.usernames[user_id]
        if fallback and isinstance(fallback.get("username"), str) and fallback["username"]:
            return repair(fallback["username"])
        return f"user-{user_id}" if user_id is not None else "unknown"

    def _issue(self, raw: dict[str, Any], place: fields.Place, keep_awards: bool = False) -> Issue:
        """The issue of one line; with ``keep_awards``, its notes' award emoji are kept in
        ``awards`` (notes without any are not: ``note_awards`` gives them none)."""
        if "iid" not in raw:
            raise place.fail("iid", "is missing")
        iid = fields.number(raw["iid"], place, "iid")
        place = place.at_issue(iid)
        key = IssueKey(self.project, iid)
        notes = []
        for index, raw_note in enumerate(fields.objects(raw, "notes", place)):
            note = self._note(raw_note, place, f"notes[{index}]")
            if note is None:
                continue
            notes.append(note)
            awards = self._awards(raw_note, place, f"notes[{index}].award_emoji")
            if keep_awards and awards:
                self.awards[(key, note.id)] = awards
                self._award_notes[key] = (*self._award_notes.get(key, ()), note.id)
            elif keep_awards:
                self.awards.pop((key, note.id), None)
        created = fields.moment(raw, "created_at", place) or fields.EARLIEST
        state = fields.text(raw, "state", place)
        state = "closed" if state == "closed" else "opened"
        _check_type_fields(raw, place)
        return Issue(
            key=key,
            title=fields.text(raw, "title", place),
            description=fields.text(raw, "description", place),
            labels=_labels(raw, place),
            issue_type=issue_type_of(raw),
            state=state,
            author=self._user(fields.optional_number(raw, "author_id", place)),
            created_at=created,
            updated_at=fields.moment(raw, "updated_at", place) or created,
            closed_at=_closed_at(raw, place) if state == "closed" else None,
            confidential=fields.flag(raw, "confidential", place),
            web_url=f"{self.web_base}/{self.project}/-/issues/{iid}" if self.web_base else "",
            notes=tuple(sorted(notes, key=lambda n: (n.created_at, n.id))),
            assignees=tuple(
                self._user(a.get("user_id")) for a in _list_of(raw.get("issue_assignees")) if isinstance(a, dict)
            ),
        )

    def _note(self, raw: dict[str, Any], place: fields.Place, field: str) -> Note | None:
        created = fields.moment(raw, "created_at", place, f"{field}.created_at")
        note_id = fields.optional_number(raw, "id", place, f"{field}.id")
        if created is None or note_id is None:
            return None
        author = raw.get("author") if isinstance(raw.get("author"), dict) else None
        return Note(
            id=note_id,
            body=fields.text(raw, "note", place, f"{field}.note"),
            author=self._user(fields.optional_number(raw, "author_id", place, f"{field}.author_id"), author),
            created_at=created,
            system=fields.flag(raw, "system", place, f"{field}.system"),
            updated_at=fields.moment(raw, "updated_at", place, f"{field}.updated_at"),
        )

    def _awards(self, raw_note: dict[str, Any], place: fields.Place, field: str) -> tuple[Award, ...]:
        awards = []
        for index, raw in enumerate(fields.objects(raw_note, "award_emoji", place, field)):
            where = f"{field}[{index}]"
            awards.append(
                Award(
                    name=fields.text(raw, "name", place, f"{where}.name"),
                    username=self._user(fields.optional_number(raw, "user_id", place, f"{where}.user_id")),
                    created_at=fields.moment(raw, "created_at", place, f"{where}.created_at"),
                )
            )
        return tuple(awards)


class Summary:
    """What a rule reads of an issue other than the one it judges (``LinkedIssue``) and the
    line it is read from, packed in one compressed ``bytes``: kept for every issue of the
    export, so it stays small (a few hundred bytes, one object). The description is left out
    until a rule may read it (``ExportSource._describe``)."""

    def __init__(self, packed: bytes) -> None:
        fields = json.loads(zlib.decompress(packed))
        self.line: int = fields[0]
        self.position: tuple[int, int] | None = (fields[1][0], fields[1][1]) if fields[1] else None
        self.title, labels, self.description, self.state, self.issue_type, self.web_url, self.confidential = fields[2:]
        self.labels: tuple[str, ...] = tuple(labels)

    @staticmethod
    def pack(issue: Issue, line: int, position: tuple[int, int] | None, with_description: bool = True) -> bytes:
        description = issue.description if with_description else None
        return _packed([line, position, issue.title, issue.labels, description, issue.state, issue.issue_type,
                        issue.web_url, issue.confidential])

    def without_description(self) -> bytes:
        return _packed([self.line, self.position, self.title, self.labels, None, self.state, self.issue_type,
                        self.web_url, self.confidential])

    def linked(self, key: IssueKey) -> LinkedIssue:
        return LinkedIssue(key=key, title=self.title, labels=self.labels, description=self.description or "",
                           state=self.state, issue_type=self.issue_type, web_url=self.web_url,
                           confidential=self.confidential)


def _packed(fields: list[Any]) -> bytes:
    return zlib.compress(json.dumps(fields, separators=(",", ":")).encode("ascii"), 1)


def _usernames(tree: ExportTree) -> dict[int | None, str]:
    names: dict[int | None, str] = {}
    for line, member in tree.records(MEMBERS_FILE):
        place = fields.Place(str(tree.path), MEMBERS_FILE, line)
        user = fields.optional_object(member, "user", place)
        user_id = fields.optional_number(member, "user_id", place)
        username = fields.text(user, "username", place, "user.username")
        if user_id is not None and username:
            names[user_id] = username
    return names


def _labels(raw: dict[str, Any], place: fields.Place) -> tuple[str, ...]:
    titles = []
    for index, link in enumerate(fields.objects(raw, "label_links", place)):
        label = fields.optional_object(link, "label", place, f"label_links[{index}].label")
        title = fields.text(label, "title", place, f"label_links[{index}].label.title")
        if title:
            titles.append(title)
    return tuple(titles)


def _check_type_fields(raw: dict[str, Any], place: fields.Place) -> None:
    """The issue's type fields are text where present (``issue_type_of`` reads them)."""
    work_item = fields.optional_object(raw, "work_item_type", place)
    for key in ("base_type", "name"):
        fields.text(work_item, key, place, f"work_item_type.{key}")
    fields.text(raw, "issue_type", place)


def _project_name(path: Path, project: dict[str, Any]) -> str:
    for field in ("path_with_namespace", "path"):
        if isinstance(project.get(field), str) and project[field]:
            return str(project[field])
    name = path.name
    for suffix in (".tar.gz", ".tgz", ".tar"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _closed_at(raw: dict[str, Any], place: fields.Place) -> datetime | None:
    closed = fields.moment(raw, "closed_at", place)
    if closed is not None:
        return closed
    closes = []
    for index, event in enumerate(fields.objects(raw, "resource_state_events", place)):
        if event.get("state") == "closed":
            closes.append(fields.moment(event, "created_at", place, f"resource_state_events[{index}].created_at"))
    known = [moment for moment in closes if moment is not None]
    if known:
        return max(known)
    return fields.moment(raw, "updated_at", place)


def _list_of(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
