"""Side-by-side timing shared by the peer benchmarks, and the row ``run_all.py`` prints.

Each ``bench_*.py`` script compares one piece of nntheory with what a user
would pick instead (an independent peer: torch, torch.func, Opacus, a lean
numpy version), on the same work, in the same process. It exposes
``compare(repeats) -> list[Row]`` and prints its rows when run as a script.

Timing rules, so one side cannot slow the other:

* both sides run with the same thread count (``OMP_NUM_THREADS``, default 2,
  set before numpy or torch is imported, and ``torch.set_num_threads``);
* ``OPENBLAS_THREAD_TIMEOUT`` is set low, so OpenBLAS's worker threads go to
  sleep after a numpy call instead of spinning into the next torch call, and
  every timed call is preceded by a short pause;
* each side gets a warm-up call, then ``repeats`` (≥ 5) timed calls,
  alternating sides; the row reports the minimum and the median of each.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_var, "2")
os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "1")

import statistics  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402
from dataclasses import dataclass  # noqa: E402

PAUSE = 0.05  # seconds of idle before every timed call


def threads() -> int:
    """The thread count both sides use."""
    return int(os.environ["OMP_NUM_THREADS"])


@dataclass
class Row:
    """One comparison: peer time / ours (> 1 means nntheory is faster)."""

    work: str
    peer: str
    ours: list[float]  # seconds, one per repeat
    theirs: list[float]
    agreement: str  # how the results were compared, and the measured difference

    @property
    def ratio_min(self) -> float:
        return min(self.theirs) / min(self.ours)

    @property
    def ratio_median(self) -> float:
        return statistics.median(self.theirs) / statistics.median(self.ours)

    def line(self) -> str:
        return (f"{self.work:<56} | {self.peer:<40} | ours {_fmt(min(self.ours))} / {_fmt(statistics.median(self.ours))}"
                f" | peer {_fmt(min(self.theirs))} / {_fmt(statistics.median(self.theirs))}"
                f" | peer/ours {self.ratio_min:6.2f} (min) {self.ratio_median:6.2f} (median) | {self.agreement}")


HEADER = ("work | peer | ours min / median | peer min / median | peer time / ours | agreement")


def _fmt(seconds: float) -> str:
    return f"{seconds * 1e3:9.1f} ms" if seconds < 10 else f"{seconds:9.2f} s "


def time_pair(ours: Callable[[], object], peer: Callable[[], object], repeats: int = 5) -> tuple[list[float], list[float]]:
    """Time two zero-argument callables alternately after one warm-up each.

    Returns the lists of wall-clock seconds, ours first.
    """
    if repeats < 5:
        raise ValueError(f"repeats must be at least 5, got {repeats}")
    ours(), peer()  # warm-up: lazy kernels, caches, allocator
    t_ours, t_peer = [], []
    for _ in range(repeats):
        for fn, out in ((ours, t_ours), (peer, t_peer)):
            time.sleep(PAUSE)
            t0 = time.perf_counter()
            fn()
            out.append(time.perf_counter() - t0)
    return t_ours, t_peer


def print_rows(rows: list[Row]) -> None:
    print(f"{threads()} threads per side; times are min / median of the repeats")
    print(HEADER)
    for row in rows:
        print(row.line())
