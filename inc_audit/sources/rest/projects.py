"""A group audit's projects fail one at a time: what one project's failure does to the run.

In a group audit, a read that fails for good on one project's incident (GitLab refused it,
answered 404, or gave no usable answer within the retry budget) marks that project failed:
its incident, and every later incident of the project, is handed over unreadable (SRC001,
so the run is incomplete, exit 3), and no more request is made for that project, while the
other projects are read and judged as usual and keep their findings in the report.

The run keeps one retry budget: two reads giving up in a row, with nothing read in between,
say GitLab itself is gone, not one project, and end the whole scan as a failed read does in
a project audit (the error is raised). A rejected token (401) ends it at once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, TypeVar

from inc_audit.errors import ConfigError, SourceError
from inc_audit.model import Issue, IssueKey
from inc_audit.sources.entries import UNREADABLE, unreadable_issue
from inc_audit.sources.http.classify import UNREACHABLE_HINT

T = TypeVar("T")
Served = TypeVar("Served", bound="Issue | None")


class ProjectFailures:
    """The projects of a group audit whose reads failed, and why (thread-safe)."""

    def __init__(self) -> None:
        self.failed: dict[str, str] = {}
        self._lock = threading.Lock()
        self._gave_up_last = False

    def read(self, key: IssueKey, raw: Any, read: Callable[[], Served]) -> Served | Issue:
        """``read()``, or the incident unreadable when its project failed (now or before)."""
        with self._lock:
            reason = self.failed.get(key.project)
        if reason is None:
            try:
                issue = read()
            except (SourceError, ConfigError) as error:
                reason = self._failed(key.project, error)
            else:
                with self._lock:
                    self._gave_up_last = False
                return issue
        return unreadable_issue(key, raw, f"project {key.project} could not be read: {reason}")

    def attempt(self, project: str, read: Callable[[], T]) -> T | None:
        """``read()`` of something of ``project``; None when the project failed (now or before)."""
        with self._lock:
            if project in self.failed:
                return None
        try:
            found = read()
        except (SourceError, ConfigError) as error:
            self._failed(project, error)
            return None
        with self._lock:
            self._gave_up_last = False
        return found

    def _failed(self, project: str, error: SourceError | ConfigError) -> str:
        if isinstance(error, ConfigError) and "(401)" in error.message:
            raise error  # the token, not the project
        with self._lock:
            gave_up = error.hint == UNREACHABLE_HINT
            if gave_up and self._gave_up_last:
                raise error  # GitLab is gone: one budget for the run
            self._gave_up_last = gave_up
            return self.failed.setdefault(project, error.message)

    def lines(self) -> list[str]:
        """One line per failed project, for ``Source.unread``."""
        with self._lock:
            return [f"project {project} could not be read: {reason}" for project, reason in sorted(self.failed.items())]


def failed_entry(key: IssueKey, reason: str) -> dict[str, Any]:
    """The entry of an issue that could not be read, for ``read_entries``."""
    return {"iid": key.iid, "references": {"full": f"{key.project}#{key.iid}"}, UNREADABLE: reason}
