"""The fake GitLab's GraphQL endpoint (POST /api/graphql), over the same store as REST.

The schema is the subset in gitlab_schema.graphql (GitLab's names and nullability),
executed by graphql-core. Before executing, a query is held to GitLab's limits as
graphql_limits computes them (size, depth, complexity); page sizes above 100 are served
as 100. Answers and errors have GitLab's shape: ``{"data": ...}``, or ``{"errors":
[{"message": ...}]}`` with HTTP 200 for a query GitLab refuses (complexity, depth,
validation), 401 for a token GitLab does not know. Latency, faults, the rate limit and
the request log are the server's, as for REST.

Connections are served with opaque cursors (base64 of the offset) and ``pageInfo``;
issues are ordered as ``sort`` asks (created_desc by default), notes oldest first as
GitLab's ``NotesFinder`` gives them.
"""

from __future__ import annotations

import base64
import functools
import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    build_schema,
    execute,
    parse,
    validate,
)
from graphql.language import FieldNode, FragmentDefinitionNode

from inc_audit.model import parse_time

from . import graphql_limits as limits
from .graphql_exec import Executor
from .store import Award, Issue, Link, Note, Project, Store, User

SCHEMA_FILE = Path(__file__).with_name("gitlab_schema.graphql")
Json = dict[str, Any]


@dataclass(frozen=True)
class Viewer:
    """Who asks: a user (authenticated) or None (anonymous: sees no private project)."""

    store: Store
    user: User | None
    base: str


@functools.lru_cache(maxsize=4)
def schema(without: tuple[str, ...] = ()) -> GraphQLSchema:
    """The schema, less the fields named in ``without`` ("Issue.linkedWorkItems"): an older GitLab."""
    built = build_schema(SCHEMA_FILE.read_text(encoding="utf-8"))
    for name in without:
        type_name, field_name = name.split(".")
        del built.type_map[type_name].fields[field_name]  # type: ignore[attr-defined]
    _bind(built)
    return built


def answer(store: Store, user: User | None, base: str, body: bytes, without: tuple[str, ...] = ()) -> tuple[int, Json]:
    """The status and JSON body for one POST /api/graphql."""
    try:
        payload = json.loads(body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError):
        return 400, {"errors": [{"message": "Unexpected end of document"}]}
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return 200, {"errors": [{"message": "No query string was present"}]}
    query: str = payload["query"]
    if len(query) > limits.MAX_QUERY_SIZE:
        return 200, {"errors": [{"message": "Query too large"}]}
    variables = payload.get("variables") or {}
    return 200, _run(Viewer(store, user, base), schema(without), query, variables, payload.get("operationName"))


def operation_name(body: bytes) -> str:
    """The operation's name, for the request log ("" when anonymous or unreadable)."""
    try:
        payload = json.loads(body or b"null")
        document = parse(payload["query"])
    except Exception:  # the log records what it can
        return ""
    for definition in document.definitions:
        if isinstance(definition, OperationDefinitionNode) and definition.name:
            return definition.name.value
    return ""


def _run(viewer: Viewer, served: GraphQLSchema, query: str, variables: dict[str, Any], name: str | None) -> Json:
    try:
        document = parse(query)
    except GraphQLError as error:
        return {"errors": [error.formatted]}
    problems = validate(served, document)
    if problems:
        return {"errors": [_as_graphql_ruby(problem) for problem in problems[:5]]}
    refused = _over_limits(served, document, variables, authenticated=viewer.user is not None)
    if refused:
        return {"errors": [{"message": refused}]}
    operation = _operation(document, name)
    if operation is not None and not _introspects(operation):
        fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
        try:
            return {"data": Executor(served, fragments, variables, viewer).run(operation)}
        except GraphQLError as error:
            return {"data": None, "errors": [error.formatted]}
    result = execute(served, document, variable_values=variables, operation_name=name, context_value=viewer)
    out: Json = {"data": result.data}
    if result.errors:
        out["errors"] = [error.formatted for error in result.errors]
    return out


_UNDEFINED_FIELD = re.compile(r"Cannot query field '(\w+)' on type '(\w+)'\.")


