"""Runtime dependencies are exactly what inc_audit/ imports, each declared directly, with floors
past known vulnerabilities; and no private API of python-gitlab is used."""

from __future__ import annotations

import ast
import re
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python 3.11 and later

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "inc_audit"
NOT_IMPORTED = {"tzdata": "zone data zoneinfo reads where the system has none (slim images)"}


def name(requirement: str) -> str:
    return re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def declared() -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {name(r): r for r in project["dependencies"]}


def imported_modules() -> set[str]:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return {m for m in found if m not in sys.stdlib_module_names and m not in ("inc_audit", "__future__")}


def test_every_third_party_import_is_declared_and_nothing_else() -> None:
    distributions = packages_distributions()
    imported = {name(distributions[module][0]) for module in imported_modules()}
    assert imported == {
        "python-gitlab", "gql", "httpx", "click", "jsonschema", "pyyaml", "requests", "snowballstemmer", "urllib3"
    }
    assert set(declared()) == imported | set(NOT_IMPORTED)


def test_floors_past_known_vulnerabilities_and_no_cap_on_python_gitlab() -> None:
    requirements = declared()
    assert requirements["requests"].startswith("requests>=2.32.4")
    assert "<" not in requirements["python-gitlab"]


def test_no_private_api_of_python_gitlab() -> None:
    private = re.compile(r"\bgitlab(\.\w+)*\._\w+|GitlabList|\b_query\(|\._check_url\b")
    offenders = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in PACKAGE.rglob("*.py")
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if private.search(line.split("#")[0]) and not line.lstrip().startswith(('"', "``"))
    ]
    assert offenders == []
