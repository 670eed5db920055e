"""The project endpoints `inc-audit init` reads: members, labels and issue templates.

Each answers as GitLab's REST API documents it (docs.gitlab.com/api/members,
api/labels, api/project_templates): the members of a project with the ones it inherits from
its groups (`/members/all`), paginated, each a user with its `access_level`; the project's
labels; the names of its issue templates, and one template's content. Seed them with
``add_member``, ``add_label`` and ``add_issue_template``.
"""

from __future__ import annotations

from collections.abc import Callable

from . import render
from .api import Call, Reply, _project, not_found, paginate
from .store import Project, Store

ACCESS_LEVELS = {"guest": 10, "reporter": 20, "developer": 30, "maintainer": 40, "owner": 50}


def add_member(store: Store, project: str | Project, username: str, role: str = "developer") -> None:
    """``username`` (created when missing) a member of ``project`` with ``role``."""
    with store.lock:
        home = store.find_project(project) if isinstance(project, str) else project
        if home is None:
            raise ValueError(f"no project {project!r}")
        home.members[store.add_user(username).id] = ACCESS_LEVELS[role]


def add_label(store: Store, project: str, name: str) -> None:
    with store.lock:
        home = store.add_project(project)
        if name not in home.labels:
            home.labels.append(name)


def add_issue_template(store: Store, project: str, name: str, content: str) -> None:
    """A file `.gitlab/issue_templates/<name>.md` on the project's default branch."""
    with store.lock:
        store.add_project(project).issue_templates[name] = content


def list_members(call: Call) -> Reply:
    home = _project(call)
    base = call.base

    def member(user_id: int) -> dict[str, object]:
        user = call.store.users[user_id]
        return {
            **render.user_basic(user, base),
            "access_level": home.members[user_id],
            "created_at": render.stamp(user.created_at),
            "expires_at": None,
            "membership_state": "active",
        }

    return paginate(call, sorted(home.members), member)


def list_labels(call: Call) -> Reply:
    home = _project(call)
    shown = [(index + 1, name) for index, name in enumerate(home.labels)]
    return paginate(
        call,
        shown,
        lambda item: {
            "id": home.id * 1000 + item[0],
            "name": item[1],
            "color": "#6699cc",
            "text_color": "#FFFFFF",
            "description": None,
            "priority": None,
            "is_project_label": True,
        },
    )


def list_issue_templates(call: Call) -> Reply:
    home = _project(call)
    return paginate(call, sorted(home.issue_templates), lambda name: {"key": name, "name": name})


def get_issue_template(call: Call) -> Reply:
    home = _project(call)
    name = call.args["key"]
    if name not in home.issue_templates:
        raise not_found("Template Not Found")
    return Reply({"name": name, "content": home.issue_templates[name]})


ROUTES: list[tuple[str, str, Callable[[Call], Reply]]] = [
    ("GET", "/projects/:project/members/all", list_members),
    ("GET", "/projects/:project/labels", list_labels),
    ("GET", "/projects/:project/templates/issues", list_issue_templates),
    ("GET", "/projects/:project/templates/issues/:key", get_issue_template),
]
