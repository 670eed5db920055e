"""The command line, through click's runner: outputs, exit codes and bad input."""

from __future__ import annotations

import json
import re
import tarfile

import jsonschema
import pytest
from click.testing import CliRunner

from inc_audit import __version__
from inc_audit.cli import main
from inc_audit.rules import RULES
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT, GITLAB_FIXTURES, ROOT, fill, template

EXAMPLE = ["--export", str(EXAMPLE_EXPORT), "--config", str(EXAMPLE_CONFIG), "--as-of", "2026-06-01"]
EXPECTED_BY_RULE = {
    "CHG001": 2,
    "CHG002": 1,
    "INC002": 5,
    "INC004": 1,
    "INC005": 1,
    "IPM001": 1,
    "IPM002": 1,
    "IPM003": 2,
}


def invoke(*args: str, input: str | None = None):
    return CliRunner().invoke(main, list(args), input=input, catch_exceptions=False)


def report_schema() -> dict:
    return json.loads((ROOT / "schemas" / "report.schema.json").read_text())


def test_the_example_prints_its_violations_and_exits_1():
    result = invoke("run", *EXAMPLE)
    assert result.exit_code == 1
    assert "umami-wallet/umami#7" in result.output
    assert "14 violation(s) (11 error(s), 3 warning(s)) in 6 of 12 incident(s)." in result.output


def test_the_example_json_is_valid_and_counts_every_rule():
    result = invoke("run", *EXAMPLE, "--format", "json")
    report = json.loads(result.stdout)
    jsonschema.validate(report, report_schema(), format_checker=jsonschema.FormatChecker())
    assert report["complete"] is True
    assert report["summary"]["by_rule"] == EXPECTED_BY_RULE
    assert {i["iid"] for i in report["incidents"]} == {1, 3, 5, 7, 8, 10, 11, 12, 13, 14, 17, 18}


def test_a_packed_export_gives_the_same_report(tmp_path):
    archive = tmp_path / "umami.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(EXAMPLE_EXPORT, arcname=".")
    packed = invoke("run", "--export", str(archive), *EXAMPLE[2:], "--format", "json")
    unpacked = invoke("run", *EXAMPLE, "--format", "json")
    strip = lambda out: {k: v for k, v in json.loads(out).items() if k != "source"}  # noqa: E731
    assert strip(packed.stdout) == strip(unpacked.stdout)


def test_gitlab_own_export_fixture_loads():
    result = invoke("run", "--export", str(GITLAB_FIXTURES / "export-complex"), "--format", "json")
    report = json.loads(result.stdout)
    assert [i["iid"] for i in report["incidents"]] == [2]  # the one issue of type incident


@pytest.mark.parametrize(("fail_on", "code"), [("error", 1), ("warning", 1), ("never", 0)])
def test_fail_on_sets_the_exit_code(fail_on, code):
    assert invoke("run", *EXAMPLE, "--fail-on", fail_on).exit_code == code


def test_warnings_alone_fail_only_with_fail_on_warning(tmp_path):
    config = tmp_path / "c.yml"
    config.write_text("rules:\n  ignore: [INC001, INC002, CHG001, IPM]\n")
    args = ["run", "--export", str(EXAMPLE_EXPORT), "--config", str(config), "--as-of", "2026-06-01"]
    assert invoke(*args).exit_code == 0
    assert invoke(*args, "--fail-on", "warning").exit_code == 1


def test_reports_are_written_together(tmp_path):
    out = tmp_path / "audit.md"
    result = invoke(
        "run",
        *EXAMPLE,
        "--format",
        "markdown",
        "--output",
        str(out),
        "--report",
        f"json={tmp_path / 'a.json'}",
        "--report",
        f"junit={tmp_path / 'a.xml'}",
        "--report",
        f"codequality={tmp_path / 'cq.json'}",
    )
    assert result.exit_code == 1
    assert out.read_text().startswith("<!-- inc-audit:audit-issue -->")
    assert json.loads((tmp_path / "a.json").read_text())["summary"]["violations"] == 14
    assert (tmp_path / "a.xml").read_text().startswith("<?xml")
    assert json.loads((tmp_path / "cq.json").read_text()) == []  # incidents are no files: see test_reporters


