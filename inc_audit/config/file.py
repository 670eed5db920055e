"""The configuration: `.inc-audit.yml`, checked against `schemas/config.schema.json`.

Without a file, the built-in defaults fit the Umami team's real templates.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from inc_audit.config import checks
from inc_audit.config import emoji as emoji_names
from inc_audit.config import vocabulary as taught_vocabulary
from inc_audit.config import waivers as waiver_module
from inc_audit.config.checks import describe_error
from inc_audit.config.yamlfile import Lines, read_yaml
from inc_audit.errors import ConfigError, InputError
from inc_audit.findings import RULES
from inc_audit.reading import schemas
from inc_audit.reading.quick import QuickCheck
from inc_audit.redaction import check_gitlab_url
from inc_audit.workdays import WEEKDAYS, Calendar, UnknownTimeZone

DEFAULT_PATH = ".inc-audit.yml"
__all__ = [
    "BOT_MARKER", "DEFAULT_PATH", "DEFAULTS", "Config", "Meeting", "Notify", "Role", "build", "describe_error", "load",
    "validate",
]

DEFAULTS: dict[str, Any] = {
    "gitlab": {},
    "labels": {
        "incident": ["INC", "incident"],
        "change": ["CHG", "Change::Emergency"],
        "exempt": [],
        "known_incident": ["incident::known"],
    },
    "roles": {},
    "post_mortem": {
        "due_days": 7,
        "approvers": ["product_manager"],
        "approval_emoji": ["thumbsup", "white_check_mark"],
    },
    "audit_issue": {"title": "Incident policy audit", "labels": ["inc-audit"], "confidential": True, "mention": False},
    "calendar": {},
    "meeting": {},
    "schemas": {},
    "templates": {
        "incident.md": "report",
        "known incident.md": "report",
        "Incident Report.md": "report",
        "Incident Request.md": "report",
        "Incident Port-Mortem.md": "post-mortem",
        "Change Emergency.md": "change",
    },
    "rules": {"ignore": [], "waiver_max_days": waiver_module.DEFAULT_MAX_DAYS},
    "cache": {"full_read_days": 7},
    "waivers": [],
    "notify": {
        "incident_comment": False,
        "bot_user": None,
        "webhook": None,
        "service": "slack",
        "deadline_days": 7,
        "titles": False,
    },
}


@dataclass(frozen=True)
class Role:
    primary: str
    backups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Meeting:
    """The weekly IPM meeting: when it is, who attends (the response team's roles), its issue."""

    weekday: int = 3  # 0 is Monday
    time: str = "10:00"  # local time, in the calendar's time zone
    attendees: tuple[str, ...] = ()  # roles; empty: every configured role
    title: str = "IPM meeting {date}"
    labels: tuple[str, ...] = ("ipm-meeting",)
    project: str | None = None
    checklist: tuple[str, ...] = ()  # empty: the policy's IPM agenda checklist
    mention: bool = False


@dataclass(frozen=True)
class Notify:
    """Who is told of the findings outside the audit issue: the incident itself, the team's chat."""

    incident_comment: bool = False
    bot_user: str | None = None  # whose marked comments the rules never read; live: the token's user
    webhook: str | None = None  # the name of the CI/CD variable that holds the webhook's URL, never the URL
    service: str = "slack"  # "slack" or "mattermost"
    deadline_days: int = 7
    titles: bool = False  # confidential incidents' titles in the chat


BOT_MARKER = "<!-- inc-audit:incident-comment -->"
"""The mark of the audit bot's comment on an incident (with its author, the bot user)."""


@dataclass(frozen=True)
class Config:
    incident_labels: tuple[str, ...]
    change_labels: tuple[str, ...]
    exempt_labels: tuple[str, ...]
    known_labels: tuple[str, ...]
    roles: dict[str, Role]
    due_days: int
    approvers: tuple[str, ...]
    approval_emoji: tuple[str, ...]
    audit_title: str
    audit_labels: tuple[str, ...]
    audit_confidential: bool
    audit_project: str | None = None
    gitlab_url: str | None = None
    gitlab_project: str | None = None
    gitlab_group: str | None = None
    schema_paths: dict[str, str] = field(default_factory=dict)
    templates: dict[str, str] = field(default_factory=dict)
    ignore: tuple[str, ...] = ()
    cache_full_read_days: int = 7
    path: str | None = None
    digest: str = ""
    calendar: Calendar = field(default_factory=Calendar)
    audit_mention: bool = False
    meeting: Meeting = field(default_factory=Meeting)
    vocabulary: taught_vocabulary.Taught = field(default_factory=dict)  # headings taught, by kind and section
    not_incidents: tuple[str, ...] = ()
    """Issues (``group/project#iid``, lower case) that left the audit on purpose: no INC006."""
    own_issues: frozenset[str] = frozenset()
    """inc-audit's own issues (``group/project#iid``, lower case), found at run time by their
    author (``inc_audit.publishing.ownership``): never an incident, a change or evidence."""
    own_user: str = ""
    """The token's user when it is a bot (an access token): its comments are never evidence."""
    waivers: tuple[waiver_module.Waiver, ...] = ()
    notify: Notify = field(default_factory=Notify)

    def schema(self, kind: str) -> schemas.DocumentSchema:
        """The kind's schema, with the headings the configuration's ``vocabulary:`` teaches it."""
        taught = tuple(sorted(self.vocabulary.get(kind, {}).items()))
        return schemas.load(kind, self.schema_paths.get(kind), taught=taught)

    def is_bot_comment(self, body: str, author: str) -> bool:
        """Whether a comment is the audit bot's own: written by the bot user and carrying its marker.
        Without a known bot user, no comment is (nobody else's comment is ever taken for the bot's)."""
        bot = self.notify.bot_user
        return bot is not None and author.lower() == bot.lower() and BOT_MARKER in body

    def is_ignored(self, code: str) -> bool:
        return any(code.startswith(prefix) for prefix in self.ignore)


def load(path: str | Path | None = None) -> Config:
    """The configuration at ``path``; else `.inc-audit.yml` here if present; else defaults."""
    if path is None:
        path = DEFAULT_PATH if Path(DEFAULT_PATH).is_file() else None
    raw, lines = read_yaml(Path(path)) if path is not None else ({}, Lines("built-in defaults"))
    validate(raw, str(path or "built-in defaults"), lines)
    return build(raw, Path(path) if path is not None else None, lines)


def load_defaults() -> Config:
    return build({}, None)


def validate(raw: dict[str, Any], origin: str, lines: Lines | None = None) -> None:
    """The configuration against its JSON schema, then the checks across keys it cannot make."""
    lines = lines or Lines(origin)
    schema = schemas.read_json(schemas.SCHEMA_DIR / "config.schema.json")
    if not QuickCheck(schema).valid(raw):  # jsonschema (a tenth of a second to import) only says why
        import jsonschema

        validator = jsonschema.Draft202012Validator(schema)
        errors = sorted(validator.iter_errors(raw), key=lambda e: (len(e.path), list(map(str, e.path))))
        if errors:
            where = lines.at(checks.error_path(errors[0]))
            raise ConfigError(f"{where}: {describe_error(errors[0])}", "see docs/reference/configuration.md")
    checks.check(raw, lines, DEFAULTS)


def _merged(raw: dict[str, Any]) -> dict[str, Any]:
    merged = {key: (dict(value) if isinstance(value, dict) else value) for key, value in DEFAULTS.items()}
    for key, value in raw.items():
        if key in ("roles", "templates", "schemas") or not isinstance(value, dict):
            merged[key] = value
        else:
            merged[key] = {**merged.get(key, {}), **value}
    return merged


def build(raw: dict[str, Any], path: Path | None, lines: Lines | None = None, today: date | None = None) -> Config:
    """The configuration from the file's mapping; ``today`` (by default the day in UTC) bounds the waivers' expiry."""
    data = _merged(raw)
    base = path.parent if path is not None else Path(".")
    labels, pm, issue = data["labels"], data["post_mortem"], data["audit_issue"]
    origin = str(path) if path is not None else "built-in defaults"
    lines = lines or Lines(origin)
    roles = {name: Role(r["primary"], tuple(r.get("backups", ()))) for name, r in data["roles"].items()}
    _check_approvers(pm["approvers"], roles, "approvers" in (raw.get("post_mortem") or {}), lines)
    gitlab = data["gitlab"]
    if gitlab.get("url"):
        try:
            check_gitlab_url(gitlab["url"], f"{lines.at(('gitlab', 'url'))}: gitlab.url")
        except InputError as error:
            raise ConfigError(error.message, error.hint) from None
    config = Config(
        incident_labels=tuple(labels["incident"]),
        change_labels=tuple(labels["change"]),
        exempt_labels=tuple(labels["exempt"]),
        known_labels=tuple(labels["known_incident"]),
        roles=roles,
        due_days=int(pm["due_days"]),
        approvers=tuple(pm["approvers"]),
        approval_emoji=approval_emoji(pm["approval_emoji"], lines),
        audit_title=issue["title"],
        audit_labels=tuple(issue["labels"]),
        audit_confidential=bool(issue["confidential"]),
        audit_project=_text(issue.get("project")),
        gitlab_url=gitlab.get("url"),
        gitlab_project=_text(gitlab.get("project")),
        gitlab_group=gitlab.get("group"),
        schema_paths={kind.replace("_", "-"): str(base / p) for kind, p in data["schemas"].items()},
        templates=dict(data["templates"]),
        ignore=ignored_codes(data["rules"].get("ignore", ()), lines),
        cache_full_read_days=int(data["cache"]["full_read_days"]),
        path=str(path) if path is not None else None,
        digest=hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16],
        calendar=_calendar(data["calendar"], lines),
        audit_mention=bool(issue.get("mention", False)),
        not_incidents=tuple(str(ref).lower() for ref in issue.get("not_incidents", ())),
        meeting=_meeting(data["meeting"], roles, lines),
        notify=_notify(data["notify"]),
        waivers=waiver_module.read(
            data["waivers"], _text(gitlab.get("project")), _members(pm["approvers"], roles),
            int(data["rules"].get("waiver_max_days", waiver_module.DEFAULT_MAX_DAYS)), lines,
            today or datetime.now(timezone.utc).date(),
        ),
    )
    for kind in config.schema_paths:
        config.schema(kind)
    if data.get("vocabulary"):
        vocabulary = taught_vocabulary.taught(data["vocabulary"], replace(config, vocabulary={}).schema, lines)
        config = replace(config, vocabulary=vocabulary)
    return config


