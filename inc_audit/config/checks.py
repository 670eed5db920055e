"""What the configuration's JSON schema cannot say: its errors in words, and the checks across keys.

Every message names the file, the line where YAML writes the key, and the key; values are
written as YAML writes them (``"no"``, ``true``, an empty value), never as Python's ``None``.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from inc_audit.config.yamlfile import Lines, dotted
from inc_audit.errors import ConfigError

if TYPE_CHECKING:
    import jsonschema

# GitLab's user names: letters, digits, "_", "-" and "."; not starting with "-" or ".", not ending in "." or
# in ".git" / ".atom" (GitLab's namespace path rules).
_USER = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]{0,254}$")
_USER_ENDINGS = (".", ".git", ".atom")
_URL = re.compile(r"^[a-z][a-z0-9+.\-]*://", re.IGNORECASE)
_PROJECT_KEYS = (("gitlab", "project"), ("gitlab", "group"), ("audit_issue", "project"), ("meeting", "project"))


def describe_error(error: jsonschema.ValidationError) -> str:
    """A JSON schema error about the configuration in a few words, with no Python value in it."""
    where = dotted(error.path) or "(top level)"
    validator, expected = error.validator, error.validator_value
    if where == "notify.webhook":  # its value may be the webhook's URL, a secret: never repeated
        return "notify.webhook names the CI/CD variable that holds the webhook's URL (like CHAT_WEBHOOK), never the URL"
    if validator == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - set(known))
        hint = f"; known keys: {', '.join(known)}" if known else ""
        key = f"{where}.{extra[0]}" if error.path else (extra[0] if extra else where)
        return f"unknown key {key!r}{hint}"
    if validator == "type":
        value = error.instance
        what = _kind(value)
        if not isinstance(value, (dict, list)) and value is not None:
            what = f"{value_text(value)} is {what}"
        return f"{where}: {what}, where {_types(expected)} belongs"
    if validator == "minItems" and expected == 1:
        return f"{where} is empty: name at least one"
    if validator == "maximum":
        return f"{where}: {value_text(error.instance)} is more than {expected}"
    if validator == "minimum":
        return f"{where}: {value_text(error.instance)} is less than {expected}"
    if validator == "minLength":
        return f"{where} is empty"
    if validator == "enum":
        return f"{where}: {value_text(error.instance)} is not one of {', '.join(value_text(v) for v in expected)}"
    if validator == "pattern":
        return f"{where}: {value_text(error.instance)} is not in the expected form"
    if validator == "required":
        missing = [name for name in expected if isinstance(error.instance, dict) and name not in error.instance]
        return f"{where} needs the key {missing[0] if missing else expected[0]}"
    if validator == "uniqueItems":
        return f"{where} names the same value twice"
    return f"{where}: {value_text(error.instance)} is refused ({validator})"


def error_path(error: jsonschema.ValidationError) -> list[str | int]:
    """The key an error is about: an unknown key's own path, else the value's."""
    path = list(error.path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        path += extra[:1]
    return path


def value_text(value: Any) -> str:
    """A value as YAML would write it: ``"no"``, ``true``, ``3``; an absent value in words."""
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 60 else text[:56] + '..."'
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _kind(value: Any) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "text"
    if isinstance(value, (int, float)):
        return "a number"
    return "a mapping" if isinstance(value, dict) else "a list"


_TYPE_WORDS = {
    "string": "text",
    "boolean": "true or false",
    "integer": "a whole number",
    "number": "a number",
    "array": "a list",
    "object": "a mapping",
}


def _types(value: Any) -> str:
    names = value if isinstance(value, list) else [value]
    return " or ".join(_TYPE_WORDS.get(str(name), str(name)) for name in names)


# --- checks across keys -----------------------------------------------------------------------


def check(raw: dict[str, Any], lines: Lines, defaults: dict[str, Any]) -> None:
    """The checks the schema cannot make: user names, backups, project paths, labels."""
    _check_people(raw.get("roles") or {}, lines)
    _check_paths(raw, lines)
    _check_labels(raw.get("labels") or {}, defaults["labels"], lines)


def _check_people(roles: dict[str, Any], lines: Lines) -> None:
    for role, spec in roles.items():
        primary = spec.get("primary", "")
        _check_user(primary, ("roles", role, "primary"), lines)
        for index, backup in enumerate(spec.get("backups", ())):
            where = ("roles", role, "backups", index)
            _check_user(backup, where, lines)
            if backup.lower() == primary.lower():
                raise ConfigError(
                    f"{lines.at(where)}: {dotted(where)} names {backup}, the role's primary, as their own backup",
                    "a backup is another person, who acts when the primary cannot",
                )


def _check_user(name: str, where: tuple[str | int, ...], lines: Lines) -> None:
    if name.startswith("@"):
        raise ConfigError(
            f"{lines.at(where)}: {dotted(where)} {value_text(name)} is written with @",
            f"write the GitLab user name alone: {name.lstrip('@') or 'the user name'}",
        )
    if not _USER.match(name) or name.endswith(_USER_ENDINGS):
        raise ConfigError(
            f"{lines.at(where)}: {dotted(where)} {value_text(name)} is not a GitLab user name",
            "a user name holds letters, digits, '_', '-' and '.', as in the profile's URL",
        )


def _check_paths(raw: dict[str, Any], lines: Lines) -> None:
    for section, key in _PROJECT_KEYS:
        value = (raw.get(section) or {}).get(key)
        if not isinstance(value, str):
            continue
        where = (section, key)
        if _URL.match(value):
            raise ConfigError(
                f"{lines.at(where)}: {dotted(where)} {value_text(value)} is a URL, not a path",
                "give the path alone, such as umami-wallet/umami (the GitLab URL goes in gitlab.url)",
            )
        if value.endswith("/") or value.startswith("/") or "//" in value or not value.strip():
            raise ConfigError(
                f"{lines.at(where)}: {dotted(where)} {value_text(value)} is not a {key} path",
                "write it as GitLab shows it, such as umami-wallet/umami, without a leading or trailing slash",
            )


def _check_labels(labels: dict[str, Any], defaults: dict[str, Any], lines: Lines) -> None:
    def chosen(name: str) -> list[str]:
        return list(labels.get(name, defaults[name]))

    pairs = (("exempt", "incident"), ("change", "incident"))
    for name, other in pairs:
        others = {label.lower(): label for label in chosen(other)}
        for index, label in enumerate(chosen(name)):
            if label.lower() in others:
                where: tuple[str | int, ...] = ("labels", name, index) if name in labels else ("labels", other)
                written = "" if other in labels else " (by default)"
                raise ConfigError(
                    f"{lines.at(where)}: labels.{name} {value_text(label)} is also an incident label "
                    f"(labels.{other}{written})",
                    "a label is either an incident's or " + ("exempts one" if name == "exempt" else "a change's"),
                )
