"""Judging on a second core: a process forked at the start of a run that runs the rules on
the incidents the audit hands it, while the audit judges others.

The rules are plain Python and hold the interpreter: one process judges one incident at a
time, however many cores the machine has. A live audit has a second core doing little
(GitLab answers; the reader threads mostly wait), so ``Helper.start`` forks the process
before the run starts any thread (a fork copies only the thread that calls it) and the
audit hands the helper an incident whenever it has room (``DEPTH`` in flight), judging
the next one itself otherwise.

The helper never talks to GitLab or the cache. With each incident it gets what the source
already holds for the rules (``Source.answers_at_hand``: the incident's links and its notes'
award emoji, read with the incident). Its rules ask a ``_Held`` source, which answers from
that and writes down every question; a question it cannot answer (another issue's links, the
issues that mention the incident) ends the helper's try. The audit then asks the real
source the same questions in the same order (so a cache stores what it would have), and
takes the helper's verdict only when every answer is the one the helper had; otherwise,
or when the helper failed in any way, it judges the incident itself. The findings are
therefore the ones the audit would have reached alone.

Linux only (``fork``); with one core (or a container's CPU quota of one), a container's
memory limit under 1 GiB, or threads already running, the audit judges alone.
"""

from __future__ import annotations

import os
import pickle
import select
import signal
import struct
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from inc_audit.config.file import Config
from inc_audit.model import Award, Issue, IssueKey, LinkedIssue
from inc_audit.rules import Verdict, judge, warm
from inc_audit.sources.interface import AtHand, Source

DEPTH = 2
"""Incidents handed to the helper and not yet judged: one it judges, one waiting."""

_PIPE_SIZE = 1 << 20  # room for the incidents in flight, so a hand-over never waits (Linux)
_F_SETPIPE_SZ = 1031
_LENGTH = struct.Struct("!I")

Question = tuple[str, IssueKey, int]
"""A question the helper's rules asked: ("links", key, 0), ("awards", key, note id) or
("refresh", key, note id)."""


class Beyond(Exception):
    """The helper's rules asked something the incident's answers at hand do not hold."""


@dataclass(frozen=True)
class Judged:
    """The helper's verdict on an incident, with the questions its rules asked (None: the
    helper could not judge it)."""

    key: IssueKey
    verdict: Verdict | None
    questions: tuple[Question, ...] = ()


class _Held(Source):
    """A source answering from an incident's answers at hand, writing down each question."""

    def __init__(self, held: AtHand) -> None:
        self.held = held
        self.questions: list[Question] = []

    def linked_issues(self, key: IssueKey) -> tuple[LinkedIssue, ...]:
        if key != self.held.key or self.held.links is None:
            raise Beyond(f"the links of {key}")
        self.questions.append(("links", key, 0))
        return self.held.links

    def note_awards(self, key: IssueKey, note_id: int) -> tuple[Award, ...]:
        return self._awards("awards", key, note_id)

    def refresh_awards(self, key: IssueKey, note_id: int) -> tuple[Award, ...] | None:
        if not self.held.refreshes:
            self.questions.append(("refresh", key, note_id))
            return None
        return self._awards("refresh", key, note_id)

    def _awards(self, kind: str, key: IssueKey, note_id: int) -> tuple[Award, ...]:
        """The note's award emoji as held, the question written down; ``Beyond`` when not held."""
        awards = self.held.awards_of(note_id) if key == self.held.key else None
        if awards is None:
            afresh = ", afresh" if kind == "refresh" else ""
            raise Beyond(f"the award emoji of note {note_id} of {key}{afresh}")
        self.questions.append((kind, key, note_id))
        return awards

    def issue_summary(self, key: IssueKey) -> LinkedIssue:
        raise Beyond(f"issue {key}")

    def describe(self) -> dict[str, str]:
        raise Beyond("the source")

    def candidate_issues(self, labels: tuple[str, ...], shard: Any = None) -> Iterator[Issue]:
        raise Beyond("the source")


