"""Compile the solvers' numba kernels ahead of first use: ``python -m graph.compile``.

numba compiles on the first call and caches the machine code beside the modules; a fresh
checkout would otherwise spend 5–20 s of its first formation run compiling. ``make setup``
runs this once after installing (and again whenever a kernel changes).
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import numpy as np

__all__ = ["compile_kernels"]

#: The solvers whose kernels numba compiles, each run once on a tiny problem.
SOLVERS = ("plan", "schedule", "mdgp")


def _run_once(solver: str) -> None:
    """Run one solver on a tiny problem, which compiles (or loads) its kernels."""
    weights = np.random.default_rng(0).random((16, 16))
    if solver == "mdgp":
        from graph.mdgp import solve_groups
        solve_groups(weights + weights.T, [(3, 5)] * 4, time_limit=1.0, seed=0, iterations=2)
    elif solver == "schedule":
        from graph.schedule import ScheduleSearch
        for mode in ("repeats", "squared"):
            ScheduleSearch([[[0, 1], [2, 3]]] * 2, 4, mode=mode, seed=0).run(
                time_limit=1.0, max_iterations=5)
    else:
        from graph.plan import plan_circles
        plan_circles(weights + weights.T, [(3, 5)] * 4, 2, needs=[{"a": 1.0}] * 16,
                     gives=[{"a"}] * 16, windows=np.ones((16, 3), dtype=bool), set_aside=3,
                     steps=1000, seed=0)


def compile_kernels(workers: int = 1) -> float:
    """Compile (or load from numba's cache) every kernel, by running each solver once on a
    tiny problem.

    Parameters
    ----------
    workers : int
        Processes to compile in: the solvers' kernels are separate modules with caches of
        their own, so each can compile in a process of its own (``make setup`` uses one per
        core).

    Returns
    -------
    float
        The seconds it took: tens on a fresh checkout, under a second once cached.

    Examples
    --------
    >>> compile_kernels() >= 0.0
    True

    Notes
    -----
    The solvers' runs are tiny; the time is numba's compilation or cache loading.
    """
    started = time.perf_counter()
    if workers <= 1:
        for solver in SOLVERS:
            _run_once(solver)
    else:
        with ProcessPoolExecutor(min(workers, len(SOLVERS)), mp_context=get_context("spawn")
                                 ) as pool:
            list(pool.map(_run_once, SOLVERS))
    return time.perf_counter() - started


if __name__ == "__main__":
    seconds = compile_kernels(workers=os.cpu_count() or 1)
    print(f"solver kernels ready in {seconds:.1f} s", file=sys.stderr)
