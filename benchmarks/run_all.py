"""Run every peer benchmark in ``benchmarks/`` and print one table.

Each ``bench_*.py`` that defines ``compare(repeats)`` is imported and run in
turn (same process, same thread settings from ``_harness``); its rows are
collected and printed together at the end, followed by a Markdown version
for the README. Usage::

    python benchmarks/run_all.py [--repeats 5] [--only per_sample mlp]
"""

from __future__ import annotations

import argparse
import importlib
import statistics
import sys
import time
from pathlib import Path

from _harness import print_rows, threads

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per side (at least 5)")
    parser.add_argument("--only", nargs="*", default=[], help="substrings of the script names to run")
    args = parser.parse_args(argv)
    rows = []
    for path in sorted(HERE.glob("bench_*.py")):
        if args.only and not any(s in path.stem for s in args.only):
            continue
        module = importlib.import_module(path.stem)
        if not hasattr(module, "compare"):
            print(f"{path.name}: no compare(), not a peer benchmark; skipped")
            continue
        t0 = time.perf_counter()
        new = module.compare(args.repeats)
        print(f"{path.name}: {len(new)} row(s) in {time.perf_counter() - t0:.0f} s", flush=True)
        rows += new
    print()
    print_rows(rows)
    print(f"\nMarkdown ({threads()} threads per side; peer time / ours, > 1 means nntheory is faster):\n")
    print("| work | peer | ours (median) | peer / ours (min; median) | agreement |")
    print("|---|---|---|---|---|")
    for r in rows:
        med = statistics.median(r.ours)
        ours = f"{med * 1e3:.1f} ms" if med < 10 else f"{med:.2f} s"
        print(f"| {r.work} | {r.peer} | {ours} | {r.ratio_min:.2f}; {r.ratio_median:.2f} | {r.agreement} |")
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    sys.exit(main())
