"""The configuration: `.inc-audit.yml`, checked against `schemas/config.schema.json`.

Without a file, the built-in defaults fit the Umami team's real templates.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from inc_audit.config import emoji as emoji_names
from inc_audit.errors import ConfigError, InputError
from inc_audit.findings import RULES
from inc_audit.reading import schemas
from inc_audit.redaction import check_gitlab_url
from inc_audit.text import repair
from inc_audit.workdays import WEEKDAYS, Calendar, UnknownTimeZone

DEFAULT_PATH = ".inc-audit.yml"
MAX_BYTES = 1_000_000
MAX_DEPTH = 20
MAX_NODES = 100_000

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
    "rules": {"ignore": []},
    "cache": {"full_read_days": 7},
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
    not_incidents: tuple[str, ...] = ()
    """Issues (``group/project#iid``, lower case) that left the audit on purpose: no INC006."""
    own_issues: frozenset[str] = frozenset()
    """inc-audit's own issues (``group/project#iid``, lower case), found at run time by their
    author (``inc_audit.publishing.ownership``): never an incident, a change or evidence."""
    own_user: str = ""
    """The token's user when it is a bot (an access token): its comments are never evidence."""

    def schema(self, kind: str) -> schemas.DocumentSchema:
        return schemas.load(kind, self.schema_paths.get(kind))

    def is_ignored(self, code: str) -> bool:
        return any(code.startswith(prefix) for prefix in self.ignore)


def load(path: str | Path | None = None) -> Config:
    """The configuration at ``path``; else `.inc-audit.yml` here if present; else defaults."""
    if path is None:
        path = DEFAULT_PATH if Path(DEFAULT_PATH).is_file() else None
    raw = _dates_as_text(_read_yaml(Path(path))) if path is not None else {}
    validate(raw, str(path or "built-in defaults"))
    return build(raw, Path(path) if path is not None else None)


def load_defaults() -> Config:
    return build({}, None)


def _read_text(path: Path) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}", "check --config, or drop it to use the defaults") from None
    except IsADirectoryError:
        raise ConfigError(f"config {path} is a directory", "give the .inc-audit.yml file itself") from None
    except OSError as error:
        raise ConfigError(f"cannot read config {path}: {error.strerror}", "check the file's permissions") from None
    if len(data) > MAX_BYTES:
        raise ConfigError(
            f"config {path} is {len(data)} bytes", f"a configuration is a few kilobytes, {MAX_BYTES} at most"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ConfigError(f"config {path} line {line}: not UTF-8 text", "save the file as UTF-8") from None


def _read_yaml(path: Path) -> dict[str, Any]:
    text = _read_text(path)
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}:{where}: {problem}", "fix the YAML syntax") from None
    except RecursionError:
        raise ConfigError(f"{path}: nested too deep to be a configuration", "see the README's Configuration") from None
    except (ValueError, OverflowError) as error:  # a date like 2026-02-30, an integer of 5,000 digits
        problem = str(error) if len(str(error)) <= 80 else str(error)[:77] + "..."
        raise ConfigError(f"{path}: a value cannot be read ({problem})", "fix or quote the value") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping of keys, not {type(value).__name__}")
    _check_shape(value, path)
    repaired: dict[str, Any] = _repaired(value)
    return repaired


def _repaired(node: Any) -> Any:
    """The same values with lone surrogates ("\\ud83d" in a quoted YAML string) made U+FFFD."""
    if isinstance(node, str):
        return repair(node)
    if isinstance(node, dict):
        return {repair(key): _repaired(child) for key, child in node.items()}
    if isinstance(node, list):
        return [_repaired(child) for child in node]
    return node


def _check_shape(value: Any, path: Path) -> None:
    """Refuse what no schema check can word well: non-text keys, deep nesting, aliases that explode."""
    budget = [MAX_NODES]

    def walk(node: Any, where: str, depth: int) -> None:
        budget[0] -= 1
        if budget[0] < 0 or depth > MAX_DEPTH:
            raise ConfigError(f"{path}: {where or 'the file'} is nested or repeated too much to be a configuration")
        if isinstance(node, dict):
            for key, child in node.items():
                if not isinstance(key, str):
                    raise ConfigError(f"{path}: key {key!r} under {where or 'the top level'} is not text", "quote it")
                walk(child, f"{where}.{key}" if where else key, depth + 1)
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, f"{where}[{index}]", depth + 1)

    walk(value, "", 0)


def _dates_as_text(value: Any) -> Any:
    """YAML reads an unquoted 2026-12-25 as a date: the configuration keeps it as text."""
    if isinstance(value, dict):
        return {key: _dates_as_text(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_dates_as_text(item) for item in value]
    return value.isoformat() if isinstance(value, _dt.date) else value


def validate(raw: dict[str, Any], origin: str) -> None:
    schema = schemas.read_json(schemas.SCHEMA_DIR / "config.schema.json")
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(raw), key=lambda e: (len(e.path), list(map(str, e.path))))
    if errors:
        raise ConfigError(f"{origin}: {describe_error(errors[0])}", "see the configuration reference in the README")


