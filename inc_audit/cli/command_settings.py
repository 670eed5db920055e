"""The settings of the commands other than the template gate (``settings`` holds the bases):
frozen, typed values each command builds from its options at once (``Settings.of``)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from inc_audit.cli.settings import ReportSettings, TargetSettings


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
class RunSettings(ReadSettings, ReportSettings):
    as_of: str | None = None
    publish: bool = False
    dry_run: bool = False
    shard: str | None = None
    progress: bool | None = None
    jobs: int | None = None


@dataclass(frozen=True)
class AgendaSettings(ReadSettings):
    meeting: str | None = None
    as_of: str | None = None
    output: Path | None = None
    publish: bool = False
    dry_run: bool = False
    confidential_titles: str = "auto"


@dataclass(frozen=True)
class CheckSettings(TargetSettings):
    target: str = ""
    kind: str | None = None
    as_of: str | None = None
    fail_on: str = "error"


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
