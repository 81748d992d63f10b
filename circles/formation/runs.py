"""Formation runs: choose sizes, rounds and weights, then solve for circles that widen networks.

``start_run`` validates, checks before any solving that the rules can hold for the rounds
asked for, and records a draft. ``prepare_run`` reads what a solve needs, ``solve_run``
plans every round at once (``circles.formation.solve``), and ``store_run`` keeps the plan,
who was left out and why, the rules it could not keep, and the figures per round and for
the whole plan beside a random and a greedy grouping. Preview, hand edits and publishing
live in ``circles.formation.preview``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.communities.circle import GROUP_MAX
from circles.errors import Conflict, InvalidInput, NotFound
from circles.formation.constraints import (
    answerable,
    ceiling_note,
    cohort_rounds,
    constraints_for,
    short_of_new_people,
)
from circles.formation.figures import counts_by_round, from_counts, random_rounds, total
from circles.formation.pair_utility import DEFAULT_WEIGHTS, Utilities, pair_utilities
from circles.formation.solve import Problem, Solved, bounds_for, greedy, solve, time_cap
from circles.members.availability import week_of
from circles.models import Community, FormationRun, Membership, User, utcnow
from graph.errors import InfeasibleError

MAX_ROUNDS = 12
MAX_WEIGHT = 100.0
DEFAULT_SEED = 1
MAX_SEED = 2**31 - 1

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


def sentence(text: str) -> str:
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


def start_run(db: Session, community: Community, creator: User, *, min_size: Any, max_size: Any,
              rounds: Any = 1, weights: dict[str, Any] | None = None,
              allow_repeats: bool = False, seed: Any = None,
              today: date | None = None) -> FormationRun:
    """Record a draft run after checking every field and that the rounds asked for can keep
    everyone meeting new people (unless ``allow_repeats``); the chosen weights become the
    community's. Raises InvalidInput naming min_size, max_size, rounds, seed or a weight."""
    errors: dict[str, str] = {}
    low = _whole(errors, "min_size", min_size, 2, GROUP_MAX, "members")
    high = _whole(errors, "max_size", max_size, 2, GROUP_MAX, "members")
    count = _whole(errors, "rounds", rounds, 1, MAX_ROUNDS, "rounds")
    chosen_seed = DEFAULT_SEED if seed in (None, "") else _whole(
        errors, "seed", seed, 0, MAX_SEED, "for the seed")
    if not errors.keys() & {"min_size", "max_size"} and low > high:
        errors["max_size"] = "The largest size must be at least the smallest."
    chosen, weight_errors = check_weights(weights or {})
    errors.update(weight_errors)
    pool = pool_ids(db, community.id)
    monday = week_of(today or date.today())
    if not errors:
        _check_feasible(db, community.id, pool, monday, low, high, count, allow_repeats, errors)
    if errors:
        raise InvalidInput(errors)
    community.formation_weights = {**(community.formation_weights or {}), **chosen}
    run = FormationRun(
        community_id=community.id, created_by_id=creator.id, status="draft", plan={},
        locked=[], figures={}, excluded=[],
        params={"min_size": low, "max_size": high, "rounds": count,
                "weights": community_weights(community), "member_ids": pool,
                "week_of": monday.isoformat(), "seed": chosen_seed,
                "allow_repeats": bool(allow_repeats), "pins": []},
    )
    db.add(run)
    db.flush()
    return run


