"""Rerun gallery examples under other base seeds and report which assertions fail.

Every page takes its base seed from :func:`nntheory.seeding.base_seed`, which
the environment variable ``NNTHEORY_SEED`` overrides. This script runs each
example as a plain script (``MPLBACKEND=Agg``, two threads) once per seed and
prints one line per (example, seed): ``ok`` with the time, or the failing
assertion. It exits non-zero if any run failed.

    python tools/rerun_examples.py                          # every page, seeds 1..5
    python tools/rerun_examples.py --seeds 7 8 gallery/04_optimization/plot_02_adam.py
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _last_error(stderr: str) -> str:
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no message)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("examples", nargs="*", type=Path, help="gallery scripts (default: all)")
    parser.add_argument("--seeds", nargs="+", type=int, default=[1, 2, 3, 4, 5], help="base seeds (integers)")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds per run")
    # ``--seeds 1 2 page.py``: the integers after --seeds are seeds, the rest are pages.
    argv = list(sys.argv[1:] if argv is None else argv)
    if "--seeds" in argv:
        i = argv.index("--seeds") + 1
        while i < len(argv) and argv[i].lstrip("-").isdigit():
            i += 1
        argv = argv[: argv.index("--seeds")] + argv[i:] + argv[argv.index("--seeds") : i]
    args = parser.parse_args(argv)
    examples = [p.resolve() for p in args.examples] or sorted((ROOT / "gallery").glob("*/plot_*.py"))
    env = dict(os.environ, MPLBACKEND="Agg")
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        env.setdefault(var, "2")
    failures = 0
    for example in examples:
        for seed in args.seeds:
            env["NNTHEORY_SEED"] = str(seed)
            t0 = time.perf_counter()
            try:
                proc = subprocess.run(
                    [sys.executable, str(example)], env=env, cwd=example.resolve().parent,
                    capture_output=True, text=True, timeout=args.timeout,
                )
                status = "ok" if proc.returncode == 0 else f"FAILED: {_last_error(proc.stderr)}"
            except subprocess.TimeoutExpired:
                status = f"FAILED: timeout after {args.timeout:.0f} s"
            failures += status != "ok"
            name = example.resolve().relative_to(ROOT) if example.resolve().is_relative_to(ROOT) else example
            print(f"{name}  seed {seed}: {status}  ({time.perf_counter() - t0:.1f} s)", flush=True)
    print(f"{failures} failed run(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
