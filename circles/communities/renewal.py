"""Renew or remix: a circle meets for a cycle of sessions (``Circle.cycle_sessions``); at the
end of each cycle every member privately chooses to renew the circle or to meet new people.

When everyone renews, the circle continues for another cycle and formation keeps it intact:
its members are left out of new grouping and publishing never closes it. As soon as anyone
chooses to meet new people the circle ends with its cycle and its members go to the
community's next formation round. Nobody learns who chose what.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circles.communities.circle import end_circle
from circles.communities.ending import tell_closed
from circles.errors import Conflict, InvalidInput, NotFound
from circles.models import Circle, CircleMember, CircleSession, RenewalChoice, utcnow
from circles.models.renewal import CHOICES
from circles.notify.notifications import notify

CYCLE_MIN, CYCLE_MAX = 2, 52


@dataclass(frozen=True)
class Cycle:
    """Where a circle stands in its cycle: which one, sessions held in it, whether it is due
    for the renew-or-remix choice."""

    number: int
    held: int
    length: int | None

    @property
    def due(self) -> bool:
        return self.length is not None and self.held >= self.length


def set_cycle(db: Session, circle: Circle, sessions: object) -> Circle:
    """Set the cycle length in sessions (None or "": no cycles); a circle member or the
    community's facilitator calls it (the caller checks who)."""
    if circle.closed_at is not None:
        raise Conflict(_("This circle has closed."))
    if sessions in (None, ""):
        circle.cycle_sessions = None
        return circle
    try:
        count = int(str(sessions).strip())
    except ValueError:
        count = 0
    if not CYCLE_MIN <= count <= CYCLE_MAX:
        raise InvalidInput.field("cycle_sessions", _("Choose a cycle of %(min)s to %(max)s sessions, or "
                                                     "leave it empty.", min=CYCLE_MIN,
                                                     max=CYCLE_MAX))
    circle.cycle_sessions = count
    return circle


def cycle_of(db: Session, circle: Circle) -> Cycle:
    """The circle's current cycle: sessions ended since the cycles renewed so far."""
    ended = db.scalar(select(func.count()).select_from(CircleSession).where(
        CircleSession.circle_id == circle.id, CircleSession.status == "ended")) or 0
    length = circle.cycle_sessions
    held = ended - circle.renewed_cycles * length if length else ended
    return Cycle(circle.renewed_cycles + 1, max(0, held), length)


def cycle_ended(db: Session, circle: Circle) -> bool:
    """After a session ended: when it completed the cycle, ask each member to choose (once
    per cycle). Returns whether the cycle is due."""
    cycle = cycle_of(db, circle)
    if not cycle.due or circle.closed_at is not None:
        return False
    for seat in circle.current_seats:
        notify(db, seat.user_id, "renewal",
               _l("%(name)s finished its cycle of %(length)s sessions: choose to renew the "
                  "circle or to meet new people. Only you see your choice.", name=circle.name,
                  length=cycle.length),
               f"/circles/{circle.id}#renewal", key=f"renewal:{circle.id}:{cycle.number}")
    return True


def my_choice(db: Session, circle: Circle, user_id: int) -> str | None:
    """The member's own choice for the current cycle, if they made one."""
    return db.scalar(select(RenewalChoice.choice).where(
        RenewalChoice.circle_id == circle.id, RenewalChoice.user_id == user_id,
        RenewalChoice.cycle_no == circle.renewed_cycles + 1))


def choose(db: Session, circle: Circle, user_id: int, choice: object) -> str:
    """A member chooses "renew" or "remix" at the end of the cycle (changeable until
    everyone has chosen); returns what happened: "waiting", "renewed" or "remixed"."""
    if circle.closed_at is not None:
        raise Conflict(_("This circle has closed."))
    seats = [seat.user_id for seat in circle.current_seats]
    if user_id not in seats:
        raise NotFound("circle")
    if not cycle_of(db, circle).due:
        raise Conflict(_("The circle's cycle is not over yet: you choose when it ends."))
    if choice not in CHOICES:
        raise InvalidInput.field("choice", _("Choose to renew the circle or to meet new people."))
    number = circle.renewed_cycles + 1
    row = db.scalar(select(RenewalChoice).where(
        RenewalChoice.circle_id == circle.id, RenewalChoice.user_id == user_id,
        RenewalChoice.cycle_no == number))
    if row is None:
        row = RenewalChoice(circle_id=circle.id, user_id=user_id, cycle_no=number,
                            choice=str(choice))
        db.add(row)
    row.choice = str(choice)
    db.flush()
    return _settle(db, circle, seats, number)


def _settle(db: Session, circle: Circle, seats: list[int], number: int) -> str:
    chosen = dict(db.execute(select(RenewalChoice.user_id, RenewalChoice.choice).where(
        RenewalChoice.circle_id == circle.id, RenewalChoice.cycle_no == number,
        RenewalChoice.user_id.in_(seats))).all())
    if "remix" in chosen.values():
        if len(chosen) < len(seats):
            return "waiting"  # a remix is not announced before everyone chose: no guessing
        called_off = end_circle(db, circle, utcnow())
        tell_closed(db, circle, called_off, _l("its cycle ended and its members will meet "
                                               "new people in the next formation round"))
        return "remixed"
    if len(chosen) < len(seats):
        return "waiting"
    circle.renewed_cycles, circle.renewed_at = number, utcnow()
    for user_id in seats:
        notify(db, user_id, "renewal", _l("Everyone renewed %(name)s: it continues for "
                                          "another %(count)s sessions.", name=circle.name,
                                          count=circle.cycle_sessions), f"/circles/{circle.id}",
               key=f"renewed:{circle.id}:{number}")
    return "renewed"


def renewed_members(db: Session, community_id: int) -> set[int]:
    """Members seated in the community's open circles that everyone renewed: formation keeps
    those circles intact and leaves their members out of new grouping."""
    return set(db.scalars(select(CircleMember.user_id).join(Circle).where(
        Circle.community_id == community_id, Circle.closed_at.is_(None),
        Circle.renewed_at.is_not(None), CircleMember.left_at.is_(None))))
