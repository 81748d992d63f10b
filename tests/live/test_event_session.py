"""The cookie session is decoded once per Socket.IO connection, not once per event
(``realtime.event_session``): Flask-SocketIO replaces the session Flask opens for each event
by the connection's own copy, so decoding the cookie again was work thrown away (issue 18)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask_socketio import SocketIOTestClient

from tests.live.test_live_handlers import call, room, socket_for
from tests.support.live_room import Room

__all__ = ["room"]  # the fixture, shared with the handler tests


@contextmanager
def decodes(app: Flask) -> Iterator[list[str]]:
    """Each time the session cookie is decoded meanwhile."""
    seen: list[str] = []
    interface = app.session_interface
    original = interface.get_signing_serializer  # type: ignore[attr-defined]

    def counting(app_: Flask) -> Any:
        serializer = original(app_)
        if serializer is not None:
            loads = serializer.loads

            def counted(*args: Any, **kwargs: Any) -> Any:
                seen.append("cookie")
                return loads(*args, **kwargs)

            serializer.loads = counted
        return serializer

    interface.get_signing_serializer = counting  # type: ignore[attr-defined]
    try:
        yield seen
    finally:
        del interface.get_signing_serializer  # type: ignore[attr-defined]


def test_events_reuse_the_connections_session_and_pages_still_read_the_cookie(
        app: Flask, room: Room) -> None:
    socket: SocketIOTestClient = socket_for(app, room.ids["ben"])
    sid = {"session_id": room.session_id}
    assert call(socket, "live:join", sid)["ok"] is True
    with decodes(app) as seen:
        for _ in range(5):
            ack = call(socket, "live:snapshot", sid)
            assert ack["ok"] is True  # still the member the cookie names
    assert seen == []
    browser = app.test_client()
    browser.set_cookie(app.config["SESSION_COOKIE_NAME"], "not-a-signed-cookie")
    with decodes(app) as seen:
        browser.get("/login")
    assert seen == ["cookie"]
