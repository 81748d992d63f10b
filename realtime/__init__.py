"""Socket.IO edge: connection auth, handlers and broadcasts, wired in one visible place."""

from __future__ import annotations

from flask import Flask
from flask_socketio import SocketIO

from realtime import connection


def init_app(app: Flask) -> SocketIO:
    """Bind a Socket.IO server to ``app`` and register every handler.

    Threading mode with simple-websocket is chosen explicitly (no eventlet/gevent magic);
    with ``SOCKETIO_MESSAGE_QUEUE`` set, several server processes share one Redis queue.
    """
    socketio = SocketIO(
        app,
        async_mode="threading",
        message_queue=app.config.get("SOCKETIO_MESSAGE_QUEUE"),
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ALLOWED_ORIGINS"),
        max_http_buffer_size=64 * 1024,
    )
    connection.register(socketio)
    return socketio
