"""Confidential from operators: private words never reach a facilitator, a site administrator
or another member — not in a page, JSON, export, Socket.IO ack or broadcast, nor in a log.

The world (tests/support/privacy_world.py) holds private notes, feedback, pulse comments, outside
contacts, a private success criterion and its check-in, a departure reason, closing
reflections, an introduction's words, a harvest and a concern reported to the
safety contacts. Each viewer fetches every GET route of the URL map
(ids filled from the world, every combination; a route whose arguments cannot be filled
fails the test, so new routes are covered) and the live room's join / snapshot / events
acks, and nothing of ``SECRETS`` may appear. Every log record of the whole run, the owner's
own requests included, is checked too.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_socketio import SocketIOTestClient
from sqlalchemy import select

from circles.api.tokens import create_token
from circles.extensions import orm
from circles.models import CircleSession, Community, FormationRun, Introduction, Pulse, User, utcnow
from circles.sessions import calendar
from tests.conftest import AuthActions
from tests.support.privacy_world import MARK, OTHERS, PrivacyWorld, build_privacy_world

LIVE_SECRET = f"typed live {OTHERS}"  # Bob's private note, saved through the live room
SECRETS = {
    "private note": f"private {MARK}", "another's private note": f"Ann's private {OTHERS}",
    "live private note": LIVE_SECRET,
    "feedback given": f"gave {MARK}", "feedback suggestion": f"suggest {MARK}",
    "feedback received": "Ann to Zed", "feedback between others": f"Ann to Bob {OTHERS}",
    "pulse comment": f"pulse {MARK}", "another's pulse comment": f"Ann's pulse {OTHERS}",
    "outside contact": f"Contact {MARK}", "contact system": f"Employer {MARK}",
    "contact note": f"contact note {MARK}",
    "private criterion": f"criterion {MARK}", "private check-in": f"checkin {MARK}",
    "departure reason": f"departure {MARK}",
    "reflection": f"learned {MARK}", "appreciation": f"appreciated {MARK}",
    "introduction reason": f"reason {MARK}", "broker's note": f"broker {MARK}",
    "harvest": f"harvest {MARK}", "concern reported": f"concern {MARK}",
}
#: What each viewer may rightly read of the secrets above (Bob received Ann's feedback).
OWN = {"facilitator": set(), "site_admin": set(),
       "circle_member": {"feedback between others", "live private note"}}
#: Secrets of others than Zed (Ann and Bob's), which Zed must not read either.
OTHERS_SECRETS = ("another's private note", "live private note", "feedback between others",
                  "another's pulse comment")
#: Routes serving files with no data in them.
NO_DATA = {"static", "vendor.asset"}


@pytest.fixture
def world(app: Flask, make_user: Any, caplog: pytest.LogCaptureFixture) -> PrivacyWorld:
    caplog.set_level(logging.DEBUG)  # from the first row written: the whole run is checked
    for name in logging.root.manager.loggerDict:  # SQLAlchemy and others set their own level
        caplog.set_level(logging.DEBUG, logger=name)
    return build_privacy_world(app, make_user)


@pytest.fixture
def admin(app: Flask, make_user: Any, world: PrivacyWorld) -> int:
    user = make_user(display_name="Sam Siteadmin")
    with app.app_context():
        orm.session.get_one(User, user.id).is_site_admin = True
        orm.session.commit()
    return int(user.id)


def arguments(app: Flask, world: PrivacyWorld, viewer: int) -> dict[str, list[Any]]:
    """Real values for every route argument, as the viewer would come across them."""
    with app.app_context():
        db = orm.session()
        me = db.get_one(User, viewer)
        calendar.reset_feed(db, me)
        db.commit()
        feed = calendar.feed_token(app.config["SECRET_KEY"], me)
        community = db.get_one(Community, world.community_id)
        return {
            "circle_id": [world.circle_id, world.pair_id],
            "community_id": [world.community_id, world.sandbox_id],
            "user_id": [world.zed, world.ann, world.bob, world.fay],
            "session_id": list(db.scalars(select(CircleSession.id))),
            "pulse_id": list(db.scalars(select(Pulse.id))),
            "run_id": list(db.scalars(select(FormationRun.id))),
            "intro_id": list(db.scalars(select(Introduction.id))),
            "code": [community.invite_code],
            "token": [feed, "no-such-claim"],  # the feed's capability; no unclaimed account
            "rest": ["v1/unknown"],
        }


def urls(app: Flask, values: dict[str, list[Any]]) -> Iterator[tuple[str, str]]:
    """(endpoint, url) for every GET route and every combination of real argument values."""
    adapter = app.url_map.bind("localhost")
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in (rule.methods or ()) or rule.endpoint in NO_DATA:
            continue
        names = sorted(rule.arguments)
        missing = [n for n in names if n not in values]
        assert not missing, f"{rule.rule}: no value for {missing}; add it to arguments()"
        for combo in itertools.product(*(values[n] for n in names)):
            yield rule.endpoint, adapter.build(rule.endpoint, dict(zip(names, combo, strict=True)))
    yield "admin.accounts", "/admin/accounts?q=zed"


def browse(app: Flask, world: PrivacyWorld, viewer: int) -> dict[str, str]:
    """Every GET route as ``viewer`` sees it: url → body (API routes with their token)."""
    client: FlaskClient = app.test_client()
    assert AuthActions(client).login(world.email(app, viewer)).status_code == 302
    with app.app_context():
        _row, token = create_token(orm.session(), orm.session.get_one(User, viewer), name="probe",
                                   expires_in_days=None, now=utcnow() - timedelta(seconds=1))
        orm.session.commit()
    seen: dict[str, str] = {}
    for endpoint, url in urls(app, arguments(app, world, viewer)):
        headers = {"Authorization": f"Bearer {token}"} if url.startswith("/api/") else {}
        response = client.get(url, headers=headers)
        assert response.status_code < 500, f"{endpoint} {url}: {response.status_code}"
        seen[url] = response.get_data(as_text=True)
    return seen


def socket_for(app: Flask, world: PrivacyWorld, viewer: int) -> SocketIOTestClient:
    client = app.test_client()
    assert AuthActions(client).login(world.email(app, viewer)).status_code == 302
    socket: SocketIOTestClient = app.extensions["socketio"].test_client(
        app, flask_test_client=client)
    assert socket.is_connected()
    return socket


def live_acks(app: Flask, world: PrivacyWorld, viewer: int) -> list[Any]:
    """What the live room tells ``viewer``: join, snapshot, events, phase order, broadcasts."""
    socket = socket_for(app, world, viewer)
    where = {"session_id": world.session_id}
    acks = [socket.emit(event, data, callback=True) for event, data in (
        ("live:join", where), ("live:snapshot", where), ("live:events", {**where, "after": 0}),
        ("live:events", {**where, "after": 1}), ("live:phase_order", {"circle_id": world.circle_id}),
        ("whoami", None))]
    return [*acks, *socket.get_received()]


def leaks(texts: dict[str, str], secrets: dict[str, str]) -> list[str]:
    return [f"{what} in {where}" for where, text in texts.items()
            for what, secret in secrets.items() if secret in text]


@pytest.fixture
def typed_live(app: Flask, world: PrivacyWorld) -> PrivacyWorld:
    """Bob types a private note in the live room (through the real handler) while Zed is in."""
    zed = socket_for(app, world, world.zed)
    assert zed.emit("live:join", {"session_id": world.session_id}, callback=True)["ok"]
    bob = socket_for(app, world, world.bob)
    assert bob.emit("live:join", {"session_id": world.session_id}, callback=True)["ok"]
    ack = bob.emit("live:note", {"session_id": world.session_id, "private": True,
                                 "body": LIVE_SECRET, "base_version": 0}, callback=True)
    assert ack["ok"] is True, ack
    assert LIVE_SECRET not in json.dumps(zed.get_received())
    return world


@pytest.mark.parametrize("role", ["facilitator", "site_admin", "circle_member"])
def test_no_viewer_reads_anothers_private_words(
        app: Flask, typed_live: PrivacyWorld, admin: int, role: str,
        caplog: pytest.LogCaptureFixture) -> None:
    world = typed_live
    viewer = {"facilitator": world.fay, "site_admin": admin, "circle_member": world.bob}[role]
    secrets = {k: v for k, v in SECRETS.items() if k not in OWN[role]}
    pages = browse(app, world, viewer)
    assert len(pages) > 50  # the whole URL map, not a handful
    assert leaks(pages, secrets) == []
    live = {f"live ack {i}": json.dumps(ack) for i, ack in enumerate(live_acks(app, world, viewer))}
    assert leaks(live, secrets) == []
    assert_clean_logs(caplog)


def test_the_owner_sees_their_own_words_and_the_logs_still_do_not(
        app: Flask, typed_live: PrivacyWorld, caplog: pytest.LogCaptureFixture) -> None:
    """The check can fail: Zed's own pages do show his private words, the logs never."""
    world = typed_live
    pages = browse(app, world, world.zed)
    shown = {what for what, secret in SECRETS.items()
             if any(secret in text for text in pages.values())}
    assert {"private criterion", "outside contact", "pulse comment", "feedback received",
            "departure reason", "harvest"} <= shown
    assert f"harvest {MARK}" in pages["/journal"]
    assert leaks(pages, {k: SECRETS[k] for k in OTHERS_SECRETS}) == []
    export = pages["/account/export"]
    assert f"private {MARK}" in export and f"gave {MARK}" in export
    live = json.dumps(live_acks(app, world, world.zed))
    assert f"private {MARK}" in live and "Ann to Zed" in live
    assert leaks({"live": live}, {k: SECRETS[k] for k in OTHERS_SECRETS}) == []
    assert_clean_logs(caplog)


def assert_clean_logs(caplog: pytest.LogCaptureFixture) -> None:
    records = caplog.records
    assert records, "nothing was logged: the capture is not working"
    texts = {f"{r.name}:{r.levelname} #{i}": f"{r.getMessage()} {r.exc_text or ''}"
             for i, r in enumerate(records)}
    texts["formatted"] = caplog.text
    assert leaks(texts, SECRETS) == []
