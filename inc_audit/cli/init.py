"""`inc-audit init`: a starter configuration, the cache kept out of git, and the CI include."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Any

import click

from inc_audit.cli.command_settings import InitSettings
from inc_audit.cli.common import debug_option, handled_errors, say, token_variable_option
from inc_audit.cli.settings import TargetSettings
from inc_audit.cli.target import Target, credentials_for
from inc_audit.config import file as config_module
from inc_audit.config.file import Config
from inc_audit.errors import EXIT_CLEAN, IncAuditError, InputError
from inc_audit.files import refuse_odd, write_new_text
from inc_audit.redaction import redact

DEFAULT_TEMPLATES = ".gitlab/issue_templates"


@click.command()
@click.option(
    "--templates",
    "templates_dir",
    metavar="PATH",
    help=f"The project's issue templates [default: {DEFAULT_TEMPLATES}; without it, the project's templates "
    "in GitLab (with a token), else the Umami templates shipped with inc-audit].",
)
@click.option(
    "--output",
    metavar="FILE",
    default=".inc-audit.yml",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Where to write the configuration; its folder's .gitignore gets the cache folder.",
)
@click.option(
    "--ci-file",
    metavar="FILE",
    default=".gitlab-ci.yml",
    show_default=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Written with the components' include when it does not exist; else the include is printed.",
)
@click.option("--gitlab-url", metavar="URL", help="GitLab of the project [default: from the git remote origin].")
@click.option("--project", metavar="PATH_OR_ID", help="The project [default: from the git remote origin].")
@token_variable_option
@click.option("--offline", is_flag=True, help="Read nothing from GitLab (labels, members, templates).")
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
    gitlab.url and gitlab.project come from the git remote origin. The templates' /label
    quick actions give the incident and change labels. With a token, the labels are checked
    against the project's, and roles: is proposed from its members, commented out, to be
    confirmed. The cache folder is added to .gitignore. Review the file, then commit it.
    Examples:
      inc-audit init --offline
      inc-audit init --gitlab-url https://gitlab.example.com --project umami-wallet/umami
    """
    options["templates_given"] = options["templates_dir"] is not None
    with handled_errors(bool(options["debug"])):
        sys.exit(init_command(InitSettings.of(options)))


def init_command(settings: InitSettings) -> int:
    from inc_audit import adoption as starter
    from inc_audit.adoption import workspace

    output: Path = settings.output
    refuse_odd(output, "the configuration file")  # before any work: never through a link, never a FIFO
    if output.exists() and not settings.force:
        raise InputError(f"{output} exists already", "review it, or run again with --force to overwrite it")
    defaults = config_module.load_defaults()
    gitlab = gitlab_keys(settings, output.parent)
    reader = None if settings.offline else gitlab_reader(settings, gitlab, defaults)
    found, notes = survey_templates(settings, defaults, reader)
    roles = None
    if reader is not None:
        check_labels(found, reader)
        roles = proposed_roles(reader)
    write_new_text(output, redact(starter.config_text(found, defaults, gitlab, roles, notes)), "the configuration file")
    say(f"inc-audit: wrote {output}: {len(found.templates)} template(s) mapped; review it, then commit it")
    ignored = workspace.ignore_cache(output.parent)
    if ignored != "present":
        say(f"inc-audit: {ignored} {output.parent / '.gitignore'} with {workspace.CACHE_FOLDER}")
    ci_text = settings.ci_file.read_text(encoding="utf-8", errors="replace") if settings.ci_file.is_file() else ""
    include = starter.ci_include(settings.templates_dir, settings.component_project, ci_text=ci_text)
    placed = starter.place_include(settings.ci_file, include)
    if placed == "written":
        say(f"inc-audit: wrote {settings.ci_file} with the components' include")
    elif placed == "missing":
        say(f"inc-audit: add the components to {settings.ci_file}:")
        say(include, err=False)
    return EXIT_CLEAN


