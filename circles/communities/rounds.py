"""A community's rounds, numbered one way on every page: round n is the n-th formation round
published in the community, across formation runs, in the order they were published.
Circles formed by hand belong to no round."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circles.models import Circle, FormationRun, as_utc


def round_numbers(db: Session, community_id: int) -> dict[tuple[int, int], int]:
    """(formation run id, the run's round) → the community's round number."""
    rows = db.execute(
        select(Circle.formation_run_id, Circle.round_no, func.min(Circle.created_at))
        .where(Circle.community_id == community_id, Circle.formation_run_id.is_not(None),
               Circle.round_no.is_not(None))
        .group_by(Circle.formation_run_id, Circle.round_no)).all()
    ordered = sorted(((run_id, run_round, as_utc(first)) for run_id, run_round, first in rows
                      if run_id is not None and run_round is not None),
                     key=lambda row: (row[2], row[0], row[1]))
    return {(run_id, run_round): n for n, (run_id, run_round, _) in enumerate(ordered, start=1)}


def round_offset(db: Session, run: FormationRun) -> int:
    """What to add to the run's own round numbers to get the community's: the rounds other
    runs published before this one's first (all of them while this one is a draft)."""
    numbers = round_numbers(db, run.community_id)
    mine = [n - run_round for (run_id, run_round), n in numbers.items() if run_id == run.id]
    if mine:
        return min(mine)
    return len(numbers)


def round_number(db: Session, run: FormationRun, run_round: int) -> int:
    """The community's number of the run's round ``run_round`` (published or not yet)."""
    return round_numbers(db, run.community_id).get((run.id, run_round),
                                                    round_offset(db, run) + run_round)


def circle_round(db: Session, circle: Circle) -> int | None:
    """The community round a circle was formed in; None for a circle formed by hand."""
    if circle.formation_run_id is None or circle.round_no is None:
        return None
    return round_numbers(db, circle.community_id).get((circle.formation_run_id, circle.round_no))
