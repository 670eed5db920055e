"""Runs the benchmark's commands and reports each one's wall time and own peak RSS.

Why a separate process: on Linux a child's peak RSS (``ru_maxrss`` from ``wait4`` or
``RUSAGE_CHILDREN``) starts at the RSS of the process that forked it, because exec
records the high-water mark of the memory it replaces. The benchmark holds the fake
GitLab and thousands of generated incidents, so a command it forked itself would
report at least the benchmark's own size. This process is started first and stays
small, so what it reports is the command's own peak (or this process's size, about
10 MB, when the command is smaller, which none of the measured ones is).

Protocol: one JSON object per line on stdin, {"command", "cwd", "env", "stdout",
"stderr", "timeout"}; one JSON line back per command, {"returncode", "wall",
"max_rss"} (max_rss in bytes). It ends when stdin closes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time


def run(request: dict) -> dict:
    with open(request["stdout"], "wb") as out, open(request["stderr"], "wb") as err:
        started = time.perf_counter()
        process = subprocess.Popen(request["command"], stdout=out, stderr=err, env=request["env"], cwd=request["cwd"])
        watchdog = threading.Timer(float(request["timeout"]), process.kill)
        watchdog.start()
        try:
            _, status, usage = os.wait4(process.pid, 0)
        finally:
            watchdog.cancel()
        wall = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return {"returncode": process.returncode, "wall": wall, "max_rss": usage.ru_maxrss * 1024}


def main() -> None:
    for line in sys.stdin:
        if line.strip():
            try:
                answer = run(json.loads(line))
            except Exception as error:  # reported to the benchmark, which stops with it
                answer = {"error": f"{type(error).__name__}: {error}"}
            sys.stdout.write(json.dumps(answer) + "\n")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
