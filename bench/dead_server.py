#!/usr/bin/env python3
"""How long `inc-audit run` takes to give up once GitLab dies mid-scan, against --retry-budget.

    .venv/bin/python bench/dead_server.py [--incidents 80] [--budgets 2,4,8] [--concurrency 8]

For each budget: serve a synthetic project from the fake GitLab (tests/fakegitlab), start
`inc-audit run --no-cache --api rest` in its own process (REST: the cut is timed on its
notes reads), let it read until a third of the incidents' notes are in, then cut the
server off (every request dropped from then on, open connections closed). Prints, per
budget, the seconds from the cut to the command's exit, their ratio to the budget, and
the exit code (3 expected). docs/live-gitlab.md promises a ratio of at most 1 plus one --timeout.
Every figure comes from this run; nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))

from fakegitlab import API_TOKEN, PROJECT, FakeGitLab  # noqa: E402

CONFIG = ROOT / "examples" / ".inc-audit.yml"
NOTES = "GET /projects/:project/issues/:iid/notes"
TIMEOUT = 1.0


def seeded(incidents: int) -> FakeGitLab:
    fake = FakeGitLab()
    for number in range(1, incidents + 1):
        issue = fake.add_issue(PROJECT, title=f"Incident {number}", labels=["incident"], issue_type="incident",
                               state="closed")
        fake.add_note(issue, "A comment")
    return fake


def one_run(incidents: int, budget: float, concurrency: int, command: str) -> tuple[float, int]:
    """(seconds from the cut to the exit, exit code)."""
    with seeded(incidents) as fake, tempfile.TemporaryDirectory() as folder:
        fake.latency = 0.02
        env = {k: v for k, v in os.environ.items() if not k.startswith("CI_")}
        env["GITLAB_TOKEN"] = API_TOKEN
        args = [command, "run", "--gitlab-url", fake.url, "--project", PROJECT, "--config", str(CONFIG),
                "--no-cache", "--api", "rest", "--retry-budget", str(budget), "--timeout", str(TIMEOUT),
                "--concurrency", str(concurrency), "--format", "json", "--output", os.devnull]
        process = subprocess.Popen(args, env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        while fake.counts()[NOTES] < incidents // 3 and process.poll() is None:
            time.sleep(0.005)
        cut = time.monotonic()
        fake.go_away()
        code = process.wait(timeout=budget * 4 + 60)
        return time.monotonic() - cut, code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=80)
    parser.add_argument("--budgets", default="2,4,8", help="retry budgets to try, in seconds")
    parser.add_argument("--concurrency", type=int, default=8)
    default = shutil.which("inc-audit", path=str(Path(sys.executable).parent)) or "inc-audit"
    parser.add_argument("--inc-audit", dest="command", default=default)
    options = parser.parse_args()
    print(f"{'budget s':>9} {'cut to exit s':>14} {'ratio':>6} {'exit':>5}")
    for budget in (float(b) for b in options.budgets.split(",")):
        seconds, code = one_run(options.incidents, budget, options.concurrency, options.command)
        print(f"{budget:>9.1f} {seconds:>14.2f} {seconds / budget:>6.2f} {code:>5}")
    print(f"(--timeout {TIMEOUT}: the promise is a ratio of at most 1 + timeout/budget)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
