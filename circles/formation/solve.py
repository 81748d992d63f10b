"""Solving a formation problem with ``graph.plan``: every round at once, or re-optimising the
rounds not yet published from the plan as it stands; checking a plan against the rules;
and the greedy baseline the figures compare with."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np

from circles.formation.problem import (
    BUDGET_SHARE,
    SET_ASIDE,
    STEPS_PER_MEMBER,
    Break,
    Problem,
    Rounds,
    Solved,
    bounds_for,
    steps_per_second,
    time_cap,
)
from circles.kept import in_every_language
from graph.plan import breaks, columns, greedy_plan, plan_circles

#: Bonus for a member who stays in their circle when a plan is re-optimised, as a share of a
#: typical member's pair utilities in a circle: around a hand edit the rest may improve;
#: preparing a published plan's next round keeps its circles unless a rule moves someone.
KEEP_SHARE = {"edit": 0.2, "prepare": 10.0}


#: Steps (per member and round) when re-optimising around an edit, and at most
#: ``EDIT_MAX_STEPS`` in all: a second or two at most on the project's machine (at 400 members
#: and 3 rounds, 600 per member and round took 1.7–2.4 s an edit; 375 took 1.3–1.7 s with the
#: same edits kept and 0.003 less coverage — docs/benchmarks.md).
EDIT_STEPS, EDIT_MAX_STEPS = 600, 450_000


def edit_steps(members: int, rounds: int) -> int:
    """Steps of the search that re-optimises a plan around an edit.

    >>> edit_steps(60, 3), edit_steps(400, 3), edit_steps(2000, 1)
    (108000, 450000, 450000)
    """
    return min(EDIT_STEPS * members * rounds, EDIT_MAX_STEPS)


#: Weight of the balance between rounds, as a share of the coverage weight: each round costs
#: it × (top questions nobody in their circle answers)² / (members asking), so a top question
#: answered in the round that answers fewest is worth more than one in a round that answers
#: most, and no round is left far behind the others (docs/formation.md).
BALANCE_SHARE = 3.0


def _inputs(problem: Problem, circles: int | None = None) -> dict[str, Any]:
    util, rules, rows = problem.util, problem.rules, problem.placed
    local = {row: k for k, row in enumerate(rows)}

    def pairs(found: set[tuple[int, int]]) -> list[tuple[int, int]]:
        return [(local[a], local[b]) for a, b in found if a in local and b in local]

    members = [util.members[row] for row in rows]
    return {
        "weights": util.matrix[np.ix_(rows, rows)],
        "bounds": bounds_for(len(rows), problem.params["min_size"], problem.params["max_size"],
                             problem.params.get("rounds", 1), circles),
        "needs": [m.weighted_needs for m in members],
        "gives": [set(m.strengths) for m in members],
        "windows": None if rules.starts is None else rules.starts[rows],
        "forbidden": pairs(rules.forbidden),
        "met": pairs(rules.met),
        "cover_weight": float(problem.params["weights"].get("coverage", 0.0)),
    }


def solve(problem: Problem, rounds: int, *, first_round: int = 1, initial: Rounds | None = None,
          seed: int = 0, time_limit: float | None = None, editing: str = "",
          progress: Callable[[float], None] | None = None) -> Solved:
    """Plan ``rounds`` rounds (numbered from ``first_round``) for the placed members.

    ``initial`` (user ids) is where a re-optimisation starts; ``editing`` ("edit" or
    "prepare") keeps members in their circles unless moving them pays (``KEEP_SHARE``), and
    searches for a second or two."""
    inputs = _inputs(problem, max((len(c) for c in initial), default=0) if initial else None)
    rows = problem.placed
    local_of = {problem.util.members[row].id: k for k, row in enumerate(rows)}
    start = None if initial is None else [
        [[local_of[uid] for uid in circle if uid in local_of] for circle in circles]
        for circles in initial]
    pins = {(r, local_of[uid]): g for (r, uid), g in problem.pins.items()
            if uid in local_of and r < rounds}
    n = len(rows)
    keep = (KEEP_SHARE.get(editing, 1.0) * typical_share(inputs["weights"], inputs["bounds"])
            if initial else 0.0)
    cap = time_limit or time_cap(n)
    steps = edit_steps(n, rounds) if editing else min(
        STEPS_PER_MEMBER * n * rounds, int(steps_per_second(n) * cap * BUDGET_SHARE))
    plan = plan_circles(**inputs, rounds=rounds, pinned=pins, initial=start, keep=keep,
                        set_aside=problem.params["min_size"],
                        relax_repeats=bool(problem.params.get("allow_repeats")),
                        balance=BALANCE_SHARE * inputs["cover_weight"],
                        steps=steps, time_limit=cap, seed=seed, progress=progress)
    ids = [problem.util.members[row].id for row in rows]
    # A circle whose members could only have met again is taken apart (graph.plan): gone.
    kept = [[g for g, circle in enumerate(circles) if circle] for circles in plan.rounds]
    found = [Break(str(kind), first_round + int(r),
                   *_where(kind, rest, plan.rounds[int(r)], ids, kept[int(r)]))
             for kind, r, *rest in plan.breaks]
    why = {r: in_every_language(partial(_set_aside, first_round + r))
           for r, members in enumerate(plan.aside) if members}
    return Solved([[[ids[k] for k in circles[g]] for g in kept[r]]
                   for r, circles in enumerate(plan.rounds)],
                  found, plan.complete,
                  {first_round + r: {ids[k]: why[r] for k in members}
                   for r, members in enumerate(plan.aside) if members})


def _set_aside(round_no: int) -> str:
    return str(SET_ASIDE) % {"round_no": round_no}


def _breaks_of(inputs: dict[str, Any], local: list[list[list[int]]]) -> list[tuple[Any, ...]]:
    n = len(inputs["weights"])
    hard = np.zeros((n, n), dtype=np.int8)
    prior = np.zeros((n, n), dtype=np.int32)
    for matrix, found in ((hard, inputs["forbidden"]), (prior, inputs["met"])):
        for a, b in found:
            matrix[a, b] = matrix[b, a] = 1
    cols = None if inputs["windows"] is None else columns(inputs["windows"])
    return breaks(local, hard=hard, prior=prior, cols=cols)


def _where(kind: object, rest: Sequence[object], circles: list[list[int]],
           ids: list[int], kept: list[int]) -> tuple[int, tuple[int, ...]]:
    """(circle index among the ``kept`` ones, members) of a break from ``graph.plan``'s
    local rows."""
    if kind == "window":
        g = int(str(rest[0]))
        return kept.index(g), tuple(sorted(ids[k] for k in circles[g]))
    a, b = (int(str(x)) for x in rest)
    g = next(i for i, circle in enumerate(circles) if a in circle)
    return kept.index(g), tuple(sorted((ids[a], ids[b])))


def typical_share(weights: np.ndarray, bounds: list[tuple[int, int]]) -> float:
    """A member's typical sum of pair utilities in a circle: mean |utility| × (size − 1)."""
    n = len(weights)
    if n < 2:
        return 0.0
    mean = float(np.abs(weights).sum()) / (n * (n - 1))
    return mean * max(1.0, n / len(bounds) - 1)


def greedy(problem: Problem, rounds: int, *, seed: int) -> Rounds:
    """The greedy baseline on the same inputs, in user ids."""
    inputs = _inputs(problem)
    plan = greedy_plan(**inputs, rounds=rounds, seed=seed)
    ids = [problem.util.members[row].id for row in problem.placed]
    return [[[ids[k] for k in circle] for circle in circles] for circles in plan]


def check(problem: Problem, rounds: Rounds, *, first_round: int = 1) -> list[Break]:
    """The rules ``rounds`` (user ids, numbered from ``first_round``) break under the
    problem's rules; a member not among the placed ones breaks nothing here."""
    inputs = _inputs(problem)
    rows = problem.placed
    local_of = {problem.util.members[row].id: k for k, row in enumerate(rows)}
    ids = [problem.util.members[row].id for row in rows]
    local = [[[local_of[uid] for uid in circle if uid in local_of] for circle in circles]
             for circles in rounds]
    return [Break(str(kind), first_round + int(r),
                  *_where(kind, rest, local[int(r)], ids, list(range(len(local[int(r)])))))
            for kind, r, *rest in _breaks_of(inputs, local)]
