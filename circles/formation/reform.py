"""Re-optimising a plan around pins: the rounds not yet published are solved again from the
plan as it stands, members staying in their circles unless moving them pays clearly; the
result is stored only once the caller accepts it."""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy.orm import Session

from circles.errors import InvalidInput
from circles.formation.infeasible import infeasible
from circles.formation.plan import problem_for
from circles.formation.problem import Problem, Solved
from circles.formation.report import keep_set_aside, refresh_figures
from circles.formation.solve import solve
from circles.formation.start import DEFAULT_SEED
from circles.formation.stored import planned_ids, stored_breaks
from circles.kept import keep
from circles.models import FormationRun
from graph.errors import InfeasibleError

Rounds = list[list[list[int]]]


def pins_of(run: FormationRun) -> dict[tuple[int, int], int]:
    """The run's pins as ``(round_no, user id) → circle index``."""
    return {(r, uid): g for r, uid, g in run.params.get("pins", [])}


@dataclass(frozen=True)
class Reformed:
    """A re-optimised plan not yet stored: the rounds, the rules they break, who sits a round
    out, and the facts to describe them with."""

    rounds: Rounds
    first: int
    solved: Solved
    problem: Problem


def reoptimise(db: Session, run: FormationRun, rounds: Rounds, first: int,
               pins: dict[tuple[int, int], int], member_ids: list[int] | None = None, *,
               editing: str = "edit") -> Reformed:
    """Re-optimise rounds ``first`` on around ``pins`` (``(round_no, uid) → circle``), starting
    from ``rounds``; ``member_ids`` (default: those planned) are who takes part. Stores
    nothing (``store`` does, once the caller accepts the result)."""
    ids = member_ids if member_ids is not None else planned_ids(rounds[first - 1:])
    relative = {(r - first, uid): g for (r, uid), g in pins.items() if r >= first}
    problem = problem_for(db, run, ids, relative)
    try:
        solved = solve(problem, len(rounds) - first + 1, first_round=first,
                       initial=rounds[first - 1:], seed=run.params.get("seed", DEFAULT_SEED),
                       editing=editing)
    except InfeasibleError as exc:
        raise InvalidInput.field("to_circle", _("The circles cannot be re-formed around that "
                                               "change (%(error)s).", error=infeasible(exc))) from exc
    return Reformed([*rounds[: first - 1], *solved.rounds], first, solved, problem)


def store(run: FormationRun, reformed: Reformed, pins: dict[tuple[int, int], int]) -> None:
    """Keep a re-optimised plan on the run: circles, who is left out, rule breaks, figures."""
    util, first = reformed.problem.util, reformed.first
    if first == 1:  # a draft: everyone left out is listed (later rounds: prepare does it)
        run.excluded = [{"user_id": util.members[i].id, "reason": keep(reason)}
                        for i, reason in sorted(reformed.problem.rules.excluded.items())]
    keep = [b for b in stored_breaks(run) if b.round_no < first]
    run.plan = {"rounds": reformed.rounds}
    keep_set_aside(run, reformed.solved.set_aside, first=first)
    refresh_figures(run, reformed.rounds, util, keep + reformed.solved.breaks, first=first)
    run.params = {**run.params, "pins": [[r, uid, g] for (r, uid), g in sorted(pins.items())]}
