"""This server process among the others: its ``LiveProcess`` row, its beat, and the sweep of
connections left behind by processes that died (``circles.live.processes``).

A process registers when it accepts its first socket (under gunicorn or ``flask serve``
alike, and after any fork), with a fresh boot id that its ``Presence`` rows carry. A
background task then beats every ``LIVE_PROCESS_BEAT`` seconds and, on each beat, deletes
the rows of processes silent for ``STALE_BEATS`` beats and drops every connection no live
process holds: the rest of each room sees those members reconnecting, through the event log
like any change. A ``kill -9`` therefore shows within about four beats; a clean exit (atexit)
drops its own connections at once.
"""

from __future__ import annotations

import atexit
import json
import os
import socket
import threading
import uuid
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from flask import Flask, current_app
from flask_socketio import SocketIO
from sqlalchemy.exc import SQLAlchemyError

from circles.extensions import db, orm
from circles.live import processes
from circles.models import utcnow
from realtime import broadcast
from realtime.edge import log_and_commit
from realtime.words import N_, say

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

EXTENSION = "circles.processes"
STALE_BEATS = processes.STALE_BEATS
#: A drain closes the sockets it finds, then looks again: a handshake under way when it began
#: may open one more before gunicorn's worker loop stops accepting (up to a second on).
DRAIN_PASSES, DRAIN_PASS_SECONDS = 6, 0.25
#: What a refused handshake says, as ``{"message": ...}``: the client libraries pass the body
#: to ``connect_error`` (docs/realtime/schemas/events/connect_error.json), then retry.
RESTARTING = N_("This server is restarting; connecting to another one.")


class ServerProcess:
    """This process's registration and beat; thread-safe, started once."""

    def __init__(self, app: Flask, socketio: SocketIO) -> None:
        self.app = app
        self.socketio = socketio
        self.interval = float(app.config["LIVE_PROCESS_BEAT"])
        self.grace = float(app.config["LIVE_FACILITATOR_GRACE"])
        self.id: str | None = None
        self.host = f"{socket.gethostname()} pid {os.getpid()}"
        self._lock = threading.Lock()
        #: A beat and a clean exit never interleave: a beat that found the row gone because
        #: the exit had just removed it would register it again and take itself for swept.
        self._beat_lock = threading.Lock()
        self._stopped = threading.Event()
        #: Set when a graceful shutdown begins: new connections are refused from then on.
        self.draining = threading.Event()
        self._last_beat_ok = False

    def start(self) -> str:
        """Register this process (once) and start beating; returns its boot id.

        Called before a socket is accepted and before any database work of the request, so
        the registration commits alone and precedes every ``Presence`` row naming it.
        """
        if self.id is not None:  # the common case: no lock
            return self.id
        with self._lock:
            if self.id is None:
                boot_id = uuid.uuid4().hex  # here, not at import: a forked worker gets its own
                processes.register(db(), boot_id, self.host)
                orm.session.commit()
                self.id, self._last_beat_ok = boot_id, True
                self.app.logger.info("live_process_started %s (%s)", boot_id, self.host)
                if not self.app.testing:  # unit tests' apps come and go: no thread, no hook
                    atexit.register(self.stop)
                    if self.interval > 0:
                        self.socketio.start_background_task(self._beat_forever)
        return self.id

    def _beat_forever(self) -> None:
        while not self._stopped.is_set():
            with self.app.app_context():
                try:
                    self.beat()
                except Exception:  # a beat must never end the loop
                    self.app.logger.exception("live_process_beat_failed")
                finally:
                    orm.session.remove()
            self._stopped.wait(self.interval)

    def beat(self) -> None:
        """Renew this process's row, then sweep the dead (in an app context).

        No sweep follows a beat that failed: after a database outage every process's beat is
        late, and each first gets one interval to renew its row. After ``stop`` a beat does
        nothing.
        """
        assert self.id is not None
        with self._beat_lock:
            if not self._stopped.is_set():
                self._beat(self.id)

    def _beat(self, process_id: str) -> None:
        try:
            alive = processes.beat(db(), process_id)
            if not alive:
                processes.register(db(), process_id, self.host)
            orm.session.commit()
        except SQLAlchemyError:
            orm.session.rollback()
            self._last_beat_ok = False
            raise
        if not alive:
            self._swept_alive()
        if self._last_beat_ok:
            self.sweep()
        self._last_beat_ok = True

    def _swept_alive(self) -> None:
        """Another process took this one for dead (it missed its beats), so the presence of
        its connections may be gone: they reconnect and join again."""
        self.app.logger.warning("live_process_swept_alive %s: reconnecting its sockets", self.id)
        self.close_transports()

    def close_transports(self) -> None:
        """Close every socket's transport without a Socket.IO goodbye. A client that hears
        the server say goodbye (a disconnect packet) does not reconnect, by the Socket.IO
        protocol; one whose connection is cut does, and joins again."""
        for sock in list(self.socketio.server.eio.sockets.values()):
            if not sock.closed:
                sock.close(wait=False, abort=True)

    def sweep(self) -> int:
        """Delete processes silent for ``STALE_BEATS`` beats and drop every connection no live
        process holds; returns how many connections were dropped."""
        stale_before = utcnow() - timedelta(seconds=STALE_BEATS * self.interval)
        for dead in processes.reap(db(), stale_before):
            self.app.logger.warning("live_process_dead %s (%s), last beat %s", dead.id,
                                    dead.host, dead.beat_at)
        orm.session.commit()
        dropped = 0
        for session_id in processes.orphaned_sessions(db()):
            dropped += drop_orphans(session_id, self.grace)
        orm.session.rollback()  # end the read of ``orphaned_sessions``
        return dropped

    def stop(self) -> None:
        """On a clean exit: remove this process's row and drop its connections."""
        if self.id is None or self._stopped.is_set():
            return
        self._stopped.set()
        with self._beat_lock, self.app.app_context():
            try:
                processes.unregister(db(), self.id)
                orm.session.commit()
                for session_id in processes.orphaned_sessions(db()):
                    drop_orphans(session_id, self.grace)
            except SQLAlchemyError:
                self.app.logger.exception("live_process_stop_failed %s", self.id)
            finally:
                orm.session.remove()

    def drain(self) -> None:
        """A graceful shutdown: refuse new connections (``DrainGate``), drop this process's
        connections at once (``stop``), then close every socket's transport without a
        Socket.IO goodbye, so each client reconnects (to another process) straight away
        instead of when the server's graceful timeout ends.

        gunicorn stops accepting only at its worker loop's next tick (up to a second on), and
        nginx sends a reconnecting member back to the same process by address meanwhile: the
        gate answers those handshakes 503 (nginx tries the other process), and a socket whose
        handshake was already under way when the drain began is closed on a later pass."""
        self.draining.set()
        self.stop()
        for _pass in range(DRAIN_PASSES):
            self.close_transports()
            self.socketio.sleep(DRAIN_PASS_SECONDS)
        self.app.logger.info("live_process_drained %s", self.id)


