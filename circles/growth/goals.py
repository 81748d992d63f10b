"""Goals and progress: circles' shared goals, members' success criteria, check-ins on both.

A member's success criterion is private unless they share it; a shared criterion and the
check-ins they did not keep to themselves are seen by the members of their current circles,
never by facilitators. A circle goal and its check-ins belong to the circle's members.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import Conflict, InvalidInput, NotFound
from circles.members.profiles import check_target_date
from circles.models import (
    Circle,
    CircleGoal,
    CircleMember,
    GoalCheckin,
    SuccessCriterion,
    User,
    as_utc,
    utcnow,
)
from circles.notify.notifications import notify

TEXT_MAX = 300
RATINGS = range(1, 6)
RATING_WORDS = {1: _l("stuck"), 2: _l("slow"), 3: _l("moving"), 4: _l("good progress"),
                5: _l("there")}


def _seated(circle: Circle, user_id: int) -> bool:
    return any(seat.user_id == user_id for seat in circle.current_seats)


def circle_goal_for_member(db: Session, user: User, goal_id: int) -> CircleGoal:
    """A goal of a circle the user sits in now; any other goal is not found for them."""
    goal = db.get(CircleGoal, goal_id)
    if goal is None or not _seated(db.get_one(Circle, goal.circle_id), user.id):
        raise NotFound("goal")
    return goal


def own_criterion(db: Session, user: User, criterion_id: int) -> SuccessCriterion:
    criterion = db.get(SuccessCriterion, criterion_id)
    if criterion is None or criterion.user_id != user.id:
        raise NotFound("goal")
    return criterion


def _open_circle(circle: Circle) -> None:
    if circle.closed_at is not None:
        raise Conflict(_("This circle has closed, so its goals take no more check-ins; "
                         "what was recorded stays."))


def add_circle_goal(db: Session, user: User, circle: Circle, *, text: str,
                    target_date: date | None, today: date | None = None) -> CircleGoal:
    """A member sets a goal the whole circle works towards, with a date."""
    if not _seated(circle, user.id):
        raise NotFound("circle")
    _open_circle(circle)
    today = today or date.today()
    errors: dict[str, str] = {}
    text = " ".join(text.split())
    if not text:
        errors["text"] = _("Say what the circle wants to reach.")
    elif len(text) > TEXT_MAX:
        errors["text"] = _("Keep the goal under %(max)s characters (%(count)s now).",
                           max=TEXT_MAX, count=len(text))
    check_target_date(errors, target_date, today)
    if errors or target_date is None:
        raise InvalidInput(errors)
    goal = CircleGoal(circle_id=circle.id, author_id=user.id, text=text, target_date=target_date)
    db.add(goal)
    db.flush()
    return goal


def close_circle_goal(db: Session, user: User, goal: CircleGoal) -> CircleGoal:
    """Any member marks a circle goal as done with; its history stays."""
    circle_goal_for_member(db, user, goal.id)
    if goal.closed_at is not None:
        raise Conflict(_("That goal is already closed."))
    goal.closed_at = utcnow()
    return goal


def share_criterion(db: Session, user: User, criterion_id: int, shared: bool) -> SuccessCriterion:
    """The member chooses whether their circles see this criterion and its check-ins."""
    criterion = own_criterion(db, user, criterion_id)
    criterion.shared = shared
    return criterion


def _rating(errors: dict[str, str], rating: object) -> int:
    try:
        value = int(str(rating))
    except ValueError:
        value = 0
    if value not in RATINGS:
        errors["rating"] = _("Choose a rating from 1 (stuck) to 5 (there).")
    return value


def check_in(db: Session, user: User, *, kind: str, goal_id: int, rating: object,
             line: str = "", private: bool = False) -> GoalCheckin:
    """Record progress on one's own criterion or on a goal of one's open circle, as of now
    (a check-in is always stamped with the present: nothing is dated ahead)."""
    if kind == "criterion":
        criterion = own_criterion(db, user, goal_id)
        visibility = "circle" if criterion.shared and not private else "private"
        target: dict[str, int | None] = {"criterion_id": criterion.id}
    elif kind == "circle":
        goal = circle_goal_for_member(db, user, goal_id)
        _open_circle(db.get_one(Circle, goal.circle_id))
        if goal.closed_at is not None:
            raise Conflict(_("That goal is closed; check in on an open one."))
        visibility = "circle"
        target = {"circle_goal_id": goal.id}
    else:
        raise NotFound("goal")
    errors: dict[str, str] = {}
    value = _rating(errors, rating)
    line = " ".join(line.split())
    if len(line) > TEXT_MAX:
        errors["line"] = _("Keep it to one line under %(max)s characters (%(count)s now).",
                           max=TEXT_MAX, count=len(line))
    if errors:
        raise InvalidInput(errors)
    checkin = GoalCheckin(user_id=user.id, rating=value, line=line, visibility=visibility,
                          created_at=utcnow(), **target)
    db.add(checkin)
    db.flush()
    if kind == "circle":
        _tell_circle(db, user, goal, value)
    return checkin


def _tell_circle(db: Session, user: User, goal: CircleGoal, rating: int) -> None:
    """The other members hear that someone checked in on a shared goal (not their line)."""
    circle = db.get_one(Circle, goal.circle_id)
    text = _l("%(name)s checked in on “%(goal)s” in %(circle)s: %(rating)s/5.",
              name=user.display_name, goal=goal.text, circle=circle.name, rating=rating)
    for seat in circle.current_seats:
        if seat.user_id != user.id:
            notify(db, seat.user_id, "goal_checkin", text, f"/circles/{circle.id}#goals")


def criterion_series(db: Session, criterion: SuccessCriterion) -> list[GoalCheckin]:
    """Every check-in on a criterion, oldest first (for its owner)."""
    return list(db.scalars(select(GoalCheckin).where(GoalCheckin.criterion_id == criterion.id)
                           .order_by(GoalCheckin.created_at, GoalCheckin.id)))


def goal_series(db: Session, goal: CircleGoal) -> list[GoalCheckin]:
    """Every member's check-ins on a circle goal, oldest first (for the circle's members)."""
    return list(db.scalars(select(GoalCheckin).where(GoalCheckin.circle_goal_id == goal.id)
                           .order_by(GoalCheckin.created_at, GoalCheckin.id)))


def shared_latest(db: Session, criterion: SuccessCriterion) -> GoalCheckin | None:
    """The newest check-in others may see on a criterion (None while it is private)."""
    if not criterion.shared:
        return None
    return db.scalars(select(GoalCheckin).where(
        GoalCheckin.criterion_id == criterion.id, GoalCheckin.visibility == "circle")
        .order_by(GoalCheckin.created_at.desc(), GoalCheckin.id.desc()).limit(1)).first()


def circle_goals_of(db: Session, circle: Circle, *, include_closed: bool = True
                    ) -> list[CircleGoal]:
    query = select(CircleGoal).where(CircleGoal.circle_id == circle.id)
    if not include_closed:
        query = query.where(CircleGoal.closed_at.is_(None))
    return list(db.scalars(query.order_by(CircleGoal.closed_at.is_not(None),
                                          CircleGoal.target_date, CircleGoal.id)))


def open_circle_goals(db: Session, user: User) -> list[CircleGoal]:
    """Open goals of the open circles the user sits in now."""
    return list(db.scalars(
        select(CircleGoal).join(Circle, Circle.id == CircleGoal.circle_id)
        .join(CircleMember, CircleMember.circle_id == Circle.id)
        .where(CircleMember.user_id == user.id, CircleMember.left_at.is_(None),
               Circle.closed_at.is_(None), CircleGoal.closed_at.is_(None))
        .order_by(CircleGoal.target_date, CircleGoal.id)))


@dataclass
class MemberGoals:
    user: User
    shared: list[tuple[SuccessCriterion, GoalCheckin | None]]


@dataclass
class GoalProgress:
    goal: CircleGoal
    checkins: list[GoalCheckin]

    @property
    def latest(self) -> GoalCheckin | None:
        return self.checkins[-1] if self.checkins else None


@dataclass
class CirclePanel:
    """The goals section of a circle page for one of its members."""

    circle: Circle
    members: list[MemberGoals] = field(default_factory=list)
    goals: list[GoalProgress] = field(default_factory=list)


def circle_panel(db: Session, circle: Circle, viewer: User) -> CirclePanel | None:
    """What the circle's members share with each other; None for anyone not seated in it
    (a facilitator included: members' goals are theirs and their circle's)."""
    if not _seated(circle, viewer.id):
        return None
    panel = CirclePanel(circle=circle)
    for seat in circle.current_seats:
        shared = [(c, shared_latest(db, c)) for c in seat.user.success_criteria if c.shared]
        panel.members.append(MemberGoals(user=seat.user, shared=shared))
    panel.goals = [GoalProgress(goal=g, checkins=goal_series(db, g))
                   for g in circle_goals_of(db, circle)]
    return panel


def chart_points(checkins: list[GoalCheckin], *, width: int = 240, height: int = 60,
                 pad: int = 6) -> list[tuple[float, float, GoalCheckin]]:
    """SVG coordinates for a progress line: time left to right, rating 1 (bottom) to 5 (top)."""
    if not checkins:
        return []
    start = as_utc(checkins[0].created_at)
    span = max((as_utc(checkins[-1].created_at) - start).total_seconds(), 1.0)
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    points = []
    for index, item in enumerate(checkins):
        seconds = (as_utc(item.created_at) - start).total_seconds()
        x = pad + (inner_w * seconds / span if len(checkins) > 1 and span > 1.0
                   else inner_w * index / max(len(checkins) - 1, 1))
        y = pad + inner_h * (5 - item.rating) / 4
        points.append((round(x, 1), round(y, 1), item))
    return points
