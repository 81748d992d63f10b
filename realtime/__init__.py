"""Socket.IO edge: connection auth, handlers and broadcasts, wired in one visible place.

Every event the server answers is registered by name in ``register_handlers``, each with a
module-level handler; room names are in ``realtime.rooms``; what leaves the server is emitted
by ``realtime.broadcast`` (whose docstring lists the three ways a broadcast leaves).
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_socketio import SocketIO

from circles.redaction import redact_logs
from circles.server import async_mode
from realtime import (
    acks,
    busy,
    connection,
    event_session,
    flood,
    green,
    health,
    live,
    notifications,
    ownership,
    processes,
    revocation,
    slots,
)
from realtime.heartbeat import HeartbeatRedisManager


def init_app(app: Flask) -> SocketIO:
    """Bind a Socket.IO server to ``app`` and register every handler.

    The async mode is chosen explicitly, by the server that runs the process: gevent under
    gunicorn's gevent worker (production: a socket is a greenlet, not a thread held for its
    life), threading with simple-websocket under ``flask serve`` and in tests
    (``circles.server.async_mode``). With ``SOCKETIO_MESSAGE_QUEUE`` set, several server
    processes share one Redis queue.
    ``SOCKETIO_CHANNEL`` (env ``FLASK_SOCKETIO_CHANNEL``) separates deployments, or test
    runs, that share one Redis server.
    """
    socketio = SocketIO(
        app,
        async_mode=async_mode(),
        # One socket's events run one after another on its own reader thread, instead of a
        # new thread per event: a flooding or hurried client cannot multiply threads (a
        # 20,000-event burst once took a server from ~3,000 to 4,200 threads), and one
        # client's changes reach the server in the order it sent them (docs/benchmarks.md).
        async_handlers=False,
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ALLOWED_ORIGINS"),
        max_http_buffer_size=64 * 1024,
        **_queue_options(app),
    )
    event_session.init_app(app)  # the cookie session decoded once per connection
    flood.init_app(app)
    busy.init_app(app)
    slots.init_app(app)
    processes.init_app(app, socketio)  # a draining process refuses new connections (503)
    ownership.init_app(app, socketio)  # every Engine.IO request: only the sid's own login
    redact_logs("engineio.server", "socketio.server", sids=True)  # they quote sids
    register_handlers(socketio)
    notifications.listen()
    revocation.init_app(app, socketio)
    health.init_app(app, socketio)
    if socketio.async_mode == "gevent":  # every handler registered by now
        green.gate_events(app, socketio, int(app.config.get("SOCKETIO_GREEN_EVENTS", 4)))
    return socketio


def register_handlers(socketio: SocketIO) -> None:
    """Every Socket.IO event the server answers, by name, with its handler (the protocol is
    docs/realtime.md). Member events answer an ack through ``realtime.acks.acked``."""
    socketio.on_error_default(acks.unexpected)
    socketio.on_event("connect", connection.on_connect)
    socketio.on_event("whoami", connection.whoami)
    socketio.on_event("disconnect", connection.on_disconnect)
    socketio.on_event("live:join", live.on_join)
    socketio.on_event("live:leave", live.on_leave)
    socketio.on_event("live:snapshot", live.on_snapshot)
    socketio.on_event("live:events", live.on_events)
    socketio.on_event("live:phase_order", live.on_phase_order)
    for event in live.CHANGES:  # live:start, live:advance, …: one domain operation each
        socketio.on_event(event, live.on_change)


def _queue_options(app: Flask) -> dict[str, Any]:
    """A Redis queue gets the manager with a heartbeat (checked by ``/health``); any other
    queue URL is left to Flask-SocketIO."""
    url = app.config.get("SOCKETIO_MESSAGE_QUEUE")
    channel = app.config.get("SOCKETIO_CHANNEL") or "flask-socketio"
    if url and str(url).startswith(("redis://", "rediss://")):
        interval = float(app.config["SOCKETIO_HEARTBEAT_SECONDS"])
        return {"client_manager": HeartbeatRedisManager(url, channel=channel, interval=interval)}
    return {"message_queue": url, "channel": channel}
