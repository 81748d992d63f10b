"""My commitments: what a member said they would do, across all their circles and sessions.

Open commitments still come back in their circle's next session review (circles/live/phases.py);
here the member sees them all at once, sorted by urgency, and says how each went.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import InvalidInput, NotFound
from circles.models import Circle, Commitment, User
from circles.models.live import COMMITMENT_STATUSES

DUE_SOON_DAYS = 7
REFLECTION_MAX = 500
STATUS_WORDS = {"open": _l("open"), "kept": _l("kept"), "partly": _l("partly kept"),
                "missed": _l("missed"), "dropped": _l("dropped")}


@dataclass
class CommitmentBoard:
    """One member's commitments in four piles; ``done`` is everything no longer open."""

    overdue: list[Commitment] = field(default_factory=list)
    due_soon: list[Commitment] = field(default_factory=list)
    open: list[Commitment] = field(default_factory=list)
    done: list[Commitment] = field(default_factory=list)
    circle_names: dict[int, str] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.overdue) + len(self.due_soon) + len(self.open) + len(self.done)


def pile(item: Commitment, today: date) -> str:
    """Which pile a commitment is in today: overdue, due_soon (within 7 days), open or done."""
    if item.status != "open":
        return "done"
    if item.due_on is None:
        return "open"
    if item.due_on < today:
        return "overdue"
    if item.due_on <= today + timedelta(days=DUE_SOON_DAYS):
        return "due_soon"
    return "open"


def my_commitments(db: Session, user: User, today: date) -> CommitmentBoard:
    """Every commitment the member made, in any circle (left or closed ones included)."""
    rows = db.scalars(select(Commitment).where(Commitment.user_id == user.id)
                      .order_by(Commitment.due_on.is_(None), Commitment.due_on,
                                Commitment.created_at.desc(), Commitment.id))
    board = CommitmentBoard()
    for item in rows:
        getattr(board, pile(item, today)).append(item)
    board.done.sort(key=lambda c: (c.created_at, c.id), reverse=True)
    names = db.execute(select(Circle.id, Circle.name).join(
        Commitment, Commitment.circle_id == Circle.id).where(Commitment.user_id == user.id)
        .distinct())
    board.circle_names = {circle_id: name for circle_id, name in names}
    return board


def own_commitment(db: Session, user: User, commitment_id: int) -> Commitment:
    """A commitment of the user's own; anyone else's is not found (never forbidden)."""
    item = db.get(Commitment, commitment_id)
    if item is None or item.user_id != user.id:
        raise NotFound("commitment")
    return item


def update_commitment(db: Session, user: User, commitment_id: int, *, status: str,
                      reflection: str, due_on: date | None, today: date) -> Commitment:
    """The owner says how a commitment went, with a reflection line, or moves its date
    (a new date in the past is refused; an unchanged old one may stay)."""
    item = own_commitment(db, user, commitment_id)
    errors: dict[str, str] = {}
    if status not in COMMITMENT_STATUSES:
        errors["status"] = _("Choose open, kept, partly kept, missed or dropped.")
    reflection = reflection.strip()
    if len(reflection) > REFLECTION_MAX:
        errors["reflection"] = _("Keep the reflection under %(max)s characters (%(count)s now).",
                                 max=REFLECTION_MAX, count=len(reflection))
    if due_on is not None and due_on != item.due_on and due_on < today:
        errors["due_on"] = _("That date has passed; pick today or a later date.")
    if errors:
        raise InvalidInput(errors)
    item.status = status
    item.reflection = reflection
    if due_on is not None:
        item.due_on = due_on
    return item
