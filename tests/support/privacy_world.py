"""A world for the privacy tests: Zed's data in every table, beside others' data that must stay.

Zed (``MARK`` in his name, e-mail and every text he writes) sits in a group circle with Ann
and Bob and used to sit in a pair with Ann; he co-facilitates Fay's community and is the only
member of a sandbox community of his own. Ann and Bob have private words of their own
(``OTHERS``) that must survive Zed's erasure. Rows are built through domain functions where
that is cheap and inserted directly otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask import Flask
from sqlalchemy import select

from circles.communities.circle import create_circle
from circles.communities.community import create_community
from circles.extensions import orm
from circles.formation.start import start_run
from circles.growth.pulse import notify_all_at_risk
from circles.models import (
    AgendaItem,
    Attendance,
    Availability,
    Block,
    Boundary,
    CircleGoal,
    CircleMember,
    CircleSession,
    ClosingReflection,
    Commitment,
    Community,
    ConcernReport,
    Contribution,
    Departure,
    ExternalContact,
    Feedback,
    GoalCheckin,
    HarvestItem,
    Interaction,
    Introduction,
    Invitation,
    LearningGoal,
    LiveEvent,
    LoginSession,
    Membership,
    Note,
    Notification,
    NotificationPreference,
    OutboxMessage,
    Presence,
    Pulse,
    Question,
    RegroupConsent,
    RenewalChoice,
    RoleHandover,
    Separation,
    SessionPhase,
    SessionPlan,
    SessionRole,
    SessionSeries,
    SessionStage,
    Strength,
    SuccessCriterion,
    Tie,
    User,
    utcnow,
)
from circles.models.api import ApiToken

MARK = "qqzedmarkzz"
OTHERS = "annbobwordsyy"  # private words of Ann and Bob, which must stay


@dataclass
class PrivacyWorld:
    zed: int
    ann: int
    bob: int
    fay: int
    community_id: int
    sandbox_id: int
    circle_id: int
    pair_id: int
    session_id: int
    zed_email: str
    zed_name: str

    def email(self, app: Flask, user_id: int) -> str:
        with app.app_context():
            return orm.session.get_one(User, user_id).email


def build_privacy_world(app: Flask, make_user: Callable[..., Any]) -> PrivacyWorld:
    zed = make_user(display_name=f"Zed{MARK} Quill", email=f"zed.{MARK}@example.org")
    ann = make_user(display_name="Ann Example")
    bob = make_user(display_name="Bob Example")
    fay = make_user(display_name="Fay Facilitator")
    cy = make_user(display_name="Cy Elsewhere")
    with app.app_context():
        db = orm.session()
        z, a, b, f = (db.get_one(User, u.id) for u in (zed, ann, bob, fay))
        community = create_community(db, f, name="Peer Circles",
                                     description=f"Ask {z.display_name} or {z.email} for help.")
        for user, role in ((z, "facilitator"), (a, "member"), (b, "member")):
            db.add(Membership(community=community, user=user, role=role))
        sandbox = create_community(db, z, name=f"Sandbox {MARK}", description=MARK)
        db.flush()
        circle = create_circle(db, community, z, name="", member_ids=[z.id, a.id, b.id])
        pair = create_circle(db, community, z, name="", member_ids=[z.id, a.id])
        _profile(db, z)
        # Zed invited Ann into his sandbox (an import naming an existing account).
        db.add(Invitation(community_id=sandbox.id, user_id=a.id, invited_by_id=z.id,
                          token=f"invitation-{MARK}"))
        world = PrivacyWorld(z.id, a.id, b.id, f.id, community.id, sandbox.id, circle.id,
                             pair.id, 0, z.email, z.display_name)
        world.session_id = _session(db, world, circle.id, circle.name)
        _ending(db, world, pair.id)
        _between(db, world, community.id, circle.name)
        _ended_session(db, world, circle.id)
        _harvest_and_safety(db, world, pair.id, cy.id)
        notify_all_at_risk(db)  # what facilitators are told about circles at risk
        db.commit()
        return world


def _profile(db: Any, z: User) -> None:
    z.bio, z.organisation, z.department = f"bio {MARK}", f"org {MARK}", f"dept {MARK}"
    z.background_consent, z.background = True, {"story": MARK}
    db.add_all([
        Strength(user_id=z.id, topic=f"Topic {MARK}", topic_key=f"topic {MARK}",
                 offer=f"offer {MARK}"),
        Question(user_id=z.id, text=f"question {MARK}", topic=f"Q {MARK}", topic_key=f"q {MARK}"),
        LearningGoal(user_id=z.id, topic=f"Learn {MARK}", topic_key=f"learn {MARK}",
                     note=f"note {MARK}"),
        Boundary(user_id=z.id, topic=f"Bound {MARK}", topic_key=f"bound {MARK}"),
        Availability(user_id=z.id, weekday=1, start_minute=540, end_minute=600),
        LoginSession(token_hash=f"{MARK}".ljust(64, "0"), user_id=z.id, created_at=utcnow(),
                     last_seen_at=utcnow(), user_agent=f"agent {MARK}"),
        ApiToken(user_id=z.id, name=f"token {MARK}", token_hash=f"t{MARK}".ljust(64, "1")),
        NotificationPreference(user_id=z.id, kind="pulse", in_app=True, email=True),
        ExternalContact(owner_id=z.id, name=f"Contact {MARK}", context="employer",
                        context_name=f"Employer {MARK}", support=["career"],
                        note=f"contact note {MARK}"),
    ])
    db.flush()


def _session(db: Any, w: PrivacyWorld, circle_id: int, circle_name: str) -> int:
    series = SessionSeries(circle_id=circle_id, cadence="weekly", timezone="UTC",
                           created_by_id=w.zed)
    db.add(series)
    db.flush()
    session = CircleSession(circle_id=circle_id, series_id=series.id,
                            title=f"Session with {w.zed_name}", status="live",
                            starts_at=utcnow() - timedelta(minutes=10), started_at=utcnow(),
                            created_by_id=w.zed, version=3)
    db.add(session)
    db.flush()
    sid = session.id
    phase = SessionPhase(session_id=sid, kind="checkin", position=0, status="active",
                         prompt=f"How is {w.zed_name}?")
    db.add(phase)
    db.flush()
    stage = SessionStage(phase_id=phase.id, position=0, status="active", focus_user_id=w.zed,
                         started_by_id=w.zed)
    db.add(stage)
    db.flush()
    criterion = SuccessCriterion(user_id=w.zed, text=f"criterion {MARK}",
                                 target_date=date.today() + timedelta(days=60))
    goal = CircleGoal(circle_id=circle_id, author_id=w.zed, text=f"goal {MARK}",
                      target_date=date.today() + timedelta(days=60))
    db.add_all([criterion, goal])
    db.flush()
    db.add_all([
        SessionRole(session_id=sid, role="facilitator", user_id=w.zed, swap_proposed_by_id=w.zed),
        SessionRole(session_id=sid, role="timekeeper", user_id=w.ann),
        AgendaItem(session_id=sid, author_id=w.zed, title=f"agenda {MARK}", position=0),
        Contribution(stage_id=stage.id, author_id=w.zed, kind="story", text=f"story {MARK}"),
        Contribution(stage_id=stage.id, author_id=w.ann, kind="idea", text="Ann's idea"),
        Feedback(session_id=sid, giver_id=w.zed, receiver_id=w.ann, strength=f"gave {MARK}",
                 suggestion=f"suggest {MARK}"),
        Feedback(session_id=sid, giver_id=w.ann, receiver_id=w.zed, strength="Ann to Zed",
                 suggestion="Ann suggests"),
        Feedback(session_id=sid, giver_id=w.ann, receiver_id=w.bob,
                 strength=f"Ann to Bob {OTHERS}", suggestion=f"Ann suggests {OTHERS}"),
        Commitment(circle_id=circle_id, session_id=sid, user_id=w.zed, text=f"commit {MARK}",
                   reflection=f"reflection {MARK}"),
        Note(session_id=sid, slot=0, private=False, author_id=w.zed,
             body=f"Shared: {w.zed_name} ({w.zed_email}) will send slides."),
        Note(session_id=sid, slot=w.zed, private=True, author_id=w.zed, body=f"private {MARK}"),
        Note(session_id=sid, slot=w.ann, private=True, author_id=w.ann,
             body=f"Ann's private {OTHERS}"),
        Attendance(session_id=sid, user_id=w.zed),
        Attendance(session_id=sid, user_id=w.ann),
        Presence(session_id=sid, user_id=w.zed, sid=f"sid-{MARK}"[:64], process_id="p1"),
        LiveEvent(session_id=sid, seq=1, author_id=w.zed, op_id=f"op-{MARK}",
                  change={"type": "contribution", "text": f"story {MARK}",
                          "author": w.zed_name}, result={"text": MARK}),
        LiveEvent(session_id=sid, seq=2, author_id=w.ann,
                  change={"type": "presence", "member": {"name": w.zed_name}}),
        RoleHandover(session_id=sid, role="facilitator", from_user_id=w.zed, to_user_id=w.ann),
        SessionPlan(form_key=f"key-{MARK}", user_id=w.zed, circle_id=circle_id,
                    first_session_id=sid),
        GoalCheckin(user_id=w.zed, criterion_id=criterion.id, rating=3, line=f"checkin {MARK}",
                    visibility="private"),
        GoalCheckin(user_id=w.zed, circle_goal_id=goal.id, rating=4, line=f"goal line {MARK}",
                    visibility="circle"),
        GoalCheckin(user_id=w.ann, circle_goal_id=goal.id, rating=2, line="Ann's progress"),
        Pulse(circle_id=circle_id, user_id=w.zed, session_id=sid, score=2,
              comment=f"pulse {MARK}"),
        Pulse(circle_id=circle_id, user_id=w.ann, session_id=sid, score=4,
              comment=f"Ann's pulse {OTHERS}"),
    ])
    db.flush()
    return int(sid)


def _ending(db: Any, w: PrivacyWorld, pair_id: int) -> None:
    seat = db.scalars(select(CircleMember).where(CircleMember.circle_id == pair_id,
                                                 CircleMember.user_id == w.zed)).one()
    seat.left_at, seat.left_reason = utcnow(), f"left {MARK}"
    db.add_all([
        Departure(seat_id=seat.id, reason=f"departure {MARK}"),
        RegroupConsent(circle_id=pair_id, user_id=w.zed, other_id=w.ann),
        RegroupConsent(circle_id=pair_id, user_id=w.ann, other_id=w.zed),
        ClosingReflection(circle_id=pair_id, user_id=w.zed, learned=f"learned {MARK}",
                          appreciated=f"appreciated {MARK}"),
    ])


def _between(db: Any, w: PrivacyWorld, community_id: int, circle_name: str) -> None:
    start_run(db, db.get_one(Community, community_id), db.get_one(User, w.zed), min_size=2,
              max_size=3)
    low, high = sorted((w.zed, w.ann))
    ab_low, ab_high = sorted((w.ann, w.bob))
    zb_low, zb_high = sorted((w.zed, w.bob))
    db.add_all([
        Tie(low_id=low, high_id=high, source="declared", community_id=community_id,
            declared_by_id=w.zed),
        Tie(low_id=ab_low, high_id=ab_high, source="declared", community_id=community_id,
            declared_by_id=w.ann),
        Interaction(low_id=low, high_id=high, kind="session", session_id=w.session_id),
        Separation(community_id=community_id, low_id=zb_low, high_id=zb_high,
                   reason=f"separate {MARK}", created_by_id=w.fay),
        Introduction(community_id=community_id, requester_id=w.zed, broker_id=w.ann,
                     target_id=w.bob, reason=f"reason {MARK}", broker_note=f"broker {MARK}",
                     open_pair=f"{w.zed}:{w.bob}"),
        Notification(user_id=w.zed, kind="feedback", text=f"notice {MARK}", link="/journal"),
        Notification(user_id=w.ann, kind="introduction",
                     text=f"{w.zed_name} asks you to introduce them to Bob Example.",
                     link="/introductions"),
        Notification(user_id=w.bob, kind="new_circle",
                     text=f"You are in a new circle: {circle_name}.", link="/"),
        Notification(user_id=w.ann, kind="pulse", text=f"Ann's own notice {OTHERS}", link="/"),
        OutboxMessage(to=w.zed_email, subject=f"subject {MARK}", body=f"body {MARK}"),
        OutboxMessage(to="ann@example.org", subject="An introduction",
                      body=f"{w.zed_name} asks you to introduce them."),
    ])
    db.flush()


def _ended_session(db: Any, w: PrivacyWorld, circle_id: int) -> None:
    """An ended session: its summary shows each member the feedback they received."""
    ended = CircleSession(circle_id=circle_id, title="Last week", status="ended",
                          starts_at=utcnow() - timedelta(days=7),
                          ended_at=utcnow() - timedelta(days=7, minutes=-60))
    db.add(ended)
    db.flush()
    db.add_all([
        Attendance(session_id=ended.id, user_id=w.zed),
        Attendance(session_id=ended.id, user_id=w.ann),
        Feedback(session_id=ended.id, giver_id=w.ann, receiver_id=w.zed,
                 strength="Ann to Zed, last week", suggestion="Ann suggests, last week"),
        Pulse(circle_id=circle_id, user_id=w.zed, session_id=ended.id, score=1,
              comment=f"pulse again {MARK}"),
    ])
    db.flush()


def _harvest_and_safety(db: Any, w: PrivacyWorld, pair_id: int, cy: int) -> None:
    """Zed's harvest from a round in the pair (Ann's words), his words in Ann's harvest, a
    concern he reported about Bob to Ann (the community's safety contact) and one Ann
    reported about him, a block of his and his renewal choice."""
    met = CircleSession(circle_id=pair_id, title="Pair time", status="ended",
                        starts_at=utcnow() - timedelta(days=14),
                        ended_at=utcnow() - timedelta(days=14, minutes=-60))
    db.add(met)
    db.flush()
    db.scalars(select(Membership).where(Membership.community_id == w.community_id,
                                        Membership.user_id == w.ann)).one().safety_contact = True
    db.add_all([
        HarvestItem(user_id=w.zed, session_id=met.id, author_id=w.ann, kind="question",
                    text=f"harvest {MARK}", round_title="My round"),
        HarvestItem(user_id=w.ann, session_id=met.id, author_id=w.zed, kind="idea",
                    text=f"offered {MARK}", round_title="Ann's round"),
        ConcernReport(community_id=w.community_id, reporter_id=w.zed, subject_id=w.bob,
                      text=f"concern {MARK}"),
        ConcernReport(community_id=w.community_id, reporter_id=w.ann, subject_id=w.zed,
                      text=f"Ann worries about {w.zed_name}"),
        Block(blocker_id=w.zed, blocked_id=cy),
        RenewalChoice(circle_id=pair_id, user_id=w.zed, cycle_no=1, choice="renew"),
    ])
    db.flush()


def sandbox_of(app: Flask, world: PrivacyWorld) -> Community | None:
    with app.app_context():
        return orm.session.get(Community, world.sandbox_id)
