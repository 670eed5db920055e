"""Progress of a live audit on stderr: an observer the audit calls, never part of a report.

A bar (done/total, rate, time left) is drawn only on a terminal outside CI, unless asked
for with --progress; -v prints one line per incident instead. NO_COLOR and TERM=dumb are
honoured: no colour, and on a dumb terminal no bar unless asked for.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Mapping
from typing import Protocol, TextIO

import click

from inc_audit.formats.neutral import TITLE_LIMIT, plain
from inc_audit.model import Issue
from inc_audit.redaction import redact

WIDTH = 24
REDRAW_EVERY = 0.1  # seconds between two drawings of the bar


class Observer(Protocol):
    def listed(self, total: int) -> None:
        """The source knows how many incidents it is going to hand over."""

    def audited(self, issue: Issue) -> None:
        """One more incident went through the rules."""

    def skipped(self, issue: Issue) -> None:
        """The source handed over an issue the audit does not audit (a change ticket, ...)."""

    def finished(self) -> None:
        """The audit ended, completed or not: leave the terminal clean."""


class Silent:
    def listed(self, total: int) -> None:
        pass

    def audited(self, issue: Issue) -> None:
        pass

    def skipped(self, issue: Issue) -> None:
        pass

    def finished(self) -> None:
        pass


class Lines(Silent):
    """-v: one line per incident (a confidential one's title withheld unless ``show_confidential``)."""

    def __init__(self, stream: TextIO, show_confidential: bool = True) -> None:
        self.stream = stream
        self.show_confidential = show_confidential

    def audited(self, issue: Issue) -> None:
        title = issue.title if self.show_confidential or not issue.confidential else "(confidential incident)"
        self.stream.write(redact(f"auditing {issue.key} {plain(title, TITLE_LIMIT)}") + "\n")


class Bar:
    def __init__(self, stream: TextIO, color: bool, clock: Callable[[], float] = time.monotonic) -> None:
        self.stream, self.color, self.clock = stream, color, clock
        self.total: int | None = None
        self.done = 0
        self.started = clock()
        self.drawn_at: float | None = None
        self.width = 0

    def listed(self, total: int) -> None:
        self.total = total
        self.draw(force=True)

    def audited(self, issue: Issue) -> None:
        self.done += 1
        self.draw(force=self.done == self.total)

    def skipped(self, issue: Issue) -> None:
        self.audited(issue)

    def finished(self) -> None:
        if self.drawn_at is not None:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()

    def draw(self, force: bool = False) -> None:
        now = self.clock()
        if not force and self.drawn_at is not None and now - self.drawn_at < REDRAW_EVERY:
            return
        self.drawn_at = now
        text = self.render(now - self.started)
        self.stream.write("\r" + text + " " * max(0, self.width - len(text)))
        self.stream.flush()
        self.width = len(text)

    def render(self, elapsed: float) -> str:
        rate = self.done / elapsed if elapsed > 0 else 0.0
        if not self.total:
            return f"auditing: {self.done} issue(s) read  {rate:.1f}/s"
        filled = WIDTH * min(self.done, self.total) // self.total
        bar = "#" * filled
        if self.color:
            bar = click.style(bar, fg="cyan")
        left = (self.total - self.done) / rate if rate > 0 else None
        eta = f"{_clock(left)} left" if left is not None else "--:-- left"
        return f"auditing [{bar}{'.' * (WIDTH - filled)}] {self.done}/{self.total}  {rate:.1f}/s  {eta}"


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def colour_allowed(environ: Mapping[str, str] | None = None) -> bool:
    """NO_COLOR (any value) and TERM=dumb turn colour off."""
    environ = os.environ if environ is None else environ
    return "NO_COLOR" not in environ and environ.get("TERM") != "dumb"


def choose(
    stream: TextIO, asked: bool | None, verbose: bool, environ: Mapping[str, str] | None = None,
    show_confidential: bool = True,
) -> Observer:
    """-v lines, a bar where one helps (or was asked for), else nothing."""
    environ = os.environ if environ is None else environ
    if verbose:
        return Lines(stream, show_confidential)
    if asked is None:
        in_ci = bool(environ.get("CI") or environ.get("GITLAB_CI"))
        asked = stream.isatty() and not in_ci and environ.get("TERM") != "dumb"
    if not asked:
        return Silent()
    return Bar(stream, color=colour_allowed(environ) and stream.isatty())
