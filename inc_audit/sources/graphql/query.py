"""GraphQL queries for the audit, built as trees so that their complexity is known before sending.

GitLab prices a query (``Types::BaseField``, ``Resolvers::BaseResolver``) as the sum of
its fields: a plain field costs 1 plus its selections; a field declared with a constant
complexity costs that plus its selections; a field with a resolver costs its selections
+ 1 (+1 with a ``sort`` argument, given or defaulted, +5 with ``search``) and, on a
connection, that total is multiplied by ``1 + min(first, 100) * 0.01``, except when
``iid``/``iids`` are given; truncated to an integer. Connections are not multiplied by
their page size. Authenticated queries may cost up to 250.

``Node.complexity()`` applies those rules to a query built here, so the page size of a
listing is the largest that keeps the whole query within the limit
(``largest_page``), and a refusal ("Query has complexity of N") shrinks it further.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

MAX_COMPLEXITY = 250
MAX_PAGE = 100
ITEM_MULTIPLIER = 0.01
PLAIN, RESOLVER, CONSTANT = "plain", "resolver", "constant"
_REFUSED = re.compile(r"Query has complexity of (\d+), which exceeds max complexity of (\d+)")


def refused_complexity(message: str) -> tuple[int, int] | None:
    """(score, limit) when ``message`` is GitLab's complexity refusal."""
    found = _REFUSED.search(message)
    return (int(found.group(1)), int(found.group(2))) if found else None


def literal(value: Any) -> str:
    """A GraphQL literal: strings and lists of them, booleans, numbers, and ``Enum`` names."""
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(literal(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {literal(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (int, float)):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)


@dataclass(frozen=True)
class Enum:
    name: str


@dataclass
class Node:
    """One field of a query: its name (and alias), arguments, how GitLab prices it, its selections."""

    name: str
    args: dict[str, Any] = field(default_factory=dict)
    children: list[Node | Fragment] = field(default_factory=list)
    kind: str = PLAIN
    constant: int = 0
    connection: bool = False
    alias: str | None = None

    def render(self) -> str:
        head = f"{self.alias}: {self.name}" if self.alias else self.name
        if self.args:
            head += "(" + ", ".join(f"{k}: {literal(v)}" for k, v in self.args.items() if v is not None) + ")"
        if not self.children:
            return head
        return head + " { " + " ".join(child.render() for child in self.children) + " }"

    def complexity(self) -> int:
        child = _children_complexity(self.children)
        if self.kind == CONSTANT:
            return self.constant + child
        if self.kind == PLAIN:
            return 1 + child
        score: float = child + 1 + (1 if "sort" in self.args or self.name == "issues" else 0)
        score += 5 if self.args.get("search") else 0
        if self.connection:
            limit = min(int(self.args.get("first") or MAX_PAGE), MAX_PAGE)
            by_id = bool(self.args.get("iid") or self.args.get("iids"))
            score += score * limit * (0 if by_id else ITEM_MULTIPLIER)
        return int(score)


@dataclass
class Fragment:
    """An inline fragment on one possible type of an interface."""

    on: str
    children: list[Node | Fragment]

    def render(self) -> str:
        return f"... on {self.on} {{ " + " ".join(child.render() for child in self.children) + " }"

    def complexity(self) -> int:
        return _children_complexity(self.children)


def _children_complexity(children: list[Node | Fragment]) -> int:
    """Fields count once each; of inline fragments (one per possible type), the dearest counts."""
    plain = sum(child.complexity() for child in children if isinstance(child, Node))
    fragments = [child.complexity() for child in children if isinstance(child, Fragment)]
    return plain + max(fragments, default=0)


def query(name: str, roots: Iterable[Node]) -> str:
    return f"query {name} {{ " + " ".join(root.render() for root in roots) + " }"


def total(roots: Iterable[Node]) -> int:
    return sum(root.complexity() for root in roots)


def scalars(*names: str) -> list[Node | Fragment]:
    return [Node(name) for name in names]


def page_info() -> Node:
    return Node("pageInfo", children=scalars("hasNextPage", "endCursor"))


def user() -> Node:
    return Node("author", children=scalars("username"))


def labels(first: int) -> Node:
    nodes = Node("nodes", children=scalars("title"))
    return Node(
        "labels",
        {"first": first},
        [nodes, Node("pageInfo", children=scalars("hasNextPage"))],
        RESOLVER,
        connection=True,
    )


def award_emoji() -> Node:
    nodes = Node("nodes", children=[Node("name"), Node("user", children=scalars("username"))])
    return Node(
        "awardEmoji", {"first": MAX_PAGE}, [nodes, Node("pageInfo", children=scalars("hasNextPage"))], connection=True
    )


def notes(first: int, after: str | None = None) -> Node:
    note = scalars("id", "body", "system", "createdAt", "updatedAt") + [user(), award_emoji()]
    return Node(
        "notes",
        {"first": first, "after": after},
        [page_info(), Node("nodes", children=note)],
        RESOLVER,
        connection=True,
    )


def work_item(label_page: int) -> Node:
    widgets = Node(
        "widgets",
        {"onlyTypes": [Enum("DESCRIPTION"), Enum("LABELS")]},
        [
            Fragment("WorkItemWidgetDescription", scalars("description")),
            Fragment("WorkItemWidgetLabels", [labels(label_page)]),
        ],
    )
    fields = scalars("iid", "title", "state", "confidential", "webUrl", "createdAt", "updatedAt", "closedAt")
    reference = Node("reference", {"full": True})
    kind = Node("workItemType", children=scalars("name"))
    return Node("workItem", children=[*fields, reference, kind, widgets])


def linked_items(first: int, label_page: int, after: str | None = None) -> Node:
    nodes = Node("nodes", children=[Node("linkType"), work_item(label_page)])
    return Node(
        "linkedWorkItems", {"first": first, "after": after}, [page_info(), nodes], CONSTANT, constant=5, connection=True
    )


@dataclass(frozen=True)
class Shape:
    """Page sizes inside one issue: its notes, its links, and the labels of either."""

    notes: int = MAX_PAGE
    links: int = 20
    labels: int = MAX_PAGE


def issue_fields(shape: Shape) -> list[Node | Fragment]:
    plain = scalars(
        "iid",
        "title",
        "description",
        "state",
        "type",
        "confidential",
        "createdAt",
        "updatedAt",
        "closedAt",
        "webUrl",
        "projectId",
    )
    counted = Node("userNotesCount", kind=RESOLVER)
    return [
        *plain,
        counted,
        Node("reference", {"full": True}),
        user(),
        labels(shape.labels),
        notes(shape.notes),
        linked_items(shape.links, shape.labels),
    ]


def issues(alias: str, args: dict[str, Any], children: list[Node | Fragment], page: int | None) -> Node:
    given = {**args, "first": page} if page is not None else dict(args)
    return Node(
        "issues", given, [page_info(), Node("nodes", children=children)], RESOLVER, connection=True, alias=alias
    )


def scope(kind: str, path: str, children: list[Node]) -> Node:
    """``project(fullPath:)`` or ``group(fullPath:)`` around ``children``."""
    return Node(kind, {"fullPath": path}, list(children), RESOLVER)


def largest_page(build: Callable[[int], list[Node]], limit: int = MAX_COMPLEXITY, ceiling: int = MAX_PAGE) -> int:
    """The largest page size from 1 to ``ceiling`` whose query costs at most ``limit`` (1 if none)."""
    for size in range(min(ceiling, MAX_PAGE), 0, -1):
        if total(build(size)) <= limit:
            return size
    return 1
