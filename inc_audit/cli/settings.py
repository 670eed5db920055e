"""What a command's options mean, as frozen, typed values: each command builds its settings
from click's options at once (``Settings.of``), and only the settings go further. A field is
named as click names the option's parameter; one a command lacks keeps its default."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, TypeVar

from inc_audit.cli.token import DEFAULT_VARIABLE

S = TypeVar("S", bound="Settings")


@dataclass(frozen=True)
class Settings:
    debug: bool = False

    @classmethod
    def of(cls: type[S], options: Mapping[str, Any]) -> S:
        """The settings of a command's parsed options; an option the settings do not know is a
        bug in the command's definition, not the user's."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise TypeError(f"{cls.__name__} has no field for the option(s) {', '.join(unknown)}")
        return cls(**{name: value for name, value in options.items() if value is not None})


@dataclass(frozen=True)
class TargetSettings(Settings):
    """What to audit, on which GitLab, with which token."""

    export: str | None = None
    gitlab_url: str | None = None
    project: str | None = None
    group: str | None = None
    token_variable: str = DEFAULT_VARIABLE
    config_path: str | None = None


@dataclass(frozen=True)
class ReadSettings(TargetSettings):
    """How a live GitLab is read."""

    timeout: float = 10.0
    retry_budget: float = 60.0
    max_rps: float | None = None
    concurrency: int = 8
    cache: Path = Path(".inc-audit-cache")
    no_cache: bool = False
    api: str = "auto"
    verbose: bool = False


@dataclass(frozen=True)
class ReportSettings:
    """Which reports are written, where, and whether confidential titles appear in them."""

    fmt: str = "text"
    output: Path | None = None
    reports: tuple[str, ...] = ()
    confidential_titles: str = "auto"
    fail_on: str = "error"
    color: bool | None = None


@dataclass(frozen=True)
class RunSettings(ReadSettings, ReportSettings):
    as_of: str | None = None
    publish: bool = False
    dry_run: bool = False
    shard: str | None = None
    progress: bool | None = None


@dataclass(frozen=True)
class AgendaSettings(ReadSettings):
    meeting: str | None = None
    as_of: str | None = None
    output: Path | None = None
    publish: bool = False
    dry_run: bool = False


@dataclass(frozen=True)
class CheckSettings(TargetSettings):
    target: str = ""
    kind: str | None = None
    as_of: str | None = None
    fail_on: str = "error"


@dataclass(frozen=True)
class TemplatesSettings(ReportSettings, Settings):
    paths: tuple[str, ...] = ()
    config_path: str | None = None


@dataclass(frozen=True)
class MergeSettings(TargetSettings, ReportSettings):
    paths: tuple[Path, ...] = ()
    publish: bool = False
    dry_run: bool = False
    timeout: float = 10.0
    shard: None = None  # a merged report is never a shard


@dataclass(frozen=True)
class InitSettings(TargetSettings):
    templates_dir: str = ".gitlab/issue_templates"
    templates_given: bool = False  # --templates named a folder: it must exist, no fallback
    output: Path = Path(".inc-audit.yml")
    ci_file: Path = Path(".gitlab-ci.yml")
    offline: bool = False
    force: bool = False
    component_project: str = "tools/inc-audit"


@dataclass(frozen=True)
class VocabularySettings(ReadSettings):
    fmt: str = "text"
    kinds: tuple[str, ...] = ()
    min_count: int = 1
    write: bool = False
    yes: bool = False
    min_score: float = 0.5
