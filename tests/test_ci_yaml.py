"""The pipelines: the CI/CD components and inc-audit's own CI validate against GitLab's CI
schema, run where they should and nowhere else, and every inc-audit command they run exists
with those options."""

from __future__ import annotations

import re
import shlex
import shutil

import click
import pytest
import yaml
from click.testing import CliRunner

from inc_audit import __version__
from inc_audit.cli import main
from tests.conftest import ROOT, TEMPLATES
from tests.gitlab_ci import (
    Component,
    InputRefused,
    evaluate_if,
    expand,
    jobs,
    load_component,
    merge_request,
    push,
    push_to_default_branch,
    scheduled,
    schema_errors,
    when,
)

COMPONENT_FILES = sorted((ROOT / "templates").glob("*.yml"))
AUDIT = ROOT / "templates" / "audit.yml"
GATE = ROOT / "templates" / "template-gate.yml"
PROJECT_CI = ROOT / ".gitlab-ci.yml"
PYPROJECT_VERSION = re.search(r'(?m)^version = "([^"]+)"', (ROOT / "pyproject.toml").read_text()).group(1)


def component(path=AUDIT) -> Component:
    return load_component(path)


# --- GitLab's CI schema ----------------------------------------------------------------------


def test_the_components_are_the_audit_and_the_gate():
    assert [p.name for p in COMPONENT_FILES] == ["audit.yml", "template-gate.yml"]


def test_the_schema_check_catches_a_wrong_keyword():
    assert schema_errors({"job": {"script": ["x"], "allow_failure": {"exit_code": 1}}})
    assert schema_errors({"job": {"script": ["x"], "artifacts": {"access": "reporters"}}})
    assert not schema_errors({"job": {"script": ["x"], "allow_failure": {"exit_codes": [1]}}})


def test_the_projects_own_ci_validates_against_gitlabs_schema():
    assert schema_errors(yaml.safe_load(PROJECT_CI.read_text())) == []


@pytest.mark.parametrize("path", COMPONENT_FILES, ids=lambda p: p.name)
def test_the_spec_header_validates_and_declares_every_input_it_uses(path):
    c = component(path)
    assert schema_errors(c.spec) == []
    assert c.used_inputs() == set(c.inputs)
    for name, declared in c.inputs.items():
        assert declared.get("description"), f"input {name} has no description"
        default = declared.get("default")
        assert default is not None, f"input {name} has no default"
        if "regex" in declared and default != "":
            assert re.fullmatch(declared["regex"], str(default)), name
        if "options" in declared:
            assert default in declared["options"], name
        if declared.get("type", "string") == "string" and name not in ("fail_on",):
            assert "regex" in declared, f"input {name}: a string input needs a regex"


OTHER_INPUTS = {
    "audit.yml": {
        "name": "compliance-umami", "stage": "audit", "project": "umami-wallet/umami", "version": "0.2.0",
        "tags": ["compliance", "docker"], "timeout": "1h 30m", "args": "--api rest --retry-budget 300",
    },
    "template-gate.yml": {
        "name": "policy", "stage": "lint", "templates": "docs/templates", "config": "ci/audit.yml",
        "merge_request_pipelines": True, "tags": ["docker"], "timeout": "5m",
    },
}


# A project's own pipeline around the components: its stages, with or without workflow:rules.
OWN_STAGES = {"stages": ["build", "audit", "lint"], "build": {"stage": "build", "script": ["make"]}}
WORKFLOWS = {
    "no workflow:rules": {},
    "merge request pipelines": {"workflow": {"rules": [
        {"if": '$CI_PIPELINE_SOURCE == "merge_request_event"'},
        {"if": "$CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS", "when": "never"},
        {"if": "$CI_COMMIT_BRANCH"},
        {"if": '$CI_PIPELINE_SOURCE == "schedule"'},
    ]}},
}


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=str)
def test_a_project_with_its_own_stages_and_workflow_validates_with_both_components(workflow):
    audit = component(AUDIT).render(**OTHER_INPUTS["audit.yml"])
    gate = component(GATE).render(**OTHER_INPUTS["template-gate.yml"])
    document = {**OWN_STAGES, **WORKFLOWS[workflow], **audit, **gate}
    assert schema_errors(document) == []
    stages = set(document["stages"]) | {".pre", ".post"}
    assert {job["stage"] for job in jobs(document).values()} <= stages