def gitlab_keys(settings: InitSettings, folder: Path) -> dict[str, str]:
    """gitlab.url and gitlab.project: the options, else the git remote origin (never its credentials)."""
    from inc_audit.adoption import remote

    url, project = settings.gitlab_url, settings.project
    if not (url and project):
        origin = remote.from_checkout(folder)
        if origin is not None and (not url or url.rstrip("/") == origin.url):
            taken = [key for key, value in (("url", url), ("project", project)) if not value]
            url, project = url or origin.url, project or origin.project
            say(f"inc-audit: gitlab.{' and gitlab.'.join(taken)} from the git remote origin: {origin.url} {project}")
    return {key: value for key, value in (("url", url), ("project", project)) if value}


class Reader:
    """A checked connection to the project in GitLab."""

    def __init__(self, client: Any, project: str) -> None:
        self.client, self.project = client, project


def gitlab_reader(settings: InitSettings, gitlab: dict[str, str], defaults: Config) -> Reader | None:
    """A connection to the project, when there is a project and a token; else say why not."""
    from inc_audit.adoption import project as gitlab_project

    target_settings = TargetSettings(
        gitlab_url=gitlab.get("url"), project=gitlab.get("project"), token_variable=settings.token_variable
    )
    target = Target.resolve(target_settings, defaults)
    if not target.project:
        say("inc-audit: nothing read from GitLab (labels, members): give --project (or --offline)")
        return None
    try:
        credentials = credentials_for(target, target_settings)
        return Reader(gitlab_project.client(credentials.url or "", credentials.token or ""), target.project)
    except IncAuditError as error:
        say(f"inc-audit: labels not checked against the project: {error.message} (and no roles proposed)")
        return None


def survey_templates(settings: InitSettings, defaults: Config, reader: Reader | None) -> tuple[Any, list[str]]:
    """The templates surveyed: the checkout's; else the project's in GitLab; else the shipped ones."""
    from inc_audit import adoption as starter
    from inc_audit.adoption import project as gitlab_project
    from inc_audit.adoption import workspace

    if settings.templates_given or Path(settings.templates_dir).is_dir():
        return starter.survey(settings.templates_dir, defaults), []
    if reader is not None:
        try:
            texts = gitlab_project.issue_templates(reader.client, reader.project)
        except IncAuditError as error:
            say(f"inc-audit: the project's issue templates could not be read: {error.message}")
            texts = {}
        if texts:
            with tempfile.TemporaryDirectory() as folder:
                for name, text in texts.items():
                    try:
                        (Path(folder) / f"{name}.md").write_text(text, encoding="utf-8", errors="replace")
                    except (OSError, ValueError) as error:  # a name this file system refuses
                        say(f"inc-audit: the project's issue template {name!r} was left out: {error}")
                found = starter.survey(folder, defaults)
            say(f"inc-audit: no {settings.templates_dir} here: read the project's {len(texts)} template(s) in GitLab")
            return found, [f"Templates read from the project in GitLab ({len(texts)}), not from this checkout."]
    say(f"inc-audit: no {settings.templates_dir} here: used the Umami templates shipped with inc-audit")
    note = "No issue templates in this project: written from the Umami templates shipped with inc-audit."
    return starter.survey(str(workspace.shipped_templates()), defaults), [note]


def check_labels(found: Any, reader: Reader) -> None:
    """Keep the labels the project has; else say why they could not be checked."""
    from inc_audit import adoption as starter
    from inc_audit.adoption import project as gitlab_project

    try:
        names = gitlab_project.labels(reader.client, reader.project)
    except IncAuditError as error:
        say(f"inc-audit: labels not checked against the project: {error.message}")
        return
    starter.keep_existing(found, names)
    if found.missing:
        say(f"inc-audit: the templates apply labels the project does not have: {', '.join(found.missing)}")


def proposed_roles(reader: Reader) -> list[str] | None:
    """The roles: lines proposed from the project's members, commented out; None if unreadable."""
    from inc_audit import adoption as starter
    from inc_audit.adoption import project as gitlab_project

    try:
        people = gitlab_project.members(reader.client, reader.project)
    except IncAuditError as error:
        say(f"inc-audit: roles not proposed: {error.message}")
        return None
    if not people:
        return None
    say(f"inc-audit: roles: proposed from the project's {len(people)} member(s), commented out: confirm them")
    return starter.roles_lines(gitlab_project.propose_roles(people), [(m.username, m.role) for m in people])
