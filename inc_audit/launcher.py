"""The ``inc-audit`` program's entry point: a crash is never a verdict.

Exit 1 means "violations found", and CI lets a job end with it. So anything unexpected,
down to inc-audit failing to import itself (a broken install, a missing dependency),
must end with a code of its own: ``EXIT_INTERNAL``, one line saying "internal error",
the version and how to report it. This module therefore imports nothing of inc-audit at
module level; the command line is imported inside the ``try``, and the version is read
from the installed distribution's metadata when the package cannot be imported.

``inc-audit --version`` alone is answered here, from the package's version constant,
without importing click or the command line: the same line and exit code as the click
group's ``--version`` (``tests/test_startup.py`` compares them), in a fraction of the time.
"""

from __future__ import annotations

import sys

EXIT_INTERNAL = 4  # the same number as inc_audit.errors.EXIT_INTERNAL (a test holds them equal)
REPORT_HOW = "please report it to the inc-audit maintainers with this output (--debug shows the traceback)"
VERSION_LINE = "inc-audit, version {version}"  # what click's version option prints for the group


def is_version_only(args: list[str]) -> bool:
    """Whether the command line asks for the version and nothing else (the fast path)."""
    return args == ["--version"]


def print_version() -> None:
    """The version line, as ``inc-audit --version`` prints it, from the package's constant."""
    from inc_audit import __version__

    print(VERSION_LINE.format(version=__version__))


def version() -> str:
    """The installed version, without importing anything of inc-audit that could be broken."""
    try:
        from importlib.metadata import version as distribution_version

        return distribution_version("inc-audit")
    except Exception:  # not installed (a checkout on PYTHONPATH): the package's own number, if it imports
        try:
            from inc_audit import __version__

            return __version__
        except Exception:
            return "unknown"


def internal_error(error: BaseException, debug: bool) -> int:
    """One line (and a second saying how to report it) on stderr; the exit code of a crash."""
    if debug:
        import traceback

        traceback.print_exception(type(error), error, error.__traceback__, file=sys.stderr)
    summary = " ".join(f"{type(error).__name__}: {error}".split())
    try:
        print(f"inc-audit: internal error (inc-audit {version()}): {summary}", file=sys.stderr)
        print(f"  {REPORT_HOW}", file=sys.stderr)
    except Exception:  # stderr itself is gone: the exit code still says what happened
        pass
    return EXIT_INTERNAL


def launch() -> None:
    """Run the command line; whatever escapes it, other than an exit code, is an internal error."""
    debug = "--debug" in sys.argv[1:]
    try:
        if is_version_only(sys.argv[1:]):
            print_version()
        else:
            from inc_audit.cli import command_line

            command_line()
    except SystemExit as done:
        code = done.code
        if code is None or isinstance(code, int):
            raise
        # sys.exit("text") would print the text and exit 1: never let a message pass for violations
        sys.exit(internal_error(RuntimeError(str(code)), debug))
    except KeyboardInterrupt:
        print("inc-audit: interrupted: nothing was published", file=sys.stderr)
        sys.exit(3)
    except BaseException as error:  # noqa: B036 - a crash of any kind gets its own exit code
        sys.exit(internal_error(error, debug))
    sys.exit(0)
