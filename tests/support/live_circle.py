"""Four members of one circle with a scheduled session on a live server, for tests that drive
the room through the reference client (``realtime.client.LiveClient``).

The members sign up through the real forms (so each has a browser cookie); the community,
circle and session are inserted into the server's database as the scheduling module would.
``operator_app`` is a Flask app on that same database, for reading the log or writing a
change the way a server process would, without broadcasting it.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from circles.communities.circle import create_circle
from circles.communities.community import create_community
from circles.extensions import db, orm
from circles.live import agenda, log
from circles.models import CircleSession, LiveEvent, Membership, SessionRole, User, utcnow
from realtime.client import LiveClient
from tests.support.contract import ContractClient
from tests.support.live import MACHINE_SPEED_ENV, LiveServer, app_on, http_session

NAMES = ("ada", "ben", "cy", "di")
#: A server for these tests lets one address sign many people up, and the reference client
#: send back to back at machine speed (flood control is tested in tests/live/test_flood.py).
SERVER_ENV = {"FLASK_SIGNUP_RATE_LIMIT": "1000 per minute",
              "FLASK_LOGIN_RATE_LIMIT": "1000 per minute", **MACHINE_SPEED_ENV}


@dataclass
class LiveCircle:
    server: LiveServer
    circle_id: int
    session_id: int
    cookies: dict[str, str]
    ids: dict[str, int]

    def client(self, name: str, **options: Any) -> LiveClient:
        """A reference client for ``name`` (websocket only: ``drop`` cuts its TCP link)."""
        options.setdefault("transports", ["websocket"])
        return ContractClient(self.server.url, self.cookies[name], self.session_id, **options)


def four_in_a_circle(server: LiveServer) -> LiveCircle:
    """Sign four new people up and seat them in a circle with one scheduled session (Ada
    facilitates, Ben keeps time)."""
    tag = secrets.token_hex(3)
    cookies, emails = {}, {}
    for name in NAMES:
        browser = http_session(server)
        emails[name] = f"{name}-{tag}@example.org"
        browser.signup(emails[name], name.title())
        cookies[name] = browser.cookie_header()
    engine = create_engine(server.env["DATABASE_URL"])
    try:
        with Session(engine) as db:
            ids = {name: db.execute(select(User.id).where(User.email == email)).scalar_one()
                   for name, email in emails.items()}
            owner = db.get_one(User, ids["ada"])
            community = create_community(db, owner, name=f"Resume cohort {tag}")
            for name in NAMES[1:]:
                db.add(Membership(community=community, user_id=ids[name], role="member"))
            db.flush()
            circle = create_circle(db, community, owner, name=f"Night owls {tag}",
                                   member_ids=[ids[n] for n in NAMES])
            session = CircleSession(circle_id=circle.id, title="Session", starts_at=utcnow())
            session.roles = [SessionRole(role="facilitator", user_id=ids["ada"]),
                             SessionRole(role="timekeeper", user_id=ids["ben"])]
            db.add(session)
            db.commit()
            return LiveCircle(server, circle.id, session.id, cookies, ids)
    finally:
        engine.dispose()


@contextmanager
def operator_app(server: LiveServer) -> Iterator[Flask]:
    """A Flask app on the server's database (no message queue: it broadcasts nothing)."""
    with app_on(server.env["DATABASE_URL"]) as app:
        yield app


def logged(app: Flask, session_id: int) -> tuple[int, list[tuple[int, dict[str, Any]]]]:
    """The session's version and its whole event log, ``(seq, change)`` in order."""
    with app.app_context():
        try:
            version = orm.session.get_one(CircleSession, session_id).version
            rows = orm.session.execute(select(LiveEvent.seq, LiveEvent.change)
                                       .where(LiveEvent.session_id == session_id)
                                       .order_by(LiveEvent.seq)).all()
            return version, [(seq, change) for seq, change in rows]
        finally:
            orm.session.remove()


def unbroadcast_item(app: Flask, circle: LiveCircle, name: str, title: str) -> int:
    """``name`` adds an agenda item as a server process would, minus the broadcast (as if the
    message queue had lost it): logged and committed, told to nobody. Returns its version."""
    with app.app_context():
        try:
            member = db().get_one(User, circle.ids[name])
            change = agenda.add_item(db(), member, circle.session_id, title)
            log.record(db(), change, author_id=member.id)
            db().commit()
            return change.version
        finally:
            orm.session.remove()
