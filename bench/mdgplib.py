"""MDGP local search on the MDGPLIB subset in ``bench/data/mdgplib``, against exact optima
and best-known values.

Exact part: every n = 10/12 instance (120) must reach the optimum from REFERENCE.md.
Timed part: n = 120 / 240 / 480 with the literature's limits (3 / 20 / 120 s), median of
several seeds, printed as a ratio to the reference value where REFERENCE.md gives one.

    .venv/bin/python bench/mdgplib.py --quick          # 120 exact checks + n=120, 1 seed
    .venv/bin/python bench/mdgplib.py [--seeds 5] [--sizes 120 240 480] [--match RanInt]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.machine import machine
from graph.compile import compile_kernels
from graph.mdgp import solve_groups
from graph.mdgp.mdgplib import read_instance, reference_optima

ROOT = Path(__file__).resolve().parent / "data" / "mdgplib"
LIMITS = {30: 1.0, 60: 1.0, 120: 3.0, 240: 20.0, 480: 120.0}
# Best-known values and 60 s floors quoted in REFERENCE.md (the prose, not the table).
REFERENCE = {
    **{f"RanInt_n120_ds_{i:02d}": v for i, v in enumerate(
        [51146, 51372, 50248, 50436, 50008, 49767, 50282, 50385, 50451, 50407], start=1)},
    "RanInt_n240_ds_01": 160596, "RanInt_n480_ds_01": 390718,
    "RanReal_n120_ss_01": 47059.31, "RanReal_n240_ss_01": 153749.27,
    "RanInt_n030_ss_05": 5500.00, "Geo_n030_ds_08": 13368.86, "RanInt_n060_ds_03": 19723,
    "RanReal_n060_ss_04": 18803.77, "Geo_n060_ss_04": 46217.90,
}


def exact_checks() -> int:
    optima = reference_optima((ROOT / "REFERENCE.md").read_text())
    started, misses = time.monotonic(), []
    worst = 0.0
    for name, value in sorted(optima.items()):
        instance = read_instance(ROOT / name.split("_")[0] / f"{name}.txt")
        result = solve_groups(instance.weights, instance.bounds, seed=0, time_limit=10)
        worst = max(worst, result.seconds)
        if abs(result.objective - value) > 1e-6:
            misses.append(f"{name}: {result.objective:.3f} < {value}")
    print(f"n=10/12 exact optimum: {len(optima) - len(misses)}/{len(optima)} "
          f"(seed 0, total {time.monotonic() - started:.1f} s, slowest {worst:.2f} s)")
    for miss in misses:
        print("  MISSED", miss)
    return len(misses)


def timed(sizes: list[int], seeds: int, match: str) -> None:
    missing = [size for size in sizes if not any(ROOT.glob(f"*/*_n{size:03d}_*.txt"))]
    if missing:
        shown = ", ".join(map(str, missing))
        sys.exit(f"no instance with n = {shown} in {ROOT} (its README.md says what is kept)")
    print(f"{'instance':22} {'limit':>6} {'median':>12} {'min':>12} {'max':>12} "
          f"{'reference':>11} {'ratio':>8}")
    ratios = []
    for size in sizes:
        for path in sorted(ROOT.glob(f"*/*_n{size:03d}_*.txt")):
            if match not in path.stem:
                continue
            instance = read_instance(path)
            limit = LIMITS[size]
            values = [solve_groups(instance.weights, instance.bounds, seed=seed,
                                   time_limit=limit, iterations=10**9).objective
                      for seed in range(seeds)]
            median = statistics.median(values)
            reference = REFERENCE.get(path.stem)
            ratio = f"{median / reference:8.4f}" if reference else f"{'':8}"
            if reference:
                ratios.append(median / reference)
            print(f"{path.stem:22} {limit:5.0f}s {median:12.2f} {min(values):12.2f} "
                  f"{max(values):12.2f} {reference or '':>11} {ratio}", flush=True)
    if ratios:
        print(f"ratio to reference: min {min(ratios):.4f}, median {statistics.median(ratios):.4f}"
              f" over {len(ratios)} instances")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="exact checks + n=120, 1 seed")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[120, 240, 480])
    parser.add_argument("--match", default="", help="only instances whose name contains this")
    parser.add_argument("--skip-exact", action="store_true")
    args = parser.parse_args()
    print(f"solver kernels loaded in {compile_kernels():.1f} s (not counted below)")
    print(machine(f"numpy {np.__version__}"))
    if not args.skip_exact:
        exact_checks()
    if args.quick:
        args.seeds, args.sizes = 1, [120]
    print(f"median of {args.seeds} seed(s), time limits {LIMITS}")
    timed(args.sizes, args.seeds, args.match)


if __name__ == "__main__":
    main()
