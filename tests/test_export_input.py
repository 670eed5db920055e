"""Bad data in an export is refused naming file, line, issue and field; damaged text is repaired."""

from __future__ import annotations

import io
import json
import shutil
import tarfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from inc_audit.cli import main
from inc_audit.sources.export import archive as export_archive
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT, filled_post_mortem

ISSUES = "tree/project/issues.ndjson"
MEMBERS = "tree/project/project_members.ndjson"
MEMBER = {"user_id": 101, "user": {"username": "alice"}}


def incident(**changes: Any) -> dict[str, Any]:
    """A closed incident as GitLab exports it, with one comment."""
    record: dict[str, Any] = {
        "iid": 7,
        "title": "Wallet balances stale",
        "description": "## What is the nature of the incident?\nThe indexer stopped.",
        "state": "closed",
        "author_id": 101,
        "created_at": "2026-01-01T10:00:00.000Z",
        "updated_at": "2026-01-02T10:00:00.000Z",
        "closed_at": "2026-01-02T10:00:00.000Z",
        "issue_type": "incident",
        "label_links": [{"label": {"title": "INC"}}],
        "notes": [
            {
                "id": 500,
                "note": "Fixed by restarting the indexer.",
                "author_id": 101,
                "created_at": "2026-01-02T09:00:00.000Z",
                "award_emoji": [{"name": "thumbsup", "user_id": 101, "created_at": "2026-01-02T09:30:00.000Z"}],
            }
        ],
    }
    record.update(changes)
    return record


def write_export(root: Path, lines: list[Any] | bytes, members: list[Any] | None = None) -> Path:
    tree = root / "tree" / "project"
    tree.mkdir(parents=True, exist_ok=True)
    data = lines if isinstance(lines, bytes) else "".join(json.dumps(line) + "\n" for line in lines).encode()
    (tree / "issues.ndjson").write_bytes(data)
    if members is not None:
        (tree / "project_members.ndjson").write_text("".join(json.dumps(m) + "\n" for m in members))
    return root


def invoke(*args: str):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def audit(export: Path, *more: str):
    return invoke("run", "--export", str(export), "--as-of", "2026-06-01", *more)


def refused(result) -> str:
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("inc-audit: error:")]
    assert len(errors) == 1, result.stderr
    assert "Traceback" not in result.output and "internal error" not in result.stderr
    return errors[0]


def note(**changes: Any) -> dict[str, Any]:
    return {**incident()["notes"][0], **changes}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"created_at": "last tuesday"}, "created_at 'last tuesday' is not an ISO 8601 timestamp"),
        ({"closed_at": "2026-13-45T10:00:00Z"}, "closed_at"),
        ({"closed_at": "9999-12-31T23:59:59-05:00"}, "closed_at '9999-12-31T23:59:59-05:00' is out of range"),
        ({"updated_at": "0001-01-01T00:00:00+01:00"}, "updated_at"),
        ({"created_at": 1767261600}, "created_at is not a timestamp but a number"),
        ({"notes": ["Fixed."]}, "notes[0] is not an object but text"),
        ({"notes": {"id": 1}}, "notes is not a list but an object"),
        ({"notes": [note(award_emoji=["thumbsup"])]}, "notes[0].award_emoji[0] is not an object"),
        ({"notes": [note(award_emoji=[{"name": 1, "user_id": 101}])]}, "notes[0].award_emoji[0].name is not text"),
        ({"notes": [note(award_emoji=[{"name": "thumbsup", "user_id": "bob"}])]}, "notes[0].award_emoji[0].user_id"),
        ({"notes": [note(id="five hundred")]}, "notes[0].id is not a number but text"),
        ({"notes": [note(created_at="soon")]}, "notes[0].created_at 'soon'"),
        ({"notes": [note(note=["a", "b"])]}, "notes[0].note is not text but a list"),
        ({"notes": [note(author_id={"id": 1})]}, "notes[0].author_id is not a number"),
        ({"label_links": "INC"}, "label_links is not a list but text"),
        ({"label_links": [["INC"]]}, "label_links[0] is not an object but a list"),
        ({"label_links": [{"label": "INC"}]}, "label_links[0].label is not an object"),
        ({"label_links": [{"label": {"title": 3}}]}, "label_links[0].label.title is not text"),
        ({"work_item_type": "Incident"}, "work_item_type is not an object but text"),
        ({"work_item_type": {"base_type": ["incident"]}}, "work_item_type.base_type is not text"),
        ({"issue_type": 2}, "issue_type is not text but a number"),
        ({"title": {"en": "x"}}, "title is not text but an object"),
        ({"confidential": "false"}, "confidential is not true or false but text"),
        ({"notes": [note(system="false")]}, "notes[0].system is not true or false but text"),
        ({"resource_state_events": [7], "closed_at": None}, "resource_state_events[0] is not an object"),
    ],
)
def test_a_field_of_the_wrong_type_is_refused_naming_file_line_issue_and_field(tmp_path, changes, field):
    export = write_export(tmp_path, [incident(iid=1), incident(**changes)], [MEMBER])
    line = refused(audit(export))
    assert f"{tmp_path}: {ISSUES} line 2 issue #7: {field}" in line