def answered_alike(source: Source, held: AtHand, questions: tuple[Question, ...]) -> bool:
    """Ask ``source`` the helper's questions, in order; whether each answer is the one the
    helper had from ``held``."""
    for kind, key, note_id in questions:
        if kind == "links":
            if source.linked_issues(key) != held.links:
                return False
        elif kind == "awards":
            if source.note_awards(key, note_id) != held.awards_of(note_id):
                return False
        elif source.refresh_awards(key, note_id) != (held.awards_of(note_id) if held.refreshes else None):
            return False
    return True


MEMORY_LIMITS = (Path("/sys/fs/cgroup/memory.max"),  # cgroup v2: bytes, or "max"
                 Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"))  # cgroup v1: bytes (huge: none)
ROOMY = 1 << 30
"""The least memory a container must allow for a helper (it holds up to about 75 MiB of its
own at 20,000 incidents): below it, the audit judges alone."""

CPU_LIMITS = (Path("/sys/fs/cgroup/cpu.max"),  # cgroup v2: "QUOTA PERIOD" or "max PERIOD"
              Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"))  # cgroup v1: the quota (-1: none), then the period


def cores(limits: tuple[Path, ...] = CPU_LIMITS) -> int:
    """The cores this process may use: those it may run on, fewer when its container's CPU
    quota (a CI runner's ``--cpus``) gives it less time than that."""
    try:
        found = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        found = os.cpu_count() or 1
    quota = _quota(*limits)
    return max(1, min(found, int(quota))) if quota is not None else found


def roomy(limits: tuple[Path, ...] = MEMORY_LIMITS) -> bool:
    """Whether the container's memory limit, if any, leaves room for a helper (``ROOMY``)."""
    for path in limits:
        try:
            text = path.read_text(encoding="ascii").strip()
        except OSError:
            continue
        return text == "max" or not text.isdigit() or int(text) >= ROOMY
    return True


def _quota(v2: Path, v1: Path) -> float | None:
    """The CPU time the container may use a second, in cores (None: no limit, or none found)."""
    try:
        if v2.is_file():
            fields = v2.read_text(encoding="ascii").split()
            return None if fields[0] == "max" else int(fields[0]) / int(fields[1])
        if v1.is_file():
            quota = int(v1.read_text(encoding="ascii").strip())
            period = int((v1.parent / "cpu.cfs_period_us").read_text(encoding="ascii").strip())
            return None if quota < 0 else quota / period
    except (OSError, ValueError, IndexError, ZeroDivisionError):
        return None
    return None


class Helper:
    """The forked process and the audit's end of its two pipes."""

    def __init__(self, pid: int, to_helper: int, from_helper: int) -> None:
        self.pid = pid
        self._out = to_helper
        self._in = from_helper
        self.in_flight = 0
        self.broken = False
        self.stopped = ""
        """Why the helper stopped before the audit ended, if it did (``-v`` says it)."""
        self.accepted = 0
        """The verdicts the audit took (``inc_audit.audit``)."""

    @classmethod
    def start(cls, config: Config, as_of: datetime) -> Helper | None:
        """Fork the helper, or None where it cannot help: not Linux, threads already running
        (a fork would copy their locks, held or not), one core or a container's CPU quota of
        one, a container's memory limit under ``ROOMY``, no fork. The helper
        loads what the rules load first (``rules.warm``, by ``config``) while the audit
        opens its source."""
        if not sys.platform.startswith("linux") or threading.active_count() != 1 or cores() < 2 or not roomy():
            return None
        try:
            down_r, down_w = os.pipe()
            up_r, up_w = os.pipe()
        except OSError:
            return None
        for fd in (down_w, up_w):
            try:
                import fcntl  # noqa: PLC0415  (Linux only)

                fcntl.fcntl(fd, _F_SETPIPE_SZ, _PIPE_SIZE)
            except OSError:
                pass  # the default size: a hand-over may wait for the helper to read
        try:
            pid = os.fork()
        except OSError:
            for fd in (down_r, down_w, up_r, up_w):
                os.close(fd)
            return None
        if pid == 0:  # the helper
            os.close(down_w)
            os.close(up_r)
            _serve(down_r, up_w, config, as_of)  # never returns
        os.close(down_r)
        os.close(up_w)
        return cls(pid, down_w, up_r)

    def begin(self, config: Config, as_of: datetime) -> None:
        """Tell the helper the configuration and the moment it judges at."""
        self._send(("begin", config, as_of))

    def has_room(self) -> bool:
        return not self.broken and self.in_flight < DEPTH

    def hand(self, issue: Issue, held: AtHand) -> bool:
        """Hand ``issue`` over; False when the helper is gone (the audit judges it)."""
        if not self._send(("judge", issue, held)):
            return False
        self.in_flight += 1
        return True

    def judged(self, wait: bool = False) -> Iterator[Judged]:
        """The verdicts the helper has sent back; with ``wait``, every one in flight."""
        while self.in_flight and not self.broken:
            ready, _, _ = select.select([self._in], [], [], None if wait else 0)
            if not ready:
                return
            frame = self._frame()
            if frame is None:
                self._stop("it ended before its last verdict")
                return
            self.in_flight -= 1
            yield frame

    def close(self) -> None:
        """End the helper and wait for it: it holds nothing the audit needs, so it is stopped
        at once (an interrupted audit does not wait for the incident it was judging)."""
        for fd in (self._out, self._in):
            try:
                os.close(fd)
            except OSError:
                pass
        self.broken = True
        if self.pid <= 0:  # no process of its own (kill(-1) would signal every process)
            return
        try:
            os.kill(self.pid, signal.SIGKILL)  # even a stopped one: it holds nothing
        except OSError:
            pass  # gone already
        try:
            os.waitpid(self.pid, 0)
        except ChildProcessError:
            pass

    def _stop(self, why: str) -> None:
        self.broken = True
        self.stopped = self.stopped or why

    def _send(self, message: tuple[Any, ...]) -> bool:
        if self.broken:
            return False
        try:
            data = pickle.dumps(message, pickle.HIGHEST_PROTOCOL)
        except Exception as error:  # noqa: BLE001  (what cannot be handed over is judged here)
            self._stop(f"{message[0]}: {type(error).__name__}")
            return False
        try:
            _write_all(self._out, _LENGTH.pack(len(data)) + data)
        except OSError:  # the helper died: a broken pipe
            self._stop("it was gone")
            return False
        return True

    def _frame(self) -> Judged | None:
        """The next verdict, whole; None once the helper is gone."""
        try:
            body = _read_frame(self._in)
            judged = pickle.loads(body) if body is not None else None
        except Exception:  # noqa: BLE001  (a verdict that cannot be read is one not taken)
            return None
        return judged if isinstance(judged, Judged) else None


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _read_exactly(fd: int, size: int) -> bytes | None:
    parts = []
    while size:
        part = os.read(fd, size)
        if not part:
            return None
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def _read_frame(fd: int) -> bytes | None:
    head = _read_exactly(fd, _LENGTH.size)
    if head is None:
        return None
    return _read_exactly(fd, _LENGTH.unpack(head)[0])


def _serve(down: int, up: int, first: Config, moment: datetime) -> None:
    """The helper's life: judge what comes down the pipe until it closes, then exit without
    running anything the audit's process registered (``os._exit``)."""
    code = 0
    try:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the audit's to handle
        nothing = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):  # never a word of its own in the audit's report or on its terminal
            os.dup2(nothing, fd)
        warm(first, moment)
        config: Config | None = None
        as_of: datetime | None = None
        while True:
            body = _read_frame(down)
            if body is None:
                break
            message = pickle.loads(body)
            if message[0] == "begin":
                _, config, as_of = message
                continue
            _, issue, held = message
            _write_all(up, _framed(_judge(issue, held, config, as_of)))
    except BaseException:  # noqa: BLE001  (the audit judges whatever is left)
        code = 1
    finally:
        os._exit(code)


def _judge(issue: Issue, held: AtHand, config: Config | None, as_of: datetime | None) -> Judged:
    if config is None or as_of is None:
        return Judged(issue.key, None)
    source = _Held(held)
    try:
        verdict = judge(issue, config, source, as_of)
    except Exception:  # noqa: BLE001  (Beyond, or anything: the audit judges it and says why)
        return Judged(issue.key, None)
    return Judged(issue.key, verdict, tuple(source.questions))


def _framed(judged: Judged) -> bytes:
    data = pickle.dumps(judged, pickle.HIGHEST_PROTOCOL)
    return _LENGTH.pack(len(data)) + data
