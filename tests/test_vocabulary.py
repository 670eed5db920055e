"""`inc-audit vocabulary`: the headings no section answers to, listed from an export or a live
GitLab (the fake one, over real HTTP), and taught with --write so the audit then reads them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakegitlab import API_TOKEN, PROJECT, FakeGitLab

from inc_audit.cli import main
from inc_audit.config import file as config_module
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT

INC_AUDIT = shutil.which("inc-audit", path=str(Path(sys.executable).parent)) or "inc-audit"
ODD = "The gremlin hunt"  # a heading no vocabulary knows, written where the root cause goes


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def export(tmp_path) -> Path:
    """The example export, with #17's post-mortem naming its root cause in the team's own words."""
    copy = tmp_path / "export"
    shutil.copytree(EXAMPLE_EXPORT, copy)
    issues = copy / "tree" / "project" / "issues.ndjson"
    text = issues.read_text(encoding="utf-8")
    assert text.count("**Root cause analysis:**") == 1
    issues.write_text(text.replace("**Root cause analysis:**", f"**{ODD}:**"), encoding="utf-8")
    return copy


@pytest.fixture
def config(tmp_path) -> Path:
    path = tmp_path / ".inc-audit.yml"
    path.write_text("# the team's configuration\n" + EXAMPLE_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    return path


def root_cause_findings(export: Path, config: Path) -> list[dict]:
    result = invoke("run", "--export", str(export), "--config", str(config), "--as-of", "2026-06-01",
                    "--format", "json")
    report = json.loads(result.stdout)
    return [f for i in report["incidents"] if i["iid"] == 17 for f in i["findings"]
            if f.get("section") == "root_cause"]


def test_the_example_export_lists_its_unmatched_headings_by_count_then_text_in_the_same_bytes():
    args = ("vocabulary", "--export", str(EXAMPLE_EXPORT), "--config", str(EXAMPLE_CONFIG))
    first, second = invoke(*args), invoke(*args)
    assert first.exit_code == 0, first.output
    assert first.stdout == second.stdout
    lines = first.stdout.splitlines()
    assert lines[0].split() == ["count", "kind", "heading", "best", "guess"]
    counts = [int(line.split()[0]) for line in lines[1:]]
    assert counts == sorted(counts, reverse=True) and counts
    data = json.loads(invoke(*args, "--format", "json").stdout)["unmatched"]
    assert [u["count"] for u in data] == counts
    assert all(u["kind"] in ("report", "post-mortem", "change") and 0 <= u["score"] <= 1 for u in data)
    # nothing the schemas know is listed: the post-mortems' own headings, the report's sections
    assert not {"Root cause analysis", "Timeline", "Incident Post-Mortem"} & {u["heading"] for u in data}


def test_a_heading_the_team_writes_is_listed_with_its_kind_count_and_best_guess(export, config):
    result = invoke("vocabulary", "--export", str(export), "--config", str(config), "--format", "json")
    [found] = [u for u in json.loads(result.stdout)["unmatched"] if u["heading"] == ODD]
    assert found["kind"] == "post-mortem" and found["count"] == 1
    assert set(found) == {"kind", "heading", "count", "guess", "score"}
    only = invoke("vocabulary", "--export", str(export), "--config", str(config), "--kind", "change")
    assert ODD not in only.stdout
    assert ODD not in invoke("vocabulary", "--export", str(export), "--config", str(config),
                             "--min-count", "2").stdout


def test_write_teaches_the_confirmed_heading_and_the_audit_then_reads_it(export, config):
    assert root_cause_findings(export, config), "the odd heading should leave the root cause unread"
    before = config.read_text(encoding="utf-8")
    result = invoke("vocabulary", "--export", str(export), "--config", str(config), "--kind", "post-mortem",
                    "--write", input="root_cause\n")
    assert result.exit_code == 0, result.output
    after = config.read_text(encoding="utf-8")
    assert after.startswith(before)  # the rest of the file, its comment included, as it was
    assert config_module.load(config).vocabulary["post-mortem"]["root_cause"] == (ODD,)
    assert root_cause_findings(export, config) == []
    again = invoke("vocabulary", "--export", str(export), "--config", str(config), "--kind", "post-mortem")
    assert ODD not in again.stdout


def test_write_updates_an_existing_vocabulary_section_in_place(export, config):
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("post_mortem:", "vocabulary:\n  report:\n    impact: [Blast zone]\n\n"
                                   "# approvals\npost_mortem:"), encoding="utf-8")
    invoke("vocabulary", "--export", str(export), "--config", str(config), "--kind", "post-mortem", "--write",
           input="root_cause\n")
    written = config.read_text(encoding="utf-8")
    assert written.count("vocabulary:") == 1 and "# approvals\npost_mortem:" in written
    loaded = config_module.load(config).vocabulary
    assert loaded == {"report": {"impact": ("Blast zone",)}, "post-mortem": {"root_cause": (ODD,)}}


