"""GraphQL's cursors, followed one page after another: the issues updated since a moment (a
warm cache's listing), the largest page of full issues the complexity allows, shrunk when
GitLab refuses it; and the checks every cursor read makes (``once``, ``page_of``)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

from inc_audit.errors import ConfigError, SourceError
from inc_audit.sources.graphql import query as q
from inc_audit.sources.graphql.client import GraphQL, QueryRefused
from inc_audit.sources.graphql.nodes import as_object, more_of, nodes_of
from inc_audit.sources.interface import Unreadable
from inc_audit.sources.rest.pages import MAX_PAGES


def pages(
    client: GraphQL, target: tuple[str, str], shape: q.Shape, what: str, args: dict[str, Any]
) -> Iterator[list[Any]]:
    """The full issue nodes of every page of ``issues(args)`` in ``target`` (kind, path)."""
    kind, path = target
    cursor: str | None = None
    seen: set[tuple[str, str]] = set()
    ceiling = q.MAX_PAGE

    def build(after: str | None, size: int) -> list[q.Node]:
        return [q.scope(kind, path, [q.issues("updated", {**args, "after": after}, q.issue_fields(shape), size)])]

    while True:
        after = cursor
        size = q.largest_page(functools.partial(build, after), ceiling=ceiling)
        try:
            data = client.execute(what, q.query("Issues", build(after, size)))
        except QueryRefused as refused:
            ceiling = shrunk(refused, size)
            continue
        scope = data.get(kind)
        if not isinstance(scope, dict):
            raise ConfigError(
                f"{kind} {path} is not visible through GitLab's GraphQL API",
                "check that the token can see it, or run with --api rest",
            )
        nodes, cursor = page_of(scope, "updated", what)
        yield nodes
        if cursor is None:
            return
        once(seen, ("updated", cursor), what)


def shrunk(refused: QueryRefused, size: int) -> int:
    """A smaller page after GitLab refused a query's complexity (any other refusal stands)."""
    score = q.refused_complexity(refused.reason)
    if score is None or size <= 1 or score[0] <= 0:  # a score of 0 refused: no size would do
        raise refused
    return max(1, min(size - 1, size * score[1] // score[0]))


def once(seen: set[tuple[str, str]], cursor: tuple[str, str], what: str) -> None:
    """A cursor already followed, or more pages than any listing has, ends the read."""
    if cursor in seen or len(seen) >= MAX_PAGES:
        why = "came twice" if cursor in seen else f"led past {MAX_PAGES} pages"
        raise SourceError(f"GitLab's GraphQL pagination looped while {what} (a cursor {why})",
                          "run the audit again; if it persists, run it with --api rest")
    seen.add(cursor)


def cursor_of(connection: Any, what: str) -> str | None:
    info = as_object(connection, what).get("pageInfo")
    cursor = info.get("endCursor") if isinstance(info, dict) else None
    return cursor if isinstance(cursor, str) and cursor else None


def page_of(scope: dict[str, Any], alias: str, what: str) -> tuple[list[Any], str | None]:
    """The nodes of one page of a listing, and the cursor of the next page (None: the last).
    A page whose shape is broken as a whole stops the audit: its issues cannot be named."""
    connection = scope.get(alias)
    try:
        nodes = nodes_of(connection, "the page")
        cursor = cursor_of(connection, "the page") if more_of(connection, "the page") else None
    except Unreadable as problem:
        raise SourceError(
            f"GitLab's GraphQL answer could not be read while {what}: {problem}",
            "run the audit again; if it persists, run it with --api rest",
        ) from None
    return nodes, cursor
