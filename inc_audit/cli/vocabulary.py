"""`inc-audit vocabulary`: list the headings no section answers to, and teach the confirmed ones."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import click

from inc_audit.adoption.teaching import KINDS, Unmatched, scan
from inc_audit.cli import progress
from inc_audit.cli.command_settings import VocabularySettings
from inc_audit.cli.common import (
    config_option,
    debug_option,
    handled_errors,
    load_config,
    say,
    target_options,
    write_text,
)
from inc_audit.cli.options import FiniteNumber
from inc_audit.cli.source import open_source
from inc_audit.cli.target import Target
from inc_audit.config import file as config_module
from inc_audit.config import vocabulary as taught_vocabulary
from inc_audit.config.file import Config
from inc_audit.errors import EXIT_CLEAN, InputError


@click.command()
@click.option("--export", metavar="PATH", help="A GitLab project export: the .tar.gz or its unpacked folder.")
@target_options
@config_option
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--kind", "kinds", type=click.Choice(KINDS), multiple=True,
              help="Only these kinds of document (repeatable) [default: every kind].")
@click.option("--min-count", type=click.IntRange(1), default=1, show_default=True,
              help="List (and write) only headings found in at least this many documents.")
@click.option("--write", is_flag=True, help="Add the confirmed headings to the configuration's vocabulary: section.")
@click.option("--yes", is_flag=True, help="With --write: confirm every heading whose best guess scores --min-score.")
@click.option("--min-score", type=FiniteNumber(0, 1), default=0.5, show_default=True,
              help="With --write --yes: the least score of a guess that is written.")
@click.option("--timeout", type=FiniteNumber(0, 600, low_open=True), metavar="SECONDS", default=10.0,
              show_default=True, help="Seconds to wait for one GitLab response.")
@click.option("--retry-budget", type=FiniteNumber(0, 3600), metavar="SECONDS", default=60.0, show_default=True,
              help="Seconds one GitLab read may spend retrying before giving up (exit 3).")
@click.option("--api", type=click.Choice(["auto", "graphql", "rest"]), default="auto", show_default=True,
              help="Read through GitLab's GraphQL or REST API.")
@click.option("--concurrency", type=click.IntRange(1, 64), default=8, show_default=True)
@click.option("--cache", metavar="DIR", default=".inc-audit-cache", show_default=True,
              type=click.Path(file_okay=False, path_type=Path), help="Incremental cache for live reads.")
@click.option("--no-cache", is_flag=True, help="Read everything from GitLab and leave the cache alone.")
@click.option("-v", "--verbose", is_flag=True, help="Say what is read and why, on stderr.")
@debug_option
def vocabulary(**options: Any) -> None:
    """List the headings of incidents, change tickets and post-mortems that no section answers to.

    Each with how many documents hold it and its best guess, scored 0 to 1: the section its
    text reads as, else the one whose headings share most of its words. With --write, the
    confirmed ones are added to the configuration's vocabulary: section, and the audit then
    reads them as that section.

    \b
    Examples:
      inc-audit vocabulary --export examples/umami-export --config examples/.inc-audit.yml
      inc-audit vocabulary --project umami-wallet/umami --min-count 2 --write
    """
    with handled_errors(bool(options["debug"])):
        sys.exit(vocabulary_command(VocabularySettings.of(options)))


def vocabulary_command(settings: VocabularySettings) -> int:
    if settings.yes and not settings.write:
        raise InputError("--yes confirms what --write writes", "add --write, or drop --yes")
    config = load_config(settings.config_path)
    target = Target.resolve(settings, config)
    as_of = datetime.now(timezone.utc)
    observer = progress.choose(sys.stderr, False, settings.verbose)
    source, _ = open_source(target, config, settings, as_of, observer)
    kinds = settings.kinds or KINDS
    found = [u for u in scan(source, config, as_of) if u.count >= settings.min_count and u.kind in kinds]
    write_text(None, render_json(found) if settings.fmt == "json" else render_text(found))
    if settings.write:
        write(found, config, settings)
    return EXIT_CLEAN


def render_text(found: list[Unmatched]) -> str:
    if not found:
        return "Every heading read names a known section.\n"
    rows = [("count", "kind", "heading", "best guess")]
    rows += [(str(u.count), u.kind, u.heading, f"{u.guess} ({u.score:.2f})" if u.guess else "-") for u in found]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = [f"{c:>{widths[0]}}  {k:<{widths[1]}}  {h:<{widths[2]}}  {g}".rstrip() for c, k, h, g in rows]
    return "\n".join(lines) + "\n"


def render_json(found: list[Unmatched]) -> str:
    return json.dumps({"unmatched": [u.as_json() for u in found]}, indent=2, ensure_ascii=False) + "\n"


def write(found: list[Unmatched], config: Config, settings: VocabularySettings) -> None:
    """Ask about each heading (or take every good guess with --yes) and add the chosen ones."""
    additions: dict[str, dict[str, list[str]]] = {}
    for unmatched in found:
        try:
            section = choose(unmatched, config, settings)
        except click.exceptions.Abort:  # the answers ran out (end of input): the rest are left out
            say("inc-audit: no more answers: the headings not yet answered are left out")
            break
        if section is not None:
            additions.setdefault(unmatched.kind, {}).setdefault(section, []).append(unmatched.heading)
    if not additions:
        say("inc-audit: nothing to write")
        return
    path = Path(config.path or config_module.DEFAULT_PATH)
    taught_vocabulary.write(path, additions, config_module.load)
    taught = sum(len(h) for sections in additions.values() for h in sections.values())
    say(f"inc-audit: {path}: taught {taught} heading{'s' if taught != 1 else ''} (vocabulary:)")


def choose(unmatched: Unmatched, config: Config, settings: VocabularySettings) -> str | None:
    """The section the heading is taught to, or None to leave it out."""
    if settings.yes:
        return unmatched.guess if unmatched.guess and unmatched.score >= settings.min_score else None
    sections = [part.name for part in config.schema(unmatched.kind).parts]
    guess = unmatched.guess or ""
    question = f"Teach {unmatched.kind} heading {json.dumps(unmatched.heading, ensure_ascii=False)} as"
    while True:
        answer = click.prompt(f"{question} {guess or 'which section'}? [y/n/section]", default="n", err=True)
        answer = answer.strip()
        if answer.lower() in ("n", "no", ""):
            return None
        if answer.lower() in ("y", "yes") and guess:
            return guess
        if answer in sections:
            return answer
        say(f"inc-audit: answer y, n or one of: {', '.join(sections)}")
