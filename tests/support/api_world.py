"""A seeded world for the JSON API tests: tests/support/world.py plus sessions, commitments, secrets
that must never leave through the API, and a token for each role.

Roles (by token): ``owner`` sits in the circle with ``mate``; ``other_circle`` sits in a
second circle of the same community; ``facilitator`` runs the community,
``other_facilitator`` another one, where ``outsider`` is a member; ``admin`` is a site
administrator in no community; ``revoked`` and ``expired`` are dead tokens of the owner.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Flask

from circles.api import tokens
from circles.communities.circle import create_circle
from circles.extensions import orm
from circles.models import (
    CircleSession,
    Commitment,
    Community,
    ExternalContact,
    Feedback,
    Note,
    Pulse,
    SessionRole,
    Strength,
    SuccessCriterion,
    User,
    utcnow,
)
from circles.network.ties import add_tie
from tests.support.world import World, build_world

# Written where only their author (or receiver) may read them; no API answer may hold one.
SECRETS = ("PRIVATE-NOTE-7f3a", "FEEDBACK-STRENGTH-7f3a", "FEEDBACK-SUGGESTION-7f3a",
           "PULSE-COMMENT-7f3a", "CONTACT-NOTE-7f3a", "PRIVATE-GOAL-7f3a")
MATES_CONTACT = "Mate's Outside Mentor 7f3a"  # only in the mate's own network
LIVE_ROLES = ("owner", "mate", "other_circle", "facilitator", "other_facilitator", "outsider",
              "admin")
DEAD_ROLES = ("revoked", "expired")
OWNER_COMMITMENTS = 25


@dataclass
class ApiWorld:
    world: World
    tokens: dict[str, str]
    user_ids: dict[str, int]
    community_id: int
    other_community_id: int
    circle_id: int
    other_circle_id: int
    session_id: int
    session_ids: list[int]
    commitment_id: int  # the owner's
    mates_commitment_id: int

    @property
    def ids(self) -> dict[str, int]:
        """The world's ids by the API's path parameter names (the owner can see them all)."""
        return {"community_id": self.community_id, "circle_id": self.circle_id,
                "session_id": self.session_id, "commitment_id": self.commitment_id}

    def headers(self, who: str) -> dict[str, str]:
        return {} if who == "anonymous" else {"Authorization": f"Bearer {self.tokens[who]}"}


def build_api_world(app: Flask, make_user: Callable[..., Any],
                    make_community: Callable[..., Any],
                    make_circle: Callable[..., Any]) -> ApiWorld:
    world = build_world(make_user, make_community, make_circle)
    people = {"owner": "circle_member", "mate": "mate", "other_circle": "member",
              "facilitator": "facilitator", "other_facilitator": "other_facilitator",
              "outsider": "outsider"}
    ids = {role: world.id(who) for role, who in people.items()}
    ids["admin"] = make_user(display_name="Ada Admin").id
    with app.app_context():
        db = orm.session()
        db.get_one(User, ids["admin"]).is_site_admin = True
        now = utcnow()
        other = create_circle(db, db.get_one(Community, world.community_id),
                              db.get_one(User, ids["other_circle"]), name="Elsewhere pair",
                              member_ids=[ids["other_circle"], world.id("candidate")])
        start = now + timedelta(days=3)
        sessions = [CircleSession(circle_id=world.circle_id, title=f"Session {n}",
                                  starts_at=start + timedelta(days=7 * (n // 2)),
                                  duration_minutes=60) for n in range(5)]  # pairs share a start
        sessions[0].roles = [SessionRole(role="facilitator", user_id=ids["owner"]),
                             SessionRole(role="timekeeper", user_id=None)]
        db.add_all(sessions)
        db.flush()
        # Owner and mate knew each other before: a circle's tie counts once its members
        # met, or when they had a tie already — so the owner's network shows the mate.
        add_tie(db, ids["owner"], ids["mate"], source="declared",
                community_id=world.community_id)
        first = sessions[0].id
        owner_items = [Commitment(circle_id=world.circle_id, session_id=first,
                                  user_id=ids["owner"], text=f"Owner commitment {n}",
                                  due_on=date.today() + timedelta(days=n))
                       for n in range(OWNER_COMMITMENTS)]
        owner_items[0].status = "kept"
        mates = Commitment(circle_id=world.circle_id, session_id=first, user_id=ids["mate"],
                           text="Mate commitment")
        db.add_all([*owner_items, mates])
        _secrets(db, first, ids)
        db.add(Strength(user_id=ids["mate"], topic="Negotiation", topic_key="negotiation"))
        made = {role: tokens.create_token(db, db.get_one(User, uid), name=role,
                                          expires_in_days=30, now=now)
                for role, uid in ids.items()}
        owner = db.get_one(User, ids["owner"])
        revoked, revoked_plain = tokens.create_token(db, owner, name="old", now=now,
                                                     expires_in_days=None)
        revoked.revoked_at = now
        expired, expired_plain = tokens.create_token(db, owner, name="short", now=now,
                                                     expires_in_days=7)
        expired.expires_at = now - timedelta(seconds=1)
        db.commit()
        plaintexts = {role: plain for role, (_, plain) in made.items()}
        plaintexts.update(revoked=revoked_plain, expired=expired_plain)
        return ApiWorld(world, plaintexts, ids, world.community_id, world.other_community_id,
                        world.circle_id, other.id, first, [s.id for s in sessions],
                        owner_items[1].id, mates.id)


def _secrets(db: Any, session_id: int, ids: dict[str, int]) -> None:
    """Confidential things around the owner and the mate, each holding a marker."""
    note, strength, suggestion, comment, contact_note, goal = SECRETS
    db.add_all([
        Note(session_id=session_id, slot=ids["mate"], private=True, author_id=ids["mate"],
             body=note),
        Feedback(session_id=session_id, giver_id=ids["mate"], receiver_id=ids["owner"],
                 strength=strength, suggestion=suggestion),
        Pulse(user_id=ids["mate"], score=4, comment=comment, session_id=session_id,
              circle_id=db.get_one(CircleSession, session_id).circle_id),
        ExternalContact(owner_id=ids["mate"], name=MATES_CONTACT, context="school",
                        support=["career"], note=contact_note),
        ExternalContact(owner_id=ids["owner"], name="Owner's own contact", context="school",
                        support=["career"], note=contact_note),
        SuccessCriterion(user_id=ids["mate"], text=goal,
                         target_date=date.today() + timedelta(days=60)),
    ])