@pytest.mark.parametrize("path", COMPONENT_FILES, ids=lambda p: p.name)
@pytest.mark.parametrize("given", ["defaults", "other inputs"])
def test_the_jobs_validate_against_gitlabs_schema_once_inputs_are_in(path, given):
    inputs = {} if given == "defaults" else OTHER_INPUTS[path.name]
    rendered = component(path).render(**inputs)
    assert schema_errors(rendered) == []
    assert not {"default", "variables", "stages", "workflow"} & set(rendered), "a component must not leak settings"


# --- where each job runs ---------------------------------------------------------------------


def audit_jobs(**inputs):
    rendered = component(AUDIT).render(**inputs)
    name = inputs.get("name", "inc-audit")
    return rendered[f"{name}:audit"], rendered[f"{name}:dry-run"], rendered


def gate_job(**inputs):
    return component(GATE).render(**inputs)[f"{inputs.get('name', 'inc-audit')}:templates"]


def test_the_audit_runs_in_its_own_schedule_and_in_no_other():
    audit, dry_run, _ = audit_jobs()
    assert when(audit, scheduled(INC_AUDIT_SCHEDULE="true")) == "on_success"
    assert when(audit, scheduled()) == "never"
    assert when(audit, scheduled(NIGHTLY_BUILD="true")) == "never"
    assert when(audit, push_to_default_branch()) == "never"
    assert when(audit, merge_request(".gitlab/issue_templates/incident.md")) == "never"


def test_the_components_other_jobs_never_run_in_the_audit_schedule():
    _, dry_run, rendered = audit_jobs()
    schedule = scheduled(INC_AUDIT_SCHEDULE="true")
    assert when(dry_run, schedule) == "never"
    assert when(gate_job(), schedule) == "never"
    assert when(gate_job(), scheduled(INC_AUDIT_SCHEDULE="true", CI_PIPELINE_SOURCE="merge_request_event")) == "never"
    assert when(dry_run, push_to_default_branch()) == "manual"
    assert dry_run["rules"][-1]["allow_failure"] is True


def test_the_schedule_variable_is_an_input():
    audit, _, _ = audit_jobs(schedule_variable="AUDIT_INCIDENTS")
    assert when(audit, scheduled(AUDIT_INCIDENTS="true")) == "on_success"
    assert when(audit, scheduled(INC_AUDIT_SCHEDULE="true")) == "never"
    assert when(gate_job(schedule_variable="AUDIT_INCIDENTS"), scheduled(AUDIT_INCIDENTS="true")) == "never"


def test_by_default_the_gate_runs_in_branch_pipelines_that_touch_the_templates_or_the_config():
    gate = gate_job()
    assert when(gate, push(".gitlab/issue_templates/incident.md")) == "on_success"
    assert when(gate, push(".inc-audit.yml", open_merge_request=True)) == "on_success"
    assert when(gate, push_to_default_branch("schemas/our-report.schema.json")) == "on_success"
    assert when(gate, push("src/app.py", "README.md")) == "never"
    # It never makes GitLab create a merge request pipeline (a second pipeline for each push
    # in a project without workflow:rules).
    assert when(gate, merge_request(".gitlab/issue_templates/incident.md")) == "never"


def test_with_merge_request_pipelines_the_gate_runs_there_and_not_twice():
    gate = gate_job(merge_request_pipelines=True)
    assert when(gate, merge_request(".gitlab/issue_templates/incident.md")) == "on_success"
    assert when(gate, merge_request(".inc-audit.yml")) == "on_success"
    assert when(gate, merge_request("src/app.py", "README.md")) == "never"
    assert when(gate, push(".gitlab/issue_templates/incident.md", open_merge_request=True)) == "never"
    assert when(gate, push(".gitlab/issue_templates/incident.md")) == "on_success"


