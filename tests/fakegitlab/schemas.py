"""GitLab's own API JSON schemas (vendored in tests/fixtures/gitlab/) as jsonschema validators.

The copies keep GitLab's ``$ref``s: "./issue.json", and in issue_link.json a
path counted from the root of GitLab's repository
("../../../../../../spec/fixtures/api/schemas/public_api/v4/issue.json").
The registry maps any URI under "spec/fixtures/api/schemas/" onto the local
copy. The format checker checks "date-time" and "uri" with the standard
library, since jsonschema skips them unless optional packages are installed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource
from referencing.jsonschema import DRAFT7

REPO_ROOT = Path(__file__).resolve().parents[2]
GITLAB_SCHEMA_ROOT = "/spec/fixtures/api/schemas/"

_DATE_TIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-](\d{2}):(\d{2}))$"
)
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*$")


FIXTURES_DIR = REPO_ROOT / "tests" / "fixtures" / "gitlab"  # their source: SOURCE.md there


def api_schemas_dir() -> Path:
    return FIXTURES_DIR / "api-schemas"


def validator(schemas: Path, name: str) -> Draft7Validator:
    """A validator for one schema file, e.g. "public_api/v4/issues.json"."""
    path = schemas / name
    schema = {**json.loads(path.read_text(encoding="utf-8")), "$id": path.as_uri()}
    registry: Registry[object] = Registry(retrieve=_retriever(schemas))  # type: ignore[call-arg]
    return Draft7Validator(schema, registry=registry, format_checker=format_checker())


def _retriever(schemas: Path) -> Callable[[str], Resource]:
    root = schemas.resolve()

    def retrieve(uri: str) -> Resource:
        path = unquote(urlsplit(uri).path)
        if GITLAB_SCHEMA_ROOT in path:
            path = str(root / path.split(GITLAB_SCHEMA_ROOT, 1)[1])
        local = Path(path).resolve()
        if not local.is_relative_to(root) or not local.is_file():
            raise NoSuchResource(ref=uri)  # type: ignore[call-arg]
        contents = json.loads(local.read_text(encoding="utf-8"))
        return Resource.from_contents(contents, default_specification=DRAFT7)

    return retrieve


def format_checker() -> FormatChecker:
    checker = FormatChecker()
    checker.checks("date-time", raises=ValueError)(is_date_time)
    checker.checks("uri", raises=ValueError)(is_uri)
    return checker


def is_date_time(value: object) -> bool:
    """RFC 3339 date-time (the form GitLab writes: "2016-06-14T15:02:08.340Z")."""
    if not isinstance(value, str):
        return True
    found = _DATE_TIME.match(value)
    if found is None:
        return False
    year, month, day, hour, minute, second = (int(part) for part in found.groups()[:6])
    datetime(year, month, day, hour, minute, min(second, 59))  # raises on 2016-02-30 and such
    offset = found.group(9)
    return offset is None or (int(offset) < 24 and int(found.group(10)) < 60)


def is_uri(value: object) -> bool:
    """An absolute URI: a scheme, no spaces, and a host for http(s)."""
    if not isinstance(value, str):
        return True
    parts = urlsplit(value)
    if not _SCHEME.match(parts.scheme) or any(ch.isspace() for ch in value):
        return False
    return parts.scheme not in ("http", "https") or bool(parts.hostname)
