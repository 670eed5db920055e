"""The REST endpoints of the fake GitLab: one function per route, and the route table.

A handler gets a ``Call`` (the store, the authenticated user, the decoded route
arguments, the query and the body fields) and returns a ``Reply`` or raises
``ApiError``. The server runs each handler holding the store's lock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlencode

from inc_audit.model import parse_time

from . import render
from .store import ISSUE_TYPES, Group, Issue, Note, Project, Store, User, now

T = TypeVar("T")
GITLAB_VERSION = "17.5.0-ee"
DEFAULT_PER_PAGE = 20
MAX_PER_PAGE = 100
COUNT_LIMIT = 10_000
"""Items beyond which GitLab's offset pagination leaves out X-Total, X-Total-Pages and the
rel="last" link (for performance; the next link stays)."""


class ApiError(Exception):
    """An error answer: HTTP status and GitLab's JSON body for it."""

    def __init__(
        self, status: int, payload: dict[str, Any], headers: list[tuple[str, str]] | None = None
    ) -> None:
        super().__init__(status, payload)
        self.status = status
        self.payload = payload
        self.headers = headers or []


@dataclass(frozen=True)
class Call:
    store: Store
    user: User
    args: dict[str, str]
    query: list[tuple[str, str]]
    fields: dict[str, Any]
    base: str
    path: str

    def param(self, name: str) -> str | None:
        """The last value of a query parameter, None when absent or empty."""
        values = [v for k, v in self.query if k == name]
        return values[-1] if values and values[-1] != "" else None

    def params(self, name: str) -> list[str]:
        """Every value of an array query parameter, given as ``name[]`` or ``name``."""
        return [v for k, v in self.query if k in (name, f"{name}[]") and v != ""]


@dataclass(frozen=True)
class Reply:
    body: Any
    status: int = 200
    headers: list[tuple[str, str]] = field(default_factory=list)


def not_found(what: str) -> ApiError:
    return ApiError(404, {"message": f"404 {what}"})


def bad_request(message: str) -> ApiError:
    return ApiError(400, {"error": message})


# -- parameters ----------------------------------------------------------------------


def _choice(call: Call, name: str, allowed: Sequence[str], default: str) -> str:
    value = call.param(name) or default
    if value not in allowed:
        raise bad_request(f"{name} does not have a valid value")
    return value


