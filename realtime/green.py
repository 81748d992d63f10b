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
from typing import Any

from flask_socketio import SocketIO


def gate_events(socketio: SocketIO, size: int) -> None:
    """Let at most ``size`` event handlers run at once (0: no gate)."""
    if size <= 0:
        return
    from gevent.lock import BoundedSemaphore

    gate = BoundedSemaphore(size)
    handlers: dict[str, Callable[..., Any]] = socketio.server.handlers.get("/", {})
    for event, handler in list(handlers.items()):
        handlers[event] = _gated(handler, gate)


def _gated(handler: Callable[..., Any], gate: Any) -> Callable[..., Any]:
    @functools.wraps(handler)
    def gated(*args: Any) -> Any:
        with gate:
            return handler(*args)

    gated.circles_gate = gate  # type: ignore[attr-defined]  # (for the tests)
    return gated
