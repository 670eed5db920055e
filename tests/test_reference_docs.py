"""The documentation's reference pages are generated from the code and up to date, and the
configuration schema covers every key the configuration reader knows, with its type, default
and description (regenerate: python docs/gen_reference.py)."""

from __future__ import annotations

import dataclasses
import json
import re
import runpy
import shutil
import subprocess
import sys

import jsonschema
import pytest
import yaml

from inc_audit.config import file as config_module
from tests.conftest import ROOT

GEN = runpy.run_path(str(ROOT / "docs" / "gen_reference.py"), run_name="gen_reference")
SCHEMA = json.loads((ROOT / "schemas" / "config.schema.json").read_text(encoding="utf-8"))
KEYS = dict(GEN["keys"](SCHEMA))


def test_the_reference_pages_are_up_to_date():
    # In a fresh process, as the docs are generated: click keeps each command's help option once
    # made, so a test that invoked a command on its own (without the group's `-h`) would change
    # what `--help` prints for the rest of this process.
    checked = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "gen_reference.py"), "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stderr


def test_the_commands_reference_has_every_command_and_option():
    from inc_audit.cli import main

    page = (ROOT / "docs" / "reference" / "commands.md").read_text(encoding="utf-8")
    for name, command in main.commands.items():
        assert f"## inc-audit {name}\n" in page
        for param in command.params:
            assert all(opt in page for opt in param.opts if opt.startswith("--")), (name, param.opts)


def _paths(defaults: dict, where: str = "") -> list[str]:
    found = []
    for key, value in defaults.items():
        path = f"{where}.{key}" if where else key
        found.append(path)
        if isinstance(value, dict) and key not in ("roles", "templates", "schemas"):
            found += _paths(value, path)
    return found


def test_the_schema_has_every_key_the_reader_knows():
    known = set(_paths(config_module.DEFAULTS))
    known |= {f"meeting.{f.name}" for f in dataclasses.fields(config_module.Meeting)}
    known |= {"calendar.timezone", "calendar.workdays", "calendar.holidays", "gitlab.url", "gitlab.project"}
    known |= {"gitlab.group", "audit_issue.project", "audit_issue.mention", "roles.<name>.primary"}
    known |= {"roles.<name>.backups", "schemas.report", "schemas.post_mortem", "schemas.change"}
    assert sorted(known - set(KEYS)) == []


@pytest.mark.parametrize("path", sorted(KEYS))
def test_every_key_has_a_type_and_a_description(path):
    node = GEN["resolved"](KEYS[path], SCHEMA)
    assert "type" in node or "enum" in node, path
    assert len(node.get("description", "")) > 20, f"{path}: no description"


@pytest.mark.parametrize("path", [p for p in _paths(config_module.DEFAULTS) if "." in p])
def test_the_schema_default_is_the_readers_default(path):
    top, key = path.split(".", 1)
    assert KEYS[path].get("default") == config_module.DEFAULTS[top][key], path


def test_the_meeting_defaults_are_the_readers():
    meeting, schema = config_module.Meeting(), KEYS
    assert schema["meeting.time"]["default"] == meeting.time
    assert schema["meeting.title"]["default"] == meeting.title
    assert tuple(schema["meeting.labels"]["default"]) == meeting.labels
    assert schema["meeting.mention"]["default"] is meeting.mention
    built = config_module.build({"meeting": {"weekday": schema["meeting.weekday"]["default"]}}, None)
    assert built.meeting.weekday == meeting.weekday


def test_top_level_defaults_are_the_readers():
    for name in ("roles", "templates", "schemas", "gitlab"):
        assert SCHEMA["properties"][name]["default"] == config_module.DEFAULTS[name], name


def test_every_documented_key_is_in_the_schema_and_every_schema_key_is_documented():
    page = (ROOT / "docs" / "reference" / "configuration.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([^`]+)` \|", page, re.MULTILINE))
    documented |= set(re.findall(r"^## `([^`]+)`$", page, re.MULTILINE))
    assert documented == set(KEYS)


def _example() -> dict:
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(gitlab:.*?)```", page, re.DOTALL)
    assert block, "docs/configuration.md has no example configuration"
    return yaml.safe_load(block.group(1))


def test_the_example_configuration_in_the_docs_is_valid():
    example = _example()
    jsonschema.Draft202012Validator(SCHEMA).validate(json.loads(json.dumps(example, default=str)))
    assert len(example) >= 10, "the example shows most sections"


def test_the_schema_id_is_its_address_on_the_documentation_site():
    site = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))["site_url"]
    assert site.startswith("https://") and site.endswith("/")
    assert SCHEMA["$id"] == f"{site}schemas/config.schema.json"


@pytest.mark.skipif(shutil.which("mkdocs", path=str(ROOT / ".venv" / "bin")) is None, reason="mkdocs not installed")
def test_the_site_builds_strict_and_publishes_the_schema_at_its_id(tmp_path):
    mkdocs = shutil.which("mkdocs", path=str(ROOT / ".venv" / "bin"))
    site = tmp_path / "site"
    result = subprocess.run(
        [mkdocs or sys.executable, "build", "--strict", "-q", "-d", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    published = site / "schemas" / "config.schema.json"
    assert json.loads(published.read_text(encoding="utf-8")) == SCHEMA
    assert (site / "reference" / "configuration" / "index.html").is_file()


def test_the_pages_job_builds_the_site_strict_and_publishes_it():
    from tests.gitlab_ci import schema_errors

    document = yaml.safe_load((ROOT / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert schema_errors(document) == []
    job = document["pages"]
    assert any("mkdocs build --strict -d public" in line for line in job["script"])
    assert job["artifacts"]["paths"] == ["public"]
    assert any("[docs]" in line for line in job["before_script"])
