"""The pipelines: the YAML loads, and every inc-audit command they run exists with those options."""

from __future__ import annotations

import re
import shlex
import shutil

import click
import pytest
import yaml
from click.testing import CliRunner

from inc_audit.cli import main
from tests.conftest import ROOT, TEMPLATES

CI_FILES = [ROOT / ".gitlab-ci.yml", ROOT / "templates" / "inc-audit.gitlab-ci.yml"]


def load(path):
    return yaml.safe_load(path.read_text())


def jobs(document: dict) -> dict[str, dict]:
    return {name: job for name, job in document.items() if isinstance(job, dict) and "script" in job}


def expand(line: str, variables: dict[str, str]) -> list[str]:
    line = re.sub(r"\$\{?(\w+)\}?", lambda m: variables.get(m.group(1), f"<{m.group(1)}>"), line)
    return shlex.split(line)


def inc_audit_commands(path) -> list[tuple[str, list[str]]]:
    document = load(path)
    variables = {k: str(v) for k, v in (document.get("variables") or {}).items()}
    found = []
    for name, job in jobs(document).items():
        for line in job["script"]:
            words = expand(line, variables)
            if words and words[0].endswith("inc-audit"):
                found.append((name, words[1:]))
    return found


@pytest.mark.parametrize("path", CI_FILES, ids=lambda p: p.name)
def test_the_yaml_loads_and_has_jobs(path):
    assert jobs(load(path))


def test_the_team_template_has_the_scheduled_gate_and_dry_run_jobs():
    document = jobs(load(CI_FILES[1]))
    audit, gate, dry = document["inc-audit:audit"], document["inc-audit:templates"], document["inc-audit:dry-run"]
    assert audit["rules"][0]["if"] == '$CI_PIPELINE_SOURCE == "schedule" && $INC_AUDIT_SCHEDULE != "agenda"'
    assert audit["artifacts"]["when"] == "always" and "junit" in audit["artifacts"]["reports"]
    assert ".gitlab/issue_templates/**/*" in gate["rules"][0]["changes"]
    assert gate["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    assert any(rule.get("when") == "manual" for rule in dry["rules"])


@pytest.mark.parametrize(
    ("path", "job", "args"),
    [(p, job, args) for p in CI_FILES for job, args in inc_audit_commands(p)],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_every_inc_audit_command_exists_with_its_options(path, job, args):
    if args[0].startswith("-"):
        assert CliRunner().invoke(main, args).exit_code == 0
        return
    context = main.make_context("inc-audit", list(args), resilient_parsing=False)
    command = main.get_command(context, args[0])
    assert command is not None, f"{job}: no command {args[0]}"
    try:
        command.make_context(args[0], list(args[1:]))
    except click.UsageError as error:  # pragma: no cover - the message is the point
        pytest.fail(f"{job}: {' '.join(args)}: {error.format_message()}")


def test_the_scheduled_job_publishes_and_keeps_its_reports():
    [(_, args)] = [c for c in inc_audit_commands(CI_FILES[1]) if c[0] == "inc-audit:audit"]
    assert "--publish" in args and "json=inc-audit.json" in args and "junit=inc-audit.junit.xml" in args


def gate_script(folder) -> list[str]:
    [(_, args)] = [c for c in inc_audit_commands(CI_FILES[1]) if c[0] == "inc-audit:templates"]
    return [str(folder) if a == ".gitlab/issue_templates" else a for a in args]


def test_the_merge_request_job_passes_on_the_real_templates(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, gate_script(TEMPLATES), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "gl-code-quality-report.json").read_text().strip() == "[]"


def test_the_merge_request_job_fails_when_a_heading_is_removed(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    copy = tmp_path / "templates"
    shutil.copytree(TEMPLATES, copy)
    target = copy / "Incident Port-Mortem.md"
    target.write_text(target.read_text().replace("### What is the root cause analysis of the INC?\n", ""))
    result = CliRunner().invoke(main, gate_script(copy), catch_exceptions=False)
    assert result.exit_code == 1 and "root_cause" in result.output
    assert "TPL001" in (tmp_path / "inc-audit-templates.junit.xml").read_text()


def test_the_sharded_pattern_runs_slices_then_merges_and_publishes_once():
    document = jobs(load(CI_FILES[1]))
    shard = " ".join(document[".inc-audit:shard"]["script"])
    merge = " ".join(document[".inc-audit:merge"]["script"])
    assert "--shard" in shard and "--publish" not in shard
    assert merge.startswith("inc-audit merge") and "--publish" in merge
    assert document[".inc-audit:merge"]["stage"] == ".post"


def test_the_agenda_job_runs_on_its_own_schedule_and_the_audit_jobs_do_not():
    document = jobs(load(CI_FILES[1]))
    agenda = document["inc-audit:agenda"]
    assert agenda["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule" && $INC_AUDIT_SCHEDULE == "agenda"'}]
    assert " ".join(agenda["script"]).startswith("inc-audit agenda --publish")
    for name in ("inc-audit:audit", ".inc-audit:shard", ".inc-audit:merge"):
        assert '$INC_AUDIT_SCHEDULE != "agenda"' in document[name]["rules"][0]["if"]
    assert "inc-audit.html" in document["inc-audit:audit"]["artifacts"]["paths"]
    assert document["inc-audit:audit"]["artifacts"]["expose_as"]
