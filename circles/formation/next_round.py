"""Preparing the next round of a published plan: take in who joined or left since the plan
was made, check every rule again, keep the planned circles wherever the rules allow, and
say what changed."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import Conflict, NotFound
from circles.formation.changes import as_planned
from circles.formation.plan import problem_for
from circles.formation.reform import Rounds, pins_of, reoptimise, store
from circles.formation.solve import check
from circles.formation.start import pool_ids
from circles.formation.stored import planned, planned_ids, published_round
from circles.kept import keep
from circles.languages import term
from circles.models import Circle, CircleMember, FormationRun


def upcoming_round(db: Session, run: FormationRun, round_no: int | None, rounds: Rounds) -> int:
    """The round to prepare or publish now; refuses one published meanwhile (a double click,
    another facilitator) rather than moving on to the round after it."""
    if run.status in ("discarded", "failed"):
        raise Conflict(_("This plan is %(status)s; it cannot be published.",
                         status=term(run.status)))
    done = published_round(db, run)
    if round_no is not None and round_no <= done:
        raise Conflict(_("Round %(round)s was published already.", round=round_no))
    if done >= len(rounds):
        raise Conflict(_("This plan was published already; it cannot be published again.")
                       if len(rounds) == 1 else _("All %(rounds)s rounds of this plan were "
                                                  "published already: start a new formation "
                                                  "run to plan more.", rounds=len(rounds)))
    if round_no is not None and round_no != done + 1:
        raise Conflict(_("Publish round %(next)s before round %(round)s.", next=done + 1,
                         round=round_no))
    return done + 1


def prepare_next_round(db: Session, run: FormationRun, *,
                       round_no: int | None = None) -> dict[str, Any]:
    """Reconcile the rounds still planned with the community as it is now, and store them.

    Members who left the community are dropped and members who joined since are added; every
    rule is checked again (a new separation, a circle someone called it a day in, new
    availability), and the planned circles are kept wherever the rules allow. Members who
    cannot be placed now are set aside with the reason. When nothing changed the plan is left
    as it was. Returns the changes, also stored as ``run.figures["changes"]`` (ids under left,
    joined, ended, moved, set_aside; counts kept and regrouped). Raises Conflict for a draft
    (run formation again instead), a discarded or finished run."""
    if run.status == "draft":
        raise Conflict(_("Nothing is published yet: run formation again to take in who "
                         "joined or left."))
    locked = db.get(FormationRun, run.id, with_for_update=True, populate_existing=True)
    if locked is None:
        raise NotFound("formation run")
    run = locked
    rounds = planned(run)
    upcoming = upcoming_round(db, run, round_no, rounds)
    previous = [list(c) for c in rounds[upcoming - 1]]
    pool = pool_ids(db, run.community_id)
    before = {row["user_id"] for row in run.excluded}
    problem = problem_for(db, run, pool)
    run.excluded = [{"user_id": problem.util.members[i].id, "reason": keep(reason)}
                    for i, reason in sorted(problem.rules.excluded.items())]
    placeable = {problem.util.members[i].id for i in problem.placed}
    same = placeable == set(planned_ids(rounds[upcoming - 1:]))
    if not (same and not check(problem, rounds[upcoming - 1:], first_round=upcoming)):
        pins = pins_of(run)
        reformed = reoptimise(db, run, rounds, upcoming, pins, sorted(placeable),
                              editing="prepare")
        store(run, reformed, pins)
        rounds = reformed.rounds
    changes = _changes(db, run, upcoming, previous, rounds[upcoming - 1], pool, before)
    run.figures = {**run.figures, "changes": changes}
    return changes


def _changes(db: Session, run: FormationRun, upcoming: int, previous: list[list[int]],
             now: list[list[int]], pool: list[int], before: set[int]) -> dict[str, Any]:
    """What preparing round ``upcoming`` changed, by member id and circle counts."""
    was = {uid for circle in previous for uid in circle}
    placed = {uid for circle in now for uid in circle}
    left = was - set(pool)
    joined = [uid for uid in pool if uid in placed and uid not in was]

    home = {uid: k for k, circle in enumerate(previous) for uid in circle}
    # Each circle now stands for the planned circle most of its members come from.
    counterpart = [max(range(len(previous)), key=lambda k: (len(set(c) & set(previous[k])), -k))
                   if previous else -1 for c in now]
    moved = sorted(uid for k, circle in enumerate(now) for uid in circle
                   if uid in home and home[uid] != counterpart[k])
    staying = [[uid for uid in circle if uid not in left] for circle in previous]
    kept = sum(as_planned(circle, staying) for circle in now)
    return {
        "round": upcoming,
        "left": sorted(left),
        "joined": joined,
        "ended": sorted(set(db.scalars(select(CircleMember.user_id).join(Circle).where(
            Circle.formation_run_id == run.id, Circle.round_no == upcoming - 1,
            CircleMember.left_at.is_not(None))))),
        "moved": moved,
        "set_aside": [uid for uid in pool if uid not in placed and uid not in before],
        "kept": kept, "regrouped": len(now) - kept,
    }
