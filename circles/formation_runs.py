"""A formation run after solving: preview with reasons, hand edits, and publishing round
after round.

Round 1 is published from the draft. After round k is out, round k+1 stays planned on the run
and can be edited by hand; ``prepare_next_round`` reconciles it with who joined or left since
(``graph.repair`` keeps the planned circles where it can) and ``publish`` creates it and closes
round k's circles. Which rounds are out is read from the circles themselves
(``Circle.formation_run_id``, ``Circle.round_no``). The run's status stays "published" from
its first round to its last; ``next_round`` tells whether anything is left.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circles.availability import MIN_OVERLAP, common_minutes, describe_common
from circles.errors import Conflict, InvalidInput, NotFound
from circles.figures import circle_reasons
from circles.formation import (
    DEFAULT_TIME_LIMIT,
    describe,
    draft_run,
    pool_ids,
    run_utilities,
)
from circles.formation_constraints import CAUSES, _ended, constraints_for
from circles.formation_repair import (
    as_planned,
    changed_ids,
    describe_changes,
    regroup,
    take_apart,
)
from circles.models import (
    Circle,
    CircleMember,
    FormationRun,
    Membership,
    Separation,
    User,
    utcnow,
)
from circles.notifications import notify
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
    circles: list[CirclePreview]  # the rounds not yet published
    figures: dict[str, Any]
    baseline: dict[str, Any]
    excluded: list[dict[str, Any]]  # {user_id, name, reason}
    notes: list[str]
    published: int = 0  # the last round out as circles (0: none yet)
    total: int = 0  # rounds planned
    changes: str = ""  # what preparing the next round changed, in words

    @property
    def next_round(self) -> int | None:
        if self.run.status == "discarded" or self.published >= self.total:
            return None
        return self.published + 1

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


def published_round(db: Session, run: FormationRun) -> int:
    """The last round of ``run`` published as circles (0 when none is)."""
    return db.scalar(select(func.max(Circle.round_no))
                     .where(Circle.formation_run_id == run.id)) or 0


def next_round(db: Session, run: FormationRun) -> int | None:
    """The round ``publish`` would create: 1 for a draft, k+1 once round k is out, None when
    every planned round is out or the run was discarded."""
    if run.status == "discarded":
        return None
    if run.status == "draft":
        return 1
    upcoming = published_round(db, run) + 1
    return upcoming if upcoming <= len((run.plan or {}).get("rounds") or []) else None


def _names(db: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {uid: name for uid, name in db.execute(
        select(User.id, User.display_name).where(User.id.in_(ids)))}


def preview(db: Session, run: FormationRun) -> RunPreview:
    """Every circle still to publish with why it was formed, and the figures beside the baseline."""
    rounds = _planned(run)
    done = published_round(db, run)
    ids = _planned_ids(rounds[done:])
    circles: list[CirclePreview] = []
    if ids:
        _, util = run_utilities(db, run, ids)
        circles = [
            CirclePreview(round_no, index, circle_name(round_no, index), circle,
                          [util.members[util.index[uid]].name for uid in circle],
                          circle_reasons(circle, util),
                          describe_common(util.members[util.index[uid]].mask for uid in circle))
            for round_no, plan in enumerate(rounds[done:], start=done + 1)
            for index, circle in enumerate(plan)
        ]
    changes = run.figures.get("changes") or {}
    if changes.get("round") != done + 1:
        changes = {}
    names = _names(db, sorted({row["user_id"] for row in run.excluded} | changed_ids(changes)))
    excluded = [{**row, "name": names.get(row["user_id"], "A former member")} for row in run.excluded]
    return RunPreview(run, circles, run.figures.get("plan", {}), run.figures.get("baseline", {}),
                      excluded, list(run.figures.get("notes", [])), done, len(rounds),
                      describe_changes(changes, names))


def changes_line(db: Session, changes: dict[str, Any]) -> str:
    """``describe_changes`` with the members' names looked up."""
    return describe_changes(changes, _names(db, sorted(changed_ids(changes))))


def _refresh(run: FormationRun, rounds: list[list[list[int]]], util: Utilities, *,
             first: int = 1) -> None:
    """Store an edited plan and recompute the figures of its rounds from ``first`` on (a new
    dict, so the JSON is saved); what preparing that round changed is kept."""
    shown = rounds[first - 1:]
    unscheduled = [[i for i, circle in enumerate(circles)
                    if common_minutes(util.members[util.index[u]].mask for u in circle) < MIN_OVERLAP]
                   for circles in shown]
    changes = run.figures.get("changes")
    run.plan = {"rounds": rounds}
    run.figures = describe(shown, util, seed=run.params.get("seed", 0), unscheduled=unscheduled,
                           first_round=first)
    if changes and changes.get("round", 0) >= first:
        run.figures["changes"] = changes


