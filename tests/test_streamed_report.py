"""The JSON report is written piece by piece (``formats.registry.STREAMED``): the pieces join to
the text ``REPORTERS`` gives, byte for byte, and what is written is redacted like any report."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timezone

from click.testing import CliRunner

from inc_audit.audit import run_audit
from inc_audit.cli import main
from inc_audit.cli.common import write_pieces
from inc_audit.config import file as config_module
from inc_audit.formats.registry import REPORTERS, STREAMED, Options
from inc_audit.sources.export.source import ExportSource
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT

AS_OF = datetime(2026, 6, 1, tzinfo=timezone.utc)


def example_result():
    config = config_module.load(EXAMPLE_CONFIG)
    source = ExportSource(EXAMPLE_EXPORT, project=config.gitlab_project, web_base="")
    return run_audit(source, config, AS_OF)


def awkward(result):
    """The example's audit with titles a report must escape or repair: a right-to-left
    override, a C1 control, a lone surrogate, text beyond ASCII."""
    first, second, *rest = result.incidents
    titled = (
        replace(first, title="Wallet \u202edown\u202c \x85 caf\u00e9 \ud83d"),
        replace(second, title="Sign-in \u2028 \u00fcber \u6f22\u5b57"),
    )
    return replace(result, incidents=(*titled, *rest))


def test_the_json_pieces_join_to_the_json_report_byte_for_byte():
    result = awkward(example_result())
    assert len(result.incidents) > 2 and any(i.findings for i in result.incidents)
    for options in (Options(), Options(show_confidential=False)):
        pieces = list(STREAMED["json"](result, options))
        assert len(pieces) == len(result.incidents) + 2  # the head, each incident, the end
        assert "".join(pieces) == REPORTERS["json"](result, options)
    text = REPORTERS["json"](result, Options())
    assert "\\u202e" in text and "\\u0085" in text and "\ufffd" in text and "\u6f22" in text


def test_an_audit_of_no_incident_is_one_piece():
    result = replace(example_result(), incidents=())
    pieces = list(STREAMED["json"](result, Options()))
    assert pieces == [REPORTERS["json"](result, Options())]


def test_each_written_piece_is_redacted(tmp_path, monkeypatch):
    secret = "glpat-Streamed0Secret0Value"
    monkeypatch.setenv("GITLAB_TOKEN", secret)
    result = example_result()
    first, *rest = result.incidents
    result = replace(result, incidents=(replace(first, title=f"leaked {secret} here"), *rest))
    target = tmp_path / "out" / "audit.json"
    write_pieces(target, STREAMED["json"](result, Options()))
    written = target.read_text(encoding="utf-8")
    assert secret not in written and "leaked [redacted] here" in written
    assert written == REPORTERS["json"](result, Options()).replace(secret, "[redacted]")


def test_the_json_report_written_to_a_file_is_the_one_printed(tmp_path):
    arguments = ["run", "--export", str(EXAMPLE_EXPORT), "--config", str(EXAMPLE_CONFIG),
                 "--as-of", "2026-06-01T00:00:00Z", "--format", "json"]
    printed = CliRunner().invoke(main, arguments, catch_exceptions=False)
    written = CliRunner().invoke(main, [*arguments, "--output", str(tmp_path / "audit.json")],
                                 catch_exceptions=False)
    assert printed.exit_code == written.exit_code == 1
    assert printed.stdout == (tmp_path / "audit.json").read_text(encoding="utf-8")
    assert printed.stdout.startswith("{\n") and printed.stdout.endswith("\n  ]\n}\n")
