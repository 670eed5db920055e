"""The HTML report in a real headless browser (Debian's Chromium, which .ci/run installs):
it renders with no console message at all (the page has no script, so any message is a
fault: an error, a blocked or missing resource), and its charts, read back from the DOM
the browser built, hold the figures of the JSON report."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from inc_audit.cli import main
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT
from tests.test_health import figures_of

EXAMPLE = ["--export", str(EXAMPLE_EXPORT), "--config", str(EXAMPLE_CONFIG), "--as-of", "2026-06-01"]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
_CONSOLE = re.compile(r":CONSOLE[:(]")


def load(page: Path, tmp_path: Path) -> tuple[str, list[str]]:
    """The DOM Chromium built from ``page``, and every console message it logged."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (.ci/run installs Debian's chromium package)")
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-extensions",
               f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0",
               "--dump-dom", page.resolve().as_uri()]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        pytest.skip(f"Chromium cannot run here: {error}")
    if done.returncode != 0 or "<html" not in done.stdout:
        first = next((line for line in done.stderr.splitlines() if line.strip()), "no output")
        pytest.skip(f"Chromium cannot run here (exit {done.returncode}): {first[:200]}")
    return done.stdout, [line for line in done.stderr.splitlines() if _CONSOLE.search(line)]


def charts_in(dom: str) -> dict[tuple[str, str], str]:
    """The charts' figures as the browser's DOM holds them (attributes in any order)."""
    found = {}
    for tag in re.findall(r"<(?:rect|text)\b[^>]*\bdata-figure=[^>]*>", dom):
        attributes = dict(re.findall(r'([a-z-]+)="([^"]*)"', tag))
        found[(attributes["data-figure"], attributes["data-key"])] = attributes["data-value"]
    return found


def test_the_html_report_renders_without_a_console_message_and_its_charts_hold_the_json_figures(tmp_path):
    page = tmp_path / "audit.html"
    result = CliRunner().invoke(main, ["run", *EXAMPLE, "--format", "json", "--report", f"html={page}"],
                                catch_exceptions=False)
    report = json.loads(result.stdout)
    dom, console = load(page, tmp_path)
    assert console == []
    assert charts_in(dom) == figures_of(report)
    assert len(charts_in(dom)) == 4 * 5 + len(report["health"]["rules"])  # five charts of four months, one of rules
    assert dom.count("<svg") == 7 and "The post-mortem is not approved" in dom


def test_the_browser_check_sees_a_console_error(tmp_path):
    """The control: a page that throws is caught, so a quiet console above means something."""
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><html><body><script>notDefined()</script></body></html>", encoding="utf-8")
    _, console = load(page, tmp_path)
    assert any("notDefined" in line for line in console)


def test_ci_installs_chromium_only_when_missing_and_quietly():
    from tests.conftest import ROOT

    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    guard = script.index("if ! command -v chromium")
    assert guard < script.index("apt-get install -y -qq chromium") < script.index("pytest")
    assert ">/dev/null 2>&1" in script[guard:script.index("pytest")]
