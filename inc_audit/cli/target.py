"""What to audit, and with which token: explicit options first, then the configuration, then
the CI job's own project. A central compliance project audits other projects."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from inc_audit.cli.settings import TargetSettings
from inc_audit.cli.token import DEFAULT_VARIABLE, Credentials
from inc_audit.cli.token import resolve as resolve_token
from inc_audit.config.file import Config
from inc_audit.errors import ConfigError
from inc_audit.redaction import check_gitlab_url, safe_url


@dataclass(frozen=True)
class Target:
    """What to audit. An explicit option wins over the config, which wins over the CI job's
    own project."""

    export: Path | None
    url: str | None
    project: str | None
    group: str | None
    why: str = ""  # where the project or group came from, for -v

    @classmethod
    def resolve(cls, settings: TargetSettings, config: Config, environ: Mapping[str, str] | None = None) -> Target:
        environ = os.environ if environ is None else environ
        export = settings.export
        url = server_url(settings, config, environ)
        tiers = [
            ("--project", settings.project, "--group", settings.group),
            ("gitlab.project in the config", config.gitlab_project, "gitlab.group in the config", config.gitlab_group),
            ("CI_PROJECT_PATH, this pipeline's own project", environ.get("CI_PROJECT_PATH"), "", None),
        ]
        for project_why, project, group_why, group in tiers:
            if project or group:
                why = project_why if project else group_why
                return cls(Path(export) if export else None, url, project or None, None if project else group, why)
        return cls(Path(export) if export else None, url, None, None)

    def describe(self) -> str:
        what = f"group {self.group}" if self.group else f"project {self.project}"
        return f"auditing {what} on {safe_url(self.url or '')} (from {self.why})"


def server_url(settings: TargetSettings, config: Config, environ: Mapping[str, str] | None = None) -> str | None:
    """--gitlab-url, else gitlab.url (both checked already), else $CI_SERVER_URL, checked here."""
    environ = os.environ if environ is None else environ
    url = settings.gitlab_url or config.gitlab_url
    if url:
        return str(url)
    if environ.get("CI_SERVER_URL"):
        return check_gitlab_url(environ["CI_SERVER_URL"], "$CI_SERVER_URL")
    return None


def credentials_for(target: Target, settings: TargetSettings) -> Credentials:
    """The token (and the URL, which python-gitlab's config may give)."""
    credentials = resolve_token(target.url, settings.token_variable or DEFAULT_VARIABLE)
    if not credentials.url:
        raise ConfigError("no GitLab URL", "give --gitlab-url, or set gitlab.url in the config")
    return credentials


def repository_root() -> str:
    """Where repository paths start: the CI job's checkout, else the Git work tree we are in."""
    if os.environ.get("CI_PROJECT_DIR"):
        return os.environ["CI_PROJECT_DIR"]
    here = Path.cwd().resolve()
    return str(next((p for p in (here, *here.parents) if (p / ".git").exists()), here))
