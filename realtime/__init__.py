"""Socket.IO edge: connection auth, handlers and broadcasts, wired in one visible place."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_socketio import SocketIO

from realtime import (
    acks,
    connection,
    flood,
    health,
    live,
    notifications,
    processes,
    revocation,
)
from realtime.heartbeat import HeartbeatRedisManager


def init_app(app: Flask) -> SocketIO:
    """Bind a Socket.IO server to ``app`` and register every handler.

    Threading mode with simple-websocket is chosen explicitly (no eventlet/gevent magic);
    with ``SOCKETIO_MESSAGE_QUEUE`` set, several server processes share one Redis queue.
    ``SOCKETIO_CHANNEL`` (env ``FLASK_SOCKETIO_CHANNEL``) separates deployments, or test
    runs, that share one Redis server.
    """
    socketio = SocketIO(
        app,
        async_mode="threading",
        # One socket's events run one after another on its own reader thread, instead of a
        # new thread per event: a flooding or hurried client cannot multiply threads (a
        # 20,000-event burst once took a server from ~3,000 to 4,200 threads), and one
        # client's changes reach the server in the order it sent them (docs/benchmarks.md).
        async_handlers=False,
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ALLOWED_ORIGINS"),
        max_http_buffer_size=64 * 1024,
        **_queue_options(app),
    )
    acks.answer_unexpected_errors(socketio)
    flood.init_app(app)
    processes.init_app(app, socketio)
    connection.register(socketio)
    live.register(socketio)
    notifications.register()
    revocation.register(app, socketio)
    health.init_app(app, socketio)
    return socketio


def _queue_options(app: Flask) -> dict[str, Any]:
    """A Redis queue gets the manager with a heartbeat (checked by ``/health``); any other
    queue URL is left to Flask-SocketIO."""
    url = app.config.get("SOCKETIO_MESSAGE_QUEUE")
    channel = app.config.get("SOCKETIO_CHANNEL") or "flask-socketio"
    if url and str(url).startswith(("redis://", "rediss://")):
        interval = float(app.config["SOCKETIO_HEARTBEAT_SECONDS"])
        return {"client_manager": HeartbeatRedisManager(url, channel=channel, interval=interval)}
    return {"message_queue": url, "channel": channel}
