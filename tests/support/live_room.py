"""A circle of four with a scheduled session, and an outsider, for live-room tests.

Ada facilitates, Ben keeps time, Cy takes notes, Di is a member; Olu belongs to the same
community but not to the circle (so every live operation must treat Olu as a stranger).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask

from circles.extensions import orm
from circles.models import CircleSession, SessionRole, utcnow

NAMES = ("ada", "ben", "cy", "di")


@dataclass
class Room:
    circle_id: int
    session_id: int
    ids: dict[str, int]

    def __getattr__(self, name: str) -> int:
        try:
            return self.ids[name]
        except KeyError:
            raise AttributeError(name) from None


def new_session(app: Flask, circle_id: int, roles: dict[str, int | None],
                *, title: str = "Session", days_ahead: int = 0) -> int:
    """Insert a scheduled session with its roles, as the scheduling module would."""
    with app.app_context():
        session = CircleSession(circle_id=circle_id, title=title,
                                starts_at=utcnow() + timedelta(days=days_ahead))
        session.roles = [SessionRole(role=role, user_id=uid) for role, uid in roles.items()]
        orm.session.add(session)
        orm.session.commit()
        return session.id


def build_room(app: Flask, make_user: Any, make_community: Any, make_circle: Any) -> Room:
    people = {name: make_user(display_name=name.title()) for name in (*NAMES, "olu")}
    community = make_community(people["ada"],
                               members=[people[n] for n in ("ben", "cy", "di", "olu")])
    circle = make_circle(community, [people[n] for n in NAMES], name="Night owls")
    ids = {name: user.id for name, user in people.items()}
    session_id = new_session(app, circle.id, {"facilitator": ids["ada"],
                                              "timekeeper": ids["ben"],
                                              "note_taker": ids["cy"]})
    return Room(circle.id, session_id, ids)
