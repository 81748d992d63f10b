"""Circles: pairs and small groups inside a community, with their membership history."""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.communities.community import membership_of
from circles.communities.names import NAME_MAX
from circles.errors import Conflict, InvalidInput, NotFound
from circles.members.blocks import blocked_pairs
from circles.models import Circle, CircleMember, CircleSession, Community, User, utcnow
from circles.sessions.roles import clear_swaps, vacate_future_roles

GROUP_MAX = 8


#: Two members one of whom blocked the other: said without saying who blocked whom.
KEPT_APART = _l("Two of these members asked to be kept apart, so they cannot share a circle: "
                "leave one of them out.")


def create_circle(
    db: Session, community: Community, creator: User, *, name: str, member_ids: list[int]
) -> Circle:
    """Form a circle by hand: two members make a pair, three to eight a group."""
    errors: dict[str, str] = {}
    name = " ".join(name.split())
    unique_ids = list(dict.fromkeys(member_ids))
    if len(name) > 120:
        errors["name"] = _("Keep the name under 120 characters.")
    if len(unique_ids) < 2:
        errors["members"] = _("Choose at least two members.")
    elif len(unique_ids) > GROUP_MAX:
        errors["members"] = _("A circle has at most %(max)s members (%(chosen)s chosen).",
                                      max=GROUP_MAX, chosen=len(unique_ids))
    outsiders = [uid for uid in unique_ids if membership_of(db, uid, community.id) is None]
    if outsiders and "members" not in errors:
        errors["members"] = _("Everyone in a circle must belong to this community.")
    if "members" not in errors and blocked_pairs(db, unique_ids):
        errors["members"] = str(KEPT_APART)
    if errors:
        raise InvalidInput(errors)
    users = [db.get_one(User, uid) for uid in unique_ids]
    circle = Circle(
        community_id=community.id,
        name=name or " & ".join(u.display_name.split()[0] for u in users)[:120],
        kind="pair" if len(users) == 2 else "group",
        created_by_id=creator.id,
    )
    circle.seats = [CircleMember(user=user) for user in users]
    db.add(circle)
    db.flush()
    return circle


def circles_of(db: Session, user_id: int) -> list[Circle]:
    """Circles the user sits in now (a closed circle, e.g. an earlier round's, is history)."""
    return list(
        db.scalars(
            select(Circle)
            .join(CircleMember)
            .where(CircleMember.user_id == user_id, CircleMember.left_at.is_(None),
                   Circle.closed_at.is_(None))
            .order_by(Circle.created_at.desc())
        )
    )


def circles_in(db: Session, community_id: int) -> list[Circle]:
    return list(
        db.scalars(
            select(Circle).where(Circle.community_id == community_id).order_by(Circle.created_at.desc())
        )
    )


def circle_for_viewer(db: Session, user: User, circle_id: int) -> Circle:
    """A circle its current members and its community's facilitators may see; others 404."""
    circle = db.get(Circle, circle_id)
    if circle is None:
        raise NotFound("circle")
    if any(seat.user_id == user.id for seat in circle.current_seats):
        return circle
    membership = membership_of(db, user.id, circle.community_id)
    if membership is not None and membership.role == "facilitator":
        return circle
    raise NotFound("circle")


def rename_circle(db: Session, user: User, circle: Circle, name: str) -> Circle:
    """A member renames their circle (1–80 characters, spaces tidied); anyone else finds
    nothing, and a closed circle keeps the name it closed with."""
    if not any(seat.user_id == user.id for seat in circle.current_seats):
        raise NotFound("circle")
    if circle.closed_at is not None:
        raise Conflict(_("This circle has closed; it keeps the name it had."))
    name = " ".join(name.split())
    if not name:
        raise InvalidInput.field("name", _("Give the circle a name."))
    if len(name) > NAME_MAX:
        raise InvalidInput.field("name", _("Keep the name to %(max)s characters (it has "
                                           "%(length)s).", max=NAME_MAX, length=len(name)))
    circle.name = name
    db.flush()
    return circle


def add_to_circle(db: Session, circle: Circle, user_id: int) -> CircleMember:
    if circle.closed_at is not None:
        raise Conflict(_("This circle has closed; it takes no new members."))
    if membership_of(db, user_id, circle.community_id) is None:
        raise NotFound("member")
    if any(seat.user_id == user_id for seat in circle.current_seats):
        raise Conflict(_("Already in this circle."))
    if len(circle.current_seats) >= GROUP_MAX:
        raise InvalidInput.field("member", _("A circle has at most %(max)s members.", max=GROUP_MAX))
    if blocked_pairs(db, [user_id, *(seat.user_id for seat in circle.current_seats)]):
        raise InvalidInput.field("member", str(KEPT_APART))
    seat = CircleMember(user_id=user_id)
    circle.seats.append(seat)
    circle.kind = "pair" if len(circle.current_seats) == 2 else "group"
    db.flush()
    return seat


def leave_circle(db: Session, circle: Circle, user_id: int, *, reason: str = "",
                 now: datetime | None = None) -> CircleMember:
    """End a member's stay; the history keeps when and why. When fewer than two remain the
    circle closes (``end_circle``)."""
    if len(reason) > 500:
        raise InvalidInput.field("reason", _("Keep the reason under 500 characters."))
    seat = next((s for s in circle.current_seats if s.user_id == user_id), None)
    if seat is None:
        raise NotFound("member")
    seat.left_at = now or utcnow()
    seat.left_reason = reason.strip()
    vacate_future_roles(db, circle, user_id, now=seat.left_at)
    if len(circle.current_seats) >= 2:
        circle.kind = "pair" if len(circle.current_seats) == 2 else "group"
    elif circle.closed_at is None:
        end_circle(db, circle, seat.left_at)  # one person is not a circle
    return seat


def planned_ahead(db: Session, circle: Circle, now: datetime) -> list[CircleSession]:
    """The circle's sessions still planned to start after ``now``, soonest first."""
    return list(db.scalars(select(CircleSession).where(
        CircleSession.circle_id == circle.id, CircleSession.status == "scheduled",
        CircleSession.starts_at > now).order_by(CircleSession.starts_at)))


def end_circle(db: Session, circle: Circle, now: datetime) -> list[CircleSession]:
    """What closing means, however a circle closes (its members or a facilitator close it,
    formation publishes a round that replaces it, or too few members remain): it is closed
    from ``now``, and its sessions still ahead are called off — cancelled with a new calendar
    ``sequence``, so subscribed calendars show them cancelled, and no swap stays pending.
    Returns the sessions called off."""
    circle.closed_at = now
    called_off = planned_ahead(db, circle, now)
    for session in called_off:
        session.status = "cancelled"
        session.sequence += 1
        for role in session.roles:
            clear_swaps(db, role)
    return called_off