@pytest.mark.parametrize(
    ("iid", "problem"),
    [
        ("seven", "is not a number but text"),
        (True, "is not a number but true/false"),
        (7.5, "is not a number"),
        (None, "is not a number but null"),
        (-3, "is -3, not a positive 64-bit number"),
        (2**70, "is 1180591620717411303424, not a positive"),
    ],
)
def test_an_iid_that_is_not_a_number_is_refused(tmp_path, iid, problem):
    line = refused(audit(write_export(tmp_path, [incident(iid=iid)], [MEMBER])))
    assert f"{ISSUES} line 1: iid {problem}" in line


def test_a_number_of_thousands_of_digits_is_refused(tmp_path):
    line = json.dumps(incident()).replace('"iid": 7', '"iid": ' + "9" * 5000)
    export = write_export(tmp_path, (line + "\n").encode(), [MEMBER])
    assert f"{ISSUES} line 1 holds a number too long to read" in refused(audit(export))


def test_a_member_of_the_wrong_shape_is_refused(tmp_path):
    export = write_export(tmp_path, [incident()], [MEMBER, {"user_id": 102, "user": "bob"}])
    assert "project_members.ndjson line 2: user is not an object but text" in refused(audit(export))


def test_an_iid_written_as_digits_is_read(tmp_path):
    result = audit(write_export(tmp_path, [incident(iid="7")], [MEMBER]), "--format", "json")
    assert json.loads(result.stdout)["incidents"][0]["iid"] == 7


def test_line_and_paragraph_separators_inside_text_are_text_not_line_ends(tmp_path):
    record = json.dumps(incident(title="Down\u2028again\x0bnow\u0085"), ensure_ascii=False)
    export = write_export(tmp_path, (record + "\r\n").encode(), [MEMBER])
    result = audit(export, "--format", "json")
    assert json.loads(result.stdout)["incidents"][0]["title"] == "Down\u2028again\x0bnow\u0085"


def test_a_line_that_is_not_an_object_is_refused(tmp_path):
    export = write_export(tmp_path, b'{"iid": 1, "title": "x"}\n[1, 2]\n', [MEMBER])
    assert f"{ISSUES} line 2 is not a JSON object but a list" in refused(audit(export))


def test_invalid_utf8_is_refused_naming_the_line(tmp_path):
    good = json.dumps(incident(iid=1)).encode()
    export = write_export(tmp_path, good + b"\n" + good + b"\n" + b'{"iid": 3, "title": "caf\xe9"}\n', [MEMBER])
    assert f"{ISSUES} line 3: invalid UTF-8" in refused(audit(export))


def test_a_utf16_export_with_its_byte_order_mark_is_read(tmp_path):
    text = json.dumps(incident(title="Caf\u00e9 down")) + "\n"
    export = write_export(tmp_path, text.encode("utf-16"), [MEMBER])
    result = audit(export, "--format", "json")
    assert json.loads(result.stdout)["incidents"][0]["title"] == "Caf\u00e9 down"


def test_invalid_utf16_is_refused_naming_the_line(tmp_path):
    lines = (json.dumps(incident(iid=1)) + "\n" + json.dumps(incident(iid=2)) + "\n").encode("utf-16-le")
    broken = b"\xff\xfe" + lines + b"\x00\xd8\x41\x00"  # a high surrogate followed by 'A'
    assert f"{ISSUES} line 3: invalid UTF-16" in refused(audit(write_export(tmp_path, broken, [MEMBER])))


FORMATS = ("text", "json", "markdown", "junit", "codequality")


def test_lone_surrogates_are_repaired_and_every_format_is_written(tmp_path):
    broken = "\ud83d"
    record = incident(
        title=f"Wallet {broken} down",
        description=f"## What is the nature of the incident?\n{broken} stale",
        notes=[note(note=f"see https://status.example.com/{broken}")],
    )
    export = write_export(tmp_path / "export", [record], [MEMBER])
    reports = [f"--report={name}={tmp_path / ('out.' + name)}" for name in FORMATS]
    result = audit(export, "--format", "json", *reports)
    assert result.exit_code in (0, 1), result.stderr
    assert json.loads(result.stdout)["incidents"][0]["title"] == "Wallet \ufffd down"
    for name in FORMATS:
        written = (tmp_path / f"out.{name}").read_text(encoding="utf-8")
        assert "\ud83d" not in written and written.strip()
    assert "Wallet \ufffd down" in (tmp_path / "out.text").read_text(encoding="utf-8")


def test_a_lone_surrogate_in_the_project_path_and_the_config_is_repaired(tmp_path):
    export = write_export(tmp_path / "export", [incident()], [MEMBER])
    (export / "tree" / "project.json").write_text(json.dumps({"path_with_namespace": "team/wallet\ud83d"}))
    config = tmp_path / "c.yml"
    config.write_text('gitlab:\n  url: https://gitlab.example.com\naudit_issue:\n  title: "Audit \\ud83d"\n')
    result = audit(export, "--config", str(config), "--format", "markdown")
    assert result.exit_code in (0, 1), result.stderr
    assert "https://gitlab.example.com/team/wallet\ufffd/-/issues/7" in result.stdout


