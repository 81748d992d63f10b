"""The Socket.IO edge's own sentences (busy, too fast, log in first, your login ended …) are
said in the member's language without reading the database for them (realtime/words.py):
the language is found once at connect and kept with the connection; a socket that has none
yet goes by its browser's ``Accept-Language``."""

from __future__ import annotations

from typing import Any

import pytest
import socketio
from flask import Flask
from sqlalchemy import event, update

from circles.extensions import orm
from circles.models import User
from realtime import busy, flood, words
from realtime.acks import LOGIN_ENDED
from realtime.connection import LOG_IN_FIRST
from tests.support.live import LiveServer, ServerFactory, http_session
from tests.support.live_circle import operator_app
from tests.support.live_socket import Member

BUSY_ES = "El servidor está ocupado; vuelve a enviarlo en un momento."
TOO_FAST_ES = "Estás enviando demasiado rápido; espera un momento y vuelve a intentarlo."
LOG_IN_FIRST_ES = ("Inicia sesión en Circles antes de conectarte para recibir actualizaciones "
                   "en vivo.")


def test_outside_a_request_and_in_english_the_sentence_is_its_own_text() -> None:
    assert words.say(busy.BUSY) == busy.BUSY
    assert words.say(flood.COOLING_DOWN, seconds=30).endswith("reconnect in 30 s.")


def test_the_remembered_language_wins_over_the_browsers_and_reads_no_database(
        app: Flask) -> None:
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(args[2])
    with app.test_request_context(headers={"Accept-Language": "es"}) as ctx:
        event.listen(orm.engine, "before_cursor_execute", seen)
        try:
            assert busy.refusal()["error"] == BUSY_ES  # nothing remembered: the browser's
            ctx.request.environ[words.LANGUAGE] = "en"
            assert busy.refusal()["error"] == busy.BUSY
            ctx.request.environ[words.LANGUAGE] = "es"
            assert words.say(flood.COOLING_DOWN, seconds=5) == (
                "Se te desconectó por enviar demasiado rápido; podrás volver a conectarte en "
                "5 s.")
        finally:
            event.remove(orm.engine, "before_cursor_execute", seen)
    assert statements == []


def test_a_language_nobody_speaks_here_falls_back_to_english(app: Flask) -> None:
    with app.test_request_context(headers={"Accept-Language": "fi, sv;q=0.5"}) as ctx:
        assert words.say(LOGIN_ENDED) == LOGIN_ENDED
        ctx.request.environ[words.LANGUAGE] = "xx"  # an old or hand-edited value
        assert words.say(LOGIN_ENDED) == LOGIN_ENDED


@pytest.fixture
def server(live_server_factory: ServerFactory) -> LiveServer:
    # Two events at once per socket, then one every ten seconds: the third is "too fast".
    return live_server_factory(FLASK_SIGNUP_RATE_LIMIT="100 per minute",
                               FLASK_SOCKETIO_BURST_PER_SID="2",
                               FLASK_SOCKETIO_RATE_PER_SID="0.1")


def signed_up(server: LiveServer, name: str, language: str) -> str:
    """A member signed up through the real form, with ``language`` chosen in their profile
    ("": none); their cookie."""
    browser = http_session(server)
    browser.signup(f"{name}@example.org", name.title())
    with operator_app(server) as app, app.app_context():
        orm.session.execute(update(User).where(User.email == f"{name}@example.org")
                            .values(language=language))
        orm.session.commit()
    return browser.cookie_header()


def whoami_three_times(member: Member) -> list[Any]:
    member.connect()
    try:
        return [member.call("whoami") for _ in range(3)]
    finally:
        member.disconnect()


@pytest.mark.live
def test_a_real_socket_is_told_too_fast_in_its_members_language(server: LiveServer) -> None:
    # Ana chose Spanish in her profile; her browser asks for English, as a shared computer's
    # might. Ben chose nothing and his browser asks for Spanish.
    ana = Member(server, signed_up(server, "ana", "es"), headers={"Accept-Language": "en"})
    ben = Member(server, signed_up(server, "ben", ""), headers={"Accept-Language": "es"})
    eve = Member(server, signed_up(server, "eve", "en"), headers={"Accept-Language": "es"})
    for member, sentence in ((ana, TOO_FAST_ES), (ben, TOO_FAST_ES), (eve, flood.TOO_FAST)):
        acks = whoami_three_times(member)
        assert [ack["ok"] for ack in acks] == [True, True, False]
        assert acks[2]["error"] == sentence


@pytest.mark.live
def test_a_refused_handshake_is_told_why_in_the_browsers_language(server: LiveServer) -> None:
    for language, sentence in (("es-MX,es;q=0.9", LOG_IN_FIRST_ES), ("en", LOG_IN_FIRST)):
        visitor = Member(server, cookie=None, headers={"Accept-Language": language})
        with pytest.raises(socketio.exceptions.ConnectionError):
            visitor.connect()
        assert visitor.refusals == [{"message": sentence}]
