"""Import time of nntheory against ``import torch``, each in a fresh interpreter.

The work: starting Python and importing the package. Subpackages load lazily
(``nntheory/__init__.py``), so ``import nntheory`` should cost about nothing
beyond the interpreter, and ``import nntheory.numpy_nn`` or
``nntheory.deep_linear`` about ``import numpy``; the peer is ``import torch``,
the import every torch user pays. Each statement runs in a new interpreter
(``python -c``) and the whole process is timed; the row also records which
heavy packages each import loaded (read from ``sys.modules``).

Run: ``python benchmarks/bench_import_time.py``.
"""

from __future__ import annotations

import subprocess
import sys
import time

from _harness import Row, print_rows

STATEMENTS = ["import nntheory", "import nntheory.numpy_nn", "import nntheory.deep_linear", "import nntheory, nntheory.training"]
PEER = "import torch"
HEAVY = ("torch", "matplotlib", "scipy")


def _run(statement: str) -> tuple[float, list[str]]:
    code = f"{statement}; import sys; print(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    time.sleep(0.05)
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return time.perf_counter() - t0, out.split()


def compare(repeats: int = 5) -> list[Row]:
    rows = []
    for statement in STATEMENTS:
        _run(statement), _run(PEER)  # warm the file cache
        ours, peer, loaded = [], [], []
        for _ in range(repeats):
            t, loaded = _run(statement)
            ours.append(t)
            peer.append(_run(PEER)[0])
        rows.append(Row(f"`{statement}` (fresh interpreter)", f"`{PEER}`", ours, peer, f"loads: {', '.join(loaded) or 'none of ' + '/'.join(HEAVY)}"))
    return rows


if __name__ == "__main__":
    print_rows(compare())
