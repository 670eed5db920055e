"""The fake GitLab's data: groups, projects, users, issues, notes, note awards and links.

Plain mutable records kept in memory, plus the seeding helpers tests use to
build scenarios. Every public method takes the store's lock, so the HTTP
threads and a test thread may use one store at once.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone

from inc_audit.model import parse_time

ISSUE_TYPES = ("issue", "incident", "test_case", "task")

# What GitLab reads as an issue reference in markdown: "#12", "group/project#12", or the
# issue's URL; references inside code are not references.
_REFERENCE = re.compile(
    r"(?<![\w/#&])(?:(?P<path>[\w.\-]+(?:/[\w.\-]+)+))?#(?P<iid>\d+)\b"
    r"|https?://[^\s/]+/(?P<url_path>[\w.\-]+(?:/[\w.\-]+)+)/-/issues/(?P<url_iid>\d+)\b"
)
_CODE = re.compile(r"```.*?(?:```|\Z)|`[^`\n]*`", re.DOTALL)

Moment = datetime | str | None


def now() -> datetime:
    """The current time, aware UTC, at GitLab's millisecond precision."""
    moment = datetime.now(timezone.utc)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def as_time(value: Moment, default: datetime | None = None) -> datetime:
    """A seeding timestamp (datetime or GitLab text) as aware UTC; ``default`` or now if None."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    return parse_time(value) or default or now()


@dataclass
class User:
    id: int
    username: str
    name: str
    created_at: datetime = field(default_factory=now)


@dataclass
class Group:
    id: int
    full_path: str
    parent_id: int | None
    created_at: datetime = field(default_factory=now)

    @property
    def path(self) -> str:
        return self.full_path.rsplit("/", 1)[-1]


@dataclass
class Project:
    id: int
    path_with_namespace: str
    group_id: int
    description: str = ""
    created_at: datetime = field(default_factory=now)
    members: dict[int, int] = field(default_factory=dict)  # user id -> access level (project_api.py)
    labels: list[str] = field(default_factory=list)
    issue_templates: dict[str, str] = field(default_factory=dict)  # name -> content

    @property
    def path(self) -> str:
        return self.path_with_namespace.rsplit("/", 1)[-1]


@dataclass
class Award:
    id: int
    name: str
    user_id: int
    note_id: int
    created_at: datetime
    updated_at: datetime


@dataclass
class Note:
    id: int
    issue_id: int
    body: str
    author_id: int
    created_at: datetime
    updated_at: datetime
    system: bool = False
    internal: bool = False
    awards: list[Award] = field(default_factory=list)


@dataclass
class Issue:
    id: int
    iid: int
    project_id: int
    title: str
    description: str
    author_id: int
    created_at: datetime
    updated_at: datetime
    labels: list[str] = field(default_factory=list)
    issue_type: str = "issue"
    state: str = "opened"
    closed_at: datetime | None = None
    closed_by_id: int | None = None
    confidential: bool = False
    notes: list[Note] = field(default_factory=list)
    assignee_ids: list[int] = field(default_factory=list)

    @property
    def user_notes_count(self) -> int:
        return sum(1 for note in self.notes if not note.system)


@dataclass
class Link:
    id: int
    source_id: int
    target_id: int
    link_type: str
    created_at: datetime
    updated_at: datetime

    def other(self, issue_id: int) -> int:
        return self.target_id if self.source_id == issue_id else self.source_id


class Store:
    """Every record of the fake instance, by id, with get-or-create seeding helpers."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.users: dict[int, User] = {}
        self.groups: dict[int, Group] = {}
        self.projects: dict[int, Project] = {}
        self.issues: dict[int, Issue] = {}
        self.notes: dict[int, Note] = {}
        self.awards: dict[int, Award] = {}
        self.links: dict[int, Link] = {}
        self.hidden: dict[int, int] = {}
        """Projects the API refuses, with the status: 404 as GitLab answers for a private project
        the token's user is not a member of, 403 for one whose issues it may not read. Links to
        their issues are left out of the links list, as GitLab leaves out what a user cannot read."""

    # -- seeding ---------------------------------------------------------------------

    def add_user(self, username: str, name: str | None = None, id: int | None = None) -> User:
        """The user called ``username``, created (with ``id`` if free) when missing."""
        with self.lock:
            found = self.find_user(username)
            if found is not None:
                return found
            user = User(self._id(self.users, id), username, name or username)
            self.users[user.id] = user
            return user

    def add_group(self, full_path: str) -> Group:
        """The group at ``full_path``, created with its parent groups when missing."""
        with self.lock:
            found = self.find_group(full_path)
            if found is not None:
                return found
            parent = self.add_group(full_path.rsplit("/", 1)[0]) if "/" in full_path else None
            group = Group(self._id(self.groups), full_path, parent.id if parent else None)
            self.groups[group.id] = group
            return group

    def add_project(
        self, path_with_namespace: str, id: int | None = None, description: str = ""
    ) -> Project:
        """The project at "group/.../name", created in its group when missing."""
        if "/" not in path_with_namespace:
            raise ValueError(f"a project lives in a group: {path_with_namespace!r}")
        with self.lock:
            found = self.find_project(path_with_namespace)
            if found is not None:
                return found
            group = self.add_group(path_with_namespace.rsplit("/", 1)[0])
            project = Project(
                self._id(self.projects, id), path_with_namespace, group.id, description
            )
            self.projects[project.id] = project
            return project

    def add_issue(
        self,
        project: str | Project,
        *,
        title: str,
        description: str = "",
        labels: Iterable[str] = (),
        issue_type: str = "issue",
        state: str = "opened",
        author: str = "root",
        created_at: Moment = None,
        updated_at: Moment = None,
        closed_at: Moment = None,
        confidential: bool = False,
        iid: int | None = None,
        id: int | None = None,
    ) -> Issue:
        """A new issue; a closed one gets ``closed_at`` (default: its last update)."""
        if issue_type not in ISSUE_TYPES or state not in ("opened", "closed"):
            raise ValueError(f"bad issue_type {issue_type!r} or state {state!r}")
        with self.lock:
            home = project if isinstance(project, Project) else self.add_project(project)
            created = as_time(created_at)
            closed = as_time(closed_at, created) if state == "closed" else None
            updated = as_time(updated_at, max(created, closed or created))
            author_id = self.add_user(author).id
            issue = Issue(
                id=self._id(self.issues, id),
                iid=self._iid(home, iid),
                project_id=home.id,
                title=title,
                description=description,
                author_id=author_id,
                created_at=created,
                updated_at=updated,
                labels=list(dict.fromkeys(labels)),
                issue_type=issue_type,
                state=state,
                closed_at=closed,
                closed_by_id=author_id if closed else None,
                confidential=confidential,
            )
            self.issues[issue.id] = issue
            return issue

    def add_note(
        self,
        issue: Issue,
        body: str,
        *,
        author: str = "root",
        created_at: Moment = None,
        system: bool = False,
        internal: bool = False,
        id: int | None = None,
    ) -> Note:
        """A comment (or a system note) on ``issue``, kept in creation order."""
        with self.lock:
            created = as_time(created_at)
            note = Note(
                id=self._id(self.notes, id),
                issue_id=issue.id,
                body=body,
                author_id=self.add_user(author).id,
                created_at=created,
                updated_at=created,
                system=system,
                internal=internal,
            )
            self.notes[note.id] = note
            issue.notes.append(note)
            issue.notes.sort(key=lambda n: (n.created_at, n.id))
            return note

    def add_award(
        self,
        note: Note,
        name: str,
        *,
        user: str = "root",
        created_at: Moment = None,
        id: int | None = None,
    ) -> Award:
        """An award emoji ``name`` given by ``user`` to ``note``."""
        with self.lock:
            created = as_time(created_at)
            award = Award(
                self._id(self.awards, id), name, self.add_user(user).id, note.id, created, created
            )
            self.awards[award.id] = award
            note.awards.append(award)
            return award

    def link(
        self, a: Issue, b: Issue, link_type: str = "relates_to", created_at: Moment = None
    ) -> Link:
        """Link two issues (once: linking them again returns the existing link)."""
        if a.id == b.id:
            raise ValueError("an issue cannot be linked to itself")
        with self.lock:
            for existing in self.links.values():
                if {existing.source_id, existing.target_id} == {a.id, b.id}:
                    return existing
            created = as_time(created_at)
            link = Link(self._id(self.links), a.id, b.id, link_type, created, created)
            self.links[link.id] = link
            return link

    def mention(self, mentioner: Issue, text: str, *, author: str, created_at: Moment = None) -> list[Note]:
        """GitLab's cross-reference notes: ``text`` (``mentioner``'s description or one of its
        comments) mentions other issues, so each gets the system note "mentioned in issue
        REF" once per mentioner, REF written relative to the mentioned issue's project."""
        written = []
        with self.lock:
            home = self.projects[mentioner.project_id]
            for other in self.referenced(home, _CODE.sub(" ", text)):
                if other.id == mentioner.id:
                    continue
                there = self.projects[other.project_id]
                ref = f"#{mentioner.iid}" if there.id == home.id else f"{home.path_with_namespace}#{mentioner.iid}"
                body = f"mentioned in issue {ref}"
                if any(n.system and n.body == body for n in other.notes):
                    continue
                written.append(self.add_note(other, body, author=author, created_at=created_at, system=True))
                other.updated_at = max(other.updated_at, written[-1].created_at)
        return written

    def referenced(self, home: Project, text: str) -> list[Issue]:
        """The issues ``text`` refers to, from a place in project ``home``, each once."""
        found: dict[int, Issue] = {}
        for match in _REFERENCE.finditer(text):
            path = match.group("path") or match.group("url_path") or home.path_with_namespace
            iid = int(match.group("iid") or match.group("url_iid"))
            issue = self.issue(path, iid)
            if issue is not None:
                found.setdefault(issue.id, issue)
        return list(found.values())

    def hide(self, project: str | Project, status: int = 404) -> None:
        """Make the API refuse a project with ``status`` (404: invisible; 403: forbidden)."""
        with self.lock:
            home = project if isinstance(project, Project) else self.add_project(project)
            self.hidden[home.id] = status

    # -- lookups ---------------------------------------------------------------------

    def find_user(self, username: str) -> User | None:
        with self.lock:
            return next((u for u in self.users.values() if u.username == username), None)

    def find_group(self, ref: str) -> Group | None:
        """A group by numeric id or full path."""
        with self.lock:
            if ref.isdigit():
                return self.groups.get(int(ref))
            return next((g for g in self.groups.values() if g.full_path == ref), None)

    def find_project(self, ref: str) -> Project | None:
        """A project by numeric id or path with namespace."""
        with self.lock:
            if ref.isdigit():
                return self.projects.get(int(ref))
            return next((p for p in self.projects.values() if p.path_with_namespace == ref), None)

    def issue(self, project: str | Project, iid: int) -> Issue | None:
        """An issue by its project (path, id or record) and iid."""
        with self.lock:
            home = project if isinstance(project, Project) else self.find_project(project)
            if home is None:
                return None
            return next(
                (i for i in self.issues.values() if i.project_id == home.id and i.iid == iid),
                None,
            )

    def group_projects(self, group: Group) -> list[Project]:
        """The projects of ``group`` and of all its subgroups."""
        with self.lock:
            prefix = group.full_path + "/"
            return [p for p in self.projects.values() if p.path_with_namespace.startswith(prefix)]

    def links_of(self, issue: Issue) -> list[Link]:
        with self.lock:
            return [
                link
                for link in sorted(self.links.values(), key=lambda k: k.id)
                if issue.id in (link.source_id, link.target_id)
            ]

    # -- ids -------------------------------------------------------------------------

    @staticmethod
    def _id(table: Mapping[int, object], wanted: int | None = None) -> int:
        if wanted is not None and wanted not in table:
            return wanted
        return max(table, default=0) + 1

    def _iid(self, project: Project, wanted: int | None) -> int:
        taken = {i.iid for i in self.issues.values() if i.project_id == project.id}
        if wanted is not None:
            if wanted in taken:
                raise ValueError(f"{project.path_with_namespace}#{wanted} exists already")
            return wanted
        return max(taken, default=0) + 1
