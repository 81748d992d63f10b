"""Planning sessions once per form: the same "plan a session" form sent twice plans once.

The form carries a random key (``new_key``) from the moment it is shown. Planning claims the
key first (a unique row, ``SessionPlan``), then plans; a second sending of the same form —
a double click, a browser retrying the POST, four tabs at once — finds the claim and gets
the sessions the first one planned. Concurrent sendings are settled by the unique key: on
PostgreSQL the second insert waits for the first transaction and then fails, and the loser
reads the winner's sessions; SQLite's writers queue anyway.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from circles.errors import Conflict
from circles.models import Circle, CircleSession, SessionPlan, User
from circles.sessions.scheduling import schedule

KEY = re.compile(r"[A-Za-z0-9_-]{16,64}")
UNREADABLE = _l("This form could not be read. Reload the page and plan the session again.")
SENT_ELSEWHERE = _l("This form was already used. Reload the page to plan another session.")


def new_key() -> str:
    """A fresh key for one showing of the form."""
    return secrets.token_urlsafe(24)


def checked_key(value: object) -> str | None:
    """The form's key; None when the form came without one (it then plans every time)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not KEY.fullmatch(value):
        raise Conflict(str(UNREADABLE))
    return value


def planned_by(db: Session, key: str, user: User, circle: Circle) -> list[CircleSession] | None:
    """The sessions the form with ``key`` planned already, or None if it planned none."""
    plan = db.scalar(select(SessionPlan).where(SessionPlan.form_key == key))
    if plan is None:
        return None
    if plan.user_id != user.id or plan.circle_id != circle.id or plan.first_session_id is None:
        raise Conflict(str(SENT_ELSEWHERE))
    first = db.get_one(CircleSession, plan.first_session_id)
    if first.series_id is None:
        return [first]
    return list(db.scalars(select(CircleSession).where(CircleSession.series_id == first.series_id)
                           .order_by(CircleSession.starts_at, CircleSession.id)))


def schedule_once(db: Session, circle: Circle, user: User, *, form_key: object,
                  **fields: Any) -> list[CircleSession]:
    """``scheduling.schedule`` for the form with ``form_key``, at most once per key."""
    key = checked_key(form_key)
    if key is None:
        return schedule(db, circle, user, **fields)
    earlier = planned_by(db, key, user, circle)
    if earlier is not None:
        return earlier
    plan = SessionPlan(form_key=key, user_id=user.id, circle_id=circle.id)
    try:
        with db.begin_nested():
            db.add(plan)
    except IntegrityError:  # the same form, sent at the same moment, claimed it first
        earlier = planned_by(db, key, user, circle)
        if earlier is None:
            raise
        return earlier
    sessions = schedule(db, circle, user, **fields)
    plan.first_session_id = sessions[0].id
    db.flush()
    return sessions
