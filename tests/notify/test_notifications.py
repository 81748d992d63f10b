"""Notifications: preferences, idempotent reminders, the outbox with and without SMTP, the
notification centre, the development outbox, and the hooks that notify.

Each test that takes ``app`` runs on SQLite and PostgreSQL. The SMTP path talks to a tiny
SMTP server in a thread (``FakeSmtp``): a real socket and the real ``smtplib`` client.
"""

from __future__ import annotations

import socketserver
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from circles.cli.notify import start_worker, tick
from circles.errors import InvalidInput, NotFound
from circles.extensions import orm
from circles.live import feedback, phases, presence
from circles.live.room import current_phase
from circles.models import (
    CircleGoal,
    CircleMember,
    CircleSession,
    Commitment,
    Notification,
    OutboxMessage,
    SuccessCriterion,
    User,
    utcnow,
)
from circles.network import introductions
from circles.network.ties import add_tie
from circles.notify import notifications
from circles.notify.mail import send_outbox
from circles.notify.notifications import notify, preferences, set_preferences
from circles.sessions.reminders import send_due_reminders
from tests.conftest import AuthActions, post_form
from tests.support.live_room import build_room

NOW = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)


@pytest.fixture
def pair(app: Flask, make_user: Any, make_community: Any, make_circle: Any) -> dict[str, int]:
    ann, ben = make_user(display_name="Ann"), make_user(display_name="Ben")
    community = make_community(ann, members=[ben])
    circle = make_circle(community, [ann, ben], name="Ann & Ben")
    return {"ann": ann.id, "ben": ben.id, "circle": circle.id}


def texts(db: Session, user_id: int) -> list[str]:
    return [n.text for n in notifications.inbox(db, user_id)]