@pytest.mark.parametrize("path", COMPONENT_FILES, ids=lambda p: p.name)
def test_no_job_of_a_component_makes_a_merge_request_pipeline_by_default(path):
    for name, job in jobs(component(path).render()).items():
        assert when(job, merge_request(".gitlab/issue_templates/incident.md", ".inc-audit.yml")) == "never", name


def test_the_gates_changes_rule_follows_the_templates_input():
    gate = gate_job(templates="docs/templates", config="ci/audit.yml", merge_request_pipelines=True)
    assert when(gate, merge_request("docs/templates/Incident Report.md")) == "on_success"
    assert when(gate, merge_request("ci/audit.yml")) == "on_success"
    assert when(gate, merge_request(".gitlab/issue_templates/incident.md")) == "never"
    args = script_args(gate)
    assert args[args.index("templates") + 1] == "docs/templates"
    assert args[args.index("--config") + 1] == "ci/audit.yml"


def test_the_rules_evaluator_reads_what_the_files_write():
    assert evaluate_if('$A == "x" && $B == "true"', {"A": "x", "B": "true"})
    assert not evaluate_if('$A == "x" && $B == "true"', {"A": "x"})
    assert evaluate_if("$CI_COMMIT_TAG =~ /^[0-9]+\\.[0-9]+\\.[0-9]+$/", {"CI_COMMIT_TAG": "1.2.3"})
    assert not evaluate_if("$CI_COMMIT_TAG =~ /^[0-9]+\\.[0-9]+\\.[0-9]+$/", {"CI_COMMIT_TAG": "v1.2"})
    assert evaluate_if("$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH", {"CI_COMMIT_BRANCH": "m", "CI_DEFAULT_BRANCH": "m"})


# --- the cache, the exit codes, the artifacts ------------------------------------------------


def script_args(job) -> list[str]:
    return shlex.split(expand(job, " ".join(job["script"])))


def test_the_cache_persists_between_scheduled_runs_one_per_audited_target():
    audit, dry_run, _ = audit_jobs()
    cache = audit["cache"]
    args = script_args(audit)
    folder = args[args.index("--cache") + 1].rstrip("/")
    assert [p.rstrip("/") for p in cache["paths"]] == [folder]
    assert cache["when"] == "always", "a run that finds violations (exit 1) must still save its cache"
    assert cache.get("policy", "pull-push") == "pull-push"
    other, _, _ = audit_jobs(name="compliance-wallet", project="umami-wallet/wallet")
    assert other["cache"]["key"] != cache["key"]
    assert dry_run["cache"]["key"] == cache["key"] and dry_run["cache"]["policy"] == "pull"


def test_no_cache_is_shared_with_unprotected_branches():
    _, _, rendered = audit_jobs()
    for job in jobs(rendered).values():
        caches = job.get("cache") or []
        for cache in caches if isinstance(caches, list) else [caches]:
            assert cache.get("unprotect", False) is False


def test_violations_do_not_look_like_a_broken_tool():
    audit, _, rendered = audit_jobs()
    assert audit["allow_failure"] == {"exit_codes": [1]}
    assert rendered[".inc-audit:merge"]["allow_failure"] == {"exit_codes": [1]}
    assert "allow_failure" not in gate_job(), "a template that lost a section must block the merge request"


def test_report_artifacts_are_for_project_members_only():
    _, _, rendered = audit_jobs()
    for job in [*jobs(rendered).values(), gate_job()]:
        if "artifacts" in job:
            assert job["artifacts"]["access"] == "developer"


def test_the_token_variable_is_an_input():
    audit, dry_run, _ = audit_jobs(token_variable="AUDIT_TOKEN")
    for job in (audit, dry_run):
        args = script_args(job)
        assert args[args.index("--token-variable") + 1] == "AUDIT_TOKEN"


# --- the pinned version ----------------------------------------------------------------------


@pytest.mark.parametrize("path", COMPONENT_FILES, ids=lambda p: p.name)
def test_the_component_pins_the_version_of_this_package(path):
    c = component(path)
    assert c.inputs["version"]["default"] == PYPROJECT_VERSION == __version__
    for job in jobs(c.render()).values():
        assert job["image"].endswith(f":{PYPROJECT_VERSION}")
    assert all(j["image"].endswith(":0.2.0") for j in jobs(c.render(version="0.2.0")).values())


