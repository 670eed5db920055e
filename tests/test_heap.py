"""The ``inc-audit`` program's C heap (``cli.collector``): at most ``ARENAS`` malloc arenas
whatever the threads, free pages given back every ``TRIM_EVERY`` incidents; nothing done
for a library caller or the tests, nor where the C library is not glibc."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from inc_audit.cli import collector, main
from tests.conftest import EXAMPLE_CONFIG, EXAMPLE_EXPORT, ROOT

THREADS = 8


def run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True,
                          cwd=ROOT, check=True, timeout=120)


def glibc() -> bool:
    probe = run("""
        from inc_audit.cli import collector
        collector.install()
        print(collector._libc() is not None)
    """)
    return probe.stdout.strip() == "True"


needs_glibc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")


def arenas(limited: bool) -> int:
    """The malloc arenas a process has once eight threads have each allocated (glibc's
    ``malloc_stats`` prints one "Arena N:" block each on stderr)."""
    done = run(f"""
        import ctypes, threading
        from inc_audit.cli import collector
        if {limited}:
            collector.install()
            collector.limit_arenas()
        kept, together = [], threading.Barrier({THREADS})
        def allocate():
            together.wait()  # every thread alive at once, as a run's readers are
            kept.append([bytearray(4096) for _ in range(64)])  # beyond pymalloc: malloc itself
            together.wait()
        threads = [threading.Thread(target=allocate) for _ in range({THREADS})]
        for t in threads: t.start()
        for t in threads: t.join()
        ctypes.CDLL("libc.so.6").malloc_stats()
    """)
    return done.stderr.count("Arena ")


@needs_glibc
def test_a_run_holds_its_threads_to_a_few_arenas():
    if not glibc():
        pytest.skip("not glibc")
    assert arenas(limited=False) > collector.ARENAS + 2  # an arena a thread (up to eight a core)
    assert arenas(limited=True) <= collector.ARENAS


@needs_glibc
def test_trim_gives_freed_pages_back():
    if not glibc():
        pytest.skip("not glibc")
    done = run("""
        from inc_audit.cli import collector
        def rss():
            return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS"))
        collector.install()
        blocks = [bytearray(2000) for _ in range(60_000)]  # about 120 MB from malloc
        blocks = [b if i % 10 == 9 else None for i, b in enumerate(blocks)]  # nine in ten freed, the heap's top kept
        before = rss()
        collector.trim()
        print(before, rss())
    """)
    before, after = map(int, done.stdout.split())
    assert after < before - 50_000  # kB: most of the 108 MB freed went back


def test_a_library_caller_keeps_the_heap_as_it_is(monkeypatch):
    monkeypatch.setattr(collector, "_installed", False)
    assert collector._libc() is None
    collector.limit_arenas()
    collector.trim()  # nothing to call: no error either


def test_the_run_trims_every_so_many_incidents(monkeypatch):
    trimmed = []
    monkeypatch.setattr(collector, "TRIM_EVERY", 2)
    monkeypatch.setattr(collector, "trim", lambda: trimmed.append(True))
    result = CliRunner().invoke(main, ["run", "--export", str(EXAMPLE_EXPORT), "--config", str(EXAMPLE_CONFIG),
                                       "--format", "json", "-q"], catch_exceptions=False)
    audited = len(__import__("json").loads(result.stdout)["incidents"])
    assert audited >= 4 and len(trimmed) == audited // 2
