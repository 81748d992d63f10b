"""Planning a started run: read what the solve needs (``prepare_run``), solve every round at
once without the database (``solve_run``), and store the plan with who was left out and why
(``store_run``); ``compute_run`` does all three."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
from flask_babel import gettext as _
from sqlalchemy.orm import Session

from circles.errors import Conflict, InvalidInput, NotFound
from circles.formation.capacity import answerable, ceiling_note, short_of_new_people
from circles.formation.constraints import constraints_for
from circles.formation.figures import counts_by_round, from_counts, random_rounds
from circles.formation.infeasible import infeasible
from circles.formation.pair_utility import Utilities, pair_utilities
from circles.formation.problem import Problem, Solved, bounds_for, time_cap
from circles.formation.report import keep_set_aside, refresh_figures
from circles.formation.solve import greedy, solve
from circles.formation.start import DEFAULT_SEED, pool_ids, sentence, set_aside_prefix
from circles.kept import each_in_every_language, in_every_language, keep
from circles.languages import term
from circles.models import FormationRun
from graph.errors import InfeasibleError


def draft_run(db: Session, run_id: int) -> FormationRun:
    run = db.get(FormationRun, run_id)
    if run is None:
        raise NotFound("formation run")
    if run.status != "draft":
        raise Conflict(_("This formation run is already %(status)s.", status=term(run.status)))
    return run


def run_utilities(db: Session, run: FormationRun,
                  member_ids: list[int] | None = None) -> tuple[np.ndarray, Utilities]:
    """Pair utilities for the run's members (by default everyone still in the community)."""
    ids = member_ids if member_ids is not None else current_members(db, run)
    return pair_utilities(db, run.community_id, ids, run.params["weights"],
                          monday=date.fromisoformat(run.params["week_of"]))


def current_members(db: Session, run: FormationRun) -> list[int]:
    """The run's pool as it was started, less anyone who has left the community since."""
    still = set(pool_ids(db, run.community_id))
    return [uid for uid in run.params["member_ids"] if uid in still]


def problem_for(db: Session, run: FormationRun, member_ids: list[int],
                pins: dict[tuple[int, int], int] | None = None, *,
                exclude: bool = True) -> Problem:
    """The solve's inputs for ``member_ids``: utilities, rules, who can be placed (everyone
    when not ``exclude``: to check a plan as it stands), pins."""
    _, util = run_utilities(db, run, member_ids)
    rules = constraints_for(db, run.community_id, util, min_size=run.params["min_size"])
    placed = [i for i in range(len(util.members)) if not exclude or i not in rules.excluded]
    return Problem(run.id, dict(run.params), util, rules, placed, pins or {})


def smallest_circle(n: int, min_size: int, max_size: int, rounds: int = 1) -> int:
    """The smallest circle the sizes give ``n`` members (``min_size`` when none fit)."""
    try:
        return min(lo for lo, _ in bounds_for(n, min_size, max_size, rounds))
    except InfeasibleError:
        return min_size


def short_notes(problem: Problem) -> list[str]:
    """Before solving, in words: members who cannot meet only new people in every round."""
    rounds = problem.params["rounds"]
    if rounds < 2:
        return []
    smallest = smallest_circle(len(problem.placed), problem.params["min_size"],
                               problem.params["max_size"], rounds)
    short = short_of_new_people(problem.rules, len(problem.util.members), problem.placed,
                                smallest, rounds)
    return [_("%(name)s shares an hour with too few people they have not met to meet only new "
              "people in all %(rounds)s rounds (at most %(most)s); they may meet someone "
              "again.", name=problem.util.members[row].name, rounds=rounds, most=most)
            for row, most in sorted(short.items())]


def prepare_run(db: Session, run_id: int, *, time_limit: float | None = None,
                seed: int | None = None) -> Problem:
    """Read what solving the run needs and check its sizes can cover the pool; writes nothing,
    so the caller can end the transaction before a solve of several seconds."""
    run = draft_run(db, run_id)
    problem = problem_for(db, run, current_members(db, run), lock_pins(run))
    params = problem.params
    params["seed"] = seed if seed is not None else params.get("seed", DEFAULT_SEED)
    params["time_limit"] = time_limit if time_limit is not None else time_cap(len(problem.placed))
    try:
        bounds_for(len(problem.placed), params["min_size"], params["max_size"], params["rounds"])
    except InfeasibleError as exc:  # said from the runner and kept with the run
        def why(error: InfeasibleError = exc) -> str:
            return sentence(set_aside_prefix(problem.util, problem.rules.excluded)
                            + infeasible(error))
        raise InvalidInput.field("min_size", in_every_language(why)) from exc
    return problem


def lock_pins(run: FormationRun) -> dict[tuple[int, int], int]:
    """Round 1 pins for a fresh solve: each locked pair (or chain of pairs) in a circle of its
    own."""
    pins: dict[tuple[int, int], int] = {}
    circle_of: dict[int, int] = {}
    for a, b in run.locked:
        home = circle_of.get(a, circle_of.get(b, len(set(circle_of.values()))))
        circle_of[a] = circle_of[b] = home
    for uid, g in circle_of.items():
        pins[(0, uid)] = g
    return pins


def solve_run(problem: Problem, progress: Callable[[float], None] | None = None) -> Solved:
    """Solve a prepared run; touches no database."""
    params = problem.params
    return solve(problem, params["rounds"], seed=params["seed"],
                 time_limit=params["time_limit"], progress=progress)


def store_run(db: Session, problem: Problem, solution: Solved) -> FormationRun:
    """Write the plan, its exclusions (with reasons), the rules it breaks and its figures."""
    run = draft_run(db, problem.run_id)
    util = problem.util
    run.params = {**problem.params, "pins": [[r + 1, uid, g] for (r, uid), g
                                             in sorted(problem.pins.items())]}
    run.plan = {"rounds": solution.rounds}
    run.excluded = [{"user_id": util.members[i].id, "reason": keep(reason)}
                    for i, reason in sorted(problem.rules.excluded.items())]
    seed = problem.params["seed"]
    # The notes are kept with the run, written where no reader is (the runner): in every
    # language (circles.kept).
    before = [keep(note) for note in each_in_every_language(lambda: short_notes(problem))]
    baselines = {"random": random_rounds(solution.rounds, seed=seed),
                 "greedy": greedy(problem, len(solution.rounds), seed=seed)}
    run.figures = {"baselines": {name: [from_counts(c) | {"counts": c}
                                        for c in counts_by_round(plan, util)]
                                 for name, plan in baselines.items()},
                   "complete": solution.complete, "before": before}
    ceiling = answerable(problem.rules, util, problem.placed, len(solution.rounds))
    run.figures["ceiling"] = {"complementarity_coverage": ceiling.plan,
                              "complementarity_coverage_per_round": ceiling.round}
    run.figures["before"] += [keep(note) for note in each_in_every_language(
        lambda: ceiling_note(ceiling, len(solution.rounds)))]
    keep_set_aside(run, solution.set_aside, first=1)
    refresh_figures(run, solution.rounds, util, solution.breaks, first=1)
    return run


def compute_run(db: Session, run_id: int, *, progress: Callable[[float], None] | None = None,
                time_limit: float | None = None, seed: int | None = None) -> FormationRun:
    """Solve the run and store its plan in one go (prepare → solve → store)."""
    problem = prepare_run(db, run_id, time_limit=time_limit, seed=seed)
    return store_run(db, problem, solve_run(problem, progress))