def test_no_colour_when_not_a_terminal():
    assert "\x1b[" not in invoke("run", *EXAMPLE).output


def test_colour_when_asked():
    assert "\x1b[31m" in invoke("run", *EXAMPLE, "--color").output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--export", "/nonexistent/export"], "export not found"),
        (["--as-of", "next tuesday"], "is not an ISO 8601 timestamp"),
        (["--report", "pdf=out.pdf"], "is not FORMAT=PATH"),
        (["--dry-run"], "--dry-run goes with --publish"),
        (["--publish"], "--publish needs a GitLab project"),
    ],
)
def test_bad_options_exit_2_with_one_clear_line(args, message):
    base = {"--export": str(EXAMPLE_EXPORT)}
    merged = ["run", "--config", str(EXAMPLE_CONFIG)]
    if "--export" not in args:
        merged += ["--export", base["--export"]]
    result = invoke(*merged, *args)
    assert result.exit_code == 2
    first = result.stderr.splitlines()[0]
    assert message in first and first.startswith("inc-audit: error:")
    assert "Traceback" not in result.output + result.stderr


def test_a_corrupt_archive_exits_2(tmp_path):
    bad = tmp_path / "export.tar.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00 definitely not gzip")
    result = invoke("run", "--export", str(bad))
    assert result.exit_code == 2 and "cannot read export archive" in result.stderr


def test_a_folder_that_is_no_export_exits_2(tmp_path):
    result = invoke("run", "--export", str(tmp_path))
    assert result.exit_code == 2 and "is not a GitLab project export" in result.stderr


def test_a_damaged_ndjson_line_exits_2(tmp_path):
    tree = tmp_path / "tree" / "project"
    tree.mkdir(parents=True)
    (tree / "issues.ndjson").write_text('{"iid": 1, "title": "ok"}\n{"iid": 2, "title": \n')
    result = invoke("run", "--export", str(tmp_path))
    assert result.exit_code == 2 and "issues.ndjson line 2 is not JSON" in result.stderr


def test_an_unreadable_export_exits_2(tmp_path):
    tree = tmp_path / "tree" / "project"
    tree.mkdir(parents=True)
    (tree / "issues.ndjson").mkdir()  # a folder where a file should be
    result = invoke("run", "--export", str(tmp_path))
    assert result.exit_code == 2 and "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("yaml_text", "message"),
    [
        ("labels: [unclosed\n", "line 2"),
        ("labels:\n  incidnet: [INC]\n", "unknown key 'labels.incidnet'"),
        ("post_mortem:\n  due_days: soon\n", 'post_mortem.due_days: "soon" is text, where a whole number belongs'),
        ("colour: red\n", "unknown key 'colour'"),
        ("- a list\n", "must be a mapping"),
        (
            "roles:\n  pm: {primary: alice}\npost_mortem:\n  approvers: [product_manager]\n",
            "unknown role 'product_manager'",
        ),
        ("schemas:\n  report: missing.json\n", "cannot read schema"),
    ],
)
def test_bad_config_exits_2_naming_the_key(tmp_path, yaml_text, message):
    config = tmp_path / ".inc-audit.yml"
    config.write_text(yaml_text)
    result = invoke("run", "--export", str(EXAMPLE_EXPORT), "--config", str(config))
    assert result.exit_code == 2
    assert message in result.stderr.splitlines()[0]


def test_a_missing_config_file_exits_2():
    result = invoke("run", "--export", str(EXAMPLE_EXPORT), "--config", "/nonexistent.yml")
    assert result.exit_code == 2 and "config file not found" in result.stderr


def test_a_custom_schema_with_other_headings_is_used(tmp_path):
    schema = json.loads((ROOT / "schemas" / "incident-report.schema.json").read_text())
    schema["properties"]["sections"]["properties"]["nature"]["x-headings"] = ["Mitä tapahtui?"]
    (tmp_path / "report.json").write_text(json.dumps(schema))
    (tmp_path / "c.yml").write_text("schemas:\n  report: report.json\n")
    draft = tmp_path / "draft.md"
    draft.write_text(fill(template("incident.md")).replace("What is the nature of the incident?", "Mitä tapahtui?"))
    custom = invoke("check", str(draft), "--kind", "report", "--config", str(tmp_path / "c.yml"))
    assert custom.exit_code == 0 and "read from" not in custom.output  # a heading of the custom schema
    shipped = invoke("check", str(draft), "--kind", "report")
    assert "Mitä tapahtui?" in shipped.output  # the shipped schema does not know it: read by its text, or missing


