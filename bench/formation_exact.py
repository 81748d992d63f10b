"""How far the formation targets are from what an independent solver finds: the demo and a
cohort of 60 (``bench/formation_cohorts.py``) handed to OR-Tools' CP-SAT, with far more time.

The same problem the product solves — the members it places, their top questions and
strengths, circle sizes, the shared-hour rule, pairs kept apart, pairs who already shared a
circle, nobody meeting twice in the plan — with the target's new-tie ratio as a hard limit on
known pairs, and the worst round's top questions answered as the only objective (then their
sum). The product weighs more than this (new ties, distance, diversity, every question), so
what CP-SAT reaches is what a search aimed at this one figure finds, not a bound: its proven
bound on these models stays at "everyone", so it says nothing about the true maximum.

CP-SAT is not a dependency of Circles; install it beside the project to run this:

    .venv/bin/pip install ortools
    .venv/bin/python bench/formation_exact.py [--seconds 300] [--only demo]
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import random
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
from sqlalchemy import select

from bench.cohorts import build_cohort
from bench.formation_cohorts import scratch_database
from bench.machine import machine
from circles.demo.community import load_demo
from circles.formation.plan import prepare_run
from circles.formation.problem import bounds_for
from circles.formation.start import start_run
from circles.models import Community, Membership, User

ROUNDS = 3


def problem_of(db: Any, community_id: int) -> dict[str, Any]:
    """The product's formation problem for 3 rounds in circles of 4–6, as plain data."""
    community = db.get(Community, community_id)
    lead = db.scalar(select(User).join(Membership, Membership.user_id == User.id).where(
        Membership.community_id == community_id, Membership.role == "facilitator"))
    run = start_run(db, community, lead, min_size=4, max_size=6, rounds=ROUNDS, seed=1)
    problem = prepare_run(db, run.id)
    rows, util, rules = problem.placed, problem.util, problem.rules
    local = {row: k for k, row in enumerate(rows)}
    members = [util.members[row] for row in rows]
    starts = None if rules.starts is None else np.unique(rules.starts[rows], axis=1)

    def pairs(found: set[tuple[int, int]]) -> set[tuple[int, int]]:
        return {(min(local[a], local[b]), max(local[a], local[b]))
                for a, b in found if a in local and b in local}

    return {"bounds": bounds_for(len(rows), 4, 6, ROUNDS),
            "top": [m.top_topic for m in members],
            "gives": [set(m.strengths) for m in members],
            "known": util.met[np.ix_(rows, rows)] > 0,
            "starts": starts, "apart": pairs(rules.forbidden) | pairs(rules.met)}


def sizes(n: int, bounds: list[tuple[int, int]]) -> list[int]:
    """Circle sizes for n members: each at its least, then one more each in turn while there
    is room (the product's bounds differ by at most one, so this is the only way)."""
    found = [lo for lo, _ in bounds]
    for g in itertools.cycle(range(len(bounds))):
        if sum(found) >= n:
            return found
        found[g] += found[g] < bounds[g][1]
    raise AssertionError("unreachable")


