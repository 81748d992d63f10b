"""Scale: 2,000 members into circles of 4–6 with coverage (the formation engine,
``graph.plan``), the same without coverage (``solve_groups``), and 10,000 into pairs (pair_up).

Random symmetric utilities in [0, 1); for the engine also needs and strengths over 40 topics
with Zipf-skewed demand (a top question, two more, strengths more likely on popular topics).
Prints seconds, the objective and top-question coverage beside a random grouping of the same
sizes, median over runs.

    .venv/bin/python bench/scale.py [--runs 3] [--groups-n 2000] [--pairs-n 10000]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from graph.compile import compile_kernels
from graph.mdgp import objective, solve_groups
from graph.pairs import pair_up
from graph.plan import plan_circles
from graph.sizes import group_bounds


def utilities(n: int, seed: int, dtype: type = np.float64) -> np.ndarray:
    w = np.random.default_rng(seed).random((n, n), dtype=dtype)
    w += w.T
    w /= 2
    return w


def random_groups(n: int, sizes: list[int], seed: int) -> list[list[int]]:
    order = np.random.default_rng(seed + 1).permutation(n).tolist()
    out, at = [], 0
    for size in sizes:
        out.append(order[at:at + size])
        at += size
    return out


def groups_run(n: int, seed: int, limit: float) -> tuple[float, float, float]:
    w = utilities(n, seed)
    bounds = group_bounds(n, min_size=4, max_size=6)
    started = time.perf_counter()
    found = solve_groups(w, bounds, time_limit=limit, seed=seed)
    seconds = time.perf_counter() - started
    baseline = objective(w, random_groups(n, [len(g) for g in found.groups], seed))
    return seconds, found.objective, baseline


def topics_of(n: int, seed: int) -> tuple[list[dict[int, float]], list[set[int]], list[int]]:
    """Needs (top question 1, later ones 0.3 and 0.09) and 3–5 strengths per member."""
    rng = np.random.default_rng(seed)
    demand = 1.0 / np.arange(1, 41) ** 1.1
    demand /= demand.sum()
    supply = demand**0.7 + 0.05
    supply /= supply.sum()
    needs, gives, tops = [], [], []
    for _ in range(n):
        asked = rng.choice(40, size=3, replace=False, p=demand)
        offered = set(rng.choice(40, size=int(rng.integers(3, 6)), replace=False, p=supply).tolist())
        offered -= set(asked.tolist())
        needs.append({int(t): 0.3**k for k, t in enumerate(asked)})
        gives.append(offered)
        tops.append(int(asked[0]))
    return needs, gives, tops


def coverage(groups: list[list[int]], gives: list[set[int]], tops: list[int]) -> float:
    answered = sum(any(tops[i] in gives[j] for j in g if j != i) for g in groups for i in g)
    return answered / sum(len(g) for g in groups)


def plan_run(n: int, seed: int, limit: float) -> tuple[float, float, float, float, float]:
    w = utilities(n, seed)
    needs, gives, tops = topics_of(n, seed)
    bounds = group_bounds(n, min_size=4, max_size=6)
    started = time.perf_counter()
    found = plan_circles(w, bounds, needs=needs, gives=gives, cover_weight=5.0, seed=seed,
                         time_limit=limit)
    seconds = time.perf_counter() - started
    groups = found.rounds[0]
    base = random_groups(n, [len(g) for g in groups], seed)
    return (seconds, objective(w, groups), objective(w, base), coverage(groups, gives, tops),
            coverage(base, gives, tops))


def pairs_run(n: int, seed: int) -> tuple[float, float, float]:
    w = utilities(n, seed, np.float32)
    started = time.perf_counter()
    found = pair_up(w, seed=seed)
    seconds = time.perf_counter() - started
    value = sum(float(w[a, b]) for g in found for i, a in enumerate(g) for b in g[i + 1:])
    base = random_groups(n, [len(g) for g in found], seed)
    baseline = sum(float(w[a, b]) for g in base for i, a in enumerate(g) for b in g[i + 1:])
    return seconds, value, baseline


def report(label: str, runs: list[tuple[float, float, float]]) -> None:
    seconds, value, base = (statistics.median(r[i] for r in runs) for i in range(3))
    print(f"{label:<32} median {seconds:6.2f} s  objective {value:12.1f}  "
          f"random baseline {base:12.1f}  (runs: {[round(r[0], 1) for r in runs]} s)",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--groups-n", type=int, default=2000)
    parser.add_argument("--pairs-n", type=int, default=10000)
    parser.add_argument("--time-limit", type=float, default=25.0)
    args = parser.parse_args()
    print(f"solver kernels loaded in {compile_kernels():.1f} s (not counted below)")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.system()} {platform.release()}")
    runs = [plan_run(args.groups_n, seed, 30.0) for seed in range(args.runs)]
    report(f"{args.groups_n} into circles of 4–6, coverage", [r[:3] for r in runs])
    print(f"{'':<32} top-question coverage median {statistics.median(r[3] for r in runs):.3f} "
          f"(random {statistics.median(r[4] for r in runs):.3f})", flush=True)
    report(f"{args.groups_n} into circles of 4–6",
           [groups_run(args.groups_n, seed, args.time_limit) for seed in range(args.runs)])
    report(f"{args.pairs_n} into pairs",
           [pairs_run(args.pairs_n, seed) for seed in range(args.runs)])


if __name__ == "__main__":
    main()
