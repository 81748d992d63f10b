"""Social golfer targets: repeat-free rounds reached, repeats left and seconds per seed.

For each target (G groups of S for W rounds) runs ``graph.golfers.golfers`` with several
seeds and prints, per target, the median number of repeated meetings, the median
repeat-free prefix (rounds 1..k with no pair meeting twice) and the median seconds.

    .venv/bin/python bench/golfers.py [--seeds 3] [--time-limit 60] [--only 8x4x10]

It ends with plan_rounds against round-by-round planning (32 in fours, 9 rounds).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np

from graph.compile import compile_kernels
from graph.golfers import golfers
from graph.rounds import plan_round_by_round, plan_rounds

TARGETS = [  # (groups, size, rounds, what the literature says)
    (5, 3, 7, "Kirkman: 15 in triples, maximum 7"),
    (4, 4, 5, "16 in fours, maximum 5"),
    (6, 3, 8, "18 in triples, maximum 8"),
    (7, 3, 10, "21 in triples (KTS(21)), maximum 10"),
    (8, 4, 9, "32 in fours, target 9"),
    (8, 4, 10, "32 in fours, maximum 10 (stretch)"),
    (16, 2, 31, "32 in pairs, n − 1 = 31"),
]


def repeat_free_prefix(schedule: list[list[list[int]]]) -> int:
    seen: set[tuple[int, int]] = set()
    for index, round_groups in enumerate(schedule):
        pairs = {(a, b) for g in round_groups for a in g for b in g if a < b}
        if pairs & seen:
            return index
        seen |= pairs
    return len(schedule)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--only", default="", help="e.g. 8x4x10")
    args = parser.parse_args()
    print(f"solver kernels loaded in {compile_kernels():.1f} s (not counted below)")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, {platform.system()} {platform.release()}")
    print(f"time limit {args.time_limit:g} s per run, median of {args.seeds} seeds")
    for groups, size, rounds, what in TARGETS:
        if args.only and args.only != f"{groups}x{size}x{rounds}":
            continue
        results = []
        for seed in range(args.seeds):
            started = time.perf_counter()
            schedule, repeats = golfers(groups, size, rounds, time_limit=args.time_limit,
                                        seed=seed)
            results.append((repeats, repeat_free_prefix(schedule),
                            time.perf_counter() - started))
        print(f"{groups}x{size}x{rounds:<3} {what:<38} repeats {[r[0] for r in results]} "
              f"median {statistics.median(r[0] for r in results):g} · repeat-free rounds "
              f"{statistics.median(r[1] for r in results):g}/{rounds} · "
              f"{statistics.median(r[2] for r in results):.2f} s", flush=True)
    joint_versus_myopic(args.seeds, 10.0)


def joint_versus_myopic(seeds: int, time_limit: float) -> None:
    """plan_rounds against one-round-at-a-time planning: 32 in fours, 9 rounds, uniform."""
    weights, bounds = np.ones((32, 32)), [(4, 4)] * 8
    for label, plan in (("joint (plan_rounds)", plan_rounds),
                        ("round by round", plan_round_by_round)):
        repeats = []
        for seed in range(seeds):
            groups = [g.groups for g in plan(weights, bounds, 9, time_limit=time_limit,
                                             seed=seed)]
            met: set[tuple[int, int]] = set()
            count = 0
            for round_groups in groups:
                pairs = {(a, b) for g in round_groups for a in g for b in g if a < b}
                count += len(pairs & met)
                met |= pairs
            repeats.append(count)
        print(f"32 in fours, 9 rounds, uniform utilities, {label:<20} repeated pairs "
              f"{repeats} (time limit {time_limit:g} s)", flush=True)


if __name__ == "__main__":
    main()
