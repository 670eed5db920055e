"""Typed reading of the fields of an export's records.

A field of the wrong type (a note that is not an object, an iid that is not a
number, a malformed or out-of-range timestamp) is an ``InputError`` that names the
file, the line, the issue and the field. Text is repaired (lone surrogates become
U+FFFD) so that every report can be written.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from inc_audit.errors import InputError
from inc_audit.text import repair

EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2999, 12, 31, 23, 59, 59, tzinfo=timezone.utc)
LARGEST_ID = 2**63 - 1  # GitLab's ids are 64-bit
DAMAGED = "the export is damaged or was not written by GitLab: export the project again"


@dataclass(frozen=True)
class Place:
    """Where a record sits: the export, its file, the line, and the issue once its iid is known."""

    export: str
    file: str
    line: int
    iid: int | None = None

    def at_issue(self, iid: int) -> Place:
        return Place(self.export, self.file, self.line, iid)

    def fail(self, field: str, problem: str) -> InputError:
        issue = f" issue #{self.iid}" if self.iid is not None else ""
        return InputError(f"{self.export}: {self.file} line {self.line}{issue}: {field} {problem}", DAMAGED)


def parse_moment(value: str) -> datetime:
    """A GitLab timestamp as aware UTC, between 1970 and 2999; ValueError otherwise."""
    text = value.strip().replace(" UTC", "+00:00")
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        moment = moment.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError("is out of range") from None
    except ValueError:
        raise ValueError("is not an ISO 8601 timestamp") from None
    if not EARLIEST <= moment <= LATEST:
        raise ValueError("is out of range (1970 to 2999)")
    return moment


def moment(raw: dict[str, Any], key: str, place: Place, field: str | None = None) -> datetime | None:
    value = raw.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise place.fail(field or key, f"is not a timestamp but {kind(value)}")
    try:
        return parse_moment(value)
    except ValueError as error:
        raise place.fail(field or key, f"{shown(value)} {error}") from None


def text(raw: dict[str, Any], key: str, place: Place, field: str | None = None) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise place.fail(field or key, f"is not text but {kind(value)}")
    return repair(value)


def flag(raw: dict[str, Any], key: str, place: Place, field: str | None = None) -> bool:
    """true or false (missing means false): "false" as text would otherwise read as true."""
    value = raw.get(key)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise place.fail(field or key, f"is not true or false but {kind(value)}")
    return value


def number(value: Any, place: Place, field: str) -> int:
    """A positive whole number, as GitLab writes ids (a string of digits is taken too)."""
    if isinstance(value, str) and value.strip().isdigit() and value.strip().isascii():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise place.fail(field, f"is not a number but {kind(value)}")
    if not 1 <= value <= LARGEST_ID:
        raise place.fail(field, f"is {value if abs(value) < 10**30 else 'huge'}, not a positive 64-bit number")
    return value


def optional_number(raw: dict[str, Any], key: str, place: Place, field: str | None = None) -> int | None:
    value = raw.get(key)
    return None if value is None else number(value, place, field or key)


def objects(raw: dict[str, Any], key: str, place: Place, field: str | None = None) -> list[dict[str, Any]]:
    """A list of objects (notes, award emoji, label links); missing means none."""
    value = raw.get(key)
    name = field or key
    if value is None:
        return []
    if not isinstance(value, list):
        raise place.fail(name, f"is not a list but {kind(value)}")
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise place.fail(f"{name}[{index}]", f"is not an object but {kind(item)}")
    return value


def optional_object(raw: dict[str, Any], key: str, place: Place, field: str | None = None) -> dict[str, Any]:
    value = raw.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise place.fail(field or key, f"is not an object but {kind(value)}")
    return value


def kind(value: Any) -> str:
    names = {bool: "true/false", int: "a number", float: "a number", str: "text", list: "a list", dict: "an object"}
    return "null" if value is None else names.get(type(value), type(value).__name__)


def shown(value: str) -> str:
    text = repair(value)
    return repr(text if len(text) <= 40 else text[:37] + "...")