def solve_exact(p: dict[str, Any], ratio: float, seconds: float) -> dict[str, Any]:
    """CP-SAT on the problem, known pairs at most (1 − ratio) of the plan's pairs."""
    from ortools.sat.python import cp_model
    n, groups = len(p["top"]), len(p["bounds"])
    starts = p["starts"] if p["starts"] is not None else np.ones((n, 1), dtype=bool)
    model = cp_model.CpModel()
    x = {(r, i, g): model.new_bool_var("") for r in range(ROUNDS) for i in range(n)
         for g in range(groups)}
    for r in range(ROUNDS):
        for i in range(n):
            model.add_exactly_one(x[r, i, g] for g in range(groups))
        for g, (lo, hi) in enumerate(p["bounds"]):
            size = sum(x[r, i, g] for i in range(n))
            model.add(size >= lo)
            model.add(size <= hi)
            hour = [model.new_bool_var("") for _ in range(starts.shape[1])]
            model.add_exactly_one(hour)
            for i in range(n):
                for c in np.flatnonzero(~starts[i].astype(bool)):
                    model.add_bool_or([x[r, i, g].Not(), hour[c].Not()])
            for a, b in p["apart"]:
                model.add_bool_or([x[r, a, g].Not(), x[r, b, g].Not()])
    known = []
    for a, b in itertools.combinations(range(n), 2):
        if (a, b) in p["apart"]:
            continue
        together = [model.new_bool_var("") for _ in range(ROUNDS)]
        for r, g in itertools.product(range(ROUNDS), range(groups)):
            model.add_bool_or([x[r, a, g].Not(), x[r, b, g].Not(), together[r]])
        model.add(sum(together) <= 1)
        if p["known"][a, b]:
            known += together
    plan_pairs = ROUNDS * sum(math.comb(size, 2) for size in sizes(n, p["bounds"]))
    model.add(sum(known) <= math.floor((1 - ratio) * plan_pairs))
    answered = []
    for r in range(ROUNDS):
        row = []
        for i, topic in enumerate(p["top"]):
            givers = [j for j in range(n) if j != i and topic in p["gives"][j]]
            if not topic or not givers:
                continue
            here = [model.new_bool_var("") for _ in range(groups)]
            for g, flag in enumerate(here):
                model.add_implication(flag, x[r, i, g])
                model.add_bool_or([flag.Not(), *(x[r, j, g] for j in givers)])
            done = model.new_bool_var("")
            model.add_bool_or([done.Not(), *here])
            row.append(done)
        answered.append(row)
    worst = model.new_int_var(0, n, "worst")
    for row in answered:
        model.add(worst <= sum(row))
    model.maximize((n + 1) * worst + sum(sum(row) for row in answered))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = seconds
    solver.parameters.num_workers = 2
    solver.parameters.random_seed = 1
    status = solver.solve(model)
    asked = sum(1 for topic in p["top"] if topic)
    return {"status": solver.status_name(status), "asked": asked,
            "rounds": [sum(solver.value(v) for v in row) / asked for row in answered],
            "known": sum(solver.value(v) for v in known), "pairs": plan_pairs,
            "seconds": solver.wall_time,
            "plan": [[[i for i in range(n) if solver.value(x[r, i, g])] for g in range(groups)]
                     for r in range(ROUNDS)] if answered and status in (
                         cp_model.OPTIMAL, cp_model.FEASIBLE) else None}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=300.0)
    parser.add_argument("--only", choices=["demo", "cohort"])
    parser.add_argument("--save", type=Path, help="Write each plan found (rows of the "
                        "placed members, per round and circle) to this JSON file.")
    args = parser.parse_args()
    print(machine())
    found_plans: dict[str, Any] = {}
    cases = [("demo community", 0.95, 0.90), ("cohort of 60, no availability", 0.97, 0.93)]
    for label, ratio, target in cases:
        if args.only and not label.startswith(args.only):
            continue
        with scratch_database() as db:
            if label.startswith("demo"):
                load_demo(db)
                db.commit()
                cid = db.scalar(select(Community.id).order_by(Community.id).limit(1))
            else:
                cid = build_cohort(db, 60, random.Random(11 + 60), availability=False)
                db.commit()
            problem = problem_of(db, cid)
            db.rollback()
        found = solve_exact(problem, ratio, args.seconds)
        print(f"{label}: {len(problem['top'])} members, CP-SAT {found['status'].lower()} "
              f"after {found['seconds']:.0f} s; {found['known']} known pairs among the plan's "
              f"{found['pairs']} (a new-tie ratio ≥ {ratio} allows "
              f"{math.floor((1 - ratio) * found['pairs'])})")
        print("  top questions answered per round: "
              + ", ".join(f"{share:.3f}" for share in found["rounds"])
              + f" (target ≥ {target} in every round; {found['asked']} asked)")
        found_plans[label] = found["plan"]
    if args.save:
        args.save.write_text(json.dumps(found_plans))


if __name__ == "__main__":
    main()