def _place(db: Session, run: FormationRun, rounds: list[list[list[int]]], user_id: int,
           round_no: int, to_index: int, *, keep_with: int | None = None,
           first: int = 1) -> Utilities:
    """Move a member within ``rounds`` after checking sizes, locks and forbidden pairs."""
    if not 1 <= round_no <= len(rounds):
        raise InvalidInput.field("round_no", f"Choose a round from 1 to {len(rounds)}.")
    if round_no < first:
        raise Conflict(f"Round {round_no} is published already: its circles are not changed here.")
    circles = rounds[round_no - 1]
    source = next((c for c in circles if user_id in c), None)
    if source is None:
        raise NotFound("member")
    if not 0 <= to_index < len(circles):
        raise InvalidInput.field("to_circle", f"Choose a circle from 1 to {len(circles)}.")
    _, util = run_utilities(db, run, _planned_ids(rounds[first - 1:]))
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


def _editable(db: Session, run_id: int) -> tuple[FormationRun, int]:
    """The run and the first round hand edits may change: any of a draft's, or the rounds
    after the last one published."""
    run = db.get(FormationRun, run_id)
    if run is None:
        raise NotFound("formation run")
    upcoming = next_round(db, run)
    if upcoming is None:
        raise Conflict(f"This formation run is already {run.status}." if run.status == "discarded"
                       else "Every round of this plan is published: nothing is left to change.")
    return run, upcoming


def move_member(db: Session, run: FormationRun, user_id: int, round_no: int,
                to_circle_index: int) -> FormationRun:
    """Move one member to another circle of a round not yet published; figures are recomputed."""
    run, first = _editable(db, run.id)
    rounds = _planned(run)
    util = _place(db, run, rounds, user_id, round_no, to_circle_index, first=first)
    _refresh(run, rounds, util, first=first)
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


# --- later rounds: reconcile with who joined or left, then publish ------------------------

def _upcoming(db: Session, run: FormationRun, round_no: int | None,
              rounds: list[list[list[int]]]) -> int:
    """The round to prepare or publish now; refuses one published meanwhile (a double click,
    another facilitator) rather than moving on to the round after it."""
    if run.status == "discarded":
        raise Conflict("This plan was discarded already; it cannot be published.")
    done = published_round(db, run)
    if round_no is not None and round_no <= done:
        raise Conflict(f"Round {round_no} was published already.")
    if done >= len(rounds):
        raise Conflict("This plan was published already; it cannot be published again."
                       if len(rounds) == 1 else f"All {len(rounds)} rounds of this plan were "
                       "published already: start a new formation run to plan more.")
    if round_no is not None and round_no != done + 1:
        raise Conflict(f"Publish round {done + 1} before round {round_no}.")
    return done + 1


def prepare_next_round(db: Session, run: FormationRun, *, round_no: int | None = None,
                       time_limit: float = DEFAULT_TIME_LIMIT) -> dict[str, Any]:
    """Reconcile the next planned round with the community as it is now, and store it.

    Members who left the community are dropped and members who joined since are added; a
    member planned beside someone they must not sit with (a separation, or a circle one of
    them called it a day in) is taken out of that circle; members who cannot be placed now
    are set aside with the reason. ``graph.repair`` keeps the other planned circles intact
    where the sizes allow and puts newcomers in circles with room. When nothing changed the
    plan is left as it was. Returns the changes, also stored as ``run.figures["changes"]``
    (ids under left, joined, ended, moved, set_aside; counts kept and regrouped).
    Raises Conflict for a draft (run formation again instead), a discarded or finished run,
    and a round that cannot be formed."""
    if run.status == "draft":
        raise Conflict("Nothing is published yet: run formation again to take in who joined "
                       "or left.")
    # Locked as publishing locks it: a round published meanwhile is refused, not rewritten.
    locked = db.get(FormationRun, run.id, with_for_update=True, populate_existing=True)
    if locked is None:
        raise NotFound("formation run")
    run = locked
    rounds = _planned(run)
    upcoming = _upcoming(db, run, round_no, rounds)
    planned = rounds[upcoming - 1]
    planned_ids = {uid for circle in planned for uid in circle}
    pool = pool_ids(db, run.community_id)
    matrix, util = run_utilities(db, run, pool)
    rules = constraints_for(db, run.community_id, util)
    here = [uid for uid in pool if util.index[uid] not in rules.excluded]
    placeable = set(here)
    previous = [[uid for uid in circle if uid in placeable] for circle in planned]
    before = {row["user_id"] for row in run.excluded}
    changes: dict[str, Any] = {
        "round": upcoming,
        "left": sorted(planned_ids - set(pool)),
        "joined": [uid for uid in here if uid not in planned_ids],
        "ended": sorted(set(db.scalars(select(CircleMember.user_id).join(Circle).where(
            Circle.formation_run_id == run.id, Circle.round_no == upcoming - 1,
            CircleMember.left_at.is_not(None))))),
        "moved": take_apart(previous, rules, util.index),
        "set_aside": [uid for uid in pool if uid not in placeable and uid not in before],
    }
    run.excluded = [{"user_id": util.members[i].id, "reason": reason}
                    for i, reason in sorted(rules.excluded.items())]
    if not any(changes[key] for key in ("left", "joined", "moved", "set_aside")):
        changes.update(kept=len(planned), regrouped=0)
        run.figures = {**run.figures, "changes": changes}
        return changes
    circles = regroup(previous, here, matrix, util, rules, run.params, upcoming, time_limit)
    kept = sum(as_planned(circle, previous) for circle in circles)
    rounds[upcoming - 1] = circles
    _, shown = run_utilities(db, run, _planned_ids(rounds[upcoming - 1:]))
    _refresh(run, rounds, shown, first=upcoming)
    changes.update(kept=kept, regrouped=len(circles) - kept)
    run.figures = {**run.figures, "changes": changes}
    return changes


