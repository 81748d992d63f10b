"""A run as stored: its planned rounds, how many are published, the rule breaks it recorded,
and which rounds may still be edited."""

from __future__ import annotations

import copy

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circles.errors import Conflict, NotFound
from circles.formation.problem import Break
from circles.languages import term
from circles.models import Circle, FormationRun, User


def circle_name(round_no: int, index: int, offset: int = 0) -> str:
    """A planned circle's label before it is published and named: "Round 3 · Circle 2", with
    the run's round turned into the community's by ``offset`` (``round_offset``)."""
    return str(_("Round %(round)s · Circle %(number)s", round=round_no + offset, number=index + 1)
    )

def planned(run: FormationRun) -> list[list[list[int]]]:
    """A copy of the run's plan, round by round (refuses a run with no plan yet)."""
    rounds = (run.plan or {}).get("rounds")
    if not rounds:
        raise Conflict(_("This run has no plan yet: run formation first."))
    return copy.deepcopy(rounds)


def planned_ids(rounds: list[list[list[int]]]) -> list[int]:
    return sorted({uid for circles in rounds for circle in circles for uid in circle})


def published_round(db: Session, run: FormationRun) -> int:
    """The last round of ``run`` published as circles (0 when none is)."""
    return db.scalar(select(func.max(Circle.round_no))
                     .where(Circle.formation_run_id == run.id)) or 0


def next_round(db: Session, run: FormationRun) -> int | None:
    """The round ``publish`` would create: 1 for a draft, k+1 once round k is out, None when
    every planned round is out, or the run was discarded or failed."""
    if run.status in ("discarded", "failed"):
        return None
    if run.status == "draft":
        return 1
    upcoming = published_round(db, run) + 1
    return upcoming if upcoming <= len((run.plan or {}).get("rounds") or []) else None


def names_of(db: Session, ids: list[int] | set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {uid: name for uid, name in db.execute(
        select(User.id, User.display_name).where(User.id.in_(sorted(ids))))}


def stored_breaks(run: FormationRun) -> list[Break]:
    return [Break.from_dict(row) for row in (run.figures or {}).get("breaks", [])]


def editable(db: Session, run_id: int) -> tuple[FormationRun, int]:
    """The run and the first round hand edits may change: any of a draft's, or the rounds
    after the last one published."""
    run = db.get(FormationRun, run_id)
    if run is None:
        raise NotFound("formation run")
    upcoming = next_round(db, run)
    if upcoming is None:
        raise Conflict(_("This formation run is %(status)s: nothing is left to change.",
                         status=term(run.status)) if run.status in ("discarded", "failed")
                       else _("Every round of this plan is published: nothing is left to "
                              "change."))
    return run, upcoming
