"""Formation runs: choose sizes, rounds and weights, then solve for circles that widen networks.

``start_run`` validates and records a draft; ``compute_run`` builds the pair utilities and
hard constraints, hands plain data to ``graph/`` and stores the plan, what was left out and
why, and the figures beside a random baseline. Preview, hand edits and publishing live in
``circles.formation_runs``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.availability import week_of
from circles.circle import GROUP_MAX
from circles.errors import Conflict, InvalidInput, NotFound
from circles.figures import plan_figures, random_rounds
from circles.formation_constraints import Constraints, constraints_for, fix_common_time
from circles.models import Community, FormationRun, Membership, User
from circles.utility import DEFAULT_WEIGHTS, Utilities, pair_utilities
from graph.errors import FormationError, InfeasibleError
from graph.sizes import group_bounds

MAX_ROUNDS = 12
MAX_WEIGHT = 100.0
DEFAULT_TIME_LIMIT = 2.0
LOCK_BONUS = 1e6  # keeps a locked pair together where a solver takes no ``locked`` argument

__all__ = ["DEFAULT_WEIGHTS", "community_weights", "compute_run", "pool_ids", "start_run"]


def community_weights(community: Community) -> dict[str, float]:
    """The community's weights, with the defaults for any it has not chosen."""
    chosen = community.formation_weights or {}
    return {key: float(chosen.get(key, value)) for key, value in DEFAULT_WEIGHTS.items()}


def check_weights(raw: dict[str, Any]) -> tuple[dict[str, float], dict[str, str]]:
    """Weights as numbers from 0 to 100, and a problem per field (named after the key)."""
    errors: dict[str, str] = {}
    unknown = sorted(set(raw) - set(DEFAULT_WEIGHTS))
    if unknown:
        errors["weights"] = f"Unknown weight: {', '.join(unknown)}."
    weights: dict[str, float] = {}
    for key in DEFAULT_WEIGHTS:
        if key not in raw or raw[key] in (None, ""):
            continue
        try:
            value = float(raw[key])
        except (TypeError, ValueError):
            errors[key] = "Use a number from 0 to 100."
            continue
        if not 0 <= value <= MAX_WEIGHT:  # also refuses NaN, which compares false
            errors[key] = "Use a number from 0 to 100."
        else:
            weights[key] = value
    return weights, errors


def _whole(errors: dict[str, str], field: str, value: Any, lo: int, hi: int, what: str) -> int:
    try:
        number = int(value)
        if number != value and str(number) != str(value).strip():
            raise ValueError
    except (TypeError, ValueError):
        errors[field] = f"Use a whole number of {what}."
        return 0
    if not lo <= number <= hi:
        errors[field] = f"Choose from {lo} to {hi} {what}."
    return number


def _sentence(text: str) -> str:
    """A solver message as a sentence for the form: capital first, full stop last."""
    return f"{text[:1].upper()}{text[1:].rstrip('.')}."


def pool_ids(db: Session, community_id: int) -> list[int]:
    """Who formation places: the community's active members (facilitators run it), less
    those who asked for a break after calling it a day."""
    return list(db.scalars(
        select(User.id).join(Membership, Membership.user_id == User.id)
        .where(Membership.community_id == community_id, Membership.role == "member", User.is_active,
               Membership.wants_rematch)
        .order_by(User.id)))