def _check_feasible(db: Session, community_id: int, pool: list[int], monday: date, low: int,
                    high: int, rounds: int, allow_repeats: bool, errors: dict[str, str]) -> None:
    """Before solving: sizes that cover everyone who can be placed (those who cannot are
    named, with why), and few enough rounds that the cohort can still meet only new people
    (each round takes ``smallest - 1`` new people from everyone a member has not met)."""
    _, util = pair_utilities(db, community_id, pool, {}, monday=monday, with_matrix=False)
    rules = constraints_for(db, community_id, util, min_size=low)
    rows = [i for i in range(len(pool)) if i not in rules.excluded]
    try:
        bounds = bounds_for(len(rows), low, high, rounds)
    except InfeasibleError as exc:
        errors["min_size"] = sentence(set_aside_prefix(util, rules.excluded) + str(exc))
        return
    if rounds == 1 or allow_repeats:
        return
    smallest = min(lo for lo, _ in bounds)
    most = cohort_rounds(rules, len(pool), rows, smallest)
    if len(bounds) < smallest:  # a later circle takes at most one from each earlier circle
        most = min(most, 1)
    if rounds > most:
        errors["rounds"] = (
            f"{len(rows)} members in circles of {smallest}{'' if low == high else ' or more'} "
            f"can meet only new people for at most {most} round{'s' if most != 1 else ''}: "
            f"plan {max(most, 1)} or fewer, or let people meet again where there is no "
            "other way.")


def set_aside_prefix(util: Utilities, excluded: dict[int, str]) -> str:
    """"with Nia (no weekly hour in common with 3 other members) set aside, " — or ""."""
    aside = [f"{util.members[i].name} ({why.split(': ', 1)[-1].rstrip('.')})"
             for i, why in sorted(excluded.items())]
    if not aside:
        return ""
    return f"with {'; '.join(aside[:3])}{' …' if len(aside) > 3 else ''} set aside, "


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
    return [f"{problem.util.members[row].name} shares an hour with too few people they have "
            f"not met to meet only new people in all {rounds} rounds (at most {most}); "
            "they may meet someone again." for row, most in sorted(short.items())]


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
    except InfeasibleError as exc:
        prefix = set_aside_prefix(problem.util, problem.rules.excluded)
        raise InvalidInput.field("min_size", sentence(prefix + str(exc))) from exc
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
    run.excluded = [{"user_id": util.members[i].id, "reason": reason}
                    for i, reason in sorted(problem.rules.excluded.items())]
    seed = problem.params["seed"]
    baselines = {"random": random_rounds(solution.rounds, seed=seed),
                 "greedy": greedy(problem, len(solution.rounds), seed=seed)}
    run.figures = {"baselines": {name: [from_counts(c) | {"counts": c}
                                        for c in counts_by_round(plan, util)]
                                 for name, plan in baselines.items()},
                   "complete": solution.complete, "before": short_notes(problem)}
    ceiling, short = answerable(problem.rules, util, problem.placed, len(solution.rounds))
    run.figures["ceiling"] = {"complementarity_coverage": ceiling}
    run.figures["before"] += ceiling_note(ceiling, short, len(solution.rounds))
    keep_set_aside(run, solution.set_aside, first=1)
    refresh_figures(run, solution.rounds, util, solution.breaks, first=1)
    return run


def keep_set_aside(run: FormationRun, found: dict[int, dict[int, str]], *, first: int) -> None:
    """Store who is set aside in which round (rounds before ``first`` keep theirs)."""
    kept = {k: v for k, v in (run.figures.get("set_aside") or {}).items() if int(k) < first}
    kept.update({str(r): {str(uid): why for uid, why in members.items()}
                 for r, members in found.items()})
    run.figures = {**run.figures, "set_aside": kept}


def set_aside_in(run: FormationRun, round_no: int) -> list[dict[str, Any]]:
    """Everyone not placed in round ``round_no``: left out of the whole plan, or only this
    round (``{user_id, reason}``)."""
    rows = [dict(row) for row in run.excluded]
    for uid, why in (run.figures.get("set_aside") or {}).get(str(round_no), {}).items():
        rows.append({"user_id": int(uid), "reason": why, "round": round_no})
    return rows


def refresh_figures(run: FormationRun, rounds: list[list[list[int]]], util: Utilities,
                    breaks: list[Any], *, first: int) -> None:
    """Figures of rounds ``first`` on (earlier rounds keep the figures they were published
    with), the plan's totals, the rules it breaks, and the notes; a new dict, so it is saved."""
    figures = dict(run.figures)
    fresh = counts_by_round(rounds[first - 1:], util)
    kept = list(figures.get("rounds", []))[: first - 1]
    rows = kept + [from_counts(c) | {"counts": c} for c in fresh]
    figures["rounds"] = rows
    figures["plan"] = from_counts(total([row["counts"] for row in rows]))
    for name, values in figures.get("baselines", {}).items():
        figures[name if name != "random" else "baseline"] = from_counts(
            total([row["counts"] for row in values]))
    figures["breaks"] = [b.as_dict() for b in breaks]
    figures["notes"] = _notes(util, figures)
    run.figures = figures


