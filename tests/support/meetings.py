"""A circle that has met: an ended session with an ``Interaction`` per pair of its attendees,
as the live room records when a session ends (a circle's ties count once its members met)."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

from circles.models import CircleSession, Interaction


def met_at(db: Any, circle_id: int, user_ids: list[int], at: datetime) -> int:
    """Record that ``user_ids`` met in a session of the circle at ``at``; the session's id."""
    session = CircleSession(circle_id=circle_id, starts_at=at, status="ended", ended_at=at)
    db.add(session)
    db.flush()
    for a, b in itertools.combinations(sorted(set(user_ids)), 2):
        db.add(Interaction(low_id=a, high_id=b, kind="session", session_id=session.id, at=at))
    db.flush()
    return int(session.id)
