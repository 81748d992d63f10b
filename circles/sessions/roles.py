"""Rotating session roles: a fair rotation, claiming a vacant role, and swaps by consent.

Rules, the same for the rotation and for members' own changes:

- in a circle of three or more, nobody holds two roles in one session;
- in a pair (or a circle down to one), one person may hold two roles, but the facilitator
  and the timekeeper are always different people — the timekeeper is who may take over a
  session whose facilitator drops out. With one member the timekeeper stays vacant.

Nobody can take a role someone holds: a role changes hands only by its holder releasing it
(then anyone may claim it) or by a swap the other holder accepts.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import Conflict, InvalidInput, NotFound
from circles.languages import term
from circles.models import Circle, CircleSession, SessionRole, User, utcnow
from circles.models.sessions import ROLES

Assignment = tuple[int | None, ...]  # a user id (or None, vacant) per role, in ROLES order


def _allowed(assignment: Assignment, members: int) -> str | None:
    """Why ``assignment`` breaks the rules above, or None when it keeps them."""
    held = dict(zip(ROLES, assignment, strict=True))
    if held["facilitator"] is not None and held["facilitator"] == held["timekeeper"]:
        return str(_("The facilitator and the timekeeper must be different people."))
    people = [uid for uid in assignment if uid is not None]
    if members >= 3 and len(people) != len(set(people)):
        return str(_("In a circle of three or more, each person holds at most one role per "
                     "session."))
    return None


def _history(db: Session, circle_id: int, exclude: set[int]) -> list[dict[str, int | None]]:
    """Who held each role in the circle's sessions so far (cancelled ones did not happen)."""
    sessions = db.scalars(
        select(CircleSession)
        .where(CircleSession.circle_id == circle_id, CircleSession.status != "cancelled")
        .order_by(CircleSession.starts_at, CircleSession.id)
    )
    return [{r.role: r.user_id for r in s.roles} for s in sessions if s.id not in exclude]


def rotate(history: Sequence[dict[str, int | None]], member_ids: Sequence[int]) -> Assignment:
    """The fairest roles for the next session, given who held them in earlier sessions.

    Candidates are compared by, in turn: how recently each person last held *that* role
    (never is best; summed over the roles), how recently each last held any role (so
    nobody sits idle for long in a circle larger than three), how often each held that
    role, and finally the lowest user ids in role order, so the result is deterministic.
    With three members this cycles through a Latin square: over 3k sessions everyone
    holds each role k times; a newcomer is brought in at once but does not take every role.
    """
    members = sorted(member_ids)
    if len(members) <= 1:
        only = members[0] if members else None
        return (only, None, only)
    last: dict[tuple[int, str], int] = {}
    count: dict[tuple[int, str], int] = {}
    last_any: dict[int, int] = {}
    for index, held in enumerate(history):
        for role, uid in held.items():
            if uid is not None:
                last[uid, role] = last_any[uid] = index
                count[uid, role] = count.get((uid, role), 0) + 1

    def cost(assignment: tuple[int, ...]) -> tuple[int, int, int, tuple[int, ...]]:
        pairs = list(zip(assignment, ROLES, strict=True))
        return (sum(last.get(p, -1) for p in pairs),
                sum(last_any.get(uid, -1) for uid in set(assignment)),
                sum(count.get(p, 0) for p in pairs), assignment)

    candidates = (a for a in itertools.product(members, repeat=len(ROLES))
                  if _allowed(a, len(members)) is None)
    return min(candidates, key=cost)


def assign_roles(db: Session, circle: Circle, sessions: Sequence[CircleSession]) -> None:
    """Give each new session (in time order) its roles by the fair rotation."""
    member_ids = [seat.user_id for seat in circle.current_seats]
    history = _history(db, circle.id, exclude={s.id for s in sessions})
    for session in sorted(sessions, key=lambda s: (s.starts_at, s.id)):
        assignment = rotate(history, member_ids)
        session.roles = [SessionRole(role=role, user_id=uid)
                         for role, uid in zip(ROLES, assignment, strict=True)]
        history.append(dict(zip(ROLES, assignment, strict=True)))
    db.flush()


def _changeable_session(session: CircleSession, now: datetime) -> None:
    starts = session.starts_at.replace(tzinfo=session.starts_at.tzinfo or UTC)
    if session.status != "scheduled" or starts <= now:
        raise Conflict(_("Roles of a session that has started, ended or been cancelled "
                         "cannot change."))


def _role(session: CircleSession, role: str) -> SessionRole:
    if role not in ROLES:
        raise NotFound("role")
    found = next((r for r in session.roles if r.role == role), None)
    if found is None:  # sessions always get all roles; an old row may lack one
        found = SessionRole(role=role, user_id=None)
        session.roles.append(found)
    return found


def _check_rules(session: CircleSession, changes: dict[str, int | None]) -> None:
    held = {r.role: r.user_id for r in session.roles} | changes
    problem = _allowed(tuple(held.get(role) for role in ROLES),
                       len(session.circle.current_seats))
    if problem is not None:
        raise Conflict(problem)


def clear_swaps(db: Session, role: SessionRole) -> None:
    """Withdraw swap proposals made from or towards ``role`` (its holder is changing)."""
    role.swap_with_id = role.swap_proposed_by_id = None
    if role.id is not None:
        for other in db.scalars(select(SessionRole).where(SessionRole.swap_with_id == role.id)):
            other.swap_with_id = other.swap_proposed_by_id = None


