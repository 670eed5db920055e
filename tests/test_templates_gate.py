"""The merge-request gate on issue templates."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner

from inc_audit.cli import main
from tests.conftest import TEMPLATES


def gate(*args: str):
    return CliRunner().invoke(main, ["templates", *args], catch_exceptions=False)


@pytest.fixture
def copy(tmp_path):
    folder = tmp_path / ".gitlab" / "issue_templates"
    shutil.copytree(TEMPLATES, folder)
    return folder


def break_heading(folder, name: str, old: str, new: str) -> None:
    path = folder / name
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))


def test_the_real_templates_pass():
    result = gate(str(TEMPLATES))
    assert result.exit_code == 0, result.output
    assert "6 template(s) carry every required section" in result.stderr
    assert "skipped" in result.stderr and "README.md" in result.stderr


@pytest.mark.parametrize(
    ("name", "old", "section", "line"),
    [
        ("Incident Port-Mortem.md", "### What was the actual adverse impact of the INC?", "actual_impact", 22),
        ("incident.md", "### What is the evidence (i.e. screenshots, logs, etc)?", "evidence", 34),
        ("Change Emergency.md", "## Rollback plan", "rollback", 28),
    ],
)
def test_a_heading_renamed_beyond_recognition_fails_and_is_named(copy, name, old, section, line):
    break_heading(copy, name, old, "### Other notes")
    result = gate(str(copy))
    assert result.exit_code == 1
    assert f"({section})" in result.output and name in result.output and f"line {line}" in result.output


def test_a_heading_only_reworded_still_passes(copy):
    break_heading(copy, "incident.md", "### What is the evidence (i.e. screenshots, logs, etc)?", "## 4. Evidence:")
    assert gate(str(copy)).exit_code == 0


def test_the_default_folder_is_gitlab_issue_templates(copy, monkeypatch):
    monkeypatch.chdir(copy.parent.parent)
    break_heading(copy, "incident.md", "### How the incident was discovered?", "")
    result = gate()
    assert result.exit_code == 1 and "discovery" in result.output


def test_mapping_from_the_config_decides_the_schema(copy, tmp_path):
    (tmp_path / "c.yml").write_text('templates:\n  "Incident Port-Mortem.md": report\n')
    result = gate(str(copy), "--config", str(tmp_path / "c.yml"))
    assert result.exit_code == 1 and "Incident Report template lacks" in result.output


def test_a_broken_config_fails_the_gate_as_a_finding(copy, tmp_path):
    (tmp_path / ".inc-audit.yml").write_text("labels:\n  incident: INC\n")
    result = gate(
        str(copy), "--config", str(tmp_path / ".inc-audit.yml"), "--report", f"codequality={tmp_path / 'cq.json'}"
    )
    assert result.exit_code == 1 and "TPL002" in result.output
    entries = json.loads((tmp_path / "cq.json").read_text())
    assert entries[0]["check_name"] == "TPL002"


def test_a_broken_custom_schema_fails_the_gate(copy, tmp_path):
    (tmp_path / "bad.json").write_text('{"x-kind": "report", "type": "nonsense"}')
    (tmp_path / "c.yml").write_text("schemas:\n  report: bad.json\n")
    result = gate(str(copy), "--config", str(tmp_path / "c.yml"))
    assert result.exit_code == 1 and "not a valid JSON Schema" in result.output


def test_code_quality_points_at_the_template_line(copy, tmp_path):
    break_heading(copy, "Change Emergency.md", "## Rollback plan", "## Other notes")
    gate(str(copy), "--report", f"codequality={tmp_path / 'cq.json'}")
    [entry] = json.loads((tmp_path / "cq.json").read_text())
    assert entry["location"] == {"path": str(copy / "Change Emergency.md"), "lines": {"begin": 28}}


def test_a_missing_template_folder_exits_2(tmp_path):
    result = gate(str(tmp_path / "nowhere"))
    assert result.exit_code == 2 and "no template folder" in result.stderr
