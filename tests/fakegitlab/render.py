"""Store records as GitLab's REST API (v4) writes them in JSON.

``base`` is the server's URL ("http://127.0.0.1:PORT"); every web_url and
_links entry points back at it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from .store import Award, Group, Issue, Link, Note, Project, Store, User

Json = dict[str, Any]


def stamp(moment: datetime | None) -> str | None:
    """GitLab's timestamp form: "2016-06-14T15:02:08.340Z"."""
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def user_basic(user: User, base: str) -> Json:
    digest = hashlib.md5(user.username.encode(), usedforsecurity=False).hexdigest()
    return {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "state": "active",
        "locked": False,
        "avatar_url": f"https://www.gravatar.com/avatar/{digest}?s=80&d=identicon",
        "web_url": f"{base}/{user.username}",
    }


def assignee(user: User, base: str) -> Json:
    """A user as an issue's assignee: the basic fields without ``locked`` (GitLab's issue.json)."""
    return {k: v for k, v in user_basic(user, base).items() if k != "locked"}


def current_user(user: User, base: str) -> Json:
    return {**user_basic(user, base), "created_at": stamp(user.created_at), "bot": False}


def group(item: Group, base: str) -> Json:
    return {
        "id": item.id,
        "name": item.path,
        "path": item.path,
        "full_name": item.full_path.replace("/", " / "),
        "full_path": item.full_path,
        "parent_id": item.parent_id,
        "description": "",
        "visibility": "private",
        "web_url": f"{base}/groups/{item.full_path}",
        "created_at": stamp(item.created_at),
    }


def project(store: Store, item: Project, base: str) -> Json:
    namespace = store.groups[item.group_id]
    return {
        "id": item.id,
        "name": item.path,
        "name_with_namespace": item.path_with_namespace.replace("/", " / "),
        "path": item.path,
        "path_with_namespace": item.path_with_namespace,
        "description": item.description,
        "default_branch": "main",
        "visibility": "private",
        "issues_enabled": True,
        "created_at": stamp(item.created_at),
        "web_url": f"{base}/{item.path_with_namespace}",
        "namespace": {
            "id": namespace.id,
            "name": namespace.path,
            "path": namespace.path,
            "kind": "group",
            "full_path": namespace.full_path,
            "parent_id": namespace.parent_id,
            "web_url": f"{base}/groups/{namespace.full_path}",
        },
    }


def issue(store: Store, item: Issue, base: str) -> Json:
    home = store.projects[item.project_id]
    api = f"{base}/api/v4/projects/{home.id}"
    closed_by = store.users.get(item.closed_by_id) if item.closed_by_id else None
    return {
        "id": item.id,
        "iid": item.iid,
        "project_id": home.id,
        "title": item.title,
        "description": item.description,
        "state": item.state,
        "created_at": stamp(item.created_at),
        "updated_at": stamp(item.updated_at),
        "closed_at": stamp(item.closed_at),
        "closed_by": user_basic(closed_by, base) if closed_by else None,
        "labels": list(item.labels),
        "milestone": None,
        "assignees": [assignee(store.users[i], base) for i in item.assignee_ids],
        "assignee": assignee(store.users[item.assignee_ids[0]], base) if item.assignee_ids else None,
        "author": user_basic(store.users[item.author_id], base),
        "type": item.issue_type.upper(),
        "issue_type": item.issue_type,
        "user_notes_count": item.user_notes_count,
        "merge_requests_count": 0,
        "upvotes": 0,
        "downvotes": 0,
        "due_date": None,
        "confidential": item.confidential,
        "discussion_locked": None,
        "web_url": f"{base}/{home.path_with_namespace}/-/issues/{item.iid}",
        "time_stats": {
            "time_estimate": 0,
            "total_time_spent": 0,
            "human_time_estimate": None,
            "human_total_time_spent": None,
        },
        "task_completion_status": {"count": 0, "completed_count": 0},
        "has_tasks": False,
        "references": {
            "short": f"#{item.iid}",
            "relative": f"#{item.iid}",
            "full": f"{home.path_with_namespace}#{item.iid}",
        },
        "severity": "UNKNOWN",
        "moved_to_id": None,
        "blocking_issues_count": 0,
        "_links": {
            "self": f"{api}/issues/{item.iid}",
            "notes": f"{api}/issues/{item.iid}/notes",
            "award_emoji": f"{api}/issues/{item.iid}/award_emoji",
            "project": api,
            "closed_as_duplicate_of": None,
        },
    }


def linked_issue(store: Store, link: Link, here: Issue, base: str) -> Json:
    """The other side of ``link`` seen from ``here``, as the issue links list shows it."""
    other = store.issues[link.other(here.id)]
    return {
        **issue(store, other, base),
        "issue_link_id": link.id,
        "link_type": link.link_type,
        "link_created_at": stamp(link.created_at),
        "link_updated_at": stamp(link.updated_at),
    }


def note(store: Store, item: Note, base: str) -> Json:
    """A note with exactly the properties GitLab's notes.json schema allows."""
    parent = store.issues[item.issue_id]
    return {
        "id": item.id,
        "type": None,
        "body": item.body,
        "attachment": None,
        "author": user_basic(store.users[item.author_id], base),
        "created_at": stamp(item.created_at),
        "updated_at": stamp(item.updated_at),
        "system": item.system,
        "noteable_id": parent.id,
        "noteable_iid": parent.iid,
        "noteable_type": "Issue",
        "resolvable": False,
        "confidential": item.internal,
        "internal": item.internal,
        "commands_changes": {},
    }


def award(store: Store, item: Award, base: str) -> Json:
    return {
        "id": item.id,
        "name": item.name,
        "user": user_basic(store.users[item.user_id], base),
        "created_at": stamp(item.created_at),
        "updated_at": stamp(item.updated_at),
        "awardable_id": item.note_id,
        "awardable_type": "Note",
    }
