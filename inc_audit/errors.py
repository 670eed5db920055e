"""Errors that end a command, each with the exit code it stands for.

Exit codes say one thing each: 0 clean, 1 violations at or above --fail-on,
2 bad usage, configuration or input, 3 the audit could not complete, 4 internal error
(a bug or a broken install: never a verdict, so CI that allows exit 1 never hides it).
"""

from __future__ import annotations

EXIT_CLEAN = 0
EXIT_VIOLATIONS = 1
EXIT_USAGE = 2
EXIT_INCOMPLETE = 3
EXIT_INTERNAL = 4
REPORT_HOW = "please report it to the inc-audit maintainers with this output (--debug shows the traceback)"


class IncAuditError(Exception):
    """Base of every error the CLI turns into one line and an exit code."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class ConfigError(IncAuditError):
    """The configuration file or a schema it names is wrong."""


class InputError(IncAuditError):
    """An export, template or document given on the command line cannot be read."""


class SourceError(IncAuditError):
    """Reading incidents failed part-way: the audit is incomplete."""

    exit_code = EXIT_INCOMPLETE


class PublishError(IncAuditError):
    """The audit issue could not be written."""

    exit_code = EXIT_INCOMPLETE
