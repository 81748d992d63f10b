"""Ending well: calling it a day without blame, being grouped again only by mutual consent,
a place in the next formation round, and closing a circle with a reflection round."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_babel.speaklater import LazyString
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.communities.circle import end_circle, leave_circle, planned_ahead
from circles.communities.community import membership_of
from circles.errors import Conflict, InvalidInput, NotFound
from circles.models import (
    Circle,
    CircleMember,
    CircleSession,
    ClosingReflection,
    Departure,
    Membership,
    RegroupConsent,
    User,
    utcnow,
)
from circles.models.ending import MAX_REFLECTION
from circles.notify.notifications import notify

ENDINGS_LINK = "/endings"


def call_it_a_day(db: Session, user: User, circle: Circle, reason: str = "", *,
                  rematch: bool = True) -> CircleMember:
    """``user`` leaves ``circle``; the reason is theirs alone. Whoever stays is told gently,
    and the leaver is in the next formation round unless they asked for a break."""
    if circle.closed_at is not None:
        raise Conflict(_("This circle has already closed; there is nothing to leave."))
    reason = reason.strip()
    if len(reason) > 500:
        raise InvalidInput.field("reason", _("Keep the reason under 500 characters (%(length)s now).",
                                                   length=len(reason)))
    now = utcnow()
    ahead = len(planned_ahead(db, circle, now))
    seat = leave_circle(db, circle, user.id, now=now)
    db.add(Departure(seat=seat, reason=reason))
    membership = membership_of(db, user.id, circle.community_id)
    if membership is not None:
        membership.wants_rematch = rematch
    staying = [s.user_id for s in circle.current_seats]
    if len(staying) == 1:  # leave_circle closed it: one person is not a circle
        _offer_rematch(db, staying[0], circle)
        notify(db, staying[0], "circle_change",
               LazyString(_pair_ended, user.display_name, circle.name, ahead), ENDINGS_LINK,
               key=f"circle_change:{seat.id}")
    else:
        for other in staying:
            notify(db, other, "circle_change",
                   _l("%(name)s has stepped out of %(circle)s; the circle carries on with the "
                      "rest of you.", name=user.display_name, circle=circle.name),
                   f"/circles/{circle.id}", key=f"circle_change:{seat.id}")
    db.flush()
    return seat


def remove_from_circle(db: Session, circle: Circle, user_id: int, *,
                       reason: str = "") -> CircleMember:
    """A facilitator takes a member out; if that leaves one person, the circle closes and
    they are told (its upcoming sessions are called off)."""
    now, was_open = utcnow(), circle.closed_at is None
    ahead = planned_ahead(db, circle, now)
    seat = leave_circle(db, circle, user_id, reason=reason, now=now)
    if was_open and circle.closed_at is not None:
        tell_closed(db, circle, ahead, _l("too few members remain"))
    return seat


def _offer_rematch(db: Session, user_id: int, circle: Circle) -> None:
    membership = membership_of(db, user_id, circle.community_id)
    if membership is not None:
        membership.wants_rematch = True


def set_rematch(db: Session, user: User, community_id: int, wanted: bool) -> Membership:
    """Whether the member is placed in the community's next formation round."""
    membership = membership_of(db, user.id, community_id)
    if membership is None:
        raise NotFound("community")
    membership.wants_rematch = wanted
    return membership


@dataclass(frozen=True)
class EndedTie:
    """A circle that ended early between the viewer and ``other``, and who consents to what."""

    circle: Circle
    other: User
    i_left: bool
    left_at: datetime
    my_consent: bool
    both_consent: bool


def ended_ties(db: Session, user: User) -> list[EndedTie]:
    """Everyone the viewer shared a circle with that one of them left early, newest first."""
    mine = {seat.circle_id: seat for seat in db.scalars(
        select(CircleMember).where(CircleMember.user_id == user.id))}
    consents = {(c, u, o) for c, u, o in db.execute(
        select(RegroupConsent.circle_id, RegroupConsent.user_id, RegroupConsent.other_id)
        .where(RegroupConsent.circle_id.in_(mine)))}
    ties: list[EndedTie] = []
    for circle_id, my_seat in mine.items():
        circle = my_seat.circle
        for seat in circle.seats:
            if seat.user_id == user.id:
                continue
            ended = _early_exit(my_seat, seat, circle)
            if ended is None:
                continue
            left_at, i_left = ended
            mine_ok = (circle_id, user.id, seat.user_id) in consents
            ties.append(EndedTie(circle, seat.user, i_left, left_at, mine_ok,
                                 mine_ok and (circle_id, seat.user_id, user.id) in consents))
    return sorted(ties, key=lambda t: (t.left_at, t.other.id), reverse=True)


def _early_exit(mine: CircleMember, theirs: CircleMember,
                circle: Circle) -> tuple[datetime, bool] | None:
    """When, and whether it was me, if one of the two left the circle before it closed (the
    same rule formation uses to keep them apart); None otherwise."""
    for seat, me in ((mine, True), (theirs, False)):
        if seat.left_at is not None and (circle.closed_at is None or seat.left_at <= circle.closed_at):
            return seat.left_at, me
    return None


