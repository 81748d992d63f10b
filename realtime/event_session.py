"""Flask's cookie session, opened once per Socket.IO connection instead of once per event.

Flask opens the session (a signature check and a JSON decode of the cookie) whenever a
request context is pushed, and Flask-SocketIO pushes one for every event, then replaces
that session with its own copy, kept in the connection's WSGI environ from the first event
on (``manage_session``, its default). So from the second event on, the
session opened is the copy about to be used: this interface hands it over instead of
decoding the cookie again. Pages (whose environ never holds that copy) are unchanged.
"""

from __future__ import annotations

from flask import Flask, Request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin

#: Where Flask-SocketIO keeps a connection's session copy, in that connection's environ.
KEPT = "saved_session"


class EventSessionInterface(SecureCookieSessionInterface):
    """The cookie session, or a Socket.IO connection's own copy of it once it has one."""

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        kept: SessionMixin | None = request.environ.get(KEPT)
        if kept is not None:
            return kept  # type: ignore[return-value]  # Flask-SocketIO's _ManagedSession
        return super().open_session(app, request)


def init_app(app: Flask) -> None:
    app.session_interface = EventSessionInterface()