def _notes(util: Utilities, figures: dict[str, Any]) -> list[str]:
    notes: list[str] = list(figures.get("before", []))
    free = [m.name for m in util.members if not m.has_availability]
    if free:
        notes.append(f"{len(free)} member{'s' if len(free) != 1 else ''} gave no weekly "
                     "availability and count as free at any time.")
    aside = {uid for members in (figures.get("set_aside") or {}).values() for uid in members}
    if aside:
        notes.append(f"{len(aside)} member{'s' if len(aside) != 1 else ''} sit at least one "
                     "round out: no circle of people new to them shared their hours there. "
                     "Fewer rounds, or letting people meet again, would place more of them.")
    if figures.get("complete") is False:
        notes.append("The search stopped at its time limit before its usual number of steps: "
                     "the same seed may give a slightly different plan.")
    return notes


def compute_run(db: Session, run_id: int, *, progress: Callable[[float], None] | None = None,
                time_limit: float | None = None, seed: int | None = None) -> FormationRun:
    """Solve the run and store its plan in one go (prepare → solve → store)."""
    problem = prepare_run(db, run_id, time_limit=time_limit, seed=seed)
    return store_run(db, problem, solve_run(problem, progress))


# --- runs interrupted by a crash -----------------------------------------------------------

#: A run still computing this long after its time cap was lost with its process.
LOST_AFTER = timedelta(seconds=60)
LOST = ("The server stopped while it was forming these circles, so the run did not finish. "
        "Retry it: the same settings and seed give the same plan.")


def mark_computing(run: FormationRun, process_id: str | None,
                   time_limit: float | None = None) -> None:
    """Note who computes the run, since when and for how long at most, so a crash can be
    told from slowness."""
    cap = time_limit or time_cap(len(run.params.get("member_ids", [])))
    run.params = {**run.params, "computing": {"process": process_id, "cap": cap,
                                              "since": utcnow().isoformat()}}


def interrupted(run: FormationRun, *, alive: Callable[[str], bool],
                now: Any = None) -> bool:
    """Whether a draft with no plan lost the process computing it: that process is gone
    (``alive`` says no) or the run is past its time cap by ``LOST_AFTER``."""
    if run.status != "draft" or (run.plan or {}).get("rounds"):
        return False
    computing = run.params.get("computing")
    if not computing:
        return False
    since = datetime.fromisoformat(computing["since"])
    cap = timedelta(seconds=float(computing.get("cap") or 30.0))
    late = (now or utcnow()) - since > cap + LOST_AFTER
    process = computing.get("process")
    return late or (process is not None and not alive(process))


def fail(run: FormationRun, error: str) -> None:
    """Mark a draft as failed with the reason; ``retry`` starts it again."""
    run.status = "failed"
    run.params = {**run.params, "error": error}


def retry(db: Session, run_id: int) -> FormationRun:
    """A failed run back to a draft with no plan, ready to compute again (same seed)."""
    run = db.get(FormationRun, run_id)
    if run is None:
        raise NotFound("formation run")
    if run.status != "failed":
        raise Conflict(f"This formation run is {run.status}; only a failed run is retried.")
    run.status, run.plan = "draft", {}
    run.params = {k: v for k, v in run.params.items() if k not in ("error", "computing")}
    return run


def fail_lost(db: Session, *, alive: Callable[[str], bool]) -> int:
    """Mark every draft lost with the process computing it as failed; returns how many."""
    found = [run for run in db.scalars(select(FormationRun).where(FormationRun.status == "draft"))
             if interrupted(run, alive=alive)]
    for run in found:
        fail(run, LOST)
    return len(found)
