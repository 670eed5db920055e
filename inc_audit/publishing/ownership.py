"""What inc-audit owns in GitLab, and the checks before it writes there.

inc-audit's issues (the audit issue, the meeting issues) are known by their author, the
token's user (``GET /user``), not only by a label or a marker anyone can copy or remove:

- ``own_issues`` lists the issues that user opened in the projects inc-audit writes in.
  With a bot user (a project or group access token: ``"bot": true``) every one of them is
  inc-audit's; with a person's token, those that carry an inc-audit marker, its labels or
  its titles. The rules never take one of them for evidence (``Config.own_issues``).
- ``confirm_confidential`` reads the issue afresh and, when someone made it public, makes
  it confidential again and checks GitLab's answer, before anything sensitive is written.
- ``edited_by_others`` says who else last changed an issue's description: GitLab's REST
  API does not show ``updated_by_id``, but it adds the system note "changed the
  description", by whoever did it, to the issue.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inc_audit.errors import PublishError
from inc_audit.sources.http.session import Client, encode_id, get_json, send, token_user
from inc_audit.sources.rest.source import iter_items

MARKER_PREFIX = "<!-- inc-audit:"
EDITED = "changed the description"


@dataclass(frozen=True)
class Me:
    """The token's user: the only author inc-audit's issues may have."""

    id: int
    username: str
    bot: bool


def whoami(gl: Client) -> Me:
    user = token_user(gl)
    if not isinstance(user, dict) or type(user.get("id")) is not int:
        raise PublishError("GitLab did not say who the token's user is (GET /user)",
                           "check that --gitlab-url is a GitLab instance")
    return Me(int(user["id"]), str(user.get("username") or ""), user.get("bot") is True)


def is_own(raw: dict[str, Any], owner: int) -> bool:
    """Whether inc-audit's user created ``raw`` (an issue as GitLab lists it)."""
    author = raw.get("author")
    return isinstance(author, dict) and author.get("id") == owner


def authored(gl: Client, project: str, owner: int, what: str) -> list[dict[str, Any]]:
    """Every issue, open or closed, that ``owner`` opened in ``project``, oldest first."""
    query = {"state": "all", "author_id": owner, "order_by": "created_at", "sort": "asc"}
    listing = iter_items(gl, f"/projects/{encode_id(project)}/issues", what, query,
                         not_found=(f"project {project} not found (404)",
                                    "check the project's path and that the token can see it"))
    found = [raw for raw in listing if isinstance(raw, dict) and is_own(raw, owner) and _iid(raw) is not None]
    return sorted(found, key=lambda raw: int(raw["iid"]))


def key_of(raw: dict[str, Any], project: str) -> str:
    """``group/project#iid``, lower case, as ``Config.own_issues`` holds it."""
    references = raw.get("references")
    full = references.get("full") if isinstance(references, dict) else None
    if isinstance(full, str) and "#" in full:
        return full.lower()
    return f"{project}#{raw.get('iid')}".lower()


def looks_like_ours(raw: dict[str, Any], label_sets: tuple[tuple[str, ...], ...], titles: tuple[str, ...]) -> bool:
    """An issue inc-audit's user opened that is inc-audit's: a marker, a set of its labels, or a title."""
    found = raw.get("labels")
    have = [str(label) for label in found] if isinstance(found, list) else []
    return (
        MARKER_PREFIX in str(raw.get("description") or "")
        or any(labels and all(label in have for label in labels) for labels in label_sets)
        or str(raw.get("title") or "") in titles
    )


def own_issues(
    gl: Client, projects: tuple[str, ...], label_sets: tuple[tuple[str, ...], ...], titles: tuple[str, ...]
) -> tuple[Me, frozenset[str]]:
    """The token's user, and the keys of inc-audit's issues in ``projects`` (see the module's
    doc). The issues are listed as the token's user's own (``scope=created_by_me``), so the
    lists need not wait for ``GET /user``: a run opening starts them together
    (``cli.source.open_source``); the user's id is still checked on each."""
    listed = [(project, raw) for project in dict.fromkeys(projects) for raw in created_by_me(gl, project)]
    me = whoami(gl)
    keys = {key_of(raw, project) for project, raw in listed
            if is_own(raw, me.id) and (me.bot or looks_like_ours(raw, label_sets, titles))}
    return me, frozenset(keys)


def created_by_me(gl: Client, project: str) -> list[dict[str, Any]]:
    """Every issue, open or closed, the token's user opened in ``project``."""
    query = {"state": "all", "scope": "created_by_me", "order_by": "created_at", "sort": "asc"}
    listing = iter_items(gl, f"/projects/{encode_id(project)}/issues", "listing inc-audit's own issues", query,
                         not_found=(f"project {project} not found (404)",
                                    "check the project's path and that the token can see it"))
    return [raw for raw in listing if isinstance(raw, dict) and _iid(raw) is not None]


def confirm_confidential(gl: Client, project: str | int, iid: int, name: str) -> dict[str, Any]:
    """Issue ``iid`` as GitLab has it now, confidential: made so again (and checked) when
    someone made it public; ``PublishError`` when GitLab will not."""
    path = f"/projects/{encode_id(project)}/issues/{iid}"
    current = get_json(gl, path, f"checking that {name} #{iid} is confidential")
    if isinstance(current, dict) and current.get("confidential") is True:
        return current
    answer = send(gl, "put", path, f"making {name} #{iid} confidential", {"confidential": True})
    if not isinstance(answer, dict) or answer.get("confidential") is not True:
        raise PublishError(
            f"GitLab did not make {name} #{iid} confidential",
            "the token's user needs the Reporter role or above on the project",
        )
    return answer


def edited_by_others(gl: Client, project: str | int, iid: int, me: Me) -> str | None:
    """Who else last changed issue ``iid``'s description, and when; None when inc-audit did
    (or no one did since it was created)."""
    path = f"/projects/{encode_id(project)}/issues/{iid}/notes"
    query = {"order_by": "created_at", "sort": "asc"}
    last: dict[str, Any] | None = None
    for note in iter_items(gl, path, f"reading the history of #{iid}", query):
        if isinstance(note, dict) and note.get("system") is True and str(note.get("body", "")).startswith(EDITED):
            last = note
    if last is None:
        return None
    author = last.get("author")
    author = author if isinstance(author, dict) else {}
    if author.get("id") == me.id:
        return None
    who = str(author.get("username") or "someone")
    return f"{who} on {str(last.get('created_at') or '?')[:10]}"


def _iid(raw: dict[str, Any]) -> int | None:
    iid = raw.get("iid")
    return iid if type(iid) is int else None