def outbox(db: Session) -> list[OutboxMessage]:
    return list(db.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


# --- notify and preferences -------------------------------------------------------------------


def test_notify_stores_pushes_after_commit_and_e_mails_by_default(
        app: Flask, db: Session, pair: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    pushed: list[tuple[int, str, dict[str, Any]]] = []
    monkeypatch.setattr("realtime.notifications.to_member",
                        lambda uid, event, data: pushed.append((uid, event, data)))
    note = notify(db, pair["ann"], "new_circle", "  You are in\n a new circle " + "x" * 400,
                  "/circles/1")
    assert note is not None and len(note.text) == 300 and note.text.startswith("You are in a new")
    assert pushed == []  # nothing is pushed before the change is committed
    db.commit()
    assert pushed == [(pair["ann"], "notification", {"id": note.id, "kind": "new_circle",
                                                     "text": note.text, "link": "/circles/1",
                                                     "unread": 1})]
    [mail] = outbox(db)
    assert (mail.to, mail.link, mail.sent_at) == ("member1@example.org", "/circles/1", None)
    assert "You are in a new circle" in mail.body


def test_a_rolled_back_notification_is_never_pushed(
        db: Session, pair: dict[str, int], monkeypatch: pytest.MonkeyPatch) -> None:
    pushed: list[Any] = []
    monkeypatch.setattr("realtime.notifications.to_member", lambda *a: pushed.append(a))
    notify(db, pair["ann"], "feedback", "Feedback", "/x")
    db.rollback()
    notify(db, pair["ben"], "feedback", "Later", "/y")
    db.commit()
    assert [p[0] for p in pushed] == [pair["ben"]]


def test_preferences_choose_the_channels_per_kind(db: Session, pair: dict[str, int]) -> None:
    ann = pair["ann"]
    defaults = {c.kind: (c.in_app, c.email) for c in preferences(db, ann)}
    assert defaults["commitment_due"] == (True, True) and defaults["feedback"] == (True, False)
    set_preferences(db, ann, in_app={"feedback"}, email={"commitment_due"})
    db.commit()
    assert notify(db, ann, "introduction", "Nobody hears this", "/introductions") is None
    assert notify(db, ann, "feedback", "In the app only", "/s") is not None
    # e-mail only: no entry in the centre, but an e-mail, and the key still counts once
    assert notify(db, ann, "commitment_due", "Mail only", "/c", key="k") is None
    assert notify(db, ann, "commitment_due", "Mail only", "/c", key="k") is None
    db.commit()
    assert texts(db, ann) == ["In the app only"]
    assert [m.body.count("Mail only") for m in outbox(db)] == [1]
    assert notifications.unread_count(db, ann) == 1


def test_unknown_kinds_are_refused(db: Session, pair: dict[str, int]) -> None:
    with pytest.raises(InvalidInput, match="no notification called 'spam'"):
        set_preferences(db, pair["ann"], in_app={"spam"}, email=set())
    with pytest.raises(ValueError, match="unknown notification kind"):
        notify(db, pair["ann"], "spam", "x", "/")


def test_marking_read_is_for_the_owner_only(db: Session, pair: dict[str, int]) -> None:
    first = notify(db, pair["ann"], "feedback", "One", "/1")
    notify(db, pair["ann"], "feedback", "Two", "/2")
    assert first is not None
    db.commit()
    with pytest.raises(NotFound):
        notifications.mark_read(db, pair["ben"], first.id)
    notifications.mark_read(db, pair["ann"], first.id)
    assert notifications.unread_count(db, pair["ann"]) == 1
    assert notifications.mark_all_read(db, pair["ann"]) == 1
    assert notifications.unread_count(db, pair["ann"]) == 0


# --- reminders --------------------------------------------------------------------------------


def add_commitment(db: Session, pair: dict[str, int], due_on: date | None, *,
                   status: str = "open", text: str = "Write the draft") -> int:
    session = CircleSession(circle_id=pair["circle"], title="Past", status="ended",
                            starts_at=NOW - timedelta(days=7))
    db.add(session)
    db.flush()
    commitment = Commitment(circle_id=pair["circle"], session_id=session.id,
                            user_id=pair["ann"], text=text, due_on=due_on, status=status)
    db.add(commitment)
    db.commit()
    return commitment.id


def test_commitment_reminders_come_once_when_due_soon_and_once_when_overdue(
        db: Session, pair: dict[str, int]) -> None:
    today = NOW.date()
    add_commitment(db, pair, today + timedelta(days=2), text="Due soon")
    add_commitment(db, pair, today + timedelta(days=3), text="Not yet")
    add_commitment(db, pair, None, text="No date")
    add_commitment(db, pair, today - timedelta(days=1), status="kept", text="Kept already")
    assert send_due_reminders(db, NOW) == 1
    db.commit()
    assert send_due_reminders(db, NOW) == 0  # idempotent
    db.commit()
    [soon] = texts(db, pair["ann"])
    assert "Due soon" in soon and "is due on" in soon and texts(db, pair["ben"]) == []
    assert send_due_reminders(db, NOW + timedelta(days=3)) == 2  # overdue now; "Not yet" is due
    db.commit()
    latest = texts(db, pair["ann"])
    assert sum("was due" in t and "Due soon" in t for t in latest) == 1
    assert sum("Not yet" in t for t in latest) == 1


def test_no_reminder_for_a_member_who_left_the_circle(db: Session, pair: dict[str, int]) -> None:
    add_commitment(db, pair, NOW.date())
    seat = db.scalars(select(CircleMember).where(CircleMember.user_id == pair["ann"])).one()
    seat.left_at = NOW - timedelta(days=1)
    db.commit()
    assert send_due_reminders(db, NOW) == 0


def test_session_reminders_reach_every_member_once_per_start_time(
        db: Session, pair: dict[str, int]) -> None:
    soon = CircleSession(circle_id=pair["circle"], title="Check-in",
                         starts_at=NOW + timedelta(hours=10))
    later = CircleSession(circle_id=pair["circle"], title="Later",
                          starts_at=NOW + timedelta(hours=30))
    cancelled = CircleSession(circle_id=pair["circle"], title="Off", status="cancelled",
                              starts_at=NOW + timedelta(hours=5))
    db.add_all([soon, later, cancelled])
    db.commit()
    assert send_due_reminders(db, NOW) == 2
    db.commit()
    assert send_due_reminders(db, NOW) == 0
    [text] = texts(db, pair["ben"])
    assert text.startswith("Ann & Ben: Check-in starts") and "19:00 (UTC)" in text
    soon.starts_at = NOW + timedelta(hours=12)  # rescheduled: told again
    db.commit()
    assert send_due_reminders(db, NOW) == 2


def test_after_a_session_members_with_goals_are_asked_to_check_in_once(
        db: Session, pair: dict[str, int]) -> None:
    """Goal check-ins follow the circle's own cadence: one prompt per ended session, to the
    members with a running success criterion (or all, when the circle has an open goal)."""
    db.add(SuccessCriterion(user_id=pair["ann"], text="Lead a retro", position=0,
                            target_date=NOW.date() + timedelta(days=30)))
    db.add(SuccessCriterion(user_id=pair["ben"], text="Old aim", position=0,
                            target_date=NOW.date() - timedelta(days=1)))  # over: no prompt
    ended = CircleSession(circle_id=pair["circle"], starts_at=NOW - timedelta(hours=2),
                          status="ended", ended_at=NOW - timedelta(hours=1))
    long_ago = CircleSession(circle_id=pair["circle"], starts_at=NOW - timedelta(days=9),
                             status="ended", ended_at=NOW - timedelta(days=9))
    db.add_all([ended, long_ago])
    db.commit()
    assert send_due_reminders(db, NOW) == 1
    db.commit()
    assert send_due_reminders(db, NOW) == 0
    assert texts(db, pair["ben"]) == []
    [text] = texts(db, pair["ann"])
    assert text.startswith("After today's session of Ann & Ben: how are your goals going?")
    db.add(CircleGoal(circle_id=pair["circle"], author_id=pair["ann"], text="Ship it",
                      target_date=NOW.date() + timedelta(days=60)))
    db.commit()
    assert send_due_reminders(db, NOW) == 1  # the circle's open goal: Ben is asked too
    assert len(texts(db, pair["ben"])) == 1


def test_flask_notify_reminders_runs_a_round(app: Flask, pair: dict[str, int]) -> None:
    with app.app_context():
        add_commitment(orm.session, pair, utcnow().date())
    result = app.test_cli_runner().invoke(args=["notify", "reminders"])
    assert result.exit_code == 0, result.output
    assert "1 reminder(s) created, 0 e-mail(s) sent." in result.output
    with app.app_context():
        assert orm.session.scalar(select(func.count()).select_from(Notification)) == 1


def test_a_worker_round_reminds_and_mails_and_is_off_when_the_interval_is_zero(
        app: Flask, pair: dict[str, int], smtp: FakeSmtp) -> None:
    with app.app_context():
        add_commitment(orm.session, pair, utcnow().date())
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.server_address[1])
    first = tick(app)  # Ann's commitment, plus whatever at-risk notices the pulse rules give
    assert first[0] >= 1 and first[1] == first[0]  # every notice here is e-mailed by default
    assert tick(app) == (0, 0)
    with app.app_context():
        kinds = [n.kind for n in notifications.inbox(orm.session, pair["ann"])]
    assert kinds.count("commitment_due") == 1
    assert all(recipients == ["member1@example.org"] for _, recipients, _ in smtp.messages)
    app.config["NOTIFY_INTERVAL_SECONDS"] = 0
    assert start_worker(app) is None


# --- e-mail -----------------------------------------------------------------------------------


class FakeSmtp(socketserver.ThreadingTCPServer):
    """Just enough SMTP for smtplib: records each message, refuses recipients in ``refuse``."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), SmtpHandler)
        self.messages: list[tuple[str, list[str], str]] = []
        self.refuse: set[str] = set()


class SmtpHandler(socketserver.StreamRequestHandler):
    server: FakeSmtp

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 fake ESMTP")
        sender, recipients = "", []
        while line := self.rfile.readline().decode().rstrip("\r\n"):
            verb = line.split(" ", 1)[0].split(":", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 fake")
            elif verb == "MAIL":
                sender, recipients = line.split(":", 1)[1].strip(" <>"), []
                self.reply("250 OK")
            elif verb == "RCPT":
                to = line.split(":", 1)[1].strip(" <>")
                if to in self.server.refuse:
                    self.reply("550 no such mailbox")
                else:
                    recipients.append(to)
                    self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go ahead")
                body = []
                while (data := self.rfile.readline().decode()) not in (".\r\n", ""):
                    body.append(data)
                self.server.messages.append((sender, recipients, "".join(body)))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


@pytest.fixture
def smtp() -> Iterator[FakeSmtp]:
    server = FakeSmtp()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_without_a_mail_server_messages_stay_in_the_outbox(
        app: Flask, db: Session, pair: dict[str, int]) -> None:
    notify(db, pair["ann"], "new_circle", "Welcome", "/circles/1")
    db.commit()
    assert app.config["MAIL_SERVER"] is None
    assert send_outbox(db, app.config) == 0
    db.commit()
    [mail] = outbox(db)
    assert (mail.sent_at, mail.attempts, mail.error) == (None, 0, "")


def test_smtp_sends_each_message_once_and_records_refusals(
        app: Flask, db: Session, pair: dict[str, int], smtp: FakeSmtp) -> None:
    config = {**app.config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.server_address[1],
              "MAIL_DEFAULT_SENDER": "circles@example.org", "MAIL_BASE_URL": "https://c.example/"}
    smtp.refuse = {"member2@example.org"}
    notify(db, pair["ann"], "new_circle", "Welcome, Ann", "/circles/7")
    notify(db, pair["ben"], "new_circle", "Welcome, Ben", "/circles/7")
    db.commit()
    assert send_outbox(db, config) == 1
    db.commit()
    [(sender, recipients, data)] = smtp.messages
    assert (sender, recipients) == ("circles@example.org", ["member1@example.org"])
    assert "Welcome, Ann" in data and "https://c.example/circles/7" in data
    ann_mail, ben_mail = outbox(db)
    assert ann_mail.sent_at is not None and ann_mail.error == ""
    assert ben_mail.sent_at is None and "550" in ben_mail.error and ben_mail.attempts == 1
    assert send_outbox(db, config) == 0  # Ann's is not sent twice; Ben's is tried again
    assert len(smtp.messages) == 1 and ben_mail.attempts == 2


def test_an_unreachable_mail_server_keeps_the_messages_for_later(
        app: Flask, db: Session, pair: dict[str, int], smtp: FakeSmtp) -> None:
    port = smtp.server_address[1]
    smtp.shutdown()
    smtp.server_close()
    notify(db, pair["ann"], "new_circle", "Welcome", "/")
    db.commit()
    assert send_outbox(db, {**app.config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": port,
                            "MAIL_TIMEOUT": 2}) == 0
    [mail] = outbox(db)
    assert mail.sent_at is None and mail.attempts == 1 and "Connection" in mail.error


# --- pages ------------------------------------------------------------------------------------


def login(auth: AuthActions, user_id: int, app: Flask) -> None:
    with app.app_context():
        email = orm.session.get_one(User, user_id).email
    assert auth.login(email).status_code == 302


def test_the_centre_lists_marks_read_and_shows_the_unread_badge(
        app: Flask, client: FlaskClient, auth: AuthActions, pair: dict[str, int]) -> None:
    with app.app_context():
        first = notify(orm.session, pair["ann"], "feedback", "You received feedback", "/journal")
        notify(orm.session, pair["ann"], "introduction", "Ben asks you", "/introductions")
        notify(orm.session, pair["ben"], "feedback", "For Ben only", "/x")
        assert first is not None
        first_id = first.id
        orm.session.commit()
    login(auth, pair["ann"], app)
    page = client.get("/notifications").get_data(as_text=True)
    assert "You received feedback" in page and "Ben asks you" in page
    assert "For Ben only" not in page and 'aria-label="2 unread"' in page
    opened = post_form(client, f"/notifications/{first_id}/read", {"open": "1"},
                       page="/notifications")
    assert opened.status_code == 302 and opened.headers["Location"] == "/journal"
    assert 'aria-label="1 unread"' in client.get("/notifications").get_data(as_text=True)
    done = post_form(client, "/notifications/read-all", page="/notifications",
                     follow_redirects=True)
    assert "Marked 1 notification read." in done.get_data(as_text=True)
    assert "unread-count" not in client.get("/notifications").get_data(as_text=True)


def test_another_members_notification_is_not_found(
        app: Flask, client: FlaskClient, auth: AuthActions, pair: dict[str, int]) -> None:
    with app.app_context():
        theirs = notify(orm.session, pair["ben"], "feedback", "Private", "/x")
        assert theirs is not None
        theirs_id = theirs.id
        orm.session.commit()
    login(auth, pair["ann"], app)
    response = post_form(client, f"/notifications/{theirs_id}/read", page="/notifications")
    assert response.status_code == 404


def test_settings_page_saves_choices_and_refuses_unknown_kinds(
        app: Flask, client: FlaskClient, auth: AuthActions, pair: dict[str, int]) -> None:
    login(auth, pair["ann"], app)
    saved = post_form(client, "/notifications/settings",
                      {"in_app": ["feedback", "commitment_due"], "email": ["commitment_due"]},
                      follow_redirects=True)
    assert "choices are saved" in saved.get_data(as_text=True)
    with app.app_context():
        chosen = {c.kind: (c.in_app, c.email) for c in preferences(orm.session, pair["ann"])}
    assert chosen["feedback"] == (True, False) and chosen["new_circle"] == (False, False)
    assert chosen["commitment_due"] == (True, True)
    bad = post_form(client, "/notifications/settings", {"email": ["spam"]})
    assert bad.status_code == 422 and "no notification called" in bad.get_data(as_text=True)


def test_dev_outbox_is_404_in_production(app: Flask, client: FlaskClient, auth: AuthActions,
                                         pair: dict[str, int]) -> None:
    login(auth, pair["ann"], app)
    assert not app.debug and not app.config["SHOW_DEV_OUTBOX"]
    assert client.get("/dev/outbox").status_code == 404


def test_dev_outbox_shows_a_member_only_their_own_mail(
        app: Flask, client: FlaskClient, auth: AuthActions, pair: dict[str, int]) -> None:
    app.config["SHOW_DEV_OUTBOX"] = True
    with app.app_context():
        notify(orm.session, pair["ann"], "new_circle", "For Ann", "/circles/1")
        notify(orm.session, pair["ben"], "new_circle", "For Ben", "/circles/1")
        orm.session.commit()
    login(auth, pair["ann"], app)
    page = client.get("/dev/outbox").get_data(as_text=True)
    assert "For Ann" in page and "not sent" in page and "For Ben" not in page


# --- hooks ------------------------------------------------------------------------------------


def test_introduction_requests_and_agreements_notify(
        app: Flask, db: Session, make_user: Any, make_community: Any) -> None:
    ann, ben, cat = (make_user(display_name=n) for n in ("Ann", "Ben", "Cat"))
    community = make_community(ann, members=[ben, cat])
    add_tie(db, ann.id, ben.id, source="declared", community_id=community.id)
    add_tie(db, ben.id, cat.id, source="declared", community_id=community.id)
    db.commit()
    intro = introductions.request_introduction(db, db.get_one(User, ann.id), cat.id, ben.id,
                                               "Negotiation")
    db.commit()
    assert texts(db, ben.id) == ["Ann asks you to introduce them to Cat."]
    assert texts(db, cat.id) == []  # not told before the broker agrees
    introductions.broker_agree(db, db.get_one(User, ben.id), intro.id, "You two should talk")
    db.commit()
    assert texts(db, ann.id) == ["Ben introduced you to Cat."]
    assert texts(db, cat.id) == ["Ben introduced you to Ann."]


def test_ending_a_session_tells_each_receiver_of_feedback(
        app: Flask, db: Session, make_user: Any, make_community: Any, make_circle: Any) -> None:
    room = build_room(app, make_user, make_community, make_circle)
    for name in ("ada", "ben", "cy"):
        presence.join(db, db.get_one(User, room.ids[name]), room.session_id, f"sid-{name}")
    phases.start(db, db.get_one(User, room.ada), room.session_id)
    db.commit()
    for _ in range(30):
        if (phase := current_phase(db, room.session_id)) and phase.kind == "feedback":
            break
        phases.advance(db, db.get_one(User, room.ada), room.session_id)
        db.commit()
    feedback.give_feedback(db, db.get_one(User, room.ben), room.session_id, room.cy,
                                "Calm", "Ask more")
    db.commit()
    phases.end(db, db.get_one(User, room.ada), room.session_id)
    db.commit()
    [told] = notifications.inbox(db, room.cy)
    assert told.kind == "feedback" and told.link == f"/sessions/{room.session_id}/live"
    assert "Calm" not in told.text  # the content stays in the room, for the receiver
    assert notifications.inbox(db, room.ben) == []


def test_a_footer_is_in_the_language_its_message_was_written_in(
        app: Flask, db: Session, pair: dict[str, int], smtp: FakeSmtp) -> None:
    """An address with no account yet (a new address being confirmed, an invitation) has no
    language of its own: its footer follows the message, which was written in the asking
    member's language; a message queued before the language was kept falls back to the
    recipient's account, else English."""
    from email import message_from_string
    from email.policy import default

    from flask_babel import force_locale

    from circles.notify.mail import queue_email

    config = {**app.config, "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp.server_address[1]}
    with force_locale("es"):
        queue_email(db, "nueva@example.org", "Circles: confirma tu nueva dirección",
                    "Hola Ana,\n\nAbre este enlace.", link="/account/email/token")
    older = queue_email(db, "older@example.org", "Circles: confirm", "Hello,", link="/account")
    older.language = ""  # queued before the language was kept
    db.commit()
    assert send_outbox(db, config) == 2
    spanish, english = (message_from_string(data, policy=default).get_content()
                        for _sender, _to, data in smtp.messages)
    assert "Recibes esto porque alguien usó esta dirección en Circles." in spanish
    assert "You receive" not in spanish
    assert "You receive this because someone used this address on Circles." in english
