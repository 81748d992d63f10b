"""When a community's members are free: the hint on the availability form, and what a member
who could not be placed would need to add to be placed next time."""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from circles.members.availability import (
    busiest_windows,
    describe_windows,
    slot_mask,
    week_of,
    weekly_utc,
)
from circles.members.local_time import clock_in
from circles.models import Community, Membership, User


def common_windows(db: Session, community_id: int, *, monday: date,
                   leave_out: int | None = None) -> list[tuple[int, int]]:
    """The weekly windows (UTC) when most of the community's members who gave hours are free."""
    users = db.scalars(select(User).join(Membership, Membership.user_id == User.id)
                       .where(Membership.community_id == community_id,
                              Membership.role == "member", User.is_active)
                       .options(selectinload(User.availability)))
    masks = [slot_mask(weekly_utc([(w.weekday, w.start_minute, w.end_minute)
                                   for w in user.availability], user.timezone, monday))
             for user in users if user.availability and user.id != leave_out]
    return busiest_windows(masks)


def hours_hint(db: Session, user: User, *, today: date | None = None) -> list[tuple[str, str]]:
    """(community name, when most of its members are free, in ``user``'s zone) for each of
    the user's communities where enough members gave hours."""
    monday = week_of(today or date.today())
    communities = db.scalars(select(Community).join(Membership).where(
        Membership.user_id == user.id).order_by(Community.name))
    found = []
    for community in communities:
        text = describe_windows(common_windows(db, community.id, monday=monday,
                                               leave_out=user.id), user.timezone, monday)
        if text:
            found.append((community.name, text))
    return found


def placement_fix(db: Session, community_id: int, user: User, reason: str, *,
                  today: date | None = None) -> str:
    """What would get a member who could not be placed into a circle next time, in words."""
    if "hour" not in reason:
        return str(_("Your facilitator can tell you more; you stay in the pool for the next round."))
    monday = week_of(today or date.today())
    when = describe_windows(common_windows(db, community_id, monday=monday, leave_out=user.id),
                            user.timezone, monday)
    if not when:
        return str(_("Add more weekly hours to your profile so that a circle can meet with you."))
    return str(_("Add an hour on %(when)s to your weekly availability, and you can be placed "
                 "next time.", when=clock_in(user.timezone, when)))