def test_write_with_yes_takes_the_good_guesses_and_n_leaves_the_file_alone(export, config):
    before = config.read_text(encoding="utf-8")
    result = invoke("vocabulary", "--export", str(export), "--config", str(config), "--kind", "post-mortem",
                    "--write", input="n\n")
    assert result.exit_code == 0 and "nothing to write" in result.stderr
    assert config.read_text(encoding="utf-8") == before
    listed = json.loads(invoke("vocabulary", "--export", str(export), "--config", str(config), "--format",
                               "json").stdout)["unmatched"]
    expected: dict = {}
    for u in listed:
        if u["guess"] is not None and u["score"] >= 0.3:
            expected.setdefault(u["kind"], {}).setdefault(u["guess"], []).append(u["heading"])
    result = invoke("vocabulary", "--export", str(export), "--config", str(config), "--write", "--yes",
                    "--min-score", "0.3")
    assert result.exit_code == 0, result.output
    assert expected and config_module.load(config).vocabulary == {
        kind: {section: tuple(hs) for section, hs in sections.items()} for kind, sections in expected.items()
    }
    assert ODD not in config.read_text(encoding="utf-8")  # no section comes close: --yes leaves it out


def test_yes_without_write_is_refused_in_one_line():
    from tests.test_config import refused

    line = refused(invoke("vocabulary", "--export", str(EXAMPLE_EXPORT), "--yes"))
    assert "--yes" in line and "--write" in line


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("vocabulary:\n  incident: {impact: [x]}\n", "unknown key 'vocabulary.incident'"),
        ("vocabulary:\n  post-mortem: {why: [Why it broke]}\n", "vocabulary.post-mortem.why"),
        ("vocabulary:\n  post-mortem: {root_cause: [Impact]}\n", "already names the post-mortem section"),
        ("vocabulary:\n  post-mortem: {root_cause: []}\n", "vocabulary.post-mortem.root_cause is empty"),
        ("vocabulary:\n  post-mortem: {root_cause: Why}\n",
         'vocabulary.post-mortem.root_cause: "Why" is text, where a list belongs'),
    ],
)
def test_a_wrong_vocabulary_section_is_refused_naming_file_and_key(tmp_path, section, expected):
    from tests.test_config import ROLES, refused, run_with

    result, path = run_with(tmp_path, ROLES + section)
    line = refused(result)
    assert str(path) in line and expected in line and "line 4" in line


# --- a live project, through the fake GitLab over real HTTP -----------------------------------------

POST_MORTEM = f"""## Incident Post-Mortem

**Incident handled:** #1, the indexer stopped following the chain.

**Timeline:** 10:00 alert, 10:40 restarted.

**{ODD}:** the node's disk filled up and the indexer crashed without restarting.

**Actual adverse impact:** balances were stale for 40 minutes.

**Follow up recommendations:** an alert on the disk, a restart policy.
"""


def live(fake: FakeGitLab, config: Path, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CI_") and k != "CI"}
    env["GITLAB_TOKEN"] = API_TOKEN
    command = [INC_AUDIT, *args[:1], "--gitlab-url", fake.url, "--project", PROJECT, "--config", str(config),
               *args[1:]]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, input=input,
                          cwd=config.parent)


