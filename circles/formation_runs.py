"""A formation run after solving: preview with reasons, hand edits, and publishing."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.availability import MIN_OVERLAP, common_minutes, describe_common
from circles.errors import Conflict, InvalidInput, NotFound
from circles.figures import circle_reasons
from circles.formation import describe, draft_run, run_utilities
from circles.formation_constraints import CAUSES, constraints_for
from circles.models import (
    Circle,
    CircleMember,
    FormationRun,
    Membership,
    Separation,
    User,
    utcnow,
)
from circles.utility import Utilities

FIGURE_LABELS = {
    "new_tie_ratio": "New-tie ratio",
    "complementarity_coverage": "Complementarity coverage",
    "mean_departments": "Departments per circle",
    "repeated_pairs": "Repeated pairs",
}


def circle_name(round_no: int, index: int) -> str:
    return f"Round {round_no} · Circle {index + 1}"


@dataclass
class CirclePreview:
    round_no: int
    index: int
    name: str
    member_ids: list[int]
    names: list[str]
    reasons: list[str]
    common_time: str  # longest weekly window all share, e.g. "Tue 17:00–18:00 UTC"


@dataclass
class RunPreview:
    run: FormationRun
    circles: list[CirclePreview]
    figures: dict[str, Any]
    baseline: dict[str, Any]
    excluded: list[dict[str, Any]]  # {user_id, name, reason}
    notes: list[str]

    def figure_rows(self) -> list[tuple[str, Any, Any]]:
        """(label, this plan, random baseline) per figure, in display order."""
        return [(label, self.figures.get(key), self.baseline.get(key))
                for key, label in FIGURE_LABELS.items()]


def _planned(run: FormationRun) -> list[list[list[int]]]:
    rounds = (run.plan or {}).get("rounds")
    if not rounds:
        raise Conflict("This run has no plan yet: run formation first.")
    return copy.deepcopy(rounds)


def _planned_ids(rounds: list[list[list[int]]]) -> list[int]:
    return sorted({uid for circles in rounds for circle in circles for uid in circle})


def preview(db: Session, run: FormationRun) -> RunPreview:
    """Every planned circle with why it was formed, and the figures beside the baseline."""
    rounds = _planned(run)
    _, util = run_utilities(db, run, _planned_ids(rounds))
    circles = [
        CirclePreview(round_no, index, circle_name(round_no, index), circle,
                      [util.members[util.index[uid]].name for uid in circle],
                      circle_reasons(circle, util),
                      describe_common(util.members[util.index[uid]].mask for uid in circle))
        for round_no, plan in enumerate(rounds, start=1) for index, circle in enumerate(plan)
    ]
    ids = [row["user_id"] for row in run.excluded]
    names: dict[int, str] = {uid: name for uid, name in db.execute(
        select(User.id, User.display_name).where(User.id.in_(ids)))} if ids else {}
    excluded = [{**row, "name": names.get(row["user_id"], "A former member")} for row in run.excluded]
    return RunPreview(run, circles, run.figures.get("plan", {}), run.figures.get("baseline", {}),
                      excluded, list(run.figures.get("notes", [])))


def _refresh(run: FormationRun, rounds: list[list[list[int]]], util: Utilities) -> None:
    """Store an edited plan and recompute its figures (a new dict, so the JSON is saved)."""
    unscheduled = [[i for i, circle in enumerate(circles)
                    if common_minutes(util.members[util.index[u]].mask for u in circle) < MIN_OVERLAP]
                   for circles in rounds]
    run.plan = {"rounds": rounds}
    run.figures = describe(rounds, util, seed=run.params.get("seed", 0), unscheduled=unscheduled)


def _place(db: Session, run: FormationRun, rounds: list[list[list[int]]], user_id: int,
           round_no: int, to_index: int, *, keep_with: int | None = None) -> Utilities:
    """Move a member within ``rounds`` after checking sizes, locks and forbidden pairs."""
    if not 1 <= round_no <= len(rounds):
        raise InvalidInput.field("round_no", f"Choose a round from 1 to {len(rounds)}.")
    circles = rounds[round_no - 1]
    source = next((c for c in circles if user_id in c), None)
    if source is None:
        raise NotFound("member")
    if not 0 <= to_index < len(circles):
        raise InvalidInput.field("to_circle", f"Choose a circle from 1 to {len(circles)}.")
    _, util = run_utilities(db, run, _planned_ids(rounds))
    target = circles[to_index]
    name = util.members[util.index[user_id]].name
    if target is source:
        return util
    partner = next((b if a == user_id else a for a, b in run.locked
                    if user_id in (a, b) and keep_with not in (a, b)), None)
    if partner is not None and round_no == 1:
        raise InvalidInput.field("member", f"{name} is locked with "
                                 f"{util.members[util.index[partner]].name}: unlock the pair first.")
    low, high = run.params["min_size"], run.params["max_size"]
    if low == high == 2 and sum(map(len, circles)) % 2:
        high = 3  # pairs from an odd count: one trio
    if len(source) - 1 < low:
        raise InvalidInput.field("to_circle", f"That would leave {circle_name(round_no, circles.index(source))} "
                                 f"with {len(source) - 1} members; circles here have at least {low}.")
    if len(target) + 1 > high:
        raise InvalidInput.field("to_circle", f"{circle_name(round_no, to_index)} would have "
                                 f"{len(target) + 1} members; circles here have at most {high}.")
    rules = constraints_for(db, run.community_id, util)
    for other in target:
        pair = tuple(sorted((util.index[user_id], util.index[other])))
        if pair in rules.causes:
            why = CAUSES[rules.causes[pair]].format(n=util.members[util.index[other]].name)
            raise InvalidInput.field("to_circle", f"{name} cannot join that circle: {why}.")
    source.remove(user_id)
    target.append(user_id)
    target.sort()
    return util


def move_member(db: Session, run: FormationRun, user_id: int, round_no: int,
                to_circle_index: int) -> FormationRun:
    """Move one member to another circle of a round by hand; figures are recomputed."""
    draft_run(db, run.id)
    rounds = _planned(run)
    util = _place(db, run, rounds, user_id, round_no, to_circle_index)
    _refresh(run, rounds, util)
    return run


def lock_pair(db: Session, run: FormationRun, a: int, b: int) -> FormationRun:
    """Keep two members together in round 1 (and in any re-run); moves b to a's circle."""
    draft_run(db, run.id)
    if a == b:
        raise InvalidInput.field("member", "Choose two different members.")
    rounds = _planned(run)
    home = next((i for i, c in enumerate(rounds[0]) if a in c), None)
    if home is None or not any(b in c for c in rounds[0]):
        raise NotFound("member")
    util = _place(db, run, rounds, b, 1, home, keep_with=a)
    run.locked = [*[p for p in run.locked if set(p) != {a, b}], sorted((a, b))]
    _refresh(run, rounds, util)
    return run


