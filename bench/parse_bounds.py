"""Parse and audit one GitLab-sized description of each pathological shape; print time and peak memory.

GitLab caps a description or a note at 1,048,576 characters. Each shape below fills that
much with one thing a parser may choke on (100,000 headings, 10,000 nested list or quote
markers, runs of backticks or brackets, ...). For each, the script parses the text and reads
it as all three document kinds (the work of an audit on it), then prints the seconds, the
peak memory traced, and the parser's counted steps per line.

    .venv/bin/python bench/parse_bounds.py            # every shape, full size
    .venv/bin/python bench/parse_bounds.py --size 262144 --shape atx

tests/test_parse_bounds.py holds the same shapes to a bound on counted steps, not on time.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from collections.abc import Callable

GITLAB_MAX = 1_048_576


def fill(unit: str, size: int) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def nested_lists(size: int) -> str:
    line = "- " * 10_000 + "x\n"
    return fill(line, size)


def indented_lists(size: int) -> str:
    out, depth = [], 0
    while sum(map(len, out)) < size:
        out.append("  " * depth + "- item\n")
        depth += 1
    return "".join(out)[:size]


SHAPES: dict[str, Callable[[int], str]] = {
    "atx": lambda n: fill("## Root cause\n", n),
    "atx-distinct": lambda n: "".join(f"### heading {i}\n" for i in range(n // 14 + 1))[:n],
    "setext": lambda n: fill("Impact\n---\n", n),
    "bold-lines": lambda n: fill("**Impact:**\n", n),
    "labels": lambda n: fill("- Root cause: x\n", n),
    "plain-labels": lambda n: fill("Impact: none\n", n),
    "nested-lists": nested_lists,
    "indented-lists": indented_lists,
    "nested-quotes": lambda n: fill(">" * 10_000 + " x\n", n),
    "backticks": lambda n: "`" * n,
    "fences": lambda n: fill("```\n", n),
    "brackets": lambda n: "[" * n,
    "bracket-heading": lambda n: "# " + "[" * (n - 2),
    "links": lambda n: fill("[a](", n),
    "one-paragraph": lambda n: fill("word ", n),
    "paragraph-setext": lambda n: fill("[[[[ **a ", n - 4) + "\n===",
    "table": lambda n: "| a | b |\n|---|---|\n" + fill("| Impact | none |\n", n - 20),
    "tasks": lambda n: fill("- [ ] box\n", n),
    "comments": lambda n: fill("<!--\n", n),
    "unclosed-comment": lambda n: "## Impact\n<!--\n" + fill("## Root cause\n", n - 15),
    "tbd-lines": lambda n: "## Impact\n" + fill("TBD\n", n - 10),
    "emphasis": lambda n: fill("**a", n),
    "html-headings": lambda n: fill("<h3>Root cause</h3>\n", n),
    "html-heading-unclosed": lambda n: "<h3>" + fill("Root cause\n", n - 4),
    "html-labels": lambda n: fill("<p><strong>Impact:</strong> none</p>\n", n),
    "html-inline-labels": lambda n: fill("<b>Impact:</b> none<br>\n", n),
    "html-table": lambda n: "<table>\n" + fill("<tr><th>Impact</th><td>none</td></tr>\n", n - 8),
    "html-cell-unclosed": lambda n: "<table><tr><td>\n" + fill("text\n\n", n - 16),
    "html-tags": lambda n: fill("<div>", n),
    "html-angles": lambda n: fill("<a ", n),
    "details": lambda n: fill("<details><summary>Impact</summary>\n", n),
    "details-closed": lambda n: fill("<details><summary>Impact</summary>\n\nx\n\n</details>\n", n),
    "wiki-headings": lambda n: fill("h3. Root cause\n", n),
    "wiki-table": lambda n: "||a||b||\n" + fill("|Impact|none|\n", n - 9),
    "wiki-row-unclosed": lambda n: "|Impact" + fill(" none\n", n - 7),
    "wiki-cells": lambda n: "||a||b||\n" + fill("|[[{{|", n - 9),
    "code-macros": lambda n: fill("{code}\n", n),
    "wiki-lists": lambda n: "h2. x\n" + fill("# item\n", n - 6),
    "titled-items": lambda n: fill("1) What happened\nthe text\n\n", n),
}


def audit(text: str) -> int:
    from inc_audit.reading import validity
    from inc_audit.reading.markdown import WORK, parse
    from inc_audit.reading.schemas import load

    WORK.steps = 0
    document = parse(text)
    for kind in ("report", "post-mortem", "change"):
        schema = load(kind)
        schema.could_match(text)
        validity.problems(schema, document)
        schema.matches(document)
    return WORK.steps


def measure(name: str, size: int) -> tuple[float, float, float, float]:
    """Wall and CPU seconds of one audit, then its peak traced memory in a second run (tracing slows it)."""
    text = SHAPES[name](size)
    lines = text.count("\n") + 1
    started, cpu = time.perf_counter(), time.process_time()
    steps = audit(text)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    tracemalloc.start()
    audit(text)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return seconds, cpu, peak / 2**20, steps / lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=GITLAB_MAX)
    parser.add_argument("--shape", action="append", choices=sorted(SHAPES))
    args = parser.parse_args()
    audit("## warm up\n")  # imports and schema loading are not the shapes' cost
    print(f"{'shape':18} {'wall s':>7} {'cpu s':>6} {'peak MiB':>9} {'steps/line':>11}", flush=True)
    for name in args.shape or SHAPES:
        seconds, cpu, peak, per_line = measure(name, args.size)
        print(f"{name:18} {seconds:7.2f} {cpu:6.2f} {peak:9.1f} {per_line:11.2f}", flush=True)


if __name__ == "__main__":
    main()