def test_an_invalid_custom_schema_exits_2(tmp_path):
    (tmp_path / "report.json").write_text('{"type": 12, "x-kind": "report"}')
    (tmp_path / "c.yml").write_text("schemas:\n  report: report.json\n")
    result = invoke("run", "--export", str(EXAMPLE_EXPORT), "--config", str(tmp_path / "c.yml"))
    assert result.exit_code == 2 and "not a valid JSON Schema" in result.stderr


def test_check_a_filled_report_passes_and_a_half_empty_one_fails(tmp_path):
    good, bad = tmp_path / "good.md", tmp_path / "bad.md"
    good.write_text(fill(template("incident.md")))
    bad.write_text(template("incident.md"))
    assert invoke("check", str(good)).exit_code == 0
    result = invoke("check", str(bad), "--kind", "report")
    assert result.exit_code == 1 and result.output.count("INC002") == 4


def test_check_reads_stdin():
    result = invoke("check", "-", "--kind", "post-mortem", input=template("Incident Port-Mortem.md"))
    assert result.exit_code == 1 and "IPM002" in result.output


def test_check_a_missing_file_exits_2():
    result = invoke("check", "nowhere.md")
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_check_never_fails_on_malformed_markdown(tmp_path):
    weird = tmp_path / "weird.md"
    weird.write_bytes(b"\xff\xfe<!-- ### \n```\n# x\n" + b"[" * 5000 + b"\n> > > > - [ ")
    result = invoke("check", str(weird), "--kind", "report")
    assert result.exit_code == 1 and "INC001" in result.output


def test_rules_lists_every_rule():
    result = invoke("rules")
    assert all(code in result.output for code in RULES)
    assert json.loads(invoke("rules", "--format", "json").output)[0]["code"] == "INC001"


def test_version():
    assert __version__ in invoke("--version").output


def test_nothing_to_audit_is_a_config_error(monkeypatch):
    for name in ("CI_SERVER_URL", "CI_PROJECT_PATH"):
        monkeypatch.delenv(name, raising=False)
    result = invoke("run")
    assert result.exit_code == 2 and "nothing to audit" in result.stderr


def test_every_command_has_help_with_an_example():
    for command in ("run", "check", "rules"):
        result = invoke(command, "--help")
        assert result.exit_code == 0 and len(result.output) > 200


def test_readme_documents_every_rule_and_the_test_command():
    readme = (ROOT / "README.md").read_text()
    assert all(code in readme for code in RULES)
    ci = (ROOT / ".ci" / "run").read_text()
    test_command = next(line for line in ci.splitlines() if "pytest" in line and "venv" in line)
    assert test_command.strip() in readme


def test_every_docs_page_the_readme_names_exists():
    readme = (ROOT / "README.md").read_text()
    named = set(re.findall(r"`(docs/[\w/.-]+\.md)`", readme))
    assert {"docs/rules.md", "docs/reference/configuration.md", "docs/versioning.md"} <= named
    assert [name for name in sorted(named) if not (ROOT / name).is_file()] == []


def test_the_first_readme_command_is_the_example_run():
    readme = (ROOT / "README.md").read_text()
    command = next(line for line in readme.splitlines() if "inc-audit run --export examples/umami-export" in line)
    assert "--as-of 2026-06-01" in command and "--config examples/.inc-audit.yml" in command


def test_every_option_the_readme_and_the_docs_name_exists():
    pages = [ROOT / "README.md", *(p for p in (ROOT / "docs").glob("*.md") if not p.name.startswith("sample-"))]
    text = "\n".join(page.read_text(encoding="utf-8") for page in pages)
    named = set(re.findall(r"`(--[a-z][a-z-]+)", text))
    known = {"--help", "--version"}
    for command in main.commands.values():
        for param in command.params:
            known.update(opt for opt in param.opts + param.secondary_opts if opt.startswith("--"))
    assert named and named <= known, sorted(named - known)