def test_the_readme_includes_the_components_at_the_pinned_version():
    readme = (ROOT / "README.md").read_text()
    includes = re.findall(r"component: \$CI_SERVER_FQDN/[\w./-]+/([\w-]+)@([\w.]+)", readme)
    assert {name for name, _ in includes} == {p.stem for p in COMPONENT_FILES}
    assert {version for _, version in includes} == {PYPROJECT_VERSION}
    assert f"inc-audit=={PYPROJECT_VERSION}" in readme


def test_the_ci_page_documents_every_input():
    page = (ROOT / "docs" / "ci.md").read_text()
    for path in COMPONENT_FILES:
        for name in component(path).inputs:
            assert f"`{name}`" in page, f"{path.name}: input {name} is not in docs/ci.md"


def test_the_readme_documents_every_input():
    readme = (ROOT / "README.md").read_text()
    for path in COMPONENT_FILES:
        for name in component(path).inputs:
            assert f"`{name}`" in readme, f"{path.name}: input {name} is not in the README"


# --- the commands the jobs run ---------------------------------------------------------------


def inc_audit_commands() -> list[tuple[str, list[str]]]:
    found = []
    for path in COMPONENT_FILES:
        for name, job in jobs(component(path).render()).items():
            for line in job["script"]:
                words = shlex.split(re.sub(r"\$\{?(\w+)\}?", lambda m: f"<{m.group(1)}>", expand(job, line)))
                if words and words[0] == "inc-audit":
                    found.append((f"{path.stem} {name}", words[1:]))
    return found


@pytest.mark.parametrize(("job", "args"), inc_audit_commands(), ids=lambda v: v if isinstance(v, str) else None)
def test_every_inc_audit_command_exists_with_its_options(job, args):
    context = main.make_context("inc-audit", list(args), resilient_parsing=False)
    command = main.get_command(context, args[0])
    assert command is not None, f"{job}: no command {args[0]}"
    try:
        command.make_context(args[0], list(args[1:]))
    except click.UsageError as error:  # pragma: no cover - the message is the point
        pytest.fail(f"{job}: {' '.join(args)}: {error.format_message()}")


def test_the_scheduled_job_publishes_and_keeps_its_reports():
    audit, dry_run, _ = audit_jobs()
    args = script_args(audit)
    assert "--publish" in args and "json=inc-audit.json" in args and "junit=inc-audit.junit.xml" in args
    assert audit["artifacts"]["when"] == "always" and audit["artifacts"]["reports"]["junit"] == "inc-audit.junit.xml"
    assert {"--publish", "--dry-run"} <= set(script_args(dry_run))


def gate_script(folder) -> list[str]:
    args = script_args(gate_job())[1:]
    args = [str(folder) if a == ".gitlab/issue_templates" else a for a in args]
    at = args.index("--config")
    return args[:at] + args[at + 2 :]


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
    _, _, rendered = audit_jobs()
    shard, merge = rendered[".inc-audit:shard"], rendered[".inc-audit:merge"]
    assert "--shard" in script_args(shard) and "--publish" not in script_args(shard)
    assert script_args(merge)[:2] == ["inc-audit", "merge"] and "--publish" in script_args(merge)
    assert merge["stage"] == ".post"
    assert "$CI_NODE_INDEX" in shard["cache"]["key"], "each slice keeps its own cache"


# --- inc-audit's own pipeline: the release ---------------------------------------------------


def project_ci() -> dict:
    return yaml.safe_load(PROJECT_CI.read_text())


def tag_pipeline(tag: str = PYPROJECT_VERSION):
    from tests.gitlab_ci import Pipeline

    return Pipeline({"CI_PIPELINE_SOURCE": "push", "CI_COMMIT_TAG": tag, "CI_DEFAULT_BRANCH": "main"})


def test_a_version_tag_runs_the_release_and_a_branch_does_not():
    document = project_ci()
    assert any(evaluate_if(rule["if"], tag_pipeline().variables) for rule in document["workflow"]["rules"])
    release_jobs = {"publish-package", "publish-image", "release"}
    for name in release_jobs:
        assert when(document[name], tag_pipeline()) == "on_success"
        assert when(document[name], push_to_default_branch()) == "never"