def claim_role(db: Session, session: CircleSession, role: str, user: User,
               now: datetime | None = None) -> SessionRole:
    """Take a vacant role; a held one can only be had by a swap its holder accepts."""
    _changeable_session(session, now or utcnow())
    row = _role(session, role)
    if row.user_id == user.id:
        raise Conflict(_("You are already the %(role)s.", role=term(role)))
    if row.user_id is not None:
        raise Conflict(_("Someone is already the %(role)s; propose a swap instead.",
                         role=term(role)))
    _check_rules(session, {role: user.id})
    row.user_id = user.id
    clear_swaps(db, row)
    db.flush()
    return row


def release_role(db: Session, session: CircleSession, role: str, user: User,
                 now: datetime | None = None) -> SessionRole:
    """Give up one's own role; it becomes vacant for anyone in the circle to claim."""
    _changeable_session(session, now or utcnow())
    row = _role(session, role)
    if row.user_id != user.id:
        raise Conflict(_("You are not the %(role)s of this session.", role=term(role)))
    row.user_id = None
    clear_swaps(db, row)
    db.flush()
    return row


def _swap_pair(db: Session, role_id: int, circle_id: int) -> SessionRole:
    row = db.get(SessionRole, role_id)
    if row is None or row.session.circle_id != circle_id:
        raise NotFound("role")
    return row


def _exchange_allowed(mine: SessionRole, theirs: SessionRole) -> None:
    """Both roles may change, and the exchange keeps the rules in both sessions."""
    if mine.session_id == theirs.session_id:
        _check_rules(mine.session, {mine.role: theirs.user_id, theirs.role: mine.user_id})
    else:
        _check_rules(mine.session, {mine.role: theirs.user_id})
        _check_rules(theirs.session, {theirs.role: mine.user_id})


def swap_allowed(mine: SessionRole, theirs: SessionRole) -> bool:
    """Whether exchanging the two roles' holders would keep the rules (to offer it at all)."""
    try:
        _exchange_allowed(mine, theirs)
    except Conflict:
        return False
    return True


def in_order(session: CircleSession) -> list[SessionRole]:
    """The session's roles in the order people think of them (facilitator first)."""
    return sorted(session.roles, key=lambda r: ROLES.index(r.role) if r.role in ROLES else 99)


def propose_swap(db: Session, mine: SessionRole, user: User, their_role_id: int,
                 now: datetime | None = None) -> SessionRole:
    """Offer to exchange a role one holds for another member's role (any planned session of
    the same circle); nothing changes until that member accepts."""
    now = now or utcnow()
    if mine.user_id != user.id:
        raise Conflict(_("You are not the %(role)s of this session.", role=term(mine.role)))
    theirs = _swap_pair(db, their_role_id, mine.session.circle_id)
    if theirs.user_id is None:
        raise InvalidInput.field("swap_with", _("That role is vacant: claim it instead."))
    if theirs.user_id == user.id or theirs.id == mine.id:
        raise InvalidInput.field("swap_with", _("Choose a role someone else holds."))
    _changeable_session(mine.session, now)
    _changeable_session(theirs.session, now)
    _exchange_allowed(mine, theirs)
    mine.swap_with_id, mine.swap_proposed_by_id = theirs.id, user.id
    db.flush()
    return mine


def accept_swap(db: Session, proposed: SessionRole, user: User,
                now: datetime | None = None) -> SessionRole:
    """The other holder agrees: the two roles change hands, and other offers on them lapse."""
    theirs = proposed.swap_with
    if theirs is None or theirs.user_id != user.id:
        raise NotFound("swap proposal")
    if proposed.user_id != proposed.swap_proposed_by_id:
        clear_swaps(db, proposed)
        raise Conflict(_("That proposal lapsed: the role has changed hands since."))
    now = now or utcnow()
    _changeable_session(proposed.session, now)
    _changeable_session(theirs.session, now)
    _exchange_allowed(proposed, theirs)
    proposed.user_id, theirs.user_id = theirs.user_id, proposed.user_id
    clear_swaps(db, proposed)
    clear_swaps(db, theirs)
    db.flush()
    return proposed


def decline_swap(db: Session, proposed: SessionRole, user: User) -> SessionRole:
    """The asked member declines, or the proposer withdraws; roles stay as they are."""
    asked = proposed.swap_with.user_id if proposed.swap_with is not None else None
    if user.id not in (asked, proposed.swap_proposed_by_id):
        raise NotFound("swap proposal")
    clear_swaps(db, proposed)
    db.flush()
    return proposed


def vacate_future_roles(db: Session, circle: Circle, user_id: int,
                        now: datetime | None = None) -> list[SessionRole]:
    """A member left: their roles in the circle's planned sessions become vacant."""
    now = now or utcnow()
    rows = list(db.scalars(
        select(SessionRole).join(CircleSession)
        .where(CircleSession.circle_id == circle.id, CircleSession.status == "scheduled",
               CircleSession.starts_at > now, SessionRole.user_id == user_id)
    ))
    for row in rows:
        row.user_id = None
        clear_swaps(db, row)
    for row in db.scalars(
        select(SessionRole).join(CircleSession)
        .where(CircleSession.circle_id == circle.id, SessionRole.swap_proposed_by_id == user_id)
    ):
        row.swap_with_id = row.swap_proposed_by_id = None
    db.flush()
    return rows
