"""The world the authorisation matrix runs in: every role, and something of each kind owned
by one member, so every route and event has a real id to be tried with.

Roles (``ROLES``), all seen from one member's things:

- ``owner``: Ola, seated in circle A (community 1); author of everything below;
- ``peer``: Pia, seated in circle A with Ola;
- ``stranger``: Sam, in community 1 but seated in circle B;
- ``facilitator``: Fay, who runs community 1 (seated nowhere);
- ``other_facilitator``: Gus, who runs community 2 (its circle C: Uma and Vic);
- ``admin``: Ada, a site administrator belonging to no community;
- ``anonymous``: nobody logged in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from circles.communities import invitations
from circles.communities.circle import create_circle
from circles.communities.community import create_community
from circles.extensions import orm
from circles.live import agenda, phases
from circles.members import accounts, credentials, logins
from circles.models import (
    CircleGoal,
    Commitment,
    Community,
    ExternalContact,
    FormationRun,
    GoalCheckin,
    Introduction,
    LoginSession,
    Membership,
    Note,
    Notification,
    OutboxMessage,
    Pulse,
    Strength,
    SuccessCriterion,
    User,
    utcnow,
)
from circles.models.sessions import CircleSession, SessionRole
from circles.models.ties import Tie
from circles.sessions import calendar
from tests.support.live_room import new_session

ROLES = ("owner", "peer", "stranger", "facilitator", "other_facilitator", "admin", "anonymous")
PEOPLE = {"owner": "Ola Owner", "peer": "Pia Peer", "stranger": "Sam Stranger",
          "facilitator": "Fay Facilitator", "other_facilitator": "Gus Other",
          "admin": "Ada Admin", "uma": "Uma Elsewhere", "vic": "Vic Elsewhere",
          "pending": "Pat Pending"}
PASSWORD = "correct horse battery"


@dataclass
class World:
    users: dict[str, int]
    ids: dict[str, Any] = field(default_factory=dict)

    def email(self, who: str) -> str:
        return f"{who}@example.org"


def _account_links(app: Flask, db: Any, people: dict[str, User], two: Any) -> dict[str, Any]:
    """Ids and links of the account pages: Sam's invitation into community two, a login of
    Uma's (nobody else's to end), and links e-mailed to Uma."""
    secret = str(app.config["SECRET_KEY"])
    invitation = invitations.invite(db, two, people["stranger"], invited_by=None)
    assert invitation is not None
    logins.start_login(db, people["uma"], user_agent="world")
    credentials.send_verification(db, people["uma"], secret)
    credentials.request_reset(db, people["uma"].email, secret)
    db.flush()
    links = db.scalars(select(OutboxMessage.link)
                       .where(OutboxMessage.to == people["uma"].email)).all()
    token_of = {link.split("/")[1]: link.rsplit("/", 1)[1] for link in links}
    return {"invitation_token": invitation.token, "verify_token": token_of["verify"],
            "reset_token": token_of["reset"], "bogus_token": "no-such-link",
            "foreign_login": db.scalar(select(LoginSession.id).where(
                LoginSession.user_id == people["uma"].id))}


def build(app: Flask) -> World:
    """Create the world in ``app``'s (empty, migrated) database."""
    with app.app_context():
        db = orm.session
        people = {}
        for key, name in PEOPLE.items():
            people[key] = accounts.sign_up(db, email=f"{key}@example.org", password=PASSWORD,
                                           display_name=name, timezone="UTC")
        for person in people.values():
            person.email_verified_at = utcnow()
        # Imported by a facilitator and not claimed yet: no password, a claim link.
        people["pending"].password_hash = None
        people["pending"].email_verified_at = None
        people["admin"].is_site_admin = True
        ola, pia, sam, fay, gus = (people[k] for k in ("owner", "peer", "stranger",
                                                       "facilitator", "other_facilitator"))
        one = create_community(db, fay, name="Community One")
        two = create_community(db, gus, name="Community Two")
        for who in (ola, pia, sam, people["pending"]):
            db.add(Membership(community=one, user=who, role="member"))
        for who in (people["uma"], people["vic"]):
            db.add(Membership(community=two, user=who, role="member"))
        db.flush()
        circle_a = create_circle(db, one, ola, name="Circle A", member_ids=[ola.id, pia.id])
        circle_b = create_circle(db, one, sam, name="Circle B",
                                 member_ids=[sam.id, people["pending"].id])
        circle_c = create_circle(db, two, people["uma"], name="Circle C",
                                 member_ids=[people["uma"].id, people["vic"].id])
        db.flush()
        ids: dict[str, Any] = {"community": one.id, "other_community": two.id,
                               "circle": circle_a.id, "circle_b": circle_b.id,
                               "circle_c": circle_c.id, "invite_code": one.invite_code}
        calendar.reset_feed(db, ola)
        ids["feed_token"] = calendar.feed_token(app.config["SECRET_KEY"], ola)
        people["pending"].claim_token = "claim-me-please-0123456789"
        ids["claim_token"] = people["pending"].claim_token

        strength = Strength(user=ola, topic="Negotiation", topic_key="negotiation")
        criterion = SuccessCriterion(user=ola, text="Lead a project",
                                     target_date=date.today() + timedelta(days=90))
        db.add_all([strength, criterion])
        tie = Tie(low_id=min(ola.id, sam.id), high_id=max(ola.id, sam.id), source="declared",
                  community_id=one.id, declared_by_id=ola.id)
        db.add(tie)
        db.flush()
        goal = CircleGoal(circle_id=circle_a.id, author_id=ola.id, text="Ship together",
                          target_date=date.today() + timedelta(days=60))
        contact = ExternalContact(owner_id=ola.id, name="Mentor Max", context="work",
                                  note="private")
        note_to_self = Notification(user_id=ola.id, kind="reminder", text="Hello", link="/")
        intro = Introduction(community_id=one.id, requester_id=ola.id, broker_id=pia.id,
                             target_id=sam.id, reason="Negotiation advice")
        run = FormationRun(community_id=one.id, created_by_id=fay.id, status="draft")
        db.add_all([goal, contact, note_to_self, intro, run])
        db.flush()
        db.add(GoalCheckin(user_id=ola.id, criterion_id=criterion.id, rating=3, line="ok"))
        ids.update(_account_links(app, db, people, two))
        db.commit()
        ids.update(strength=strength.id, criterion=criterion.id, tie=tie.id, goal=goal.id,
                   contact=contact.id, notification=note_to_self.id, intro=intro.id,
                   run=run.id)
        users = {key: user.id for key, user in people.items()}

    session_id = new_session(app, ids["circle"], {"facilitator": users["owner"],
                                                  "timekeeper": users["peer"],
                                                  "note_taker": users["owner"]})
    with app.app_context():
        db = orm.session
        ola = db.get_one(User, users["owner"])
        phases.start(db, ola, session_id)
        change = agenda.add_item(db, ola, session_id, "Saying no", 10, None)
        ids["agenda_item"] = change.result["item_id"]
        said = agenda.contribute(db, ola, session_id, "checkin", "Glad to be here")
        ids["contribution"] = said.result["contribution_id"]
        session = db.get_one(CircleSession, session_id)
        db.add(Note(session_id=session_id, slot=ola.id, private=True, author_id=ola.id,
                    body="private note"))
        commitment = Commitment(circle_id=ids["circle"], session_id=session_id,
                                user_id=ola.id, text="Call Max", due_on=date.today())
        pulse = Pulse(circle_id=ids["circle"], user_id=ola.id, score=4, comment="fine")
        db.add_all([commitment, pulse])
        db.flush()
        role = db.scalars(select(SessionRole).where(
            SessionRole.session_id == session.id, SessionRole.role == "facilitator")).one()
        # Ola asks Pia to swap (the role Pia holds): Pia may accept
        role.swap_with_id = db.scalars(select(SessionRole.id).where(
            SessionRole.session_id == session.id, SessionRole.user_id == users["peer"])).one()
        role.swap_proposed_by_id = ola.id
        ids.update(session=session_id, commitment=commitment.id, pulse=pulse.id, role=role.id,
                   session_status=session.status)
        scheduled = CircleSession(circle_id=ids["circle"], title="Next",
                                  starts_at=utcnow() + timedelta(days=7))
        db.add(scheduled)
        db.flush()
        elsewhere = CircleSession(circle_id=ids["circle_c"], title="Elsewhere",
                                  starts_at=utcnow() + timedelta(days=2))
        db.add(elsewhere)
        db.flush()
        ids.update(scheduled_session=scheduled.id, session_c=elsewhere.id)
        gone = Community(name="Deleted", invite_code="deleted-community")
        db.add(gone)
        db.flush()
        ids["deleted_community"] = gone.id
        db.delete(gone)
        db.commit()
    return World(users, ids)
