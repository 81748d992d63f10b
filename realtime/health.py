"""``GET /health``: can this process serve? Its database, its message queue, pid and uptime.

For load balancers and operators: no login, no secrets (errors are named by their class,
never by a message that could hold a URL). 200 when everything is ok, 503 when degraded,
with every reason in ``problems``.
"""

from __future__ import annotations

import os
import time
from typing import Any

import redis
from flask import Blueprint, Flask, current_app
from flask.typing import ResponseReturnValue
from flask_socketio import SocketIO
from sqlalchemy.exc import SQLAlchemyError

from circles.extensions import orm
from realtime import busy
from realtime.heartbeat import HeartbeatRedisManager

bp = Blueprint("health", __name__)
STARTED = "circles.health.started"


def init_app(app: Flask, socketio: SocketIO) -> None:
    """Serve ``/health`` and start the queue's heartbeat with the first request served."""
    app.extensions[STARTED] = time.monotonic()
    app.register_blueprint(bp)
    manager = socketio.server.manager
    if isinstance(manager, HeartbeatRedisManager):
        app.before_request(manager.initialize)


@bp.get("/health")
def health() -> ResponseReturnValue:
    """Report this process's health as JSON: 200 when ok, 503 (with reasons) when degraded."""
    problems: list[str] = []
    body = {"pid": os.getpid(),
            "uptime_seconds": round(time.monotonic() - current_app.extensions[STARTED], 3),
            "database": _database(problems), "message_queue": _message_queue(problems),
            "events": _events()}
    status = "degraded" if problems else "ok"
    return {"status": status, "problems": problems, **body}, 503 if problems else 200


def _events() -> dict[str, Any]:
    """Member events this process works on now, its bound, and those it refused as busy."""
    admission = current_app.extensions.get(busy.EXTENSION)
    if admission is None:
        return {}
    return {"in_flight": admission.in_flight, "busy_at": admission.limit,
            "refused_busy": admission.refused}


def _database(problems: list[str]) -> dict[str, Any]:
    """``SELECT 1`` on a pooled connection of its own: outside the request's session, so no
    transaction (on SQLite no ``BEGIN IMMEDIATE`` lock) is taken for a probe."""
    driver_error = orm.engine.dialect.loaded_dbapi.Error  # a raw connection's errors are unwrapped
    start = time.perf_counter()
    try:
        connection = orm.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute("SELECT 1")
            cursor.fetchall()
            cursor.close()
        finally:
            connection.close()
    except (SQLAlchemyError, driver_error) as exc:
        problems.append(f"database: SELECT 1 failed ({type(exc).__name__})")
        return {"status": "error", "error": type(exc).__name__}
    return {"status": "ok", "ms": round((time.perf_counter() - start) * 1000, 2)}


def _message_queue(problems: list[str]) -> dict[str, Any]:
    socketio: SocketIO = current_app.extensions["socketio"]
    manager = socketio.server.manager
    if not current_app.config.get("SOCKETIO_MESSAGE_QUEUE"):
        return {"kind": "none"}  # in-process: nothing to lose between processes
    if not isinstance(manager, HeartbeatRedisManager):
        return {"kind": manager.name, "status": "unchecked"}
    manager.initialize()  # a probe before any socket or page still gets a heartbeat going
    report: dict[str, Any] = {"kind": "redis"}
    try:
        report["ping_ms"] = manager.ping()
    except redis.RedisError as exc:
        problems.append(f"message queue: Redis did not answer PING ({type(exc).__name__})")
        report["ping_error"] = type(exc).__name__
    state = manager.state()
    report["heartbeat"] = {"interval_seconds": state.interval,
                           "listening_seconds": state.listening_for,
                           "last_received_seconds_ago": state.received_ago,
                           "last_published_seconds_ago": state.published_ago}
    problem = state.problem()
    if problem is not None:
        problems.append(f"message queue: {problem}")
    report["status"] = "degraded" if "ping_error" in report or problem else "ok"
    return report
