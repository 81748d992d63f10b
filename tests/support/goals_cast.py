"""A small cast for goal, commitment and journal tests.

Ana and Ben sit in one pair; Cara sits with Dan in another circle of the same community;
Fay facilitates the community and sits in neither. Ana has a shared and a private success
criterion, and each circle has had one ended session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Flask

from circles.extensions import orm
from circles.models import CircleSession, SuccessCriterion, utcnow


@dataclass
class Cast:
    users: dict[str, Any]
    pair_id: int
    other_id: int
    shared_id: int  # Ana's shared criterion
    private_id: int  # Ana's private criterion
    pair_session_id: int
    other_session_id: int

    def id(self, who: str) -> int:
        return int(self.users[who].id)

    def email(self, who: str) -> str:
        return str(self.users[who].email)


def build_cast(app: Flask, make_user: Callable[..., Any], make_community: Callable[..., Any],
               make_circle: Callable[..., Any]) -> Cast:
    users = {name: make_user(display_name=f"{name.title()} Example")
             for name in ("fay", "ana", "ben", "cara", "dan")}
    community = make_community(users["fay"], members=[users[k] for k in ("ana", "ben", "cara", "dan")])
    pair = make_circle(community, [users["ana"], users["ben"]], name="Ana & Ben")
    other = make_circle(community, [users["cara"], users["dan"]], name="Cara & Dan")
    with app.app_context():
        target = date.today() + timedelta(days=90)
        shared = SuccessCriterion(user_id=users["ana"].id, text="Lead a design review",
                                  target_date=target, shared=True)
        private = SuccessCriterion(user_id=users["ana"].id, text="Ask for a raise",
                                   target_date=target, position=1)
        sessions = [CircleSession(circle_id=cid, title="First", status="ended",
                                  starts_at=utcnow() - timedelta(days=3))
                    for cid in (pair.id, other.id)]
        orm.session.add_all([shared, private, *sessions])
        orm.session.commit()
        return Cast(users, pair.id, other.id, shared.id, private.id,
                    sessions[0].id, sessions[1].id)
