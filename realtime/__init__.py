"""Socket.IO edge: connection auth, handlers and broadcasts, wired in one visible place."""

from __future__ import annotations

from flask import Flask
from flask_socketio import SocketIO

from realtime import acks, connection, live, notifications


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
        message_queue=app.config.get("SOCKETIO_MESSAGE_QUEUE"),
        channel=app.config.get("SOCKETIO_CHANNEL") or "flask-socketio",
        cors_allowed_origins=app.config.get("SOCKETIO_CORS_ALLOWED_ORIGINS"),
        max_http_buffer_size=64 * 1024,
    )
    acks.answer_unexpected_errors(socketio)
    connection.register(socketio)
    live.register(socketio)
    notifications.register()
    return socketio
