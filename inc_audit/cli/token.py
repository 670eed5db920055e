"""Which GitLab token to use, and where it came from (never what it is).

In order: the environment variable (``GITLAB_TOKEN``, or the one ``--token-variable``
names), then python-gitlab's own configuration (``PYTHON_GITLAB_CFG``, else
``/etc/python-gitlab.cfg`` and ``~/.python-gitlab.cfg``) for a user who already has one:
the section whose ``url`` is the GitLab being audited, else the default section. A job
token (``CI_JOB_TOKEN``) is never used: GitLab does not let it read issues.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from inc_audit.errors import ConfigError
from inc_audit.redaction import remember_secret

DEFAULT_VARIABLE = "GITLAB_TOKEN"
TOKEN_HELP = (
    "create a project access token (role Reporter, scope read_api; api to publish the audit issue)"
    " and export it as {variable}, or put it as private_token in a python-gitlab config"
)


@dataclass(frozen=True)
class Credentials:
    url: str | None
    token: str
    origin: str  # where the token came from, fit to print: "GITLAB_TOKEN", "python-gitlab config [work]"


def resolve(
    url: str | None, variable: str = DEFAULT_VARIABLE, environ: Mapping[str, str] | None = None
) -> Credentials:
    """The token for ``url`` (and the URL itself, from python-gitlab's config when none was given)."""
    environ = os.environ if environ is None else environ
    value = (environ.get(variable) or "").strip()
    if value:
        remember_secret(value)
        return Credentials(url, value, variable)
    found = from_python_gitlab(url, environ)
    if found is not None:
        remember_secret(found.token)
        return found
    raise missing(variable, environ)


def missing(variable: str, environ: Mapping[str, str]) -> ConfigError:
    """The "token not set" error, naming the usual cause where it is run."""
    if environ.get("CI_JOB_TOKEN"):
        return ConfigError(
            f"{variable} is not set, and the job token (CI_JOB_TOKEN) cannot read issues",
            f"store a project access token (role Reporter, scope api) as the masked CI/CD variable {variable}."
            " If it is stored already, it is Protected and this pipeline runs on an unprotected branch or tag:"
            " run the schedule on a protected branch, or protect this one",
        )
    if environ.get("GITLAB_CI") or environ.get("CI"):
        return ConfigError(
            f"{variable} is not set",
            f"store the token as the masked CI/CD variable {variable}. A Protected variable reaches only"
            " pipelines of protected branches and tags",
        )
    return ConfigError(f"{variable} is not set", TOKEN_HELP.format(variable=variable))


def from_python_gitlab(url: str | None, environ: Mapping[str, str]) -> Credentials | None:
    """The private token of python-gitlab's config section for ``url``, if there is one."""
    import configparser

    import gitlab.config

    files = _config_files(environ)
    try:
        section = _section_for(url, files) if files else None
    except configparser.Error as error:
        raise ConfigError(f"cannot read the python-gitlab config: {error.message}", "fix it") from None
    except UnicodeDecodeError as error:
        raise ConfigError(f"cannot read the python-gitlab config: it is not UTF-8 (byte {error.start})",
                          "save it as UTF-8, or set GITLAB_TOKEN") from None
    except OSError as error:
        raise ConfigError(f"cannot read the python-gitlab config: {error.strerror}", "fix it") from None
    if section is None:
        return None
    try:
        parsed = gitlab.config.GitlabConfigParser(gitlab_id=section, config_files=files)
    except gitlab.config.ConfigError as error:
        raise ConfigError(f"cannot read the python-gitlab config: {error}", "fix it, or set GITLAB_TOKEN") from None
    token = (parsed.private_token or "").strip()
    if not token:
        return None
    return Credentials(url or parsed.url, token, f"python-gitlab config [{section}]")


def _section_for(url: str | None, files: list[str]) -> str | None:
    import configparser

    parser = configparser.ConfigParser(interpolation=None)
    parser.read(files, encoding="utf-8")
    sections = {name: parser.get(name, "url", fallback="") for name in parser.sections() if name != "global"}
    if url is not None:
        wanted = _same_gitlab(url)
        return next((name for name, its in sections.items() if _same_gitlab(its) == wanted), None)
    default = parser.get("global", "default", fallback=None)
    return default if default in sections else None


PYTHON_GITLAB_FILES = ("/etc/python-gitlab.cfg", "~/.python-gitlab.cfg")
"""Where python-gitlab's documentation says it looks for its configuration, without $PYTHON_GITLAB_CFG."""


def _config_files(environ: Mapping[str, str]) -> list[str]:
    if environ.get("PYTHON_GITLAB_CFG"):
        path = environ["PYTHON_GITLAB_CFG"]
        if not os.path.isfile(path):
            raise ConfigError(f"PYTHON_GITLAB_CFG names no file: {path}", "fix the path, or unset it")
        return [path]
    return [path for path in map(os.path.expanduser, PYTHON_GITLAB_FILES) if os.path.isfile(path)]


def _same_gitlab(url: str) -> str:
    return url.strip().rstrip("/").lower()
