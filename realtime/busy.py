"""Load shedding: a process already working on many member events refuses the next one at
once with a "busy" ack, before any database work, instead of queueing it.

Every member event passes ``admit()`` (from ``acks.acked``, after flood control). A process's
changes queue on one writer lock (SQLite) or on row locks and a few database connections
(PostgreSQL), so a queue longer than ``SOCKETIO_BUSY_AT`` events only makes each of them
wait longer. Without a bound, a process that fell behind kept every event: waits grew past
the clients' 5-second timeout, their retries joined the queue, sockets busy in a handler
missed their pings and reconnected (a join costs a snapshot), and one process went from
holding 300 members to holding 113 with 4,000 threads (docs/benchmarks.md). A refused event
costs nothing but its ack; the clients send it again after a pause (``retry_after``, then
their own growing, jittered pause), with the same ``op_id`` (docs/realtime.md, "Busy").
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app

from realtime.words import N_, say

EXTENSION = "circles.busy"
RETRY_AFTER = 1.0  # seconds a client waits at least before sending a refused event again
#: In the language remembered when the socket connected (``realtime.words``): looking it up
#: now would read the member's account, the very work a busy process refuses to do.
BUSY = N_("The server is busy; send this again in a moment.")


class Admission:
    """How many member events this process is working on, and the bound on it."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.in_flight = 0
        self.refused = 0  # since the process started (``/health``)
        self._lock = threading.Lock()

    def enter(self) -> bool:
        """Count one more event in, unless the bound is reached (then count a refusal)."""
        with self._lock:
            if 0 < self.limit <= self.in_flight:
                self.refused += 1
                return False
            self.in_flight += 1
            return True

    def leave(self) -> None:
        with self._lock:
            self.in_flight -= 1


def init_app(app: Flask) -> None:
    app.extensions[EXTENSION] = Admission(int(app.config.get("SOCKETIO_BUSY_AT", 0)))


@contextmanager
def admit() -> Iterator[bool]:
    """Whether this event may run now; while it runs it counts towards the bound."""
    admission: Admission | None = current_app.extensions.get(EXTENSION)
    if admission is None:
        yield True
        return
    if not admission.enter():
        yield False
        return
    try:
        yield True
    finally:
        admission.leave()


def refusal() -> dict[str, object]:
    """The ack of an event refused because the process is busy."""
    return {"ok": False, "busy": True, "retry_after": RETRY_AFTER, "error": say(BUSY)}