def test_an_export_without_members_says_so_and_reports_no_false_approval_violation(tmp_path):
    export = tmp_path / "export"
    shutil.copytree(EXAMPLE_EXPORT, export)
    (export / MEMBERS).unlink()
    result = audit(export, "--config", str(EXAMPLE_CONFIG), "--format", "json")
    assert result.exit_code in (0, 1)
    assert "project_members.ndjson" in result.stderr and "IPM003" in result.stderr
    assert "IPM003" not in json.loads(result.stdout)["summary"]["by_rule"]
    with_members = audit(EXAMPLE_EXPORT, "--config", str(EXAMPLE_CONFIG), "--format", "json")
    assert "IPM003" in json.loads(with_members.stdout)["summary"]["by_rule"]


@pytest.mark.parametrize(("approver", "approved"), [(102, True), (101, False)])
def test_an_export_without_members_is_judged_by_user_id_when_no_roles_are_set(tmp_path, approver, approved):
    post_mortem = note(id=501, note=filled_post_mortem(), created_at="2026-01-03T10:00:00Z", award_emoji=[])
    approval = note(id=502, note="Approved.", author_id=approver, created_at="2026-01-04T10:00:00Z", award_emoji=[])
    result = audit(write_export(tmp_path, [incident(notes=[post_mortem, approval])]), "--format", "json")
    assert "project_members.ndjson" in result.stderr and "user-<id>" in result.stderr
    by_rule = json.loads(result.stdout)["summary"]["by_rule"]
    assert ("IPM003" in by_rule) is not approved


def test_an_export_with_no_issues_says_so(tmp_path):
    result = audit(write_export(tmp_path, b"", [MEMBER]))
    assert "holds no issues" in result.stderr and result.exit_code == 0


# --- packed exports --------------------------------------------------------------------


def pack(target: Path, members: list[tuple[tarfile.TarInfo, bytes | None]], mode: str = "w:gz") -> Path:
    with tarfile.open(target, mode) as archive:
        for info, data in members:
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return target


def file_member(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    return info, data


ISSUE_LINE = (json.dumps(incident()) + "\n").encode()


def test_a_packed_export_is_read_without_extracting_anything(tmp_path):
    archive = pack(tmp_path / "e.tar.gz", [file_member(f"./{ISSUES}", ISSUE_LINE)])
    result = audit(archive, "--format", "json")
    assert json.loads(result.stdout)["summary"]["incidents"] == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.tar.gz"]


def test_a_truncated_archive_is_refused(tmp_path):
    whole = pack(tmp_path / "whole.tar.gz", [file_member(ISSUES, ISSUE_LINE * 200)])
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    assert "cannot read export archive" in refused(audit(cut))


def test_a_corrupt_archive_is_refused(tmp_path):
    whole = pack(tmp_path / "whole.tar.gz", [file_member(ISSUES, ISSUE_LINE * 50)]).read_bytes()
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(whole[:30] + bytes(b ^ 0x5A for b in whole[30:80]) + whole[80:])
    assert "cannot read export archive" in refused(audit(bad))


@pytest.mark.parametrize("name", ["../x", "tree/../../x", "/etc/x", "../tree/project/issues.ndjson"])
def test_a_member_outside_the_archive_folder_is_refused(tmp_path, name):
    archive = pack(tmp_path / "e.tar.gz", [file_member(ISSUES, ISSUE_LINE), file_member(name, b"x")])
    assert "outside the archive's folder" in refused(audit(archive))
    assert not (tmp_path.parent / "x").exists()


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE])
def test_a_link_in_the_archive_is_refused(tmp_path, kind):
    link = tarfile.TarInfo(ISSUES)
    link.type = kind
    link.linkname = "/etc/passwd"
    assert "is a link or a device" in refused(audit(pack(tmp_path / "e.tar.gz", [(link, None)])))


def test_a_compression_bomb_is_refused_before_it_is_unpacked(tmp_path, monkeypatch):
    monkeypatch.setattr(export_archive, "BOMB_FLOOR", 1024 * 1024)
    zeros = b"\0" * (8 * 1024 * 1024)
    archive = pack(tmp_path / "bomb.tar.gz", [file_member(ISSUES, ISSUE_LINE), file_member("tree/big", zeros)])
    assert archive.stat().st_size < 100_000
    assert "unpacks to more than" in refused(audit(archive))


def test_an_ordinary_archive_is_not_taken_for_a_bomb(tmp_path, monkeypatch):
    monkeypatch.setattr(export_archive, "BOMB_FLOOR", 1024 * 1024)
    archive = pack(tmp_path / "e.tar.gz", [file_member(ISSUES, ISSUE_LINE)])
    assert audit(archive).exit_code in (0, 1)


def test_a_file_that_is_not_an_archive_is_refused(tmp_path):
    plain = tmp_path / "issues.ndjson"
    plain.write_bytes(ISSUE_LINE)
    assert "cannot read export archive" in refused(audit(plain))
