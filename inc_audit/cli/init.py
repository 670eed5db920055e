"""`inc-audit init`: a starter configuration and the CI include."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from inc_audit.cli.common import debug_option, handled_errors, say, token_variable_option
from inc_audit.cli.settings import InitSettings, TargetSettings
from inc_audit.cli.target import Target, credentials_for
from inc_audit.config import file as config_module
from inc_audit.config.file import Config
from inc_audit.errors import EXIT_CLEAN, IncAuditError, InputError
from inc_audit.files import refuse_odd, write_new_text
from inc_audit.redaction import redact


@click.command()
@click.option(
    "--templates",
    "templates_dir",
    metavar="PATH",
    default=".gitlab/issue_templates",
    show_default=True,
    help="The project's issue templates.",
)
@click.option(
    "--output",
    metavar="FILE",
    default=".inc-audit.yml",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the configuration.",
)
@click.option(
    "--ci-file",
    metavar="FILE",
    default=".gitlab-ci.yml",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Written with the components' include when it does not exist; else the include is printed.",
)
@click.option("--gitlab-url", metavar="URL", help="GitLab to read the labels from [default: $CI_SERVER_URL].")
@click.option("--project", metavar="PATH_OR_ID", help="Project whose labels to read [default: $CI_PROJECT_PATH].")
@token_variable_option
@click.option("--offline", is_flag=True, help="Do not read the project's labels from GitLab.")
@click.option("--force", is_flag=True, help="Overwrite an existing configuration file.")
@click.option(
    "--component-project",
    metavar="PATH",
    default="tools/inc-audit",
    show_default=True,
    help="The GitLab project that hosts inc-audit's CI/CD components.",
)
@debug_option
def init(**options: Any) -> None:
    """Write a starter .inc-audit.yml from the project's issue templates and labels, and the CI include.

    \b
    The templates' /label quick actions give the incident and change labels; with a token,
    they are checked against the project's labels. Review the file, then commit it.
    Examples:
      inc-audit init --offline
      inc-audit init --gitlab-url https://gitlab.example.com --project umami-wallet/umami
    """
    with handled_errors(bool(options["debug"])):
        sys.exit(init_command(InitSettings.of(options)))


def init_command(settings: InitSettings) -> int:
    from inc_audit import adoption as starter

    output: Path = settings.output
    refuse_odd(output, "the configuration file")  # before any work: never through a link, never a FIFO
    if output.exists() and not settings.force:
        raise InputError(f"{output} exists already", "review it, or run again with --force to overwrite it")
    defaults = config_module.load_defaults()
    found = starter.survey(settings.templates_dir, defaults)
    if not settings.offline:
        check_labels(found, settings, defaults)
    gitlab = {k: v for k, v in (("url", settings.gitlab_url), ("project", settings.project)) if v}
    write_new_text(output, redact(starter.config_text(found, defaults, gitlab)), "the configuration file")
    say(f"inc-audit: wrote {output}: {len(found.templates)} template(s) mapped; review it, then commit it")
    include = starter.ci_include(settings.templates_dir, settings.component_project)
    placed = starter.place_include(settings.ci_file, include)
    if placed == "written":
        say(f"inc-audit: wrote {settings.ci_file} with the components' include")
    elif placed == "missing":
        say(f"inc-audit: add the components to {settings.ci_file}:")
        say(include, err=False)
    return EXIT_CLEAN


def check_labels(found: Any, settings: InitSettings, defaults: Config) -> None:
    """Keep the labels the project has, when GitLab can tell; else say why it could not."""
    from inc_audit import adoption as starter

    target = Target.resolve(TargetSettings(gitlab_url=settings.gitlab_url, project=settings.project), defaults)
    if not target.project:
        say("inc-audit: labels not checked against the project: give --project (or --offline)")
        return
    try:
        credentials = credentials_for(target, settings)
        names = starter.project_labels(credentials.url or "", credentials.token, target.project)
    except IncAuditError as error:
        say(f"inc-audit: labels not checked against the project: {error.message}")
        return
    starter.keep_existing(found, names)
    if found.missing:
        say(f"inc-audit: the templates apply labels the project does not have: {', '.join(found.missing)}")

