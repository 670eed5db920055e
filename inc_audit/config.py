"""The configuration: `.inc-audit.yml`, checked against `schemas/config.schema.json`.

Without a file, the built-in defaults fit the Umami team's real templates.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from inc_audit import schemas
from inc_audit.errors import ConfigError

DEFAULT_PATH = ".inc-audit.yml"

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
    "audit_issue": {"title": "Incident policy audit", "labels": ["inc-audit"], "confidential": True},
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

    def schema(self, kind: str) -> schemas.DocumentSchema:
        return schemas.load(kind, self.schema_paths.get(kind))

    def is_ignored(self, code: str) -> bool:
        return any(code.startswith(prefix) for prefix in self.ignore)


def load(path: str | Path | None = None) -> Config:
    """The configuration at ``path``; else `.inc-audit.yml` here if present; else defaults."""
    if path is None:
        path = DEFAULT_PATH if Path(DEFAULT_PATH).is_file() else None
    raw = _read_yaml(Path(path)) if path is not None else {}
    validate(raw, str(path or "built-in defaults"))
    return build(raw, Path(path) if path is not None else None)


def load_defaults() -> Config:
    return build({}, None)


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"config file not found: {path}", "check --config, or drop it to use the defaults") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"cannot read config {path}: {error}") from None
    try:
        value = yaml.safe_load(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(error, "problem", None) or "invalid YAML"
        raise ConfigError(f"{path}:{where}: {problem}", "fix the YAML syntax") from None
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping of keys, not {type(value).__name__}")
    return value


def validate(raw: dict[str, Any], origin: str) -> None:
    schema = schemas.read_json(schemas.SCHEMA_DIR / "config.schema.json")
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(raw), key=lambda e: (len(e.path), list(map(str, e.path))))
    if errors:
        raise ConfigError(f"{origin}: {describe_error(errors[0])}", "see the configuration reference in the README")


def describe_error(error: jsonschema.ValidationError) -> str:
    where = ".".join(str(part) for part in error.path) or "(top level)"
    if error.validator == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(known))
        hint = f"; known keys: {', '.join(known)}" if known else ""
        key = f"{where}.{extra[0]}" if error.path else (extra[0] if extra else where)
        return f"unknown key {key!r}{hint}"
    return f"{where}: {error.message}"


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
    roles = {name: Role(r["primary"], tuple(r.get("backups", ()))) for name, r in data["roles"].items()}
    unknown = sorted(set(pm["approvers"]) - set(roles)) if roles else []
    if unknown:
        raise ConfigError(
            f"post_mortem.approvers names unknown role {unknown[0]!r}",
            f"define it under roles (known: {', '.join(sorted(roles))})",
        )
    gitlab = data["gitlab"]
    config = Config(
        incident_labels=tuple(labels["incident"]),
        change_labels=tuple(labels["change"]),
        exempt_labels=tuple(labels["exempt"]),
        known_labels=tuple(labels["known_incident"]),
        roles=roles,
        due_days=int(pm["due_days"]),
        approvers=tuple(pm["approvers"]),
        approval_emoji=tuple(pm["approval_emoji"]),
        audit_title=issue["title"],
        audit_labels=tuple(issue["labels"]),
        audit_confidential=bool(issue["confidential"]),
        audit_project=_text(issue.get("project")),
        gitlab_url=gitlab.get("url"),
        gitlab_project=_text(gitlab.get("project")),
        gitlab_group=gitlab.get("group"),
        schema_paths={kind.replace("_", "-"): str(base / p) for kind, p in data["schemas"].items()},
        templates=dict(data["templates"]),
        ignore=tuple(data["rules"].get("ignore", ())),
        cache_full_read_days=int(data["cache"]["full_read_days"]),
        path=str(path) if path is not None else None,
        digest=hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16],
    )
    for kind in config.schema_paths:
        config.schema(kind)
    return config


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