def _as_graphql_ruby(problem: GraphQLError) -> Json:
    """A validation error as GitLab's graphql-ruby words it (the commonest: an unknown field)."""
    formatted = dict(problem.formatted)
    found = _UNDEFINED_FIELD.match(problem.message)
    if found:
        field, type_name = found.groups()
        formatted["message"] = f"Field '{field}' doesn't exist on type '{type_name}'"
        formatted["extensions"] = {"code": "undefinedField", "typeName": type_name, "fieldName": field}
    return formatted


def _operation(document: Any, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    named = [d for d in operations if name is None or (d.name and d.name.value == name)]
    return named[0] if len(named) == 1 or (named and name) else None


def _introspects(operation: OperationDefinitionNode) -> bool:
    return any(isinstance(s, FieldNode) and s.name.value.startswith("__") for s in operation.selection_set.selections)


def _over_limits(served: GraphQLSchema, document: Any, variables: dict[str, Any], *, authenticated: bool) -> str | None:
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    analysis = limits.Analysis(served, fragments, variables)
    for definition in document.definitions:
        if not isinstance(definition, OperationDefinitionNode):
            continue
        score, depth = analysis.operation(definition)
        if depth > limits.MAX_DEPTH[authenticated]:
            return limits.depth_error(depth, limits.MAX_DEPTH[authenticated])
        if score > limits.MAX_COMPLEXITY[authenticated]:
            return limits.complexity_error(score, limits.MAX_COMPLEXITY[authenticated])
    return None


def stamp(moment: datetime | None) -> str | None:
    """GitLab's GraphQL ``Time``: ISO 8601 in whole seconds (``Types::TimeType`` uses ``iso8601``)."""
    return None if moment is None else moment.isoformat(timespec="seconds").replace("+00:00", "Z")


# -- connections ---------------------------------------------------------------------


def connection(items: Sequence[Any], args: dict[str, Any], show: Callable[[Any], Any] = lambda x: x) -> Json:
    """One page of ``items`` as a GitLab connection (nodes, edges, pageInfo, count)."""
    first, last = limits.page_size(args)
    start = _offset(args["after"]) + 1 if args.get("after") else 0
    stop = _offset(args["before"]) if args.get("before") else len(items)
    start, stop = max(0, start), min(len(items), stop)
    if first is None and last is None:
        first = limits.MAX_PAGE_SIZE
    if first is not None:
        stop = min(stop, start + first)
    if last is not None:
        start = max(start, stop - last)
    nodes = [show(item) for item in items[start:stop]]
    return {
        "count": len(items),
        "nodes": nodes,
        "edges": Edges(start, nodes),
        "pageInfo": {
            "hasNextPage": stop < len(items),
            "hasPreviousPage": start > 0,
            "startCursor": _cursor(start) if nodes else None,
            "endCursor": _cursor(stop - 1) if nodes else None,
        },
    }


class Edges:
    """A connection's edges, made only when a query asks for them."""

    def __init__(self, start: int, nodes: list[Any]) -> None:
        self.start, self.nodes = start, nodes

    def __iter__(self) -> Any:
        return iter([{"cursor": _cursor(self.start + i), "node": node} for i, node in enumerate(self.nodes)])


def _cursor(index: int) -> str:
    return base64.b64encode(f"offset:{index}".encode()).decode()


def _offset(cursor: str) -> int:
    try:
        kind, _, number = base64.b64decode(cursor).decode().partition(":")
        if kind != "offset":
            raise ValueError(kind)
        return int(number)
    except Exception:
        raise GraphQLError(f"Please provide a valid cursor: {cursor}") from None


# -- resolvers -----------------------------------------------------------------------


def _bind(built: GraphQLSchema) -> None:
    fields: dict[tuple[str, str], Callable[..., Any]] = {
        ("Query", "project"): _project,
        ("Query", "group"): _group,
        ("Project", "issues"): _project_issues,
        ("Project", "issue"): _project_issue,
        ("Group", "issues"): _group_issues,
    }
    for (type_name, field_name), resolve in fields.items():
        built.type_map[type_name].fields[field_name].resolve = resolve  # type: ignore[attr-defined]
    built.type_map["WorkItemWidget"].resolve_type = _resolve_widget  # type: ignore[attr-defined]
    built.type_map["Noteable"].resolve_type = _resolve_noteable  # type: ignore[attr-defined]


def _project(_: Any, info: Any, fullPath: str) -> Json | None:
    viewer: Viewer = info.context
    found = viewer.store.find_project(fullPath)
    if found is None or viewer.user is None:
        return None
    return _project_node(viewer, found)


def _project_node(viewer: Viewer, project: Project) -> Json:
    return {
        "id": f"gid://gitlab/Project/{project.id}",
        "fullPath": project.path_with_namespace,
        "name": project.path,
        "webUrl": f"{viewer.base}/{project.path_with_namespace}",
        "_record": project,
    }


def _group(_: Any, info: Any, fullPath: str) -> Json | None:
    viewer: Viewer = info.context
    found = viewer.store.find_group(fullPath) if not fullPath.isdigit() else None
    if found is None or viewer.user is None:
        return None
    return {
        "id": f"gid://gitlab/Group/{found.id}",
        "fullPath": found.full_path,
        "name": found.path,
        "webUrl": f"{viewer.base}/groups/{found.full_path}",
        "_record": found,
    }


def _project_issues(parent: Json, info: Any, **args: Any) -> Json:
    return _issues(info.context, [parent["_record"]], args)


def _project_issue(parent: Json, info: Any, **args: Any) -> Json | None:
    found = _issues(info.context, [parent["_record"]], {**args, "first": 1})["nodes"]
    return found[0] if found else None


def _group_issues(parent: Json, info: Any, **args: Any) -> Json:
    viewer: Viewer = info.context
    group = parent["_record"]
    if args.get("includeSubgroups"):
        projects = viewer.store.group_projects(group)
    else:
        projects = [p for p in viewer.store.projects.values() if p.group_id == group.id]
    return _issues(viewer, projects, args)


_SORTS = {
    "created_desc": ("created_at", True),
    "created_asc": ("created_at", False),
    "updated_desc": ("updated_at", True),
    "updated_asc": ("updated_at", False),
}


def _issues(viewer: Viewer, projects: Iterable[Project], args: dict[str, Any]) -> Json:
    with viewer.store.lock:
        homes = {p.id for p in projects}
        tests = _issue_tests(args)
        found = [
            issue
            for issue in viewer.store.issues.values()
            if issue.project_id in homes and all(test(issue) for test in tests)
        ]
        attribute, descending = _SORTS[str(args.get("sort") or "created_desc").lower()]
        found.sort(key=lambda issue: (getattr(issue, attribute), issue.id), reverse=descending)
        return connection(found, args, lambda issue: IssueNode(viewer, issue))


def _issue_tests(args: dict[str, Any]) -> list[Callable[[Issue], bool]]:
    tests: list[Callable[[Issue], bool]] = []
    iids = list(args.get("iids") or []) + ([args["iid"]] if args.get("iid") else [])
    if iids:
        tests.append(lambda issue: str(issue.iid) in iids)
    labels = [label for label in args.get("labelName") or [] if label]
    if labels:
        tests.append(lambda issue: all(label in issue.labels for label in labels))
    union = args.get("or") or {}
    any_of = list(union.get("labelNames") or []) + list(union.get("labelName") or [])
    if any_of:
        tests.append(lambda issue: any(label in issue.labels for label in any_of))
    negated = args.get("not") or {}
    if negated.get("types"):
        excluded = {t.lower() for t in negated["types"]}
        tests.append(lambda issue: issue.issue_type not in excluded)
    if args.get("types"):
        kinds = {t.lower() for t in args["types"]}
        tests.append(lambda issue: issue.issue_type in kinds)
    state = args.get("state")
    if state in ("opened", "closed"):
        tests.append(lambda issue: issue.state == state)
    tests.extend(_time_tests(args))
    search = str(args.get("search") or "").lower()
    if search:
        tests.append(lambda issue: search in f"{issue.title}\n{issue.description}".lower())
    return tests


def _time_tests(args: dict[str, Any]) -> list[Callable[[Issue], bool]]:
    tests: list[Callable[[Issue], bool]] = []
    for name, attribute, after in (
        ("createdAfter", "created_at", True),
        ("createdBefore", "created_at", False),
        ("updatedAfter", "updated_at", True),
        ("updatedBefore", "updated_at", False),
    ):
        if args.get(name):
            bound = _time(args[name])
            tests.append(_bounded(attribute, bound, after))
    return tests


def _bounded(attribute: str, bound: datetime, after: bool) -> Callable[[Issue], bool]:
    if after:
        return lambda issue: getattr(issue, attribute) >= bound
    return lambda issue: getattr(issue, attribute) <= bound


def _time(value: str) -> datetime:
    try:
        moment = parse_time(str(value))
    except ValueError:
        moment = None
    if moment is None:
        raise GraphQLError(f"{value!r} is not a valid Time")
    return moment


# -- nodes: objects whose fields graphql-core reads as attributes or methods ---------


def _user(store: Store, user_id: int, base: str) -> Json:
    user = store.users[user_id]
    return _user_node(user.id, user.username, user.name, base)


@functools.lru_cache(maxsize=1024)
def _user_node(user_id: int, username: str, name: str, base: str) -> Json:
    user = User(user_id, username, name)
    return {
        "id": f"gid://gitlab/User/{user.id}",
        "username": user.username,
        "name": user.name,
        "webUrl": f"{base}/{user.username}",
    }


def _label_nodes(labels: Iterable[str]) -> list[Json]:
    return [{"id": f"gid://gitlab/ProjectLabel/{abs(hash(t)) % 10**8}", "title": t, "color": "#6699cc"} for t in labels]


class IssueNode:
    """An issue as GraphQL's Issue type shows it."""

    def __init__(self, viewer: Viewer, issue: Issue) -> None:
        self.viewer, self.issue = viewer, issue
        store = viewer.store
        home = store.projects[issue.project_id]
        self.home = home
        self.id = f"gid://gitlab/Issue/{issue.id}"
        self.iid = str(issue.iid)
        self.title = issue.title
        self.description = issue.description
        self.state = issue.state
        self.type = issue.issue_type.upper()
        self.confidential = issue.confidential
        self.createdAt = stamp(issue.created_at)
        self.updatedAt = stamp(issue.updated_at)
        self.closedAt = stamp(issue.closed_at)
        self.webUrl = f"{viewer.base}/{home.path_with_namespace}/-/issues/{issue.iid}"
        self.projectId = home.id
        self.userNotesCount = issue.user_notes_count

    def reference(self, info: Any, full: bool = False) -> str:
        return f"{self.home.path_with_namespace}#{self.issue.iid}" if full else f"#{self.issue.iid}"

    def author(self, info: Any) -> Json:
        return _user(self.viewer.store, self.issue.author_id, self.viewer.base)

    def labels(self, info: Any, **args: Any) -> Json:
        return connection(_label_nodes(self.issue.labels), args)

    def notes(self, info: Any, filter: str = "ALL_NOTES", **args: Any) -> Json:
        notes = list(self.issue.notes)
        if filter == "ONLY_COMMENTS":
            notes = [n for n in notes if not n.system]
        elif filter == "ONLY_ACTIVITY":
            notes = [n for n in notes if n.system]
        return connection(notes, args, lambda note: NoteNode(self.viewer, note))

    def linkedWorkItems(self, info: Any, filter: str | None = None, **args: Any) -> Json:
        links = self.viewer.store.links_of(self.issue)
        shown = [LinkedNode(self.viewer, link, self.issue) for link in links]
        if filter:
            wanted = {"RELATED": "relates_to", "BLOCKED_BY": "is_blocked_by", "BLOCKS": "blocks"}[filter]
            shown = [item for item in shown if item.linkType == wanted]
        return connection(shown, args)


class NoteNode:
    def __init__(self, viewer: Viewer, note: Note) -> None:
        self.viewer, self.note = viewer, note
        self.id = f"gid://gitlab/Note/{note.id}"
        self.body = note.body
        self.system = note.system
        self.internal = note.internal
        self.createdAt = stamp(note.created_at)
        self.updatedAt = stamp(note.updated_at)
        self.url = None

    def author(self, info: Any) -> Json:
        return _user(self.viewer.store, self.note.author_id, self.viewer.base)

    def project(self, info: Any) -> Json:
        issue = self.viewer.store.issues[self.note.issue_id]
        return _project_node(self.viewer, self.viewer.store.projects[issue.project_id])

    def awardEmoji(self, info: Any, **args: Any) -> Json:
        awards = sorted(self.note.awards, key=lambda a: a.id)
        return connection(awards, args, self._award)

    def _award(self, award: Award) -> Json:
        return {
            "name": award.name,
            "description": award.name.replace("_", " "),
            "emoji": "",
            "unicode": "",
            "unicodeVersion": "6.0",
            "user": _user(self.viewer.store, award.user_id, self.viewer.base),
        }


_OTHER_SIDE = {"relates_to": "relates_to", "blocks": "is_blocked_by", "is_blocked_by": "blocks"}


class LinkedNode:
    """One link seen from ``here``: GraphQL's LinkedWorkItemType."""

    def __init__(self, viewer: Viewer, link: Link, here: Issue) -> None:
        other = viewer.store.issues[link.other(here.id)]
        self.linkId = f"gid://gitlab/WorkItems::RelatedWorkItemLink/{link.id}"
        self.linkType = link.link_type if link.source_id == here.id else _OTHER_SIDE.get(link.link_type, link.link_type)
        self.linkCreatedAt = stamp(link.created_at)
        self.linkUpdatedAt = stamp(link.updated_at)
        self.workItem = WorkItemNode(viewer, other)
        self.workItemState = self.workItem.state


class WorkItemNode:
    def __init__(self, viewer: Viewer, issue: Issue) -> None:
        self.issue = issue
        home = viewer.store.projects[issue.project_id]
        self.home = home
        self.id = f"gid://gitlab/WorkItem/{issue.id}"
        self.iid = str(issue.iid)
        self.title = issue.title
        self.state = "CLOSED" if issue.state == "closed" else "OPEN"
        self.confidential = issue.confidential
        self.createdAt = stamp(issue.created_at)
        self.updatedAt = stamp(issue.updated_at)
        self.closedAt = stamp(issue.closed_at)
        self.webUrl = f"{viewer.base}/{home.path_with_namespace}/-/issues/{issue.iid}"
        self.workItemType = {"id": f"gid://gitlab/WorkItems::Type/{issue.issue_type}", "name": _type_name(issue)}

    def reference(self, info: Any, full: bool = False) -> str:
        return f"{self.home.path_with_namespace}#{self.issue.iid}" if full else f"#{self.issue.iid}"

    def widgets(self, info: Any, onlyTypes: list[str] | None = None, exceptTypes: list[str] | None = None) -> list[Any]:
        every = [DescriptionWidget(self.issue), LabelsWidget(self.issue)]
        if onlyTypes:
            every = [w for w in every if w.type in onlyTypes]
        if exceptTypes:
            every = [w for w in every if w.type not in exceptTypes]
        return every


def _type_name(issue: Issue) -> str:
    return {"issue": "Issue", "incident": "Incident", "test_case": "Test Case", "task": "Task"}[issue.issue_type]


class DescriptionWidget:
    type = "DESCRIPTION"
    edited = False
    lastEditedAt = None

    def __init__(self, issue: Issue) -> None:
        self.description = issue.description


class LabelsWidget:
    type = "LABELS"
    allowsScopedLabels = True

    def __init__(self, issue: Issue) -> None:
        self.issue = issue

    def labels(self, info: Any, **args: Any) -> Json:
        return connection(_label_nodes(self.issue.labels), args)


def _resolve_widget(value: Any, info: Any, abstract: Any) -> str:
    return "WorkItemWidgetDescription" if isinstance(value, DescriptionWidget) else "WorkItemWidgetLabels"


def _resolve_noteable(value: Any, info: Any, abstract: Any) -> str:
    return "Issue"