def test_the_package_goes_to_the_projects_package_registry_with_the_job_token():
    job = project_ci()["publish-package"]
    script = " ".join(job["script"])
    assert "twine upload" in script and "${CI_API_V4_URL}/projects/${CI_PROJECT_ID}/packages/pypi" in script
    assert 'TWINE_PASSWORD="$CI_JOB_TOKEN"' in script and "TWINE_USERNAME=gitlab-ci-token" in script
    assert "$CI_COMMIT_TAG" in job["script"][0], "the tag must be the package's version"
    assert job["needs"] == ["build"] and "dist/" in project_ci()["build"]["artifacts"]["paths"]


def test_the_image_is_built_without_a_docker_engine_and_pushed_to_the_container_registry():
    job = project_ci()["publish-image"]
    assert "services" not in job and "-rootless@sha256:" in job["image"]["name"]
    script = " ".join(job["script"])
    assert "buildctl-daemonless.sh build" in script and "$CI_REGISTRY_IMAGE:$CI_COMMIT_TAG" in script
    assert job["before_script"] and "pip" not in " ".join(job["before_script"])


def test_the_image_is_small_and_runs_as_a_user_without_privileges():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    instructions = [line for line in lines if line and not line.startswith("#")]
    bases = [line.split()[1] for line in instructions if line.startswith("FROM")]
    assert all(base.split("@")[0].endswith("-slim") for base in bases)
    user = [line.split()[1] for line in instructions if line.startswith("USER")]
    assert user and user[-1].split(":")[0] not in ("0", "root")
    assert not any(line.startswith("ENTRYPOINT") for line in instructions), "GitLab runs job scripts via a shell"
    ignored = (ROOT / ".dockerignore").read_text().splitlines()
    for line in instructions:
        if line.startswith("COPY") and "--from" not in line:
            for source in line.split()[1:-1]:
                assert (ROOT / source).exists() and f"!{source.rstrip('/')}" in [i.rstrip("/") for i in ignored]


def test_the_agenda_runs_in_its_own_schedule_and_the_audit_does_not():
    audit, dry_run, rendered = audit_jobs()
    agenda = rendered["inc-audit:agenda"]
    assert when(agenda, scheduled(INC_AUDIT_SCHEDULE="agenda")) == "on_success"
    for other in (scheduled(INC_AUDIT_SCHEDULE="true"), scheduled(), push_to_default_branch()):
        assert when(agenda, other) == "never"
    assert when(audit, scheduled(INC_AUDIT_SCHEDULE="agenda")) == "never"
    assert when(dry_run, scheduled(INC_AUDIT_SCHEDULE="agenda")) == "never"
    assert script_args(agenda)[:2] == ["inc-audit", "agenda"] and "--publish" in script_args(agenda)
    assert agenda["cache"]["policy"] == "pull"


def test_the_audit_keeps_the_html_page():
    audit, _, _ = audit_jobs()
    assert "html=inc-audit.html" in script_args(audit)
    assert "inc-audit.html" in audit["artifacts"]["paths"]


def test_expose_as_is_only_on_the_job_that_runs_where_gitlab_shows_it():
    """GitLab shows exposed artifacts in merge requests only: on the gate, never on a job of
    schedules or of the default branch."""
    _, _, rendered = audit_jobs()
    assert not [name for name, job in jobs(rendered).items() if "expose_as" in job.get("artifacts", {})]
    gate = gate_job()
    assert gate["artifacts"]["expose_as"] and gate["artifacts"]["paths"] == ["inc-audit-templates.html"]
    assert "html=inc-audit-templates.html" in script_args(gate)


def test_the_publishing_jobs_share_a_resource_group_and_are_never_cancelled_half_way():
    _, _, rendered = audit_jobs()
    publishing = {name: job for name, job in jobs(rendered).items() if "--publish" in script_args(job)
                  and "--dry-run" not in script_args(job)}
    assert set(publishing) == {"inc-audit:audit", "inc-audit:agenda", ".inc-audit:merge"}
    assert {job["resource_group"] for job in publishing.values()} == {"inc-audit-publish"}
    assert all(job["interruptible"] is False for job in publishing.values())
    _, _, other = audit_jobs(name="compliance-wallet")
    assert other["compliance-wallet:audit"]["resource_group"] == "compliance-wallet-publish"
    assert gate_job()["interruptible"] is True
    assert rendered["inc-audit:dry-run"]["interruptible"] is True


