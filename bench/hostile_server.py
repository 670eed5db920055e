#!/usr/bin/env python3
"""What a hostile server costs `inc-audit run`: the time to end against a trickle, the peak
memory against a gzip bomb, the requests against a looping listing.

    .venv/bin/python bench/hostile_server.py [--timeout 2] [--bomb-mib 1024]

Each case serves the fake GitLab (tests/fakegitlab) with one hostile answer
(tests/hostile/servers.py) and runs `inc-audit run --no-cache --api rest` in its own
process, measured from outside (wall time, the child's peak RSS from getrusage):

- trickle (headers, body): one byte every 0.1 s on GET /user; the README promises the run
  ends within --timeout plus a second, with exit 3;
- gzip bomb: a ~1 MiB answer that inflates to --bomb-mib MiB on GET /user; the promise is
  a peak under 200 MiB and exit 3;
- looping listing: a next link to a new page on every page, 3 pages announced; the promise
  is one line, exit 3, and at most the announced pages plus one read.

Prints one line per case. Every figure comes from this run; nothing here asserts on time.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for extra in (ROOT, ROOT / "tests"):
    if str(extra) not in sys.path:
        sys.path.insert(0, str(extra))

from fakegitlab import API_TOKEN, PROJECT, FakeGitLab  # noqa: E402

from tests.hostile import servers  # noqa: E402

CONFIG = ROOT / "examples" / ".inc-audit.yml"
INC_AUDIT = shutil.which("inc-audit", path=str(Path(sys.executable).parent)) or "inc-audit"


def measure(fake: FakeGitLab, timeout: float) -> tuple[float, int, int, str]:
    """Run the audit against ``fake``: (seconds, peak RSS in MiB, exit code, last error line)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CI_")}
    env["GITLAB_TOKEN"] = API_TOKEN
    command = [INC_AUDIT, "run", "--gitlab-url", fake.url, "--project", PROJECT, "--config", str(CONFIG),
               "--no-cache", "--api", "rest", "--timeout", str(timeout), "--retry-budget", "30"]
    with tempfile.TemporaryDirectory() as folder:
        start = time.monotonic()
        child = subprocess.Popen(command, cwd=folder, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 text=True)
        _, err = child.communicate(timeout=120)
        seconds = time.monotonic() - start
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # the largest child's peak so far
    errors = [line for line in err.splitlines() if line.startswith("inc-audit: error")]
    return seconds, usage.ru_maxrss // 1024, child.returncode, errors[-1] if errors else err.strip()[-200:]


def cut_after(fake: FakeGitLab, timeout: float) -> float:
    """Seconds from the request to its end, in this process (no start-up): --timeout plus a little."""
    from inc_audit.errors import SourceError
    from inc_audit.sources.http.session import connect

    start = time.monotonic()
    try:
        connect(fake.url, API_TOKEN, timeout=timeout, retry_budget=30.0)
    except SourceError:
        pass
    return time.monotonic() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--bomb-mib", type=int, default=1024)
    args = parser.parse_args()
    cases = [
        ("trickle in headers", r"/user$", servers.trickle(in_headers=True, every=0.1)),
        ("trickle in body", r"/user$", servers.trickle(in_headers=False, every=0.1)),
        (f"gzip bomb ({args.bomb_mib} MiB)", r"/user$", servers.gzip_bomb(args.bomb_mib * 1024 * 1024)),
        ("looping listing (3 pages announced)", r"/projects/[^/]+/issues$", servers.endless_pages(total_pages=3)),
    ]
    print(f"{'case':<38} {'seconds':>8} {'peak MiB':>9} {'exit':>5}  message")
    for name, pattern, answer in cases:
        with FakeGitLab() as fake:
            fake.add_issue(PROJECT, title="Incident", labels=["incident"], issue_type="incident")
            fake.answer_raw(pattern, answer)
            seconds, peak, code, line = measure(fake, args.timeout)
            pages = sum(1 for r in fake.requests if r.path.endswith("/issues"))
        extra = f" ({pages} listing requests)" if "listing" in name else ""
        if "trickle" in name:
            with FakeGitLab() as fake:
                fake.answer_raw(pattern, answer)
                extra = f" (in process: cut after {cut_after(fake, args.timeout):.2f}s)"
        reason = line.split(": ", 3)[-1] if "failed while" in line else line
        print(f"{name:<38} {seconds:>8.2f} {peak:>9} {code:>5}  {reason[:150]}{extra}")
    print(f"(--timeout {args.timeout:g}; the peak is the largest child's so far, start-up included)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
