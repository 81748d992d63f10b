"""Under gevent (gunicorn's gevent worker), at most a few Socket.IO events of this process at
a time.

A greenlet that holds a session's row lock waits, at every database round trip, behind every
other greenlet the loop has ready; with many events in flight at once (a room of members
joining together) the lock holders spend most of their transaction queued, "idle in
transaction", and the events behind the lock time out. Threads do not queue like this: the
GIL passes every 5 ms. A small gate keeps the queue in front of each lock holder short; the
sockets themselves (pings, broadcasts, reads) are not gated.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any

from flask import Flask, current_app
from flask_socketio import SocketIO

GATE = "circles.green.gate"


def gate_events(app: Flask, socketio: SocketIO, size: int) -> None:
    """Let at most ``size`` event handlers run at once (0: no gate).

    A member event (``acks.acked``) passes the gate inside, after the busy check
    (``realtime.busy``), so that the events queued here count towards the process's bound;
    the others (connect, disconnect) are wrapped here.
    """
    if size <= 0:
        return
    from gevent.lock import BoundedSemaphore

    gate = app.extensions[GATE] = BoundedSemaphore(size)
    handlers: dict[str, Callable[..., Any]] = socketio.server.handlers.get("/", {})
    for event, handler in list(handlers.items()):
        if getattr(handler, "circles_acked", False):
            handler.circles_gate = gate  # type: ignore[attr-defined]  # passed inside
        else:
            handlers[event] = _gated(handler, gate)


def gate() -> AbstractContextManager[Any]:
    """This process's gate (under gevent), else nothing to wait for."""
    return current_app.extensions.get(GATE) or nullcontext()


def _gated(handler: Callable[..., Any], gate: Any) -> Callable[..., Any]:
    @functools.wraps(handler)
    def gated(*args: Any) -> Any:
        with gate:
            return handler(*args)

    gated.circles_gate = gate  # type: ignore[attr-defined]  # (for the tests)
    return gated
