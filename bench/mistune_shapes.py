"""Why inc-audit reads Markdown with its own line scanner, not mistune: mistune's time on the
pathological shapes of parse_bounds.py, for doubling inputs.

For each shape the script parses 16 KiB, 32 KiB, 64 KiB, ... of it with
``mistune.create_markdown(renderer=None)`` (the AST, no HTML), and with inc-audit's
scanner, and prints the seconds and the growth factor from one size to the next: about 2
is linear, about 4 quadratic. A shape stops doubling once one parse takes more than
``--cap`` seconds; the last column extrapolates mistune to GitLab's limit (1,048,576
characters) with the last growth factor. Timing is wall time on this machine; nothing
asserts on it.

    .venv/bin/python bench/mistune_shapes.py                 # the shapes that grow worst
    .venv/bin/python bench/mistune_shapes.py --shape brackets --cap 20
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import mistune

sys.path.insert(0, str(Path(__file__).resolve().parent))
from parse_bounds import GITLAB_MAX, SHAPES  # noqa: E402

DEFAULT_SHAPES = ("nested-lists", "nested-quotes", "brackets", "bracket-heading", "links", "emphasis", "backticks",
                  "paragraph-setext", "atx")  # fmt: skip
_MISTUNE = mistune.create_markdown(renderer=None, plugins=["table", "strikethrough", "task_lists"])


def seconds(parse: object, text: str) -> float:
    started = time.perf_counter()
    parse(text)  # type: ignore[operator]
    return time.perf_counter() - started


def scanner(text: str) -> object:
    from inc_audit.reading.markdown import parse

    return parse(text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", action="append", choices=sorted(SHAPES))
    parser.add_argument("--start", type=int, default=16_384, help="first size in characters")
    parser.add_argument("--cap", type=float, default=8.0, help="stop doubling a shape past this many seconds")
    args = parser.parse_args()
    scanner("## warm up\n")
    _MISTUNE("## warm up\n")
    print(
        f"{'shape':17} {'chars':>9} {'mistune s':>10} {'growth':>7} {'scanner s':>10}  mistune at 1 MiB (extrapolated)"
    )
    for name in args.shape or DEFAULT_SHAPES:
        size, previous, growth = args.start, None, 1.0
        while size <= GITLAB_MAX:
            text = SHAPES[name](size)
            took, ours = seconds(_MISTUNE, text), seconds(scanner, text)
            growth = took / previous if previous else float("nan")
            print(f"{name:17} {size:9,} {took:10.3f} {growth:7.2f} {ours:10.3f}", flush=True)
            previous = took
            if took > args.cap:
                break
            size *= 2
        if size < GITLAB_MAX and previous and growth > 0 and not math.isnan(growth):
            doublings = math.log2(GITLAB_MAX / size)
            print(f"{name:17} {'':9} {'':10} {'':7} {'':10}  ~{previous * growth**doublings:,.0f} s", flush=True)


if __name__ == "__main__":
    main()
