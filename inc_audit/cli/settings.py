"""What a command's options mean, as frozen, typed values: each command builds its settings
from click's options at once (``Settings.of``), and only the settings go further. A field is
named as click names the option's parameter; one a command lacks keeps its default.

This module holds the bases and the template gate's settings; the other commands' are in
``command_settings`` (frozen dataclasses of many fields cost milliseconds each to define,
and the gate runs on every merge request)."""

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
class ReportSettings:
    """Which reports are written, where, and whether confidential titles appear in them."""

    fmt: str = "text"
    output: Path | None = None
    reports: tuple[str, ...] = ()
    confidential_titles: str = "auto"
    fail_on: str = "error"
    color: bool | None = None


@dataclass(frozen=True)
class TemplatesSettings(ReportSettings, Settings):
    paths: tuple[str, ...] = ()
    config_path: str | None = None
