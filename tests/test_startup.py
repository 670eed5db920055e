"""Commands import only what they use: checked by the modules a fresh process loaded, never by time."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from inc_audit import __version__, launcher
from inc_audit.reading.patterns import Patterns

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
# the program as installed: the console script's launcher, its fast path included
LAUNCHED = PROBE.replace("from inc_audit.cli import main", "from inc_audit.launcher import launch").replace(
    "main(standalone_mode=False)", "launch()"
)
COMMAND_MODULES = {"run", "check", "rules", "templates", "merge", "init", "agenda", "vocabulary"}
GATE = ["templates", str(EXAMPLES / "umami-templates"), "--config", str(EXAMPLES / ".inc-audit.yml")]


def loaded(*args: str, probe: str = PROBE) -> set[str]:
    done = subprocess.run([sys.executable, "-c", probe, *args], capture_output=True, text=True, cwd=ROOT, check=False)
    return {line for line in done.stderr.splitlines() if line and " " not in line}


def test_the_launcher_answers_version_alone_without_click_or_the_command_line():
    modules = loaded("--version", probe=LAUNCHED)
    assert "inc_audit.launcher" in modules  # the probe ran
    assert {m for m in modules if m.startswith("inc_audit")} == {"inc_audit", "inc_audit.launcher"}
    assert not {m for m in modules if m.split(".")[0] in ("click", "traceback", "importlib_metadata")}
    assert "importlib.metadata" not in modules


def test_the_fast_version_says_what_the_click_group_says():
    from click.testing import CliRunner

    from inc_audit.cli import main

    fast = subprocess.run([sys.executable, "-m", "inc_audit", "--version"], capture_output=True, text=True, cwd=ROOT,
                          check=False)  # fmt: skip
    group = CliRunner().invoke(main, ["--version"])
    assert (fast.stdout, fast.stderr, fast.returncode) == (group.output, "", group.exit_code) == (
        f"inc-audit, version {__version__}\n", "", 0)


@pytest.mark.parametrize("args", [["--version", "--debug"], ["--debug", "--version"], ["-V"], ["--version", "x"],
                                  ["--versio"], ["rules", "--version"]])
def test_anything_but_version_alone_goes_to_the_click_group(args):
    from click.testing import CliRunner

    from inc_audit.cli import main

    assert not launcher.is_version_only(args)
    done = subprocess.run([sys.executable, "-m", "inc_audit", *args], capture_output=True, text=True, cwd=ROOT,
                          check=False)  # fmt: skip
    group = CliRunner().invoke(main, args)
    assert (done.stdout, done.returncode) == (group.stdout, group.exit_code)


def test_version_loads_no_command_and_no_heavy_library():
    modules = loaded("--version")
    assert "click" in modules and "inc_audit.cli" in modules  # the probe ran
    heavy = {"gitlab", "requests", "jsonschema", "yaml", "mistune", "sqlite3", "inc_audit.config",
             "inc_audit.audit", "inc_audit.rules", "inc_audit.formats", "inc_audit.cli.run"}
    assert not modules & heavy, sorted(modules & heavy)


def test_the_template_gate_loads_neither_gitlab_nor_the_cache_nor_the_rich_formats():
    modules = loaded(*GATE)
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


def test_a_valid_configuration_and_complete_templates_need_neither_jsonschema_nor_the_rules():
    """jsonschema is imported only to say why a configuration or a document fails its schema
    (``reading.quick`` proves the valid ones), the rules only when a finding names its owners."""
    modules = loaded(*GATE, probe=LAUNCHED)
    assert "inc_audit.gate" in modules and "yaml" in modules  # the gate ran and read the configuration
    unused = {"jsonschema", "referencing", "attrs", "inc_audit.rules", "inc_audit.audit", "inc_audit.documents.audit",
              "configparser", "importlib.resources", "importlib.metadata"}
    assert not modules & unused, sorted(modules & unused)
    assert not {m for m in modules if m.startswith("inc_audit.sources")}  # nothing of the sources at all


def test_a_broken_configuration_still_fails_the_gate_with_jsonschemas_reason(tmp_path):
    config = tmp_path / ".inc-audit.yml"
    config.write_text("post_mortem:\n  due_days: many\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "inc_audit", *GATE[:2], "--config", str(config)],
                          capture_output=True, text=True, cwd=ROOT, check=False)  # fmt: skip
    assert done.returncode == 1, done.stderr
    assert "TPL002" in done.stdout and "post_mortem.due_days" in done.stdout and "Traceback" not in done.stderr


def test_the_summaries_help_lists_are_the_commands_own():
    from inc_audit.cli import SUMMARIES, main

    assert sorted(SUMMARIES) == sorted(main.commands)
    for name, command in main.commands.items():
        assert command.help is not None and command.help.partition("\n\n")[0] == SUMMARIES[name], name
        assert not command.short_help and not command.hidden and not command.deprecated


@pytest.mark.parametrize("columns", ["80", "52", "200"])
def test_help_lists_the_commands_as_they_would_list_themselves(columns, monkeypatch):
    from click.testing import CliRunner

    from inc_audit.cli import COMMANDS, SUMMARIES, LazyGroup, main

    monkeypatch.setenv("COLUMNS", columns)
    fresh = LazyGroup(name="main", lazy=COMMANDS, summaries=SUMMARIES, params=main.params, help=main.help,
                      context_settings=main.context_settings)  # fmt: skip
    listed = CliRunner().invoke(fresh, ["--help"], prog_name="inc-audit")
    assert not fresh.loaded  # nothing imported to list them
    assert sorted(main.commands) == sorted(COMMANDS)  # every command imported
    loaded = CliRunner().invoke(main, ["--help"], prog_name="inc-audit")
    assert listed.exit_code == loaded.exit_code == 0
    assert listed.output == loaded.output and "templates   The merge-request gate" in listed.output


def test_help_imports_no_command():
    modules = loaded("--help", probe=LAUNCHED)
    assert "inc_audit.cli" in modules
    assert not {m for m in modules if m.startswith("inc_audit.cli.") and m.split(".")[2] in COMMAND_MODULES}
    assert not {m for m in modules if m.startswith(("inc_audit.sources", "inc_audit.config", "inc_audit.reading"))}


def test_the_shipped_answer_patterns_compile_and_wait_for_their_first_use():
    from inc_audit.reading import schemas

    words = schemas.builtin_vocabulary()
    groups = (words.non_answers, words.negatives, words.irreversible, words.compensations)
    assert all(len(group) > 0 for group in groups)
    assert all(isinstance(pattern, re.Pattern) for group in groups for pattern in group)  # every one compiles
    assert words.non_answers == Patterns(words.non_answers.sources)
    assert words.non_answers[0] is list(words.non_answers)[0]  # compiled once


def test_a_broken_pattern_in_a_teams_vocabulary_is_refused_when_it_is_loaded(tmp_path):
    from inc_audit.errors import ConfigError
    from inc_audit.reading import schemas, vocabulary

    shipped = json.loads((schemas.SCHEMA_DIR / schemas.VOCABULARY).read_text(encoding="utf-8"))
    mine = tmp_path / "vocabulary.json"
    mine.write_text(json.dumps({**shipped, "non-answers": ["tbd(", *shipped["non-answers"]]}), encoding="utf-8")
    with pytest.raises(ConfigError, match="not a valid regular expression"):
        vocabulary.load(str(mine))
    mine.write_text(json.dumps(shipped), encoding="utf-8")
    assert vocabulary.load(str(mine)).non_answers == schemas.builtin_vocabulary().non_answers


def test_rules_lists_the_codes_in_the_order_the_rules_run_without_importing_them():
    import inc_audit.rules

    done = subprocess.run([sys.executable, "-m", "inc_audit", "rules", "--format", "json"], capture_output=True,
                          text=True, cwd=ROOT, check=False)  # fmt: skip
    assert done.returncode == 0
    assert [rule["code"] for rule in json.loads(done.stdout)] == list(inc_audit.rules.RULES)
    modules = loaded("rules", probe=LAUNCHED)
    assert "inc_audit.cli.rules" in modules
    assert not {m for m in modules if m.startswith(("inc_audit.rules", "inc_audit.config", "inc_audit.reading"))}
