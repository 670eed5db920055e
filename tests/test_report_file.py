"""A report written to a file appears whole or not at all (``files.write_whole``): a run that
fails while its report is made leaves the last report as it was, and nothing half-written
beside it; a link, a FIFO or a device given as ``--output`` is written as before."""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from inc_audit.cli import main
from inc_audit.cli.common import write_pieces
from inc_audit.files import write_whole
from inc_audit.formats import registry
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT


def failing(*pieces: str) -> Iterator[str]:
    yield from pieces
    raise RuntimeError("the reporter broke half-way")


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


def test_a_report_is_written_whole(tmp_path: Path) -> None:
    target = tmp_path / "reports" / "audit.json"
    write_pieces(target, iter(["{", '"a": 1', "}"]))
    assert target.read_text(encoding="utf-8") == '{"a": 1}'
    assert leftovers(target.parent) == []
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~umask  # as open() makes a new file


def test_a_report_that_fails_half_way_leaves_the_last_one_as_it_was(tmp_path: Path) -> None:
    target = tmp_path / "audit.json"
    target.write_text("the last report\n", encoding="utf-8")
    target.chmod(0o600)
    with pytest.raises(RuntimeError, match="half-way"):
        write_pieces(target, failing("{", '"incidents": ['))
    assert target.read_text(encoding="utf-8") == "the last report\n"
    assert leftovers(tmp_path) == []
    write_pieces(target, iter(["new\n"]))
    assert target.read_text(encoding="utf-8") == "new\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600  # the file keeps its permissions


def test_a_report_that_fails_before_any_was_written_leaves_no_file(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError):
        write_pieces(tmp_path / "audit.json", failing("{"))
    assert list(tmp_path.iterdir()) == []


def test_a_link_stays_a_link_and_its_target_gets_the_report(tmp_path: Path) -> None:
    target = tmp_path / "kept" / "audit.json"
    target.parent.mkdir()
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "latest.json"
    link.symlink_to(target)
    write_pieces(link, iter(["new"]))
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert target.read_text(encoding="utf-8") == "new"
    assert leftovers(target.parent) == [] and leftovers(tmp_path) == []


def test_a_fifo_is_written_piece_by_piece_and_stays_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    read: list[str] = []
    reader = threading.Thread(target=lambda: read.append(fifo.read_text(encoding="utf-8")))
    reader.start()
    write_whole(fifo, iter(["one ", "two"]))
    reader.join(timeout=10)
    assert read == ["one two"]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)


def test_a_device_is_written_to_not_replaced() -> None:
    write_pieces(Path(os.devnull), iter(["a report nobody keeps"]))
    assert stat.S_ISCHR(os.stat(os.devnull).st_mode)


def test_a_run_whose_report_breaks_exits_4_and_keeps_the_last_report(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "audit.json"
    arguments = ["run", "--export", str(EXAMPLE_EXPORT), "--config", str(EXAMPLE_CONFIG),
                 "--as-of", "2026-06-01T00:00:00Z", "--format", "json", "--output", str(target)]
    assert CliRunner().invoke(main, arguments).exit_code == 1
    last = target.read_text(encoding="utf-8")
    streamed = registry.STREAMED["json"]

    def broken(*args: object, **kwargs: object) -> Iterator[str]:
        pieces = streamed(*args, **kwargs)
        yield next(pieces)
        raise RuntimeError("a bug in the JSON reporter")

    monkeypatch.setitem(registry.STREAMED, "json", broken)
    crashed = CliRunner().invoke(main, arguments)
    assert crashed.exit_code == 4  # a crash, never the exit of a verdict
    assert target.read_text(encoding="utf-8") == last
    assert leftovers(tmp_path) == []
