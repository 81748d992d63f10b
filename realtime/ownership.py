"""Live connections only their owner can use: every Engine.IO request is checked against the
login the connection was opened with.

Over long-polling a Socket.IO connection is a series of HTTP requests named by the
Engine.IO ``sid`` in their URL. python-engineio accepts any request that names a known sid,
and Flask-SocketIO runs every event with the *handshake's* cookie, so without this check the
sid alone would act as the member: read their queued private packets (GET) or send events
in their name (POST), no cookie needed. URLs leak — into logs, proxies, browser history — so
a sid must never be a credential on its own.

``OwnerCheck`` is WSGI middleware in front of the Engine.IO path (``/socket.io/``):

- A request without a sid (a handshake, polling or websocket) is bound to the login of its
  cookie: the login's room name (``login:<sha-256 of the token>``) goes into the request's
  WSGI environ, which python-socketio keeps for the connection's whole life
  (``socketio.Server.environ[eio_sid]``, what ``get_environ`` reads). Whether the login is
  valid is the connect handler's question (``realtime.connection``), as before.
- A GET or POST naming a sid (each poll, each batch of sent packets, the websocket upgrade)
  passes only when its cookie names that same login **and**, once the socket has been
  connected, the login is still valid; no cookie, another member's or another browser's login gets
  ``403`` with nothing read or delivered (logged as ``authz_fail``). A revoked login (logged
  out, account disabled) gets ``403`` too and its socket is ended, in case the revocation
  instruction missed this process (docs/realtime.md, "Logout and removal"). Before the
  Socket.IO connect the connect handler is the one to refuse a revoked login, with its
  ``connect_error`` message.
- A sid this process does not know goes on to Engine.IO, which answers ``400``.

Why middleware and not python-engineio hooks: python-engineio offers a hook only at connect
(``connect(sid, environ)``), never per request, and its request handling is one method we
would have to copy to extend. A WSGI middleware is the documented way to put something in
front of a WSGI app (Flask-SocketIO installs its own the same way), uses only public Flask
APIs to read the cookie, and keeps working unchanged when Engine.IO's internals move. The
only library state it reads is python-socketio's per-connection environ. Websocket-only
transport would also close the hole, but loses the polling fallback for networks that block
websockets (docs/deploy.md), so the binding is kept for both transports.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs

from flask import Flask, request, session
from flask_login import current_user
from flask_socketio import SocketIO

from circles.security_log import security_event
from realtime.acks import LOGIN_ENDED
from realtime.rooms import login_room
from realtime.words import N_, say

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

#: The environ key holding the login a connection was opened with (its room name, or None).
OWNER = "circles.socket_owner"
#: Set once the connection's Socket.IO connect was accepted (it stays set after a disconnect).
CONNECTED = "circles.socket_connected"
#: Where Flask-Login keeps the login token in the session cookie (``login_user``).
SESSION_KEY = "_user_id"
UNBOUND = object()  # a connection without an owner (none of ours): nobody's login matches
NOT_YOURS = N_("This live connection belongs to another login. Reload the page to connect "
               "again.")
CHECKED_METHODS = ("GET", "POST")


class OwnerCheck:
    """WSGI middleware: every Engine.IO request with a sid must come from the sid's login."""

    def __init__(self, app: Flask, socketio: SocketIO, wsgi_app: WSGIApplication) -> None:
        self.app = app
        self.socketio = socketio
        self.wsgi_app = wsgi_app
        resource = getattr(socketio, "sockio_mw", None)
        self.path = "/" + str(getattr(resource, "engineio_path", "socket.io")).strip("/") + "/"

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        if not str(environ.get("PATH_INFO", "")).startswith(self.path) \
                or environ.get("REQUEST_METHOD") not in CHECKED_METHODS:
            return self.wsgi_app(environ, start_response)
        sid = parse_qs(str(environ.get("QUERY_STRING", ""))).get("sid", [None])[0]
        with self.app.request_context(environ):  # reads the cookie like any page request
            if sid is None:
                environ[OWNER] = cookie_login()  # the handshake: this is the owner
                refusal = None
            else:
                refusal = self.refusal(sid)
        if refusal is not None:
            return refuse(start_response, refusal)
        return self.wsgi_app(environ, start_response)

    def refusal(self, sid: str) -> str | None:
        """Why this request may not use connection ``sid`` (None: it may); in a request
        context of the request."""
        handshake: dict[str, Any] | None = self.socketio.server.environ.get(sid)
        if handshake is None:
            return None  # not ours: Engine.IO answers "Invalid session" (400)
        owner = handshake.get(OWNER, UNBOUND)
        if cookie_login() != owner:
            security_event("authz_fail", reason="live connection of another login")
            return say(NOT_YOURS)  # in the asking browser's language, not the owner's
        if owner is None or not handshake.get(CONNECTED):
            return None  # nobody's, or not connected yet: the connect handler checks the login
        if current_user.is_authenticated:
            return None
        # Revoked since the connect (the user loader logged session_use_after_expire). Its
        # Socket.IO session may be over already while packets wait in the Engine.IO queue.
        member_sid = self.socketio.server.manager.sid_from_eio_sid(sid, "/")
        if member_sid is not None:
            self.end(member_sid)
        return say(LOGIN_ENDED, handshake)

    def end(self, member_sid: str) -> None:
        """End the socket of a login that ended, off this request's thread (as a revocation
        instruction would): its rooms, presence and socket slots go now."""
        self.socketio.start_background_task(self.socketio.server.disconnect, member_sid,
                                            namespace="/", ignore_queue=True)


def connected() -> None:
    """In the connect handler, once the socket is accepted: from now on each request of the
    connection also checks that its login is still valid."""
    request.environ[CONNECTED] = True


def cookie_login() -> str | None:
    """The login the request's session cookie names (its room name), or None; reads no
    database (whether the login is still valid is a separate question)."""
    token = session.get(SESSION_KEY)
    return login_room(str(token)) if token else None


def refuse(start_response: StartResponse, message: str) -> list[bytes]:
    """Engine.IO's shape of an error (a JSON string), with status 403."""
    start_response("403 FORBIDDEN", [("Content-Type", "text/plain"),
                                     ("Cache-Control", "no-store")])
    return [json.dumps(message).encode()]


def init_app(app: Flask, socketio: SocketIO) -> OwnerCheck:
    """Put the check in front of Flask-SocketIO's middleware (``app.wsgi_app``)."""
    check = OwnerCheck(app, socketio, app.wsgi_app)
    app.wsgi_app = check  # type: ignore[method-assign]
    return check