def bounds_for(n: int, min_size: int, max_size: int) -> list[tuple[int, int]]:
    """Group bounds; pairs with an odd count get one trio rather than a refusal."""
    if min_size == max_size == 2 and n >= 3 and n % 2:
        return [(2, 2)] * (n // 2 - 1) + [(3, 3)]
    return group_bounds(n, min_size=min_size, max_size=max_size)


def start_run(db: Session, community: Community, creator: User, *, min_size: Any, max_size: Any,
              rounds: Any = 1, weights: dict[str, Any] | None = None,
              today: date | None = None) -> FormationRun:
    """Record a draft run after checking every field; the chosen weights become the
    community's. Raises InvalidInput naming min_size, max_size, rounds or a weight key."""
    errors: dict[str, str] = {}
    low = _whole(errors, "min_size", min_size, 2, GROUP_MAX, "members")
    high = _whole(errors, "max_size", max_size, 2, GROUP_MAX, "members")
    count = _whole(errors, "rounds", rounds, 1, MAX_ROUNDS, "rounds")
    if not errors.keys() & {"min_size", "max_size"} and low > high:
        errors["max_size"] = "The largest size must be at least the smallest."
    chosen, weight_errors = check_weights(weights or {})
    errors.update(weight_errors)
    pool = pool_ids(db, community.id)
    if not errors.keys() & {"min_size", "max_size"}:
        try:
            bounds_for(len(pool), low, high)
        except InfeasibleError as exc:
            errors["min_size"] = _sentence(str(exc))
    if errors:
        raise InvalidInput(errors)
    community.formation_weights = {**(community.formation_weights or {}), **chosen}
    run = FormationRun(
        community_id=community.id, created_by_id=creator.id, status="draft", plan={},
        locked=[], figures={}, excluded=[],
        params={"min_size": low, "max_size": high, "rounds": count,
                "weights": community_weights(community), "member_ids": pool,
                "week_of": week_of(today or date.today()).isoformat()},
    )
    db.add(run)
    db.flush()
    return run


def draft_run(db: Session, run_id: int) -> FormationRun:
    run = db.get(FormationRun, run_id)
    if run is None:
        raise NotFound("formation run")
    if run.status != "draft":
        raise Conflict(f"This formation run is already {run.status}.")
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


@dataclass(frozen=True)
class Problem:
    """Everything a run's solve needs, read from the database as plain data (no session)."""

    run_id: int
    params: dict[str, Any]
    locked: list[list[int]]
    matrix: np.ndarray
    util: Utilities
    rules: Constraints
    placed: list[int]


@dataclass(frozen=True)
class Solution:
    rounds: list[list[list[int]]]
    unscheduled: list[list[int]]
    softened: bool


def prepare_run(db: Session, run_id: int, *, time_limit: float | None = None,
                seed: int | None = None) -> Problem:
    """Read what solving the run needs and check its sizes can cover the pool; writes nothing,
    so the caller can end the transaction before a solve of several seconds."""
    run = draft_run(db, run_id)
    params = dict(run.params)
    params["seed"] = seed if seed is not None else params.get("seed", 0)
    params["time_limit"] = time_limit if time_limit is not None else params.get(
        "time_limit", DEFAULT_TIME_LIMIT)
    matrix, util = run_utilities(db, run)
    rules = constraints_for(db, run.community_id, util)
    placed = [i for i in range(len(util.members)) if i not in rules.excluded]
    try:
        bounds_for(len(placed), params["min_size"], params["max_size"])
    except InfeasibleError as exc:
        aside = [f"{util.members[i].name} ({why.split(': ', 1)[-1].rstrip('.')})"
                 for i, why in sorted(rules.excluded.items())]
        prefix = f"with {'; '.join(aside[:3])}{' …' if len(aside) > 3 else ''} set aside, " \
            if aside else ""
        raise InvalidInput.field("min_size", _sentence(prefix + str(exc))) from exc
    return Problem(run.id, params, [list(pair) for pair in run.locked], matrix, util, rules,
                   placed)


def solve_run(problem: Problem, progress: Callable[[float], None] | None = None) -> Solution:
    """Solve a prepared run; touches no database."""
    rounds, softened = _solve_or_soften(problem, progress)
    sizes = (problem.params["min_size"], problem.params["max_size"])
    unscheduled = [fix_common_time(circles, problem.util, problem.rules, sizes)
                   for circles in rounds]
    if progress is not None:
        progress(1.0)
    return Solution(rounds, unscheduled, softened)


def store_run(db: Session, problem: Problem, solution: Solution) -> FormationRun:
    """Write the solved plan, its exclusions (with reasons) and its figures onto the run."""
    run = draft_run(db, problem.run_id)
    util = problem.util
    run.params = problem.params
    run.plan = {"rounds": solution.rounds}
    run.excluded = [{"user_id": util.members[i].id, "reason": reason}
                    for i, reason in sorted(problem.rules.excluded.items())]
    run.figures = describe(solution.rounds, util, seed=problem.params["seed"],
                           unscheduled=solution.unscheduled)
    if solution.softened:
        run.figures["notes"].insert(0, "Weekly availability left no way to keep every pair "
                                    "that shares no hour apart; such pairs were avoided "
                                    "where possible instead.")
    return run


def compute_run(db: Session, run_id: int, *, progress: Callable[[float], None] | None = None,
                time_limit: float | None = None, seed: int | None = None) -> FormationRun:
    """Solve the run and store its plan in one go (prepare → solve → store)."""
    problem = prepare_run(db, run_id, time_limit=time_limit, seed=seed)
    return store_run(db, problem, solve_run(problem, progress))


def _solve_or_soften(problem: Problem, progress: Callable[[float], None] | None,
                     ) -> tuple[list[list[list[int]]], bool]:
    """Solve with every forbidden pair; if availability makes that impossible, keep
    separations and ended circles hard and turn "no shared hour" into a strong penalty."""
    rules = problem.rules
    try:
        return _solve(problem, problem.matrix, rules.forbidden, progress), False
    except InfeasibleError:
        soft = {pair for pair, cause in rules.causes.items() if cause == "time"}
        if not soft:
            raise InvalidInput.field("min_size", "Separations and ended circles leave no way to "
                                     "form circles of these sizes: try other sizes.") from None
    # As strong as a new tie: shared time is then preferred, not bought at any price (the
    # circle-level check below still reports circles without an hour in common).
    penalised = problem.matrix.copy()
    penalty = max(problem.params["weights"]["new_tie"], 1.0)
    for a, b in soft:
        penalised[a, b] = penalised[b, a] = -penalty
    try:
        return _solve(problem, penalised, rules.forbidden - soft, progress), True
    except FormationError as exc:
        raise InvalidInput.field("min_size", "Separations and ended circles leave no way to "
                                 "form circles of these sizes: try other sizes.") from exc


def _solve(problem: Problem, matrix: np.ndarray, forbidden_rows: set[tuple[int, int]],
           progress: Callable[[float], None] | None) -> list[list[list[int]]]:
    """Hand the solvers plain data for the placed members; answer in user ids."""
    params, util, placed = problem.params, problem.util, problem.placed
    sub = matrix[np.ix_(placed, placed)].copy()
    local = {g: k for k, g in enumerate(placed)}
    forbidden = [(local[a], local[b]) for a, b in forbidden_rows if a in local and b in local]
    locked = [[local[util.index[uid]] for uid in pair if util.index.get(uid) in local]
              for pair in problem.locked]
    locked = [pair for pair in locked if len(pair) == 2]
    bounds = bounds_for(len(placed), params["min_size"], params["max_size"])
    pairs = params["min_size"] == params["max_size"] == 2
    options: dict[str, Any] = {"seed": params["seed"], "forbidden": forbidden}
    if params["rounds"] > 1 or pairs:
        for a, b in locked:
            sub[a, b] = sub[b, a] = LOCK_BONUS
    if params["rounds"] > 1:
        from graph.rounds import plan_rounds

        # A pair meeting again in the plan still scores its utility, new-tie bonus included;
        # the penalty takes that bonus back as well as charging for the repeat.
        w = params["weights"]
        repeat = w["repeat_penalty"] + w["new_tie"] * (1 + w["equity"])
        plans = plan_rounds(sub, bounds, params["rounds"], time_limit=params["time_limit"],
                            repeat_penalty=repeat, progress=progress, **options)
        local_rounds = [plan.groups for plan in plans]
    elif pairs:
        from graph.pairs import pair_up

        local_rounds = [pair_up(sub, **options)]
    else:
        from graph.mdgp import solve_groups

        local_rounds = [solve_groups(sub, bounds, time_limit=params["time_limit"], locked=locked,
                                     progress=progress, **options).groups]
    return [[sorted(util.members[placed[k]].id for k in circle) for circle in circles]
            for circles in local_rounds]


def describe(rounds: list[list[list[int]]], util: Utilities, *, seed: int,
             unscheduled: list[list[int]], first_round: int = 1) -> dict[str, Any]:
    """Figures of the plan beside a seeded random grouping of the same sizes, and notes.

    ``rounds`` starts at round ``first_round``: once earlier rounds are published they are
    circles in the database, so the utilities already count them as meetings."""
    notes: list[str] = []
    free = [m.name for m in util.members if not m.has_availability]
    if free:
        notes.append(f"{len(free)} member{'s' if len(free) != 1 else ''} gave no weekly "
                     "availability and count as free at any time.")
    for round_no, circles in enumerate(unscheduled, start=first_round):
        for index in circles:
            notes.append(f"Round {round_no} · Circle {index + 1} has no hour a week that "
                         "everyone shares: move a member by hand.")
    return {"plan": plan_figures(rounds, util),
            "baseline": plan_figures(random_rounds(rounds, seed=seed), util),
            "notes": notes, "unscheduled": unscheduled}
