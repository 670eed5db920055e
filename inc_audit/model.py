"""What a source of incidents hands to the rules: plain, frozen values.

Both sources, a GitLab project export and the GitLab API, build these. The
rules never see where the data came from.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone


def parse_time(value: str | None) -> datetime | None:
    """Read a GitLab timestamp ("2016-06-14T15:02:08.340Z" and the like) as aware UTC.

    Raises ``ValueError`` for anything else, text or not, and for moments out of range.
    """
    if not value:
        return None
    if not isinstance(value, str):
        raise ValueError(f"a timestamp was expected, not {type(value).__name__}")
    text = value.strip().replace(" UTC", "+00:00")
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"timestamp {value!r} is out of range") from None


@dataclass(frozen=True)
class Award:
    """An award emoji given to a note or an issue."""

    name: str
    username: str
    created_at: datetime | None = None


@dataclass(frozen=True)
class Note:
    """A comment on an issue. System notes are the ones GitLab writes itself."""

    id: int
    body: str
    author: str
    created_at: datetime
    system: bool = False
    updated_at: datetime | None = None
    parts: tuple[int, ...] = ()
    """For a post-mortem split over consecutive comments and read as one: the earlier comments'
    ids (an award emoji on any part is on the post-mortem)."""


@dataclass(frozen=True, order=True, slots=True)  # slots: an export's audit keeps tens of thousands
class IssueKey:
    """Names one issue across projects: the project's path (or id) and the issue's iid."""

    project: str
    iid: int

    def __str__(self) -> str:
        return f"{self.project}#{self.iid}"


@dataclass(frozen=True)
class LinkedIssue:
    """An issue linked to an incident, as the links endpoint describes it."""

    key: IssueKey
    title: str
    labels: tuple[str, ...]
    description: str
    state: str
    issue_type: str = "issue"
    web_url: str = ""
    confidential: bool = False
    unreadable: str = ""
    """Why the issue could not be read ("no access (403)", "not in this export"), or "" when it was:
    an unreadable issue's labels, type and description are unknown, not empty."""


@dataclass(frozen=True)
class Issue:
    """An issue as the audit sees it, with its comments."""

    key: IssueKey
    title: str
    description: str
    labels: tuple[str, ...]
    issue_type: str
    state: str
    author: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    confidential: bool = False
    web_url: str = ""
    notes: tuple[Note, ...] = field(default=(), repr=False)
    unreadable: str = ""
    """Why GitLab's data about it could not be read (a field of the wrong type...): such an
    issue is reported as unreadable (SRC001), the rules are not run on it."""
    assignees: tuple[str, ...] = ()

    @property
    def iid(self) -> int:
        return self.key.iid

    @property
    def is_closed(self) -> bool:
        return self.state == "closed"

    def as_linked(self) -> LinkedIssue:
        return LinkedIssue(
            key=self.key,
            title=self.title,
            labels=self.labels,
            description=self.description,
            state=self.state,
            issue_type=self.issue_type,
            web_url=self.web_url,
            confidential=self.confidential,
        )


@dataclass(frozen=True)
class Shard:
    """Slice ``index`` (1-based) of ``count``: every count-th incident, by project then iid.

    Each shard lists every candidate (a few cheap pages), then reads notes, links and
    award emoji only for its own slice, so N parallel jobs share the expensive reads.
    """

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        left, _, right = text.partition("/")
        index, count = int(left), int(right)
        if not 1 <= index <= count:
            raise ValueError(f"shard {text}: K must be between 1 and N")
        return cls(index, count)

    def pick(self, keys: Iterable[IssueKey]) -> list[IssueKey]:
        ordered = sorted(set(keys), key=lambda k: (k.project, k.iid))
        return ordered[self.index - 1 :: self.count]

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"
