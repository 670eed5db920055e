"""The program leaves without the interpreter's teardown (``launcher.leave``), and loses nothing:
its exit handlers run, what it printed is flushed, its exit code is kept; a thread still alive, a
flush that fails or a code that is not a number get Python's normal exit."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import pytest

from inc_audit import launcher

ROOT = Path(__file__).resolve().parent.parent

PROBE = """
import atexit, os, sys, threading, time
from inc_audit import launcher

real_exit = os._exit

def recorded_exit(code):
    os.write(2, b"left early with %d\\n" % code)
    real_exit(code)

os._exit = recorded_exit  # the way out that skips the interpreter's teardown
atexit.register(lambda: print("the exit handler ran", end=""))  # left in stdout's buffer
if "--thread" in sys.argv:
    sys.argv.remove("--thread")
    threading.Thread(target=lambda: (time.sleep(0.5), print("the thread finished"))).start()
sys.argv = ["inc-audit", *sys.argv[1:]]
launcher.main()
"""


def probe(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", PROBE, *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=120, check=False)  # fmt: skip


def test_the_program_leaves_with_its_code_after_its_exit_handlers_without_teardown():
    done = probe("rules", "--no-such-option")
    assert done.returncode == 2, done.stderr  # click's usage error, kept
    assert "No such option" in done.stderr
    assert done.stdout.endswith("the exit handler ran")  # run, and flushed
    assert "left early with 2" in done.stderr


def test_a_command_that_succeeds_leaves_with_0_and_its_output():
    done = probe("--help")
    assert done.returncode == 0, done.stderr
    assert "Usage:" in done.stdout and done.stdout.endswith("the exit handler ran")
    assert "left early with 0" in done.stderr


def test_a_thread_still_alive_gets_the_normal_exit_which_waits_for_it():
    done = probe("--thread", "rules", "--no-such-option")
    assert done.returncode == 2, done.stderr
    assert "the thread finished" in done.stdout and "the exit handler ran" in done.stdout
    assert "left early" not in done.stderr  # Python's own exit


class _Refusing:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        raise BrokenPipeError("the reader is gone")


def test_in_this_process_the_normal_exit_is_taken_whenever_leaving_early_could_lose_something(
        monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    with pytest.raises(SystemExit) as caught:
        launcher.leave("a message")  # not a number: Python's exit prints it
    assert caught.value.code == "a message"

    stop = threading.Event()
    waiting = threading.Thread(target=stop.wait)
    waiting.start()
    try:
        with pytest.raises(SystemExit) as caught:
            launcher.leave(3)
        assert caught.value.code == 3
    finally:
        stop.set()
        waiting.join()

    handlers: list[str] = []
    monkeypatch.setattr("atexit._run_exitfuncs", lambda: handlers.append("ran"))
    monkeypatch.setattr(sys, "stdout", _Refusing())
    with pytest.raises(SystemExit) as caught:
        launcher.leave(1)  # the flush fails: the normal exit says so
    assert caught.value.code == 1
    assert handlers == ["ran"]


def test_the_console_script_and_python_m_are_main():
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'inc-audit = "inc_audit.launcher:main"' in text
    assert "launcher import main" in (ROOT / "inc_audit" / "__main__.py").read_text(encoding="utf-8")