def describe_error(error: jsonschema.ValidationError) -> str:
    where = _path(error.path)
    if error.validator == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(known))
        hint = f"; known keys: {', '.join(known)}" if known else ""
        key = f"{where}.{extra[0]}" if error.path else (extra[0] if extra else where)
        return f"unknown key {key!r}{hint}"
    if error.validator == "type":
        return f"{where}: {_short(error.instance)} is not of type {_types(error.validator_value)}"
    if error.validator == "minItems" and error.validator_value == 1:
        return f"{where} is empty: name at least one"
    if error.validator == "maximum":
        return f"{where}: {_short(error.instance)} is more than {error.validator_value}"
    message = error.message if len(error.message) <= 200 else error.message[:200] + "..."
    return f"{where}: {message}"


def _path(parts: Any) -> str:
    text = "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in parts)
    return text.lstrip(".") or "(top level)"


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _types(value: Any) -> str:
    names = value if isinstance(value, list) else [value]
    return " or ".join(f"{name!r}" for name in names)


def _merged(raw: dict[str, Any]) -> dict[str, Any]:
    merged = {key: (dict(value) if isinstance(value, dict) else value) for key, value in DEFAULTS.items()}
    for key, value in raw.items():
        if key in ("roles", "templates", "schemas") or not isinstance(value, dict):
            merged[key] = value
        else:
            merged[key] = {**merged.get(key, {}), **value}
    return merged


def build(raw: dict[str, Any], path: Path | None) -> Config:
    data = _merged(raw)
    base = path.parent if path is not None else Path(".")
    labels, pm, issue = data["labels"], data["post_mortem"], data["audit_issue"]
    origin = str(path) if path is not None else "built-in defaults"
    roles = {name: Role(r["primary"], tuple(r.get("backups", ()))) for name, r in data["roles"].items()}
    _check_approvers(pm["approvers"], roles, "approvers" in (raw.get("post_mortem") or {}), origin)
    gitlab = data["gitlab"]
    if gitlab.get("url"):
        try:
            check_gitlab_url(gitlab["url"], f"{origin}: gitlab.url")
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
        approval_emoji=approval_emoji(pm["approval_emoji"], origin),
        audit_title=issue["title"],
        audit_labels=tuple(issue["labels"]),
        audit_confidential=bool(issue["confidential"]),
        audit_project=_text(issue.get("project")),
        gitlab_url=gitlab.get("url"),
        gitlab_project=_text(gitlab.get("project")),
        gitlab_group=gitlab.get("group"),
        schema_paths={kind.replace("_", "-"): str(base / p) for kind, p in data["schemas"].items()},
        templates=dict(data["templates"]),
        ignore=ignored_codes(data["rules"].get("ignore", ()), origin),
        cache_full_read_days=int(data["cache"]["full_read_days"]),
        path=str(path) if path is not None else None,
        digest=hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16],
        calendar=_calendar(data["calendar"]),
        audit_mention=bool(issue.get("mention", False)),
        not_incidents=tuple(str(ref).lower() for ref in issue.get("not_incidents", ())),
        meeting=_meeting(data["meeting"], roles),
    )
    for kind in config.schema_paths:
        config.schema(kind)
    return config


def _calendar(raw: dict[str, Any]) -> Calendar:
    try:
        return Calendar.from_config(raw)
    except UnknownTimeZone as error:
        raise ConfigError(
            f"calendar.timezone: unknown time zone {str(error)!r}",
            "use an IANA name such as Europe/Paris (on a machine without zone data: pip install tzdata)",
        ) from None


def _meeting(raw: dict[str, Any], roles: dict[str, Role]) -> Meeting:
    attendees = tuple(raw.get("attendees") or roles)
    unknown = sorted(set(attendees) - set(roles)) if roles else []
    if unknown:
        raise ConfigError(
            f"meeting.attendees names unknown role {unknown[0]!r}",
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


def _check_approvers(approvers: list[str], roles: dict[str, Role], named: bool, origin: str) -> None:
    """Every approver role is defined; without roles, approvers named in the file are an error too."""
    unknown = [name for name in approvers if name not in roles]
    if not unknown or (not roles and not named):
        return
    known = ", ".join(sorted(roles)) or "none"
    key = "post_mortem.approvers" if named else "post_mortem.approvers (by default [product_manager])"
    raise ConfigError(
        f"{origin}: {key} names unknown role {unknown[0]!r}",
        f"define it under roles: (defined: {known}) or name the approving roles in post_mortem.approvers",
    )


def approval_emoji(values: list[str], origin: str) -> tuple[str, ...]:
    """GitLab's names for the configured emoji, each with its aliases; a character maps to its name."""
    names: list[str] = []
    for index, value in enumerate(values):
        name = emoji_names.gitlab_name(value)
        if name is None:
            raise ConfigError(
                f"{origin}: post_mortem.approval_emoji[{index}] {value!r} is not a GitLab emoji name",
                emoji_names.suggest(value),
            )
        names.extend(n for n in emoji_names.names_of(name) if n not in names)
    return tuple(names)


def ignored_codes(values: list[str], origin: str) -> tuple[str, ...]:
    """The codes in rules.ignore, each a registered rule code or a prefix of some."""
    for index, value in enumerate(values):
        if not any(code.startswith(value) for code in RULES):
            raise ConfigError(
                f"{origin}: rules.ignore[{index}] {value!r} is not a rule code or prefix",
                f"known codes: {', '.join(sorted(RULES))}; see `inc-audit rules`",
            )
    return tuple(values)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