def set_regroup_consent(db: Session, user: User, circle_id: int, other_id: int,
                        consent: bool) -> bool:
    """Record (or withdraw) the viewer's openness to a circle with ``other`` again; answers
    whether both are now open. Only pairs that parted early in that circle can be chosen."""
    if not any(t.circle.id == circle_id and t.other.id == other_id for t in ended_ties(db, user)):
        raise NotFound("member")
    row = db.scalar(select(RegroupConsent).where(
        RegroupConsent.circle_id == circle_id, RegroupConsent.user_id == user.id,
        RegroupConsent.other_id == other_id))
    if consent and row is None:
        db.add(RegroupConsent(circle_id=circle_id, user_id=user.id, other_id=other_id))
    elif not consent and row is not None:
        db.delete(row)
    db.flush()
    return consent and db.scalar(select(RegroupConsent.id).where(
        RegroupConsent.circle_id == circle_id, RegroupConsent.user_id == other_id,
        RegroupConsent.other_id == user.id)) is not None


def my_departures(db: Session, user: User) -> list[Departure]:
    """The viewer's own reasons for leaving, for their eyes only."""
    return list(db.scalars(select(Departure).join(CircleMember)
                           .where(CircleMember.user_id == user.id)
                           .order_by(Departure.created_at.desc())))


def seated(circle: Circle, user: User) -> bool:
    return any(seat.user_id == user.id for seat in circle.current_seats)


def close_circle(db: Session, user: User, circle: Circle, now: datetime | None = None) -> Circle:
    """Close the circle (a member or a facilitator may); future sessions are called off,
    while its members, history and ties stay."""
    now = now or utcnow()
    membership = membership_of(db, user.id, circle.community_id)
    facilitating = membership is not None and membership.role == "facilitator"
    if not (seated(circle, user) or facilitating):
        raise NotFound("circle")
    if circle.closed_at is not None:
        raise Conflict(_("This circle is already closed."))
    called_off = end_circle(db, circle, now)
    tell_closed(db, circle, called_off, _l("%(name)s closed it", name=user.display_name),
                leaving_out=user.id)
    db.flush()
    return circle


def tell_closed(db: Session, circle: Circle, called_off: list[CircleSession],
                why: LazyString, *, leaving_out: int | None = None) -> None:
    """Tell the circle's members that it closed and which of its sessions are called off
    (``why`` and the rest in each member's language, as ``notify`` renders them)."""
    for seat in circle.current_seats:
        if seat.user_id != leaving_out:
            notify(db, seat.user_id, "circle_change",
                   LazyString(_closed, circle.name, why, len(called_off)),
                   f"/circles/{circle.id}", key=f"circle_closed:{circle.id}")


def _closed(name: str, why: LazyString, called_off: int) -> str:
    if not called_off:
        return str(_("%(name)s has closed (%(why)s). Its history, your closing reflections and "
                 "your ties stay.", name=name, why=why))
    return str(_("%(name)s has closed (%(why)s); %(called_off)s. Its history, your closing "
             "reflections and your ties stay.", name=name, why=why,
             called_off=_called_off(called_off)))


def _pair_ended(name: str, circle: str, called_off: int) -> str:
    if not called_off:
        return str(_("%(name)s has decided to call it a day in %(circle)s, so the circle has "
                 "closed. Pairs sometimes run their course and nobody is to blame. You keep "
                 "your place in the next formation round.", name=name, circle=circle))
    return str(_("%(name)s has decided to call it a day in %(circle)s, so the circle has closed. "
             "%(called_off)s. Pairs sometimes run their course and nobody is to blame. You "
             "keep your place in the next formation round.", name=name, circle=circle,
             called_off=_called_off(called_off).capitalize()))


def _called_off(count: int) -> str:
    return str(ngettext("its upcoming session is called off",
                    "its %(num)d upcoming sessions are called off", count))


def reflect(db: Session, user: User, circle: Circle, *, learned: str,
            appreciated: str) -> ClosingReflection:
    """Write (or rewrite) the member's closing reflection: what I learned, what I appreciated."""
    if not seated(circle, user):
        raise NotFound("circle")
    learned, appreciated = learned.strip(), appreciated.strip()
    errors: dict[str, str] = {}
    for name, text in (("learned", learned), ("appreciated", appreciated)):
        if len(text) > MAX_REFLECTION:
            errors[name] = _("Keep this under %(max)s characters (%(length)s now).",
                             max=MAX_REFLECTION, length=len(text))
    if not errors and not (learned or appreciated):
        errors["learned"] = _("Write what you learned, what you appreciated, or both.")
    if errors:
        raise InvalidInput(errors)
    row = db.scalar(select(ClosingReflection).where(
        ClosingReflection.circle_id == circle.id, ClosingReflection.user_id == user.id))
    if row is None:
        row = ClosingReflection(circle_id=circle.id, user_id=user.id)
        db.add(row)
    row.learned, row.appreciated = learned, appreciated
    db.flush()
    return row


def reflections(db: Session, user: User, circle: Circle) -> list[ClosingReflection]:
    """The circle's closing reflections, for its members only (a facilitator gets 404)."""
    if not seated(circle, user):
        raise NotFound("circle")
    return list(db.scalars(select(ClosingReflection)
                           .where(ClosingReflection.circle_id == circle.id)
                           .order_by(ClosingReflection.created_at, ClosingReflection.id)))
