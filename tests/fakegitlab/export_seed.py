"""Seed a fake GitLab store from a GitLab project export (folder or .tar.gz).

The raw ndjson records keep GitLab's ids (issues, notes, awards, users), so
the fake API answers with the same ids the export reader sees. Links are not
in an export: they are recovered from system notes the way the audit does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inc_audit.model import IssueKey
from inc_audit.sources.export.source import (
    ISSUES_FILE,
    MEMBERS_FILE,
    ExportSource,
    ExportTree,
    issue_type_of,
    recover_links,
)

from .store import ISSUE_TYPES, Issue, Project, Store, as_time


def load_export(
    store: Store, path: str | Path, project_path: str, project_id: int | None = None
) -> Project:
    """Add the export's project, users, issues, notes, awards and recovered links."""
    tree = ExportTree(Path(path))
    source = ExportSource(path, project=project_path)
    issues = source.issues  # built once: the source streams them
    with store.lock:
        project = store.add_project(
            project_path, id=project_id, description=str(tree.project().get("description") or "")
        )
        usernames = _member_usernames(tree)
        for raw in tree.ndjson(ISSUES_FILE):
            key = IssueKey(project_path, int(raw["iid"]))
            if store.issue(project, key.iid) is None and key in issues:
                _add_issue(store, project, raw, usernames, issues[key].closed_at)
        _add_links(store, recover_links(issues.values()))
    return project


def _member_usernames(tree: ExportTree) -> dict[int, str]:
    names: dict[int, str] = {}
    for member in tree.ndjson(MEMBERS_FILE):
        user = member.get("user") or {}
        if isinstance(member.get("user_id"), int) and user.get("username"):
            names[member["user_id"]] = str(user["username"])
    return names


def _user(store: Store, usernames: dict[int, str], user_id: Any, name: Any = None) -> str:
    """The username for an export user id, added to the store with GitLab's id."""
    if not isinstance(user_id, int):
        return store.add_user("ghost", "Ghost User").username
    user = store.add_user(usernames.get(user_id, f"user-{user_id}"), id=user_id)
    if name and user.name == user.username:
        user.name = str(name)
    return user.username


def _add_issue(
    store: Store, project: Project, raw: dict[str, Any], usernames: dict[int, str], closed_at: Any
) -> None:
    state = "closed" if raw.get("state") == "closed" else "opened"
    issue = store.add_issue(
        project,
        title=str(raw.get("title") or ""),
        description=str(raw.get("description") or ""),
        labels=[
            str(link["label"]["title"])
            for link in raw.get("label_links") or ()
            if isinstance(link.get("label"), dict) and link["label"].get("title")
        ],
        issue_type=_api_type(raw),
        state=state,
        author=_user(store, usernames, raw.get("author_id")),
        created_at=raw.get("created_at") or "1970-01-01T00:00:00Z",
        updated_at=raw.get("updated_at"),
        closed_at=closed_at,
        confidential=bool(raw.get("confidential")),
        iid=int(raw["iid"]),
        id=raw.get("id") if isinstance(raw.get("id"), int) else None,
    )
    for assignee in raw.get("issue_assignees") or ():
        if isinstance(assignee, dict):
            issue.assignee_ids.append(store.add_user(_user(store, usernames, assignee.get("user_id"))).id)
    for raw_note in raw.get("notes") or ():
        _add_note(store, issue, raw_note, usernames)


def _add_note(store: Store, issue: Issue, raw: dict[str, Any], usernames: dict[int, str]) -> None:
    if raw.get("id") is None or not raw.get("created_at"):
        return
    author = raw.get("author")
    name = author.get("name") if isinstance(author, dict) else None
    note = store.add_note(
        issue,
        str(raw.get("note") or ""),
        author=_user(store, usernames, raw.get("author_id"), name),
        created_at=raw["created_at"],
        system=bool(raw.get("system")),
        internal=bool(raw.get("internal") or raw.get("confidential")),
        id=int(raw["id"]),
    )
    note.updated_at = as_time(raw.get("updated_at"), note.created_at)
    for award in raw.get("award_emoji") or ():
        store.add_award(
            note,
            str(award.get("name") or ""),
            user=_user(store, usernames, award.get("user_id")),
            created_at=award.get("created_at"),
            id=award.get("id") if isinstance(award.get("id"), int) else None,
        )


def _add_links(store: Store, links: dict[IssueKey, tuple[IssueKey, ...]]) -> None:
    """Link each recovered pair whose two issues are in the store; dated by the later issue."""
    for key, others in links.items():
        here = store.issue(key.project, key.iid)
        for other_key in others:
            other = store.issue(other_key.project, other_key.iid)
            if here is not None and other is not None:
                store.link(here, other, created_at=max(here.created_at, other.created_at))


def _api_type(raw: dict[str, Any]) -> str:
    """The export's work item type, or "issue" for types the issues API does not serve."""
    kind = issue_type_of(raw)
    return kind if kind in ISSUE_TYPES else "issue"