def _calendar(raw: dict[str, Any], lines: Lines) -> Calendar:
    try:
        return Calendar.from_config(raw)
    except UnknownTimeZone as error:
        raise ConfigError(
            f"{lines.at(('calendar', 'timezone'))}: calendar.timezone: unknown time zone {str(error)!r}",
            "use an IANA name such as Europe/Paris (on a machine without zone data: pip install tzdata)",
        ) from None


def _meeting(raw: dict[str, Any], roles: dict[str, Role], lines: Lines) -> Meeting:
    attendees = tuple(raw.get("attendees") or roles)
    unknown = sorted(set(attendees) - set(roles)) if roles else []
    if unknown:
        raise ConfigError(
            f"{lines.at(('meeting', 'attendees'))}: meeting.attendees names unknown role {unknown[0]!r}",
            f"define it under roles (known: {', '.join(sorted(roles))})",
        )
    default = Meeting()
    return Meeting(
        weekday=WEEKDAYS.index(str(raw.get("weekday", WEEKDAYS[default.weekday]))[:3].lower()),
        time=str(raw.get("time", default.time)),
        attendees=attendees,
        title=str(raw.get("title", default.title)),
        labels=tuple(raw.get("labels", default.labels)),
        project=_text(raw.get("project")),
        checklist=tuple(raw.get("checklist", ())),
        mention=bool(raw.get("mention", False)),
    )


