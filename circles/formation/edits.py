"""Hand edits of a plan and preparing its next round; each re-optimises the rest.

A move pins a member to the circle the facilitator chose, a lock pins a pair together in
round 1; then every round not yet published is re-optimised around the pins (members stay
in their circles unless moving them pays clearly), within a second or two. An edit that
would leave a rule broken that was not broken before is refused with the reason, and
nothing is saved. Preparing the next round takes in who joined or left since the plan was
made, the same way.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import Conflict, InvalidInput, NotFound
from circles.formation.preview import (
    break_words,
    circle_name,
    editable,
    names_of,
    planned,
    planned_ids,
    published_round,
    stored_breaks,
)
from circles.formation.repair import as_planned
from circles.formation.runs import (
    DEFAULT_SEED,
    draft_run,
    keep_set_aside,
    pool_ids,
    problem_for,
    refresh_figures,
)
from circles.formation.solve import Break, Problem, Solved, bounds_for, check, solve
from circles.models import Circle, CircleMember, FormationRun
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
        raise InvalidInput.field("to_circle", "The circles cannot be re-formed around that "
                                 f"change ({exc}).") from exc
    return Reformed([*rounds[: first - 1], *solved.rounds], first, solved, problem)


def store(run: FormationRun, reformed: Reformed, pins: dict[tuple[int, int], int]) -> None:
    """Keep a re-optimised plan on the run: circles, who is left out, rule breaks, figures."""
    util, first = reformed.problem.util, reformed.first
    if first == 1:  # a draft: everyone left out is listed (later rounds: prepare does it)
        run.excluded = [{"user_id": util.members[i].id, "reason": reason}
                        for i, reason in sorted(reformed.problem.rules.excluded.items())]
    keep = [b for b in stored_breaks(run) if b.round_no < first]
    run.plan = {"rounds": reformed.rounds}
    keep_set_aside(run, reformed.solved.set_aside, first=first)
    refresh_figures(run, reformed.rounds, util, keep + reformed.solved.breaks, first=first)
    run.params = {**run.params, "pins": [[r, uid, g] for (r, uid), g in sorted(pins.items())]}


def _refuse_new_breaks(db: Session, before: list[Break], after: list[Break], field: str,
                       who: str) -> None:
    """Refuse an edit after which some rule is broken more often than before it."""
    old = Counter(b.rule for b in before)
    worse = [b for b in after if Counter(x.rule for x in after)[b.rule] > old[b.rule]]
    if worse:
        names = names_of(db, {uid for b in worse for uid in b.members})
        raise InvalidInput.field(field, f"{who}: that would leave "
                                 f"{break_words(worse[0], names)[0].lower()}"
                                 f"{break_words(worse[0], names)[1:]}")


def move_member(db: Session, run: FormationRun, user_id: int, round_no: int,
                to_circle_index: int) -> FormationRun:
    """Move one member to another circle of a round not yet published and re-optimise the
    rest around them; refused (nothing saved) when it would break a rule that held."""
    run, first = editable(db, run.id)
    rounds = planned(run)
    if not 1 <= round_no <= len(rounds):
        raise InvalidInput.field("round_no", f"Choose a round from 1 to {len(rounds)}.")
    if round_no < first:
        raise Conflict(f"Round {round_no} is published already: its circles are not changed here.")
    circles = rounds[round_no - 1]
    source = next((c for c in circles if user_id in c), None)
    if source is None:
        raise NotFound("member")
    if not 0 <= to_circle_index < len(circles):
        raise InvalidInput.field("to_circle", f"Choose a circle from 1 to {len(circles)}.")
    pins = pins_of(run)
    if source is circles[to_circle_index]:  # "keep them here": pinned where they are
        pins[(round_no, user_id)] = to_circle_index
        run.params = {**run.params, "pins": [[r, uid, g] for (r, uid), g in sorted(pins.items())]}
        return run
    fixed = [uid for uid in circles[to_circle_index] if (round_no, uid) in pins]
    if len(fixed) + 1 > _largest(run, circles):
        names = names_of(db, set(fixed))
        raise InvalidInput.field("to_circle", f"{circle_name(round_no, to_circle_index)} is full "
                                 "of members placed there by hand ("
                                 f"{', '.join(names[uid] for uid in fixed)}): move one of them "
                                 "first.")
    partner = next((b if a == user_id else a for a, b in run.locked if user_id in (a, b)), None)
    if partner is not None and round_no == 1:
        names = names_of(db, {user_id, partner})
        raise InvalidInput.field("member", f"{names[user_id]} is locked with {names[partner]}: "
                                 "unlock the pair first.")
    source.remove(user_id)
    circles[to_circle_index].append(user_id)
    pins[(round_no, user_id)] = to_circle_index
    reformed = reoptimise(db, run, rounds, first, pins)
    name = names_of(db, {user_id})[user_id]
    _refuse_new_breaks(db, [b for b in stored_breaks(run) if b.round_no >= first],
                       reformed.solved.breaks, "to_circle",
                       f"{name} cannot join {circle_name(round_no, to_circle_index)}")
    store(run, reformed, pins)
    return run


def _largest(run: FormationRun, circles: list[list[int]]) -> int:
    """The largest circle this round allows."""
    return max(hi for _, hi in bounds_for(sum(map(len, circles)), run.params["min_size"],
                                          run.params["max_size"], run.params["rounds"],
                                          len(circles)))


def lock_pair(db: Session, run: FormationRun, a: int, b: int) -> FormationRun:
    """Keep two members together in round 1: b joins a's circle, both are pinned there and
    the rest is re-optimised; refused when they must not meet or it would break a rule."""
    draft_run(db, run.id)
    if a == b:
        raise InvalidInput.field("member", "Choose two different members.")
    rounds = planned(run)
    home = next((i for i, c in enumerate(rounds[0]) if a in c), None)
    if home is None or not any(b in c for c in rounds[0]):
        raise NotFound("member")
    for circle in rounds[0]:
        if b in circle:
            circle.remove(b)
    rounds[0][home].append(b)
    pins = {**pins_of(run), (1, a): home, (1, b): home}
    reformed = reoptimise(db, run, rounds, 1, pins)
    names = names_of(db, {a, b})
    _refuse_new_breaks(db, stored_breaks(run), reformed.solved.breaks, "member",
                       f"{names[a]} and {names[b]} cannot be locked together")
    run.locked = [*[p for p in run.locked if set(p) != {a, b}], sorted((a, b))]
    store(run, reformed, pins)
    return run


def unlock_pair(db: Session, run: FormationRun, a: int, b: int) -> FormationRun:
    """Release a locked pair (their circle stays as it is until the next edit)."""
    draft_run(db, run.id)
    run.locked = [p for p in run.locked if set(p) != {a, b}]
    run.params = {**run.params, "pins": [[r, uid, g] for r, uid, g in run.params.get("pins", [])
                                         if not (r == 1 and uid in (a, b))]}
    return run


# --- later rounds: reconcile with who joined or left ---------------------------------------

def upcoming_round(db: Session, run: FormationRun, round_no: int | None, rounds: Rounds) -> int:
    """The round to prepare or publish now; refuses one published meanwhile (a double click,
    another facilitator) rather than moving on to the round after it."""
    if run.status in ("discarded", "failed"):
        raise Conflict(f"This plan is {run.status}; it cannot be published.")
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
        raise Conflict("Nothing is published yet: run formation again to take in who joined "
                       "or left.")
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
    run.excluded = [{"user_id": problem.util.members[i].id, "reason": reason}
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
