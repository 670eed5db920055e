"""What `inc-audit init` reads of a project in GitLab, with a token: its labels, its members (to
propose roles) and its issue templates (when the checkout has none)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from inc_audit.sources.http.session import Client, connect, encode_id, get_json
from inc_audit.sources.rest.source import iter_items

ROLE_NAMES = {50: "Owner", 40: "Maintainer", 30: "Developer", 20: "Reporter"}
_BOT = re.compile(r"^(project|group)_\d+_bot(_\w+)?$")
PROPOSED_ROLES = ("product_manager", "development_lead", "operations_manager")


@dataclass(frozen=True)
class Member:
    username: str
    access_level: int

    @property
    def role(self) -> str:
        return ROLE_NAMES.get(self.access_level, str(self.access_level))


def client(url: str, token: str) -> Client:
    return connect(url, token, retry_budget=10)


def labels(gl: Client, project: str) -> list[str]:
    """The names of the project's labels (its groups' included)."""
    path = f"/projects/{encode_id(project)}/labels"
    return [str(raw.get("name")) for raw in iter_items(gl, path, "listing the project's labels")]


def members(gl: Client, project: str) -> list[Member]:
    """The project's active human members with the Reporter role or above, its groups' included,
    highest role first. Access token bots and blocked users are left out."""
    path = f"/projects/{encode_id(project)}/members/all"
    found: dict[str, Member] = {}
    for raw in iter_items(gl, path, "listing the project's members"):
        name, level = raw.get("username"), raw.get("access_level")
        if not isinstance(name, str) or not isinstance(level, int) or isinstance(level, bool):
            continue
        if raw.get("state", "active") != "active" or _BOT.match(name) or level < 20:
            continue
        if name not in found or found[name].access_level < level:
            found[name] = Member(name, level)
    return sorted(found.values(), key=lambda m: (-m.access_level, m.username.lower()))


def propose_roles(people: list[Member]) -> dict[str, tuple[str, list[str]]]:
    """A first guess for a person to confirm: the highest roles as primaries, the next as backups."""
    if not people:
        return {}
    names = [m.username for m in people]
    proposal = {}
    for index, role in enumerate(PROPOSED_ROLES):
        backup = index + len(PROPOSED_ROLES)
        proposal[role] = (names[index % len(names)], [names[backup]] if backup < len(names) else [])
    return proposal


MAX_NAME_BYTES = 250
"""The longest template name kept, in UTF-8 bytes: ``<name>.md`` fits a file system's 255."""


def _file_name(key: Any) -> bool:
    """Whether a template's key can name a file ``<key>.md`` in a folder of its own: not empty,
    no separator, not hidden, no control character, not too long."""
    if not isinstance(key, str) or not key or key.startswith("."):
        return False
    if "/" in key or "\\" in key or any(ord(c) < 32 or ord(c) == 127 for c in key):
        return False
    return len(key.encode("utf-8", errors="replace")) <= MAX_NAME_BYTES


def issue_templates(gl: Client, project: str) -> dict[str, str]:
    """The project's issue templates (file name without `.md` -> text), as GitLab lists them."""
    base = f"/projects/{encode_id(project)}/templates/issues"
    templates: dict[str, str] = {}
    for raw in iter_items(gl, base, "listing the project's issue templates"):
        key = raw.get("key")
        if not _file_name(key):
            continue
        answer: Any = get_json(gl, f"{base}/{encode_id(key)}", f"reading the issue template {key!r}")
        content = answer.get("content") if isinstance(answer, dict) else None
        if isinstance(content, str):
            templates[key] = content
    return templates