def _notify(raw: dict[str, Any]) -> Notify:
    return Notify(
        incident_comment=bool(raw["incident_comment"]), bot_user=_text(raw.get("bot_user")),
        webhook=_text(raw.get("webhook")), service=str(raw["service"]), deadline_days=int(raw["deadline_days"]),
        titles=bool(raw["titles"]),
    )


def _members(approvers: list[str], roles: dict[str, Role]) -> dict[str, tuple[str, ...]]:
    """Each approver role's members: its primary, then its backups."""
    return {name: (roles[name].primary, *roles[name].backups) for name in approvers if name in roles}


def _check_approvers(approvers: list[str], roles: dict[str, Role], named: bool, lines: Lines) -> None:
    """Every approver role is defined; without roles, approvers named in the file are an error too."""
    unknown = [name for name in approvers if name not in roles]
    if not unknown or (not roles and not named):
        return
    known = ", ".join(sorted(roles)) or "none"
    key = "post_mortem.approvers" if named else "post_mortem.approvers (by default [product_manager])"
    raise ConfigError(
        f"{lines.at(('post_mortem', 'approvers') if named else ('roles',))}: {key} names unknown role {unknown[0]!r}",
        f"define it under roles: (defined: {known}) or name the approving roles in post_mortem.approvers",
    )


def approval_emoji(values: list[str], lines: Lines) -> tuple[str, ...]:
    """GitLab's names for the configured emoji, each with its aliases; a character maps to its name."""
    names: list[str] = []
    for index, value in enumerate(values):
        name = emoji_names.gitlab_name(value)
        if name is None:
            raise ConfigError(
                f"{lines.at(('post_mortem', 'approval_emoji', index))}: post_mortem.approval_emoji[{index}] "
                f"{value!r} is not a GitLab emoji name",
                emoji_names.suggest(value),
            )
        names.extend(n for n in emoji_names.names_of(name) if n not in names)
    return tuple(names)


def ignored_codes(values: list[str], lines: Lines) -> tuple[str, ...]:
    """The codes in rules.ignore, each a registered rule code or a prefix of some."""
    for index, value in enumerate(values):
        if not any(code.startswith(value) for code in RULES):
            raise ConfigError(
                f"{lines.at(('rules', 'ignore', index))}: rules.ignore[{index}] {value!r} is not a rule code or prefix",
                f"known codes: {', '.join(sorted(RULES))}; see `inc-audit rules`",
            )
    return tuple(values)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
