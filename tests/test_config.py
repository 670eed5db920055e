"""Mistakes in the configuration and the options are refused at the door: exit 2 and one line."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from inc_audit.cli import main
from inc_audit.config import emoji as emoji_names
from inc_audit.config import file as config_module
from inc_audit.errors import ConfigError
from inc_audit.rules import RULES, Rule
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT

EXPORT = ["--export", str(EXAMPLE_EXPORT)]
ROLES = "roles:\n  product_manager: {primary: alice, backups: [bob]}\n"


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def refused(result) -> str:
    """The one error line of a refused run; fails unless it is exit 2, one line, no traceback."""
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("inc-audit: error:")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.output and "internal error" not in result.stderr
    return errors[0]


def run_with(tmp_path, yaml_text: str | bytes, *more: str):
    path = tmp_path / ".inc-audit.yml"
    if isinstance(yaml_text, bytes):
        path.write_bytes(yaml_text)
    else:
        path.write_text(yaml_text, encoding="utf-8")
    return invoke("run", *EXPORT, "--config", str(path), "--as-of", "2026-06-01", *more), path


# --- rules.ignore ----------------------------------------------------------------------


def test_an_unknown_rule_code_in_rules_ignore_is_refused_naming_file_and_key(tmp_path):
    result, path = run_with(tmp_path, "rules:\n  ignore: [INC003, XYZ001]\n")
    line = refused(result)
    assert str(path) in line and "rules.ignore[1]" in line and "'XYZ001'" in line and "INC001" in line


def test_a_code_prefix_in_rules_ignore_is_accepted(tmp_path):
    result, _ = run_with(tmp_path, ROLES + "rules:\n  ignore: [IPM]\n", "--format", "json")
    assert result.exit_code in (0, 1)
    assert '"IPM00' not in result.stdout


def test_rules_ignore_is_checked_against_the_registry_at_run_time(tmp_path, monkeypatch):
    path = tmp_path / "c.yml"
    path.write_text("rules:\n  ignore: [ZZZ001]\n")
    with pytest.raises(ConfigError):
        config_module.load(path)
    monkeypatch.setitem(RULES, "ZZZ001", Rule("ZZZ001", "warning", "a rule another module registered", None))
    assert config_module.load(path).ignore == ("ZZZ001",)


# --- roles and approvers ---------------------------------------------------------------


def test_an_approver_role_that_is_not_defined_is_refused(tmp_path):
    result, path = run_with(tmp_path, ROLES + "post_mortem:\n  approvers: [product_manager, cto]\n")
    line = refused(result)
    assert str(path) in line and "post_mortem.approvers" in line and "'cto'" in line and "product_manager" in line


def test_approvers_named_with_no_roles_at_all_are_refused(tmp_path):
    line = refused(run_with(tmp_path, "post_mortem:\n  approvers: [product_manager]\n")[0])
    assert "unknown role 'product_manager'" in line and "defined: none" in line


def test_roles_without_the_default_approver_role_say_it_is_the_default(tmp_path):
    line = refused(run_with(tmp_path, "roles:\n  pm: {primary: alice}\n")[0])
    assert "post_mortem.approvers (by default [product_manager]) names unknown role 'product_manager'" in line


def test_an_empty_approvers_list_is_refused(tmp_path):
    line = refused(run_with(tmp_path, ROLES + "post_mortem:\n  approvers: []\n")[0])
    assert "post_mortem.approvers is empty" in line


def test_with_no_roles_stderr_says_once_that_anyone_but_the_author_may_approve():
    result = invoke("run", *EXPORT, "--as-of", "2026-06-01")
    assert result.exit_code in (0, 1)
    assert result.stderr.count("anyone but its author may approve") == 1


def test_with_roles_nothing_is_said_about_open_approval():
    result = invoke("run", *EXPORT, "--config", str(EXAMPLE_CONFIG), "--as-of", "2026-06-01")
    assert "anyone but its author" not in result.stderr


# --- approval emoji --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "name"),
    [
        ("thumbsup", "thumbsup"),
        ("+1", "thumbsup"),
        ("👍", "thumbsup"),
        (":white_check_mark:", "white_check_mark"),
        ("✅", "white_check_mark"),
        ("-1", "thumbsdown"),
        ("Thumbsup", "thumbsup"),
        ("✔️", "heavy_check_mark"),
    ],
)
def test_an_approval_emoji_maps_to_gitlab_s_name(given, name):
    assert emoji_names.gitlab_name(given) == name


def test_an_emoji_configured_by_alias_or_character_matches_awards_under_either_name(tmp_path):
    path = tmp_path / "c.yml"
    path.write_text('post_mortem:\n  approval_emoji: ["👍", "+1"]\n', encoding="utf-8")
    names = config_module.load(path).approval_emoji
    assert {"thumbsup", "+1"} <= set(names) and len(names) == len(set(names))


def test_an_approval_emoji_that_is_not_a_gitlab_name_is_refused_naming_the_name_to_use(tmp_path):
    line = refused(run_with(tmp_path, "post_mortem:\n  approval_emoji: [thumbs_upp]\n")[0])
    assert "post_mortem.approval_emoji[0]" in line and "'thumbs_upp'" in line and "thumbsup" in line


def test_a_character_gitlab_has_no_name_for_is_refused(tmp_path):
    line = refused(run_with(tmp_path, 'post_mortem:\n  approval_emoji: ["ok!"]\n')[0])
    assert "is not a GitLab emoji name" in line


# --- the file itself -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("labels: [unclosed\n", "line 2"),
        ("just words\n", "must be a mapping"),
        (b"labels:\n  incident: [\xff\xfe]\n", "line 2: not UTF-8"),
        ("a: " + "[" * 3000 + "]" * 3000 + "\n", "nested too deep"),
        (
            "a: &a [1]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
            "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
            "f: [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n",
            "nested or repeated too much",
        ),
        ("1: x\n", "key 1 under the top level is not text"),
        ("post_mortem:\n  due_days: " + "9" * 5000 + "\n", "a value cannot be read"),
        ("labels:\n  incident: [2026-02-30]\n", "a value cannot be read"),
        ("post_mortem:\n  due_days: 100000000\n", "post_mortem.due_days: 100000000 is more than 3650"),
        ("post_mortem:\n  due_days: [1, 2]\n", "post_mortem.due_days: a list, where a whole number belongs"),
    ],
)
def test_a_config_file_that_is_not_a_configuration_is_refused(tmp_path, content, expected):
    result, path = run_with(tmp_path, content)
    line = refused(result)
    assert expected in line and str(path) in line


def test_a_config_that_is_a_directory_is_refused(tmp_path):
    assert "is a directory" in refused(invoke("run", *EXPORT, "--config", str(tmp_path)))


def test_an_unreadable_config_is_refused(tmp_path, monkeypatch):
    path = tmp_path / "c.yml"
    path.write_text("{}\n")
    real = type(path).read_bytes

    def deny(self):
        if self == path:
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(type(path), "read_bytes", deny)
    assert "cannot read config" in refused(invoke("run", *EXPORT, "--config", str(path)))


def test_a_gitlab_url_with_a_secret_in_the_config_is_refused_without_printing_it(tmp_path):
    result, _ = run_with(tmp_path, "gitlab:\n  url: https://bot:glpat-s3cr3t@gitlab.example.com\n")
    line = refused(result)
    assert "gitlab.url" in line and "glpat-s3cr3t" not in result.output + result.stderr


# --- options ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--timeout", "nan"], "--timeout"),
        (["--timeout", "-1"], "--timeout"),
        (["--timeout", "0"], "--timeout"),
        (["--retry-budget", "nan"], "--retry-budget"),
        (["--retry-budget", "-5"], "--retry-budget"),
        (["--retry-budget", "inf"], "--retry-budget"),
        (["--concurrency", "0"], "--concurrency"),
        (["--max-rps", "-1"], "--max-rps"),
        (["--max-rps", "nan"], "--max-rps"),
        (["--shard", "0/0"], "--shard"),
        (["--shard", "3/2"], "--shard"),
        (["--as-of", "next tuesday"], "is not an ISO 8601 timestamp"),
        (["--as-of", "9999-12-31T23:59:59-05:00"], "out of range"),
        (["--as-of", "1900-01-01"], "out of range"),
        (["--gitlab-url", "gitlab.example.com"], "--gitlab-url"),
        (["--gitlab-url", "https://gitlab.example.com:99999"], "--gitlab-url"),
        (["--gitlab-url", "ftp://gitlab.example.com"], "--gitlab-url"),
        (["--report", "foo="], "is not FORMAT=PATH"),
        (["--report", "json="], "is not FORMAT=PATH"),
    ],
)
def test_a_bad_option_is_refused_in_one_line(args, expected):
    assert expected in refused(invoke("run", *EXPORT, *args))


@pytest.mark.parametrize(
    "url",
    [
        "https://bot:glpat-s3cr3t@gitlab.example.com",
        "https://gitlab.example.com/?private_token=glpat-s3cr3t",
        "https://gitlab.example.com/#glpat-s3cr3t",
    ],
)
def test_a_gitlab_url_with_a_secret_is_refused_before_anything_else_and_not_printed(tmp_path, url):
    result = invoke("run", "--gitlab-url", url, "--project", "a/b", "--config", str(tmp_path / "missing.yml"))
    line = refused(result)
    assert "--gitlab-url" in line and "config" not in line
    assert "s3cr3t" not in result.output + result.stderr


def test_a_secret_in_ci_server_url_is_refused_too(tmp_path, monkeypatch):
    monkeypatch.setenv("CI_SERVER_URL", "https://bot:glpat-s3cr3t@gitlab.example.com")
    result = invoke("run", "--project", "a/b")
    assert "$CI_SERVER_URL" in refused(result) and "s3cr3t" not in result.stderr


def test_output_into_a_missing_folder_or_a_directory_is_refused_before_the_audit(tmp_path):
    assert "does not exist" in refused(invoke("run", *EXPORT, "--output", str(tmp_path / "no" / "x.txt")))
    assert "is a directory" in refused(invoke("run", *EXPORT, "--output", str(tmp_path)))
    assert "is a directory" in refused(invoke("run", *EXPORT, "--report", f"json={tmp_path}"))
    assert "does not exist" in refused(invoke("run", *EXPORT, "--report", f"junit={tmp_path / 'no' / 'x.xml'}"))
    assert list(tmp_path.iterdir()) == []


def test_the_check_command_checks_its_options_too(tmp_path):
    draft = tmp_path / "d.md"
    draft.write_text("# x\n")
    assert "--as-of" in refused(invoke("check", str(draft), "--as-of", "99999"))
    assert "--gitlab-url" in refused(invoke("check", "a/b#1", "--gitlab-url", "https://u:p@h.example"))


def test_merge_checks_its_timeout(tmp_path):
    report = tmp_path / "r.json"
    report.write_text("{}")
    assert "--timeout" in refused(invoke("merge", str(report), "--timeout", "nan"))


def test_a_usage_error_is_one_line_too():
    line = refused(invoke("run", "--fail-on", "sometimes"))
    assert "--fail-on" in line
