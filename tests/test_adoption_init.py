"""`inc-audit init`: a starter configuration from the project's own templates and labels, and
the CI include of the components."""

from __future__ import annotations

import shutil

import pytest
import responses
import yaml
from click.testing import CliRunner

from inc_audit import __version__
from inc_audit.adoption import applied_labels
from inc_audit.cli import main
from inc_audit.config import file as config_module
from tests.conftest import ROOT, TEMPLATES
from tests.gitlab_ci import schema_errors

GITLAB = "https://gitlab.example.com"
LABELS_URL = f"{GITLAB}/api/v4/projects/umami-wallet%2Fumami/labels"


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A project checkout holding the team's real issue templates, and no token anywhere."""
    shutil.copytree(TEMPLATES, tmp_path / ".gitlab" / "issue_templates")
    monkeypatch.chdir(tmp_path)
    for name in ("GITLAB_TOKEN", "CI_JOB_TOKEN", "CI_PROJECT_PATH", "CI_SERVER_URL", "PYTHON_GITLAB_CFG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    return tmp_path


def init(*args: str):
    return CliRunner().invoke(main, ["init", *args], catch_exceptions=False)


def test_only_active_label_quick_actions_count():
    text = '<!-- /label ~Severity::1 -->\n/label ~INC ~"Change::Emergency"\n<!-- two\n/label ~no\n-->\n/label ~INC\n'
    assert applied_labels(text) == ["INC", "Change::Emergency"]


def test_init_writes_a_configuration_from_the_teams_templates(repo):
    result = init("--offline")
    assert result.exit_code == 0, result.output
    config = config_module.load(".inc-audit.yml")
    assert config.incident_labels == ("INC", "incident"), "the change label the incident templates apply is not one"
    assert config.change_labels == ("Change::Emergency", "Change", "CAB::to-review")
    assert config.templates["Incident Port-Mortem.md"] == "post-mortem"
    assert config.templates["Change Emergency.md"] == "change"
    assert config.templates["incident.md"] == "report"
    assert "README.md" not in config.templates
    assert "# roles:" in (repo / ".inc-audit.yml").read_text()


def test_the_gate_passes_with_the_written_configuration(repo):
    init("--offline")
    gate = CliRunner().invoke(main, ["templates", "--config", ".inc-audit.yml"], catch_exceptions=False)
    assert gate.exit_code == 0, gate.output


def test_init_writes_the_ci_include_of_both_components_at_this_version(repo):
    init("--offline", "--templates", ".gitlab/issue_templates")
    document = yaml.safe_load((repo / ".gitlab-ci.yml").read_text())
    assert schema_errors(document) == []
    components = [item["component"] for item in document["include"]]
    names = {c.rsplit("/", 1)[1].split("@")[0] for c in components}
    assert names == {p.stem for p in (ROOT / "templates").glob("*.yml")}
    assert all(c.startswith("$CI_SERVER_FQDN/") and c.endswith(f"@{__version__}") for c in components)
    assert document["include"][1]["inputs"]["templates"] == ".gitlab/issue_templates"


def test_an_existing_ci_file_is_left_alone_and_the_include_is_printed(repo):
    (repo / ".gitlab-ci.yml").write_text("test:\n  script: [make test]\n")
    result = init("--offline")
    assert (repo / ".gitlab-ci.yml").read_text() == "test:\n  script: [make test]\n"
    assert f"audit@{__version__}" in result.stdout
    again = init("--offline", "--force", "--ci-file", str(repo / "with-include.yml"))
    assert again.exit_code == 0
    assert "include" not in init("--offline", "--force", "--ci-file", str(repo / "with-include.yml")).stdout


def test_for_a_ci_file_with_its_own_stages_and_merge_request_pipelines_init_names_the_inputs(repo):
    own = (
        "stages: [build, deploy]\n"
        "workflow:\n  rules:\n    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\n    - if: $CI_COMMIT_BRANCH\n"
        "build:\n  stage: build\n  script: [make]\n"
    )
    (repo / ".gitlab-ci.yml").write_text(own)
    result = init("--offline")
    printed = yaml.safe_load(result.stdout[result.stdout.index("include:"):])
    audit, gate = printed["include"]
    assert audit["inputs"] == {"stage": "deploy"}
    assert gate["inputs"] == {
        "stage": "deploy", "merge_request_pipelines": True, "templates": ".gitlab/issue_templates",
    }
    merged = {**yaml.safe_load(own), **printed}
    assert schema_errors(merged) == []
    plain = init("--offline", "--force", "--ci-file", str(repo / "none.yml"))
    assert plain.exit_code == 0 and "stage" not in (repo / "none.yml").read_text()


def test_an_existing_configuration_is_not_overwritten_unless_forced(repo):
    (repo / ".inc-audit.yml").write_text("labels:\n  incident: [ours]\n")
    refused = init("--offline")
    assert refused.exit_code == 2 and "exists already" in refused.stderr
    assert (repo / ".inc-audit.yml").read_text() == "labels:\n  incident: [ours]\n"
    assert init("--offline", "--force").exit_code == 0
    assert config_module.load(".inc-audit.yml").incident_labels == ("INC", "incident")


def test_no_templates_folder_is_a_clear_error(repo):
    result = init("--offline", "--templates", "nowhere")
    assert result.exit_code == 2 and "no template folder" in result.stderr


@responses.activate
def test_with_a_token_labels_the_project_lacks_are_reported_and_dropped(repo, monkeypatch):
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-init-token")
    responses.get(f"{GITLAB}/api/v4/user", json={"id": 1, "username": "bot"})
    names = ["INC", "incident", "Change::Emergency", "incident::known", "Priority::1-High"]
    responses.get(LABELS_URL, json=[{"id": i, "name": n} for i, n in enumerate(names)])
    result = init("--gitlab-url", GITLAB, "--project", "umami-wallet/umami")
    assert result.exit_code == 0, result.output
    assert "labels the project does not have: Change, CAB::to-review" in result.stderr
    config = config_module.load(".inc-audit.yml")
    assert config.change_labels == ("Change::Emergency",)
    assert (config.gitlab_url, config.gitlab_project) == (GITLAB, "umami-wallet/umami")
    assert "glpat-init-token" not in result.output + (repo / ".inc-audit.yml").read_text()


def test_without_a_token_init_still_writes_and_says_the_labels_were_not_checked(repo):
    result = init("--gitlab-url", GITLAB, "--project", "umami-wallet/umami")
    assert result.exit_code == 0
    assert "labels not checked against the project: GITLAB_TOKEN is not set" in result.stderr
    assert (repo / ".inc-audit.yml").exists()
