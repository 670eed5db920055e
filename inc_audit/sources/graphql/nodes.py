"""GraphQL nodes as REST entries: the shapes ``entries``' converters read, so that the rules
and the cache see the same data through either API.

Values are handed over as GitLab gave them, so that ``entries``' converters judge them as
they judge the REST API's (a field of the wrong type makes the incident unreadable). What
has no REST field to carry it, a connection of the wrong shape, raises ``Unreadable``.
"""

from __future__ import annotations

from typing import Any

from inc_audit.sources.entries import flag, kind_of
from inc_audit.sources.interface import Unreadable


def gid(value: Any) -> Any:
    """The number at the end of a global ID ("gid://gitlab/Note/7"); anything else as given."""
    if isinstance(value, str):
        tail = value.rsplit("/", 1)[-1]
        return int(tail) if tail.isdigit() and tail.isascii() else value
    return value


def iid_number(value: Any) -> Any:
    """GraphQL's iid (a string of digits) as REST's number; anything else as given."""
    if isinstance(value, str) and value.isdigit() and value.isascii():
        return int(value)
    return value


def as_object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Unreadable(f"{what} is {kind_of(value)}, not an object")
    return value


def nodes_of(connection: Any, what: str) -> list[Any]:
    """The nodes of a connection (null nodes left out, as GitLab leaves out what it hides)."""
    nodes = as_object(connection, what).get("nodes")
    if not isinstance(nodes, list):
        raise Unreadable(f"{what}' nodes are {kind_of(nodes)}, not a list")
    return [n for n in nodes if n is not None]


def more_of(connection: Any, what: str) -> bool:
    """Whether a connection has a further page (no ``pageInfo``: none)."""
    info = as_object(connection, what).get("pageInfo")
    if info is None:
        return False
    return flag(as_object(info, f"{what}' pageInfo"), "hasNextPage")


def _titles(connection: Any, what: str = "labels") -> list[Any]:
    """Label names (a title that is not text is kept as it is, for ``labels_of`` to report)."""
    if connection is None:
        return []
    titles = []
    for node in nodes_of(connection, what):
        title = node.get("title") if isinstance(node, dict) else node
        if title != "":
            titles.append(title)
    return titles


def _user(value: Any) -> Any:
    return {"username": value.get("username")} if isinstance(value, dict) else value


def raw_issue(node: dict[str, Any], iid: int) -> dict[str, Any]:
    """An Issue node as the REST issues endpoint's entry (``slim_issue``'s fields)."""
    kind = node.get("type") if node.get("type") is not None else "ISSUE"
    return {
        "id": gid(node.get("id")),
        "iid": iid,
        "project_id": node.get("projectId"),
        "title": node.get("title"),
        "description": node.get("description"),
        "labels": _titles(node.get("labels")),
        "issue_type": kind.lower() if isinstance(kind, str) else kind,
        "type": kind,
        "state": node.get("state"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "closed_at": node.get("closedAt"),
        "confidential": node.get("confidential"),
        "web_url": node.get("webUrl"),
        "user_notes_count": node.get("userNotesCount"),
        "author": _user(node.get("author")),
        "references": {"full": node.get("reference")},
    }


def raw_note(node: Any) -> Any:
    if not isinstance(node, dict):
        return node  # for ``note_from_api`` to report
    return {
        "id": gid(node.get("id")),
        "body": node.get("body"),
        "created_at": node.get("createdAt"),
        "updated_at": node.get("updatedAt"),
        "system": node.get("system"),
        "author": _user(node.get("author")),
    }


def raw_award(node: Any) -> Any:
    if not isinstance(node, dict):
        return node  # for ``award_from_api`` to report
    return {"name": node.get("name"), "user": _user(node.get("user"))}


def raw_link(node: Any) -> Any:
    """A linked work item as the REST links endpoint's entry (None: not visible to the token)."""
    if not isinstance(node, dict):
        return node  # for ``iid_of`` to report
    item = node.get("workItem")
    if item is None:
        return None  # not visible to the token: REST leaves it out too
    item = as_object(item, "a linked item")
    description, labels = None, []
    widgets = item.get("widgets")
    if widgets is not None and not isinstance(widgets, list):
        raise Unreadable(f"a linked item's widgets are {kind_of(widgets)}, not a list")
    for widget in widgets or []:
        widget = as_object(widget, "a linked item's widget")
        if "description" in widget:
            description = widget.get("description")
        if "labels" in widget:
            labels = _titles(widget.get("labels"), "a linked item's labels")
    type_name = as_object(item.get("workItemType") or {}, "a linked item's type").get("name") or "Issue"
    kind = type_name.lower().replace(" ", "_") if isinstance(type_name, str) else type_name
    closed = item.get("state") == "CLOSED"
    return {
        "id": gid(item.get("id")),
        "iid": iid_number(item.get("iid")),
        "title": item.get("title"),
        "description": description,
        "labels": labels,
        "issue_type": kind,
        "type": kind.upper() if isinstance(kind, str) else kind,
        "state": "closed" if closed else ("opened" if isinstance(item.get("state"), str) else item.get("state")),
        "created_at": item.get("createdAt"),
        "updated_at": item.get("updatedAt"),
        "closed_at": item.get("closedAt"),
        "confidential": item.get("confidential"),
        "web_url": item.get("webUrl"),
        "references": {"full": item.get("reference")},
    }