def test_runner_tags_timeout_and_extra_arguments_are_inputs():
    _, _, rendered = audit_jobs(tags=["compliance"], timeout="20m", args="--api rest --retry-budget 300")
    for name, job in jobs(rendered).items():
        assert job["tags"] == ["compliance"] and job["timeout"] == "20m", name
        if name.endswith((":audit", ":dry-run", ":shard")):
            assert script_args(job)[-4:] == ["--api", "rest", "--retry-budget", "300"], name
    _, _, plain = audit_jobs()
    assert all(job["tags"] == [] and job["timeout"] == "1h" for job in jobs(plain).values())
    gate = gate_job(tags=["docker"], timeout="5m")
    assert gate["tags"] == ["docker"] and gate["timeout"] == "5m"


# --- an input value cannot run a command ------------------------------------------------------

HOSTILE = "$(touch /tmp/inc-audit-pwned)"


@pytest.mark.parametrize("path", COMPONENT_FILES, ids=lambda p: p.name)
def test_gitlab_refuses_a_path_or_name_input_that_holds_shell_characters(path):
    c = component(path)
    for name, declared in c.inputs.items():
        if declared.get("type", "string") != "string" or "options" in declared:
            continue
        with pytest.raises(InputRefused):
            c.render(**{name: HOSTILE})
        with pytest.raises(InputRefused):
            c.render(**{name: "a;id"})


@pytest.mark.parametrize("path", COMPONENT_FILES, ids=lambda p: p.name)
def test_no_input_is_written_into_a_script_even_past_the_regex(path):
    """Second wall: were the regex gone, an input still reaches the scripts only as a job
    variable, which the shell expands inside double quotes (no command substitution)."""
    c = component(path)
    for name, declared in c.inputs.items():
        if declared.get("type", "string") != "string" or "options" in declared:
            continue
        marker = f"MARK{name.upper()}MARK"
        rendered = c.render(check=False, **{name: marker})
        for job_name, job in jobs(rendered).items():
            assert marker not in "\n".join(job["script"]), f"{job_name}: input {name} is in the script"
            for line in job["script"]:
                for used in re.findall(r"(\S*)\$\{?(INC_AUDIT_\w+)", line):
                    assert used[1] in job.get("variables", {}), f"{job_name}: ${used[1]} is not a job variable"


DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def project_images() -> dict[str, str]:
    images = {}
    for name, job in project_ci().items():
        if isinstance(job, dict) and "image" in job:
            image = job["image"]
            images[name] = image["name"] if isinstance(image, dict) else image
    return images


def test_the_images_of_the_projects_ci_and_dockerfile_are_pinned():
    """By digest, as GitLab's pipeline security page asks; the release job's image by a
    version (GitLab's release docs name one), never latest."""
    images = project_images()
    assert DIGEST.search(images["default"]) and DIGEST.search(images["publish-image"])
    release = images.pop("release")
    assert re.fullmatch(r"registry\.gitlab\.com/gitlab-org/release-cli:v\d+\.\d+\.\d+(@sha256:[0-9a-f]{64})?", release)
    assert all(DIGEST.search(image) for image in images.values()), images
    bases = [line.split()[1] for line in (ROOT / "Dockerfile").read_text().splitlines() if line.startswith("FROM ")]
    assert len(bases) == 2 and all(DIGEST.search(base) for base in bases)
    assert len(set(bases)) == 1 and bases[0] == images["default"], "the CI tests the image's Python"


def test_the_components_image_can_be_pinned_by_digest():
    digest = "sha256:" + "ab" * 32
    _, _, rendered = audit_jobs(version=f"0.2.0@{digest}")
    assert rendered["inc-audit:audit"]["image"].endswith(f":0.2.0@{digest}")
    with pytest.raises(InputRefused):
        audit_jobs(version="0.2.0@sha256:short")
