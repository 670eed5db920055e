"""Incidents from a GitLab project export (the ndjson tree, packed or not).

GitLab does not export links between issues; they are recovered from the
system notes it writes on both sides of a link, replayed in order.
"""

from __future__ import annotations

import io
import json
import re
import tarfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from inc_audit.errors import InputError
from inc_audit.model import Award, Issue, IssueKey, LinkedIssue, Note, Shard, parse_time
from inc_audit.sources.interface import Source

ISSUES_FILE = "tree/project/issues.ndjson"
MEMBERS_FILE = "tree/project/project_members.ndjson"
PROJECT_FILE = "tree/project.json"

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

_REFERENCE = re.compile(r"(?:(?P<project>[\w.\-]+(?:/[\w.\-]+)+))?#(?P<iid>\d+)")
_LINKED = re.compile(r"^marked this (?:issue|incident) as (?:related to|blocking|blocked by) (.+)$")
_UNLINKED = re.compile(r"^removed the relation with (.+)$")


def issue_type_of(raw: dict[str, Any]) -> str:
    """The work item type GitLab's importer would give this issue."""
    work_item = raw.get("work_item_type") or {}
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


def recover_links(issues: Iterable[Issue]) -> dict[IssueKey, tuple[IssueKey, ...]]:
    """Replay every link system note, oldest first, on both sides of each link."""
    events: list[tuple[Any, int, str, IssueKey, IssueKey]] = []
    for issue in issues:
        for note in issue.notes:
            if note.system:
                for action, other in link_events(note.body, issue.key.project):
                    events.append((note.created_at, note.id, action, issue.key, other))
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