def _int_param(call: Call, name: str, default: int) -> int:
    value = call.param(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise bad_request(f"{name} is invalid") from None


def _time_param(call: Call, name: str) -> datetime | None:
    try:
        return parse_time(call.param(name))
    except ValueError:
        raise bad_request(f"{name} is invalid") from None


def _labels(value: Any) -> list[str]:
    """A labels field: a JSON list or GitLab's comma-separated text."""
    items = value if isinstance(value, list) else str(value).split(",")
    return list(dict.fromkeys(str(item).strip() for item in items if str(item).strip()))


def _flag(name: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("true", "1", "yes"):
        return True
    if text in ("false", "0", "no"):
        return False
    raise bad_request(f"{name} is invalid")


# -- lookups -------------------------------------------------------------------------


def _project(call: Call) -> Project:
    found = call.store.find_project(call.args["project"])
    if found is not None and call.store.hidden.get(found.id) == 403:
        raise ApiError(403, {"message": "403 Forbidden"})
    if found is None or found.id in call.store.hidden:
        raise not_found("Project Not Found")
    return found


def _group(call: Call) -> Group:
    found = call.store.find_group(call.args["group"])
    if found is None:
        raise not_found("Group Not Found")
    return found


def _issue(call: Call) -> Issue:
    home = _project(call)
    found = call.store.issue(home, int(call.args["iid"])) if call.args["iid"].isdigit() else None
    if found is None:
        raise not_found("Not found")
    return found


def _note(call: Call) -> Note:
    parent = _issue(call)
    wanted = call.args["note"]
    found = next((n for n in parent.notes if str(n.id) == wanted), None)
    if found is None:
        raise not_found("Not found")
    return found


# -- pagination ----------------------------------------------------------------------


def paginate(call: Call, items: Sequence[T], show: Callable[[T], Any]) -> Reply:
    """One page of ``items`` with GitLab's offset pagination headers and Link."""
    per_page = min(max(_int_param(call, "per_page", DEFAULT_PER_PAGE), 1), MAX_PER_PAGE)
    page = max(_int_param(call, "page", 1), 1)
    pages = max(-(-len(items) // per_page), 1)
    prev_page = page - 1 if 1 < page <= pages else None
    next_page = page + 1 if page < pages else None
    counted = len(items) <= COUNT_LIMIT
    links = [(prev_page, "prev"), (next_page, "next"), (1, "first"), (pages if counted else None, "last")]
    headers = [
        ("X-Per-Page", str(per_page)),
        ("X-Page", str(page)),
        ("X-Next-Page", str(next_page or "")),
        ("X-Prev-Page", str(prev_page or "")),
        (
            "Link",
            ", ".join(
                f'<{_page_url(call, number, per_page)}>; rel="{rel}"'
                for number, rel in links
                if number
            ),
        ),
    ]
    if counted:  # GitLab leaves the totals and the last link out beyond COUNT_LIMIT items
        headers += [("X-Total", str(len(items))), ("X-Total-Pages", str(pages))]
    chunk = items[(page - 1) * per_page : page * per_page]
    return Reply([show(item) for item in chunk], headers=headers)


def _page_url(call: Call, page: int, per_page: int) -> str:
    kept = [(k, v) for k, v in call.query if k not in ("page", "per_page")]
    pairs = sorted([*kept, ("page", str(page)), ("per_page", str(per_page))], key=lambda p: p[0])
    return f"{call.base}{call.path}?{urlencode(pairs)}"


# -- issue lists ---------------------------------------------------------------------


def _label_test(call: Call) -> Callable[[Issue], bool]:
    wanted = [label for value in call.params("labels") for label in _labels(value)]
    if wanted == ["None"]:
        return lambda issue: not issue.labels
    if wanted == ["Any"]:
        return lambda issue: bool(issue.labels)
    return lambda issue: all(label in issue.labels for label in wanted)


def _time_tests(call: Call) -> list[Callable[[Issue], bool]]:
    tests: list[Callable[[Issue], bool]] = []
    for name, attribute, after in (
        ("created_after", "created_at", True),
        ("created_before", "created_at", False),
        ("updated_after", "updated_at", True),
        ("updated_before", "updated_at", False),
    ):
        bound = _time_param(call, name)
        if bound is not None:
            tests.append(_bounded(attribute, bound, after))
    return tests


def _bounded(attribute: str, bound: datetime, after: bool) -> Callable[[Issue], bool]:
    if after:
        return lambda issue: getattr(issue, attribute) >= bound
    return lambda issue: getattr(issue, attribute) <= bound


def _issue_tests(call: Call) -> list[Callable[[Issue], bool]]:
    state = _choice(call, "state", ("opened", "closed", "all"), "all")
    kind = call.param("issue_type")
    if kind is not None and kind not in ISSUE_TYPES:
        raise bad_request("issue_type does not have a valid value")
    iids = call.params("iids")
    if not all(iid.isdigit() for iid in iids):
        raise bad_request("iids is invalid")
    search = (call.param("search") or "").lower()
    author = call.param("author_id")
    if author is not None and not author.isdigit():
        raise bad_request("author_id is invalid")
    scope = _choice(call, "scope", ("created_by_me", "assigned_to_me", "all"), "all")
    tests = [_label_test(call), *_time_tests(call)]
    negated = [label for value in call.params("not[labels]") for label in _labels(value)]
    if negated:  # GitLab's not[labels]: issues carrying none of them
        tests.append(lambda issue: not any(label in issue.labels for label in negated))
    if author is not None:
        tests.append(lambda issue: issue.author_id == int(author))
    if scope == "created_by_me":  # the token's user, as GitLab's project and group lists read it
        tests.append(lambda issue: issue.author_id == call.user.id)
    elif scope == "assigned_to_me":
        tests.append(lambda issue: call.user.id in issue.assignee_ids)
    if state != "all":
        tests.append(lambda issue: issue.state == state)
    if kind is not None:
        tests.append(lambda issue: issue.issue_type == kind)
    if iids:
        tests.append(lambda issue: str(issue.iid) in iids)
    if search:
        tests.append(lambda issue: search in f"{issue.title}\n{issue.description}".lower())
    return tests


def _issue_list(call: Call, projects: Iterable[Project]) -> Reply:
    order_by = _choice(call, "order_by", ("created_at", "updated_at"), "created_at")
    descending = _choice(call, "sort", ("asc", "desc"), "desc") == "desc"
    tests = _issue_tests(call)
    homes = {p.id for p in projects}
    found = [
        issue
        for issue in call.store.issues.values()
        if issue.project_id in homes and all(test(issue) for test in tests)
    ]
    found.sort(key=lambda issue: (getattr(issue, order_by), issue.id), reverse=descending)
    return paginate(call, found, lambda issue: render.issue(call.store, issue, call.base))


# -- read handlers -------------------------------------------------------------------


def get_user(call: Call) -> Reply:
    return Reply(render.current_user(call.user, call.base))


def get_version(call: Call) -> Reply:
    kas = {"enabled": False, "externalUrl": None, "version": None}
    return Reply({"version": GITLAB_VERSION, "revision": "fake", "kas": kas, "enterprise": True})


def get_project(call: Call) -> Reply:
    return Reply(render.project(call.store, _project(call), call.base))


def get_group(call: Call) -> Reply:
    return Reply(render.group(_group(call), call.base))


def list_project_issues(call: Call) -> Reply:
    return _issue_list(call, [_project(call)])


def list_group_issues(call: Call) -> Reply:
    visible = [p for p in call.store.group_projects(_group(call)) if p.id not in call.store.hidden]
    return _issue_list(call, visible)


def get_issue(call: Call) -> Reply:
    return Reply(render.issue(call.store, _issue(call), call.base))


def list_notes(call: Call) -> Reply:
    order_by = _choice(call, "order_by", ("created_at", "updated_at"), "created_at")
    descending = _choice(call, "sort", ("asc", "desc"), "desc") == "desc"
    notes = sorted(
        _issue(call).notes, key=lambda n: (getattr(n, order_by), n.id), reverse=descending
    )
    return paginate(call, notes, lambda note: render.note(call.store, note, call.base))


def get_note(call: Call) -> Reply:
    return Reply(render.note(call.store, _note(call), call.base))


def list_note_awards(call: Call) -> Reply:
    awards = sorted(_note(call).awards, key=lambda a: a.id)
    return paginate(call, awards, lambda award: render.award(call.store, award, call.base))


def list_links(call: Call) -> Reply:
    here = _issue(call)
    return Reply(
        [
            render.linked_issue(call.store, link, here, call.base)
            for link in call.store.links_of(here)
            if call.store.issues[link.other(here.id)].project_id not in call.store.hidden
        ]
    )


# -- write handlers ------------------------------------------------------------------


def create_issue(call: Call) -> Reply:
    title = str(call.fields.get("title") or "").strip()
    if not title:
        raise bad_request("title is missing")
    kind = str(call.fields.get("issue_type") or "issue")
    if kind not in ISSUE_TYPES:
        raise bad_request("issue_type does not have a valid value")
    created = call.fields.get("created_at")
    issue = call.store.add_issue(
        _project(call),
        title=title,
        description=str(call.fields.get("description") or ""),
        labels=_labels(call.fields.get("labels") or []),
        issue_type=kind,
        author=call.user.username,
        created_at=str(created) if created else None,
        confidential=_flag("confidential", call.fields.get("confidential", False)),
    )
    call.store.mention(issue, issue.description, author=call.user.username, created_at=issue.created_at)
    return Reply(render.issue(call.store, issue, call.base), status=201)


EDITABLE = (
    "title",
    "description",
    "labels",
    "add_labels",
    "remove_labels",
    "confidential",
    "state_event",
    "issue_type",
)


def edit_issue(call: Call) -> Reply:
    issue = _issue(call)
    edits = _checked_edits(call.fields)
    before = _snapshot(issue)
    moment = now()
    _apply_edits(issue, edits, call.user, moment)
    if _snapshot(issue) != before:
        issue.updated_at, issue.updated_by_id = moment, call.user.id
    _system_notes(call, issue, before, moment)
    if "description" in edits:
        call.store.mention(issue, issue.description, author=call.user.username, created_at=moment)
    return Reply(render.issue(call.store, issue, call.base))


def _system_notes(call: Call, issue: Issue, before: tuple[Any, ...], moment: datetime) -> None:
    """The system notes GitLab adds for an edit that a reader of the notes sees: "changed the
    description", "changed title from ...", "made the issue confidential" / "made the issue
    visible to everyone", each by the editor. (Labels and state changes are resource events
    in GitLab, not notes.)"""
    title, description, _, confidential, _, _ = before
    said = []
    if issue.description != description:
        said.append("changed the description")
    if issue.title != title:
        said.append(f"changed title from **{title}** to **{issue.title}**")
    if issue.confidential != confidential:
        said.append("made the issue confidential" if issue.confidential else "made the issue visible to everyone")
    for body in said:
        call.store.add_note(issue, body, author=call.user.username, created_at=moment, system=True)


def _checked_edits(fields: dict[str, Any]) -> dict[str, Any]:
    """The editable fields given, validated before anything changes."""
    edits = {name: fields[name] for name in EDITABLE if name in fields}
    if not edits:
        raise bad_request(
            f"{', '.join(EDITABLE)} are missing, at least one parameter must be provided"
        )
    if edits.get("issue_type", "issue") not in ISSUE_TYPES:
        raise bad_request("issue_type does not have a valid value")
    if edits.get("state_event", "close") not in ("close", "reopen"):
        raise bad_request("state_event does not have a valid value")
    if "confidential" in edits:
        edits["confidential"] = _flag("confidential", edits["confidential"])
    return edits


def _snapshot(issue: Issue) -> tuple[Any, ...]:
    return (
        issue.title,
        issue.description,
        list(issue.labels),
        issue.confidential,
        issue.state,
        issue.issue_type,
    )


def _apply_edits(issue: Issue, edits: dict[str, Any], user: User, moment: datetime) -> None:
    issue.title = str(edits.get("title", issue.title))
    issue.description = str(edits.get("description", issue.description) or "")
    issue.confidential = edits.get("confidential", issue.confidential)
    issue.issue_type = str(edits.get("issue_type", issue.issue_type))
    labels = _labels(edits["labels"]) if "labels" in edits else list(issue.labels)
    removed = set(_labels(edits.get("remove_labels") or []))
    added = _labels(edits.get("add_labels") or [])
    issue.labels = list(dict.fromkeys(label for label in [*labels, *added] if label not in removed))
    event = edits.get("state_event")
    if event == "close" and issue.state != "closed":
        issue.state, issue.closed_at, issue.closed_by_id = "closed", moment, user.id
    elif event == "reopen" and issue.state != "opened":
        issue.state, issue.closed_at, issue.closed_by_id = "opened", None, None


def create_note(call: Call) -> Reply:
    parent = _issue(call)
    body = str(call.fields.get("body") or "")
    if not body.strip():
        raise bad_request("body is missing")
    created = call.fields.get("created_at")
    note = call.store.add_note(
        parent,
        body,
        author=call.user.username,
        created_at=str(created) if created else None,
        internal=_flag("internal", call.fields.get("internal", False)),
    )
    parent.updated_at = max(parent.updated_at, note.created_at)
    call.store.mention(parent, body, author=call.user.username, created_at=note.created_at)
    return Reply(render.note(call.store, note, call.base), status=201)


def edit_note(call: Call) -> Reply:
    """GitLab lets only a note's author edit its body: anyone else gets 403."""
    note = _note(call)
    if note.author_id != call.user.id:
        raise ApiError(403, {"message": "403 Forbidden"})
    body = str(call.fields.get("body") or "")
    if not body.strip():
        raise bad_request("body is missing")
    note.body = body
    note.updated_at = max(note.updated_at, now())
    parent = _issue(call)
    parent.updated_at = max(parent.updated_at, note.updated_at)
    return Reply(render.note(call.store, note, call.base))


# -- the route table: (method, template, handler); ":name" matches one raw path segment --

ROUTES: list[tuple[str, str, Callable[[Call], Reply]]] = [
    ("GET", "/user", get_user),
    ("GET", "/version", get_version),
    ("GET", "/projects/:project", get_project),
    ("GET", "/groups/:group", get_group),
    ("GET", "/groups/:group/issues", list_group_issues),
    ("GET", "/projects/:project/issues", list_project_issues),
    ("POST", "/projects/:project/issues", create_issue),
    ("GET", "/projects/:project/issues/:iid", get_issue),
    ("PUT", "/projects/:project/issues/:iid", edit_issue),
    ("GET", "/projects/:project/issues/:iid/links", list_links),
    ("GET", "/projects/:project/issues/:iid/notes", list_notes),
    ("POST", "/projects/:project/issues/:iid/notes", create_note),
    ("GET", "/projects/:project/issues/:iid/notes/:note", get_note),
    ("PUT", "/projects/:project/issues/:iid/notes/:note", edit_note),
    ("GET", "/projects/:project/issues/:iid/notes/:note/award_emoji", list_note_awards),
]
