"""Commands import only what they use: checked by the modules a fresh process loaded, never by time."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

PROBE = """
import sys
sys.argv = ["inc-audit", *sys.argv[1:]]
from inc_audit.cli import main
try:
    main(standalone_mode=False)
except SystemExit:
    pass
print("\\n".join(sorted(sys.modules)), file=sys.stderr)
"""


def loaded(*args: str) -> set[str]:
    done = subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT, check=False)
    return {line for line in done.stderr.splitlines() if line and " " not in line}


def test_version_loads_no_command_and_no_heavy_library():
    modules = loaded("--version")
    assert "click" in modules and "inc_audit.cli" in modules  # the probe ran
    heavy = {"gitlab", "requests", "jsonschema", "yaml", "mistune", "sqlite3", "inc_audit.config",
             "inc_audit.audit", "inc_audit.rules", "inc_audit.formats", "inc_audit.cli.run"}
    assert not modules & heavy, sorted(modules & heavy)


def test_the_template_gate_loads_neither_gitlab_nor_the_cache_nor_the_rich_formats():
    modules = loaded("templates", str(EXAMPLES / "umami-templates"), "--config", str(EXAMPLES / ".inc-audit.yml"))
    assert "inc_audit.gate" in modules  # the gate ran
    unused = {"gitlab", "requests", "sqlite3", "inc_audit.cache", "inc_audit.sources.http", "inc_audit.publishing",
              "inc_audit.formats.audit_issue", "inc_audit.formats.html", "inc_audit.formats.ci",
              "inc_audit.cli.run", "inc_audit.cli.agenda", "inc_audit.cli.init"}
    assert not modules & unused, sorted(modules & unused)


def test_every_command_is_still_listed_and_reachable():
    from inc_audit.cli import COMMANDS, main

    assert sorted(main.commands) == sorted(COMMANDS)
    for name, command in main.commands.items():
        assert command.name == name