def unlock_pair(db: Session, run: FormationRun, a: int, b: int) -> FormationRun:
    draft_run(db, run.id)
    run.locked = [p for p in run.locked if set(p) != {a, b}]
    return run


def publish(db: Session, run: FormationRun) -> list[Circle]:
    """Create round 1's circles and seats in one go; later rounds stay planned on the run.

    Refuses a run published or discarded already, or one made before a member left."""
    locked = db.get(FormationRun, run.id, with_for_update=True, populate_existing=True)
    if locked is None:
        raise NotFound("formation run")
    if locked.status != "draft":
        raise Conflict(f"This plan was {locked.status} already; it cannot be published again.")
    rounds = _planned(locked)
    planned = _planned_ids(rounds)
    present = set(db.scalars(select(Membership.user_id).where(
        Membership.community_id == locked.community_id, Membership.user_id.in_(planned))))
    gone = [uid for uid in planned if uid not in present]
    if gone:
        names = db.scalars(select(User.display_name).where(User.id.in_(gone)).order_by(User.id))
        raise Conflict(f"{', '.join(names) or 'A member'} left the community after this plan "
                       "was made: run formation again before publishing.")
    _check_separations(db, locked.community_id, rounds[0])
    circles = [
        Circle(community_id=locked.community_id, name=circle_name(1, index),
               kind="pair" if len(members) == 2 else "group", created_by_id=locked.created_by_id,
               formation_run_id=locked.id, round_no=1,
               seats=[CircleMember(user_id=uid) for uid in members])
        for index, members in enumerate(rounds[0])
    ]
    db.add_all(circles)
    locked.status, locked.published_at = "published", utcnow()
    db.flush()
    return circles


def _check_separations(db: Session, community_id: int, circles: list[list[int]]) -> None:
    """A separation set after planning still holds: refuse rather than publish it."""
    where = {uid: index for index, circle in enumerate(circles) for uid in circle}
    for low, high in db.execute(select(Separation.low_id, Separation.high_id).where(
            Separation.community_id == community_id)):
        if low in where and where[low] == where.get(high):
            names = db.scalars(select(User.display_name).where(User.id.in_((low, high)))
                               .order_by(User.id))
            raise Conflict(f"{' and '.join(names)} must not be grouped but share "
                           f"{circle_name(1, where[low])}: move one of them first.")


def discard(db: Session, run: FormationRun) -> FormationRun:
    draft_run(db, run.id)
    run.status = "discarded"
    return run