class DrainGate:
    """WSGI middleware: while the process drains, a new Engine.IO connection (a handshake: no
    ``sid``) is answered 503 with ``Retry-After``, so nginx (``proxy_next_upstream
    http_503``) or the client itself connects to another process; pages and requests of
    connections already open pass."""

    def __init__(self, process: ServerProcess, wsgi_app: WSGIApplication, path: str) -> None:
        self.process = process
        self.wsgi_app = wsgi_app
        self.path = path

    def __call__(self, environ: WSGIEnvironment,
                 start_response: StartResponse) -> Iterable[bytes]:
        if self.process.draining.is_set() \
                and str(environ.get("PATH_INFO", "")).startswith(self.path) \
                and "sid" not in parse_qs(str(environ.get("QUERY_STRING", ""))):
            start_response("503 SERVICE UNAVAILABLE", [
                ("Content-Type", "application/json"), ("Cache-Control", "no-store"),
                ("Retry-After", "1")])
            with self.process.app.app_context():  # in the handshake's Accept-Language
                message = say(RESTARTING, environ)
            return [json.dumps({"message": message}).encode()]
        return self.wsgi_app(environ, start_response)


def drop_orphans(session_id: int, grace: float) -> int:
    """Drop one session's orphaned connections: log, commit, then broadcast each change."""
    changes = processes.drop_orphans(db(), session_id, away_grace=grace)
    log_and_commit(changes)
    broadcast.live_changes(changes)
    return len(changes)


def init_app(app: Flask, socketio: SocketIO) -> ServerProcess:
    process = ServerProcess(app, socketio)
    app.extensions[EXTENSION] = process
    resource = getattr(socketio, "sockio_mw", None)
    path = "/" + str(getattr(resource, "engineio_path", "socket.io")).strip("/") + "/"
    app.wsgi_app = DrainGate(process, app.wsgi_app, path)  # type: ignore[method-assign]
    return process


def current() -> ServerProcess:
    process: ServerProcess = current_app.extensions[EXTENSION]
    return process


def started() -> str:
    """This process's boot id, registering it first if this is its first socket."""
    return current().start()
