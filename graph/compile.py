"""Compile the solvers' numba kernels ahead of first use: ``python -m graph.compile``.

numba compiles on the first call and caches the machine code beside the modules; a fresh
checkout would otherwise spend 5–20 s of its first formation run compiling. ``make setup``
runs this once after installing (and again whenever a kernel changes).
"""

from __future__ import annotations

import sys
import time

import numpy as np

__all__ = ["compile_kernels"]


def compile_kernels() -> float:
    """Compile (or load from numba's cache) every kernel, by running each solver once on a
    tiny problem.

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
    from graph.mdgp import solve_groups
    from graph.plan import plan_circles
    from graph.schedule import ScheduleSearch

    started = time.perf_counter()
    weights = np.random.default_rng(0).random((16, 16))
    solve_groups(weights + weights.T, [(3, 5)] * 4, time_limit=1.0, seed=0, iterations=2)
    for mode in ("repeats", "squared"):
        ScheduleSearch([[[0, 1], [2, 3]]] * 2, 4, mode=mode, seed=0).run(time_limit=1.0,
                                                                         max_iterations=5)
    plan_circles(weights + weights.T, [(3, 5)] * 4, 2, needs=[{"a": 1.0}] * 16,
                 gives=[{"a"}] * 16, windows=np.ones((16, 3), dtype=bool), set_aside=3,
                 steps=1000, seed=0)
    return time.perf_counter() - started


if __name__ == "__main__":
    print(f"solver kernels ready in {compile_kernels():.1f} s", file=sys.stderr)