class ExportTree:
    """The files of an export, from a folder or a .tar.gz, read once."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.files = self._read(path)

    @staticmethod
    def _read(path: Path) -> dict[str, bytes]:
        wanted = (ISSUES_FILE, MEMBERS_FILE, PROJECT_FILE)
        if path.is_dir():
            root = _tree_root(path)
            try:
                return {name: (root / name).read_bytes() for name in wanted if (root / name).is_file()}
            except OSError as error:
                raise InputError(
                    f"cannot read export {path}: {error.strerror}", "check the files' permissions"
                ) from None
        if not path.exists():
            raise InputError(f"export not found: {path}", "give the .tar.gz GitLab produced or its unpacked folder")
        try:
            with tarfile.open(path, "r:*") as archive:
                found: dict[str, bytes] = {}
                for member in archive.getmembers():
                    name = _strip_prefix(member.name, wanted)
                    if name and member.isfile():
                        handle = archive.extractfile(member)
                        if handle is not None:
                            found[name] = handle.read()
                return found
        except (tarfile.TarError, OSError, EOFError) as error:
            raise InputError(
                f"cannot read export archive {path}: {error}",
                "export the project again (Settings > General > Export project)",
            ) from None

    def ndjson(self, name: str) -> Iterator[dict[str, Any]]:
        data = self.files.get(name)
        if data is None:
            return
        for number, line in enumerate(io.TextIOWrapper(io.BytesIO(data), "utf-8"), 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputError(
                    f"{self.path}: {name} line {number} is not JSON ({error.msg})",
                    "the export is damaged; export the project again",
                ) from None
            if isinstance(record, dict):
                yield record

    def project(self) -> dict[str, Any]:
        data = self.files.get(PROJECT_FILE)
        try:
            value = json.loads(data) if data else {}
        except json.JSONDecodeError:
            return {}
        return value if isinstance(value, dict) else {}


def _tree_root(path: Path) -> Path:
    for candidate in (path, *sorted(p for p in path.iterdir() if p.is_dir())):
        if (candidate / ISSUES_FILE).is_file():
            return candidate
    raise InputError(
        f"{path} is not a GitLab project export: {ISSUES_FILE} is missing",
        "give the folder that holds tree/project/ or the .tar.gz itself",
    )


def _strip_prefix(name: str, wanted: tuple[str, ...]) -> str | None:
    name = name.lstrip("./")
    for target in wanted:
        if name == target or name.endswith("/" + target):
            return target
    return None


class ExportSource(Source):
    """A ``Source`` over a GitLab project export."""

    def __init__(self, path: str | Path, project: str | None = None, web_base: str = "") -> None:
        self.path = Path(path)
        tree = ExportTree(self.path)
        if ISSUES_FILE not in tree.files:
            raise InputError(
                f"{self.path} is not a GitLab project export: {ISSUES_FILE} is missing",
                "give the .tar.gz GitLab produced or its unpacked folder",
            )
        self.project = project or _project_name(self.path, tree.project())
        self.web_base = web_base.rstrip("/")
        self.usernames = _usernames(tree.ndjson(MEMBERS_FILE))
        self.issues: dict[IssueKey, Issue] = {}
        self.awards: dict[tuple[IssueKey, int], tuple[Award, ...]] = {}
        for raw in tree.ndjson(ISSUES_FILE):
            issue = self._issue(raw)
            if issue.key not in self.issues:
                self.issues[issue.key] = issue
        self.links = recover_links(self.issues.values())

    def describe(self) -> dict[str, str]:
        return {"kind": "export", "path": str(self.path), "project": self.project}

    def candidate_issues(self, labels: tuple[str, ...], shard: Shard | None = None) -> Iterator[Issue]:
        wanted = {label.lower() for label in labels}
        keys = [
            key
            for key, issue in self.issues.items()
            if issue.issue_type == "incident" or wanted & {lab.lower() for lab in issue.labels}
        ]
        for key in shard.pick(keys) if shard else sorted(keys, key=lambda k: (k.project, k.iid)):
            yield self.issues[key]

    def linked_issues(self, key: IssueKey) -> tuple[LinkedIssue, ...]:
        found = []
        for other in self.links.get(key, ()):
            issue = self.issues.get(other)
            if issue is not None:
                found.append(issue.as_linked())
            else:
                found.append(LinkedIssue(other, "", (), "", "unknown"))
        return tuple(found)

    def note_awards(self, key: IssueKey, note_id: int) -> tuple[Award, ...]:
        return self.awards.get((key, note_id), ())

    def _user(self, user_id: Any, fallback: Any = None) -> str:
        if user_id in self.usernames:
            return self.usernames[user_id]
        if isinstance(fallback, dict) and fallback.get("username"):
            return str(fallback["username"])
        return f"user-{user_id}" if user_id is not None else "unknown"

    def _issue(self, raw: dict[str, Any]) -> Issue:
        try:
            iid = int(raw["iid"])
        except (KeyError, TypeError, ValueError):
            raise InputError(f"{self.path}: an issue has no iid", "the export is damaged; export it again") from None
        key = IssueKey(self.project, iid)
        notes = []
        for raw_note in raw.get("notes") or ():
            note = self._note(raw_note)
            if note is None:
                continue
            notes.append(note)
            self.awards[(key, note.id)] = tuple(
                Award(
                    name=str(a.get("name", "")),
                    username=self._user(a.get("user_id")),
                    created_at=parse_time(a.get("created_at")),
                )
                for a in raw_note.get("award_emoji") or ()
            )
        created = parse_time(raw.get("created_at")) or parse_time("1970-01-01T00:00:00Z")
        assert created is not None
        state = "closed" if raw.get("state") == "closed" else "opened"
        return Issue(
            key=key,
            title=str(raw.get("title") or ""),
            description=str(raw.get("description") or ""),
            labels=tuple(
                str(link["label"]["title"])
                for link in raw.get("label_links") or ()
                if isinstance(link.get("label"), dict) and link["label"].get("title")
            ),
            issue_type=issue_type_of(raw),
            state=state,
            author=self._user(raw.get("author_id")),
            created_at=created,
            updated_at=parse_time(raw.get("updated_at")) or created,
            closed_at=_closed_at(raw) if state == "closed" else None,
            confidential=bool(raw.get("confidential")),
            web_url=f"{self.web_base}/{self.project}/-/issues/{iid}" if self.web_base else "",
            notes=tuple(sorted(notes, key=lambda n: (n.created_at, n.id))),
        )

    def _note(self, raw: dict[str, Any]) -> Note | None:
        created = parse_time(raw.get("created_at"))
        if created is None or raw.get("id") is None:
            return None
        return Note(
            id=int(raw["id"]),
            body=str(raw.get("note") or ""),
            author=self._user(raw.get("author_id"), raw.get("author")),
            created_at=created,
            system=bool(raw.get("system")),
            updated_at=parse_time(raw.get("updated_at")),
        )


def _usernames(members: Iterable[dict[str, Any]]) -> dict[Any, str]:
    names: dict[Any, str] = {}
    for member in members:
        user = member.get("user") or {}
        if member.get("user_id") is not None and user.get("username"):
            names[member["user_id"]] = str(user["username"])
    return names


def _project_name(path: Path, project: dict[str, Any]) -> str:
    for field in ("path_with_namespace", "path"):
        if isinstance(project.get(field), str) and project[field]:
            return str(project[field])
    name = path.name
    for suffix in (".tar.gz", ".tgz", ".tar"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _closed_at(raw: dict[str, Any]) -> Any:
    if raw.get("closed_at"):
        return parse_time(raw["closed_at"])
    closes = [e for e in raw.get("resource_state_events") or () if e.get("state") == "closed"]
    if closes:
        return parse_time(max(closes, key=lambda e: e.get("created_at") or "")["created_at"])
    return parse_time(raw.get("updated_at"))