def publish(db: Session, run: FormationRun, *, round_no: int | None = None) -> list[Circle]:
    """Create the next round's circles and seats in one go, and close the round before it.

    ``round_no`` is the round the caller meant (the page's button): a round published
    meanwhile is refused, never followed by the next one. Refuses a discarded or finished run,
    and a round in which someone left the community since it was planned or two members who
    must be kept apart share a circle. Closed circles keep their seats (history and ties)."""
    locked = db.get(FormationRun, run.id, with_for_update=True, populate_existing=True)
    if locked is None:
        raise NotFound("formation run")
    rounds = _planned(locked)
    upcoming = _upcoming(db, locked, round_no, rounds)
    planned = rounds[upcoming - 1]
    _check_present(db, locked.community_id, planned, upcoming)
    _check_apart(db, locked.community_id, planned, upcoming)
    now = utcnow()
    for closing in db.scalars(select(Circle).where(
            Circle.formation_run_id == locked.id, Circle.round_no == upcoming - 1,
            Circle.closed_at.is_(None))):
        closing.closed_at = now
    circles = [
        Circle(community_id=locked.community_id, name=circle_name(upcoming, index),
               kind="pair" if len(members) == 2 else "group", created_by_id=locked.created_by_id,
               formation_run_id=locked.id, round_no=upcoming,
               seats=[CircleMember(user_id=uid) for uid in members])
        for index, members in enumerate(planned)
    ]
    db.add_all(circles)
    if locked.status == "draft":
        locked.status, locked.published_at = "published", now
    db.flush()
    for circle in circles:
        for seat in circle.seats:
            notify(db, seat.user_id, "new_circle", f"You are in a new circle: {circle.name}.",
                   f"/circles/{circle.id}", key=f"new_circle:{circle.id}")
    if upcoming < len(rounds):  # the figures now describe what is left, with this round as history
        _, util = run_utilities(db, locked, _planned_ids(rounds[upcoming:]))
        _refresh(locked, rounds, util, first=upcoming + 1)
    return circles


def _check_present(db: Session, community_id: int, circles: list[list[int]], round_no: int) -> None:
    """Everyone planned is still in the community: refuse rather than seat a former member."""
    planned = _planned_ids([circles])
    present = set(db.scalars(select(Membership.user_id).where(
        Membership.community_id == community_id, Membership.user_id.in_(planned))))
    gone = [uid for uid in planned if uid not in present]
    if gone:
        names = db.scalars(select(User.display_name).where(User.id.in_(gone)).order_by(User.id))
        again = "run formation again" if round_no == 1 else f"prepare round {round_no} again"
        raise Conflict(f"{', '.join(names) or 'A member'} left the community after this plan "
                       f"was made: {again} before publishing.")


def _check_apart(db: Session, community_id: int, circles: list[list[int]], round_no: int) -> None:
    """A separation, or a circle someone called it a day in, set after planning still holds."""
    where = {uid: index for index, circle in enumerate(circles) for uid in circle}
    shared = [(low, high, "separation") for low, high in db.execute(
        select(Separation.low_id, Separation.high_id).where(Separation.community_id == community_id))]
    shared += [(leaver, other, "ended") for leaver, others in _ended(db, community_id)
               for other in others if other != leaver]
    for a, b, cause in shared:
        if a in where and where[a] == where.get(b):
            names = db.scalars(select(User.display_name).where(User.id.in_((a, b)))
                               .order_by(User.id))
            why = "" if cause == "separation" else \
                " again (one called it a day in a circle with the other)"
            raise Conflict(f"{' and '.join(names)} must not be grouped{why} but share "
                           f"{circle_name(round_no, where[a])}: move one of them first.")


def discard(db: Session, run: FormationRun) -> FormationRun:
    draft_run(db, run.id)
    run.status = "discarded"
    return run