@pytest.mark.parametrize("api", ["rest", "graphql"])
def test_a_live_project_is_read_and_taught_through_the_same_source(tmp_path, api):
    config = tmp_path / ".inc-audit.yml"
    config.write_text("roles:\n  product_manager: {primary: alice, backups: [bob]}\n", encoding="utf-8")
    with FakeGitLab() as fake:
        incident = fake.add_issue(PROJECT, title="Indexer lag", labels=["incident"], issue_type="incident",
                                  state="closed", author="alice", created_at="2026-05-01T10:00:00Z",
                                  closed_at="2026-05-02T10:00:00Z")
        fake.add_note(incident, POST_MORTEM, author="alice", created_at="2026-05-02T11:00:00Z")
        listed = live(fake, config, "vocabulary", "--api", api)
        assert listed.returncode == 0, listed.stderr
        assert ODD in listed.stdout and "post-mortem" in listed.stdout
        audit = ["run", "--api", "rest", "--no-cache", "--as-of", "2026-06-01", "--format", "json"]
        before = json.loads(live(fake, config, *audit).stdout)
        assert any(f.get("section") == "root_cause" for i in before["incidents"] for f in i["findings"])
        taught = live(fake, config, "vocabulary", "--api", api, "--kind", "post-mortem", "--write",
                      input="root_cause\n")
        assert taught.returncode == 0, taught.stderr
        after = json.loads(live(fake, config, *audit).stdout)
        assert not any(f.get("section") == "root_cause" for i in after["incidents"] for f in i["findings"])
        assert fake.writes == []
    assert config_module.load(config).vocabulary == {"post-mortem": {"root_cause": (ODD,)}}


def test_answers_that_run_out_keep_what_was_confirmed_and_a_missing_config_is_created(export, tmp_path,
                                                                                      monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = invoke("vocabulary", "--export", str(export), "--kind", "post-mortem", "--write", input="")
    assert result.exit_code == 0 and "no more answers" in result.stderr and "nothing to write" in result.stderr
    assert not (tmp_path / ".inc-audit.yml").exists()
    result = invoke("vocabulary", "--export", str(export), "--kind", "post-mortem", "--write",
                    input="why\nroot_cause\n")
    assert result.exit_code == 0, result.output
    assert "answer y, n or one of" in result.stderr  # "why" is no section: asked again
    assert (tmp_path / ".inc-audit.yml").read_text(encoding="utf-8") == (
        f"vocabulary:\n  post-mortem:\n    root_cause: [{ODD}]\n"
    )



def test_a_missing_section_says_how_to_teach_its_closest_heading_and_that_teaching_works(tmp_path):
    import yaml

    from inc_audit.reading import validity

    text = "## IPM\n### Root cause\na full disk\n### Services affected\napi\n### Follow-up\nalert\n"
    plain = config_module.load_defaults()
    [problem] = validity.check_text(plain.schema("post-mortem"), text)
    assert "closest: '### Services affected' on line 4" in problem.message
    snippet = problem.message.split("teach it: ", 1)[1].split(" in the configuration", 1)[0]
    config = tmp_path / "c.yml"
    config.write_text(snippet + "\n", encoding="utf-8")
    taught = config_module.load(config)
    assert taught.vocabulary == {"post-mortem": {"actual_impact": ("Services affected",)}}
    assert validity.check_text(taught.schema("post-mortem"), text) == []
    assert yaml.safe_load(snippet)["vocabulary"]["post-mortem"]["actual_impact"] == ["Services affected"]


def test_a_plain_label_line_is_never_named_the_closest_heading():
    from inc_audit.reading import validity

    text = "## IPM\n### Root cause\na full disk\nImpacted services: api\n### Follow-up\nalert on disk\n"
    [problem] = validity.check_text(config_module.load_defaults().schema("post-mortem"), text)
    assert "closest" not in problem.message and "teach it" not in problem.message
