"""Generated hostile input: exports and configs that are wrong in every way still end in a verdict
or one line and exit 2, never "internal error" or a traceback; the real `inc-audit` process too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inc_audit.cli import main
from tests.test_export_input import MEMBER, incident, write_export

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)
FIELDS = [
    "iid",
    "title",
    "description",
    "state",
    "author_id",
    "created_at",
    "updated_at",
    "closed_at",
    "label_links",
    "work_item_type",
    "issue_type",
    "notes",
    "resource_state_events",
    "confidential",
]
NOTE_FIELDS = ["id", "note", "author_id", "author", "created_at", "updated_at", "system", "award_emoji"]
surrogates = st.text(alphabet=st.sampled_from(["\ud83d", "\udc4d", "\ud800", "a", " ", "#", "\n", "é"]), max_size=20)
timestamps = st.one_of(
    st.text(max_size=30),
    st.datetimes().map(lambda moment: moment.isoformat()),
    st.sampled_from(["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00", "2026-02-30T00:00:00Z", "", " UTC"]),
)


def audit_lines(lines: list[Any] | bytes, *more: str):
    with tempfile.TemporaryDirectory() as folder:
        export = write_export(Path(folder), lines, [MEMBER])
        return CliRunner().invoke(main, ["run", "--export", str(export), "--as-of", "2026-06-01", *more])


def assert_verdict_or_one_line(result, where: str = "issues.ndjson line") -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    assert result.exit_code in (0, 1, 2), result.stderr
    if result.exit_code == 2:
        errors = [line for line in result.stderr.splitlines() if line.startswith("inc-audit: error:")]
        assert len(errors) == 1 and where in errors[0], result.stderr


@SETTINGS
@given(field=st.sampled_from(FIELDS), value=json_values)
def test_an_issue_field_of_any_type_gives_a_verdict_or_one_line(field, value):
    assert_verdict_or_one_line(audit_lines([incident(**{field: value})]))


@SETTINGS
@given(field=st.sampled_from(NOTE_FIELDS), value=json_values)
def test_a_note_field_of_any_type_gives_a_verdict_or_one_line(field, value):
    raw_note = {**incident()["notes"][0], field: value}
    assert_verdict_or_one_line(audit_lines([incident(notes=[raw_note])]))


@SETTINGS
@given(award=json_values)
def test_an_award_emoji_of_any_shape_gives_a_verdict_or_one_line(award):
    raw_note = {**incident()["notes"][0], "award_emoji": [award]}
    assert_verdict_or_one_line(audit_lines([incident(notes=[raw_note])]))


@SETTINGS
@given(line=json_values)
def test_a_line_of_any_json_gives_a_verdict_or_one_line(line):
    assert_verdict_or_one_line(audit_lines([incident(iid=1), line]))


@SETTINGS
@given(field=st.sampled_from(["created_at", "updated_at", "closed_at"]), value=timestamps)
def test_any_timestamp_text_gives_a_verdict_or_names_the_field(field, value):
    result = audit_lines([incident(**{field: value})])
    assert_verdict_or_one_line(result)
    if result.exit_code == 2:
        assert f"issue #7: {field}" in result.stderr


@SETTINGS
@given(title=surrogates, description=surrogates, body=surrogates, fmt=st.sampled_from(["text", "json", "markdown"]))
def test_lone_surrogates_anywhere_are_repaired_and_the_audit_goes_on(title, description, body, fmt):
    raw_note = {**incident()["notes"][0], "note": body}
    result = audit_lines([incident(title=title, description=description, notes=[raw_note])], "--format", fmt)
    assert result.exit_code in (0, 1), result.stderr
    result.stdout.encode("utf-8")  # would raise on a lone surrogate


@SETTINGS
@given(title=st.text(st.characters(blacklist_categories=("Cs",)), max_size=40), body=st.text(max_size=40))
def test_any_text_written_raw_as_gitlab_writes_it_comes_back_unchanged(title, body):
    raw_note = {**incident()["notes"][0], "note": body}
    line = json.dumps(incident(title=title, notes=[raw_note]), ensure_ascii=False)
    result = audit_lines((line + "\n").encode("utf-8", errors="surrogatepass"), "--format", "json")
    assert result.exit_code in (0, 1), result.stderr
    assert json.loads(result.stdout)["incidents"][0]["title"] == title


@SETTINGS
@given(data=st.binary(max_size=200))
def test_any_bytes_in_the_issues_file_give_a_verdict_or_one_line(data):
    assert_verdict_or_one_line(audit_lines(data), where="issues.ndjson")


@SETTINGS
@given(document=json_values)
def test_any_yaml_document_as_config_gives_a_verdict_or_one_line(document):
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "c.yml"
        config.write_text(json.dumps(document), encoding="utf-8")  # JSON is YAML
        export = write_export(Path(folder) / "e", [incident()], [MEMBER])
        result = CliRunner().invoke(main, ["run", "--export", str(export), "--config", str(config)])
    assert_verdict_or_one_line(result, where=str(config))


yaml_texts = st.text(
    alphabet=st.sampled_from(list("abz019 :-[]{}&*!|>'\"#%@`,?\n\t") + ["\ud83d", "é", "\x00", "\ufeff"]), max_size=80
)


@SETTINGS
@given(text=yaml_texts)
def test_any_text_as_config_gives_a_verdict_or_one_line(text):
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder) / "c.yml"
        config.write_bytes(text.encode("utf-8", errors="surrogatepass"))
        export = write_export(Path(folder) / "e", [incident()], [MEMBER])
        result = CliRunner().invoke(main, ["run", "--export", str(export), "--config", str(config)])
    assert_verdict_or_one_line(result, where=str(config))


# --- the real process ------------------------------------------------------------------


def real(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).parent / "inc-audit"  # the installed command, as a user runs it
    command = [str(script), *args] if script.exists() else [sys.executable, "-m", "inc_audit", *args]
    return subprocess.run(command, capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=120)


def one_error_line(process: subprocess.CompletedProcess[str]) -> str:
    assert process.returncode == 2, process.stderr
    assert "Traceback" not in process.stderr and "internal error" not in process.stderr
    errors = [line for line in process.stderr.splitlines() if line.startswith("inc-audit: error:")]
    assert len(errors) == 1, process.stderr
    return errors[0]


def test_the_real_process_refuses_a_bad_field_in_an_export(tmp_path):
    export = write_export(tmp_path, [incident(notes=["not a note"])], [MEMBER])
    line = one_error_line(real("run", "--export", str(export)))
    assert "issues.ndjson line 1 issue #7: notes[0] is not an object" in line


def test_the_real_process_refuses_a_bad_config(tmp_path):
    config = tmp_path / "c.yml"
    config.write_text("rules:\n  ignore: [NOPE1]\n")
    line = one_error_line(
        real("run", "--export", str(write_export(tmp_path / "e", [incident()])), "--config", str(config))
    )
    assert "rules.ignore[0]" in line


def test_the_real_process_refuses_a_secret_in_the_gitlab_url_without_printing_it():
    process = real("run", "--project", "a/b", "--gitlab-url", "https://bot:glpat-s3cr3t@gitlab.example.com")
    assert "--gitlab-url" in one_error_line(process)
    assert "s3cr3t" not in process.stdout + process.stderr


def test_the_real_process_refuses_nan_timeouts():
    assert "--timeout" in one_error_line(real("run", "--timeout", "nan"))
    assert "--retry-budget" in one_error_line(real("run", "--retry-budget", "-1"))


def test_the_real_process_writes_repaired_text_in_every_format(tmp_path):
    export = write_export(tmp_path / "e", [incident(title="Down \ud83d now")], [MEMBER])
    formats = ("json", "markdown", "junit", "codequality", "text")
    reports = [f"--report={name}={tmp_path / name}" for name in formats]
    process = real("run", "--export", str(export), "--as-of", "2026-06-01", *reports)
    assert process.returncode in (0, 1), process.stderr
    for name in formats:
        assert (tmp_path / name).read_text(encoding="utf-8").strip()
