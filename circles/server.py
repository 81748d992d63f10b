"""What a serving process does once its app is loaded, whichever server runs it."""

from __future__ import annotations

import gc
import logging
import multiprocessing
import os
import pickle
import signal
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from flask import Flask
from sqlalchemy import Engine, event

from circles.database import writer_lock
from circles.extensions import orm

T = TypeVar("T")
LOG = logging.getLogger(__name__)


#: Seconds between full passes of the garbage collector that walk every object again
#: (``SurvivorFreezer``); cycles among long-lived objects are freed at the latest then.
THAW_EVERY = 300.0


def prepare_to_serve(app: Flask) -> int:
    """What every serving process (``flask serve``, gunicorn's worker) does once its app is
    loaded and before the first request: checkpoint SQLite off the request path
    (``BackgroundCheckpointer``) and keep long-lived objects out of the garbage
    collector's full passes (``settle_loaded_objects``); returns how many objects are frozen."""
    with app.app_context():
        checkpointer = BackgroundCheckpointer.for_engine(
            orm.engine, every=app.config["SQLITE_CHECKPOINT_SECONDS"])
    if checkpointer is not None:
        app.extensions["socketio"].start_background_task(checkpointer.run)
    return settle_loaded_objects()


class BackgroundCheckpointer:
    """Copy SQLite's write-ahead log into the database file every ``every`` seconds, away
    from the requests, instead of inside whichever commit finds the log past 1,000 pages.

    SQLite's automatic checkpoint runs in the committing call: it copies the log into the
    file and syncs both to disk, the transaction's writer lock still held. Under gunicorn's
    gevent worker that C call blocks the one event loop every socket of the process shares.
    A serving process turns the automatic checkpoint off on its connections
    (``for_engine``) and runs this loop as a background task instead. Each turn copies what
    it can without stopping anyone (``PASSIVE``), then takes the process's writer lock —
    writers queue on it and, under gevent, the loop carries on — to copy the rest and have
    the next writer start the log from its beginning again (``RESTART``). Without that, a
    log written to all the time is never caught up with and grows without end. The SQLite
    calls run in a native thread (``blocking``), holding neither the loop nor the GIL.
    """

    def __init__(self, path: str, every: float) -> None:
        self.path, self.every = path, every
        self.checkpoints = 0
        self.stopped = False

    @classmethod
    def for_engine(cls, engine: Engine, every: float) -> BackgroundCheckpointer | None:
        """A checkpointer for the SQLite file of ``engine``, whose connections no longer
        checkpoint when committing; None for another backend or SQLite in memory."""
        if engine.dialect.name != "sqlite" or engine.url.database in (None, "", ":memory:"):
            return None

        @event.listens_for(engine, "connect")
        def _no_automatic_checkpoint(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA wal_autocheckpoint = 0")

        engine.dispose()  # connections made before now get the setting when made again
        return cls(str(engine.url.database), every)

    def run(self) -> None:
        """Checkpoint every ``every`` seconds until ``stopped``. A turn that finds the file
        busy (another process writing) leaves the rest to the next turn; a turn that fails
        is logged and the next one tried: the process's commits no longer checkpoint, so
        this loop must not end with it."""
        connection = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA busy_timeout = 0")
        lock = writer_lock(self.path)
        try:
            while not self.stopped:
                time.sleep(self.every)  # gevent's, under its worker
                try:
                    blocking(connection.execute, "PRAGMA wal_checkpoint(PASSIVE)")
                    with lock:
                        blocking(connection.execute, "PRAGMA wal_checkpoint(RESTART)")
                    self.checkpoints += 1
                except Exception:  # see above; the log says what failed
                    LOG.exception("SQLite checkpoint of %s failed", self.path)
        finally:
            connection.close()


def blocking(call: Callable[..., T], *args: Any) -> T:
    """``call(*args)``, a call that blocks in C (disk, a lock), where it cannot stop the
    process's other work: under gevent in a native thread of the hub's pool while this
    greenlet waits; elsewhere (threads already) here."""
    if not green():
        return call(*args)
    import gevent

    result: T = gevent.get_hub().threadpool.apply(call, args)
    return result


def settle_loaded_objects(thaw_every: float = THAW_EVERY) -> int:
    """Keep what is loaded by now (the app and its libraries, alive as long as the process)
    out of the garbage collector's full passes, and from now on what survives a full pass
    (``SurvivorFreezer``); returns how many objects are frozen now.

    A full pass walks every tracked object with the GIL held. Under live load it ran several
    times a minute for 150-250 ms each, stopping every socket, and set the fan-out p99; with
    the loaded objects frozen it walks only what the process made since (docs/benchmarks.md).
    """
    gc.collect()
    gc.freeze()
    if not any(isinstance(c, SurvivorFreezer) for c in gc.callbacks):
        gc.callbacks.append(SurvivorFreezer(thaw_every))
    return gc.get_freeze_count()


class SurvivorFreezer:
    """A ``gc.callbacks`` entry: after every full pass, freeze what survived it, and every
    ``thaw_every`` seconds unfreeze everything instead, so that the next full pass walks it
    all once and frees cycles among long-lived objects that died meanwhile.

    What a serving process makes after it starts lives long too: a thousand open sockets
    came to some 200,000 objects, and each full pass walked them all, 100-140 ms a dozen
    times a minute with the GIL held, every socket stopped (docs/benchmarks.md). Frozen,
    they are walked once per ``thaw_every``. The price is memory: garbage in cycles among
    survivors of a full pass waits for the next thaw (what dies young is freed as before,
    and whatever has no cycle at once, by its reference count).
    """

    def __init__(self, thaw_every: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.thaw_every = thaw_every
        self.clock = clock
        self.thawed = clock()
        self.full_passes = 0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase != "stop" or info["generation"] != 2:
            return
        self.full_passes += 1
        now = self.clock()
        if now - self.thawed >= self.thaw_every:
            self.thawed = now
            gc.unfreeze()  # the next full pass walks everything once
        else:
            gc.freeze()


def exit_on_sigterm() -> threading.Event:
    """End the process through ``sys.exit(0)`` on SIGTERM (systemd, a test stopping its
    server), so exit hooks run. Set the returned event once the exit is under way.

    The ``SystemExit`` a handler raises lands wherever the main thread is, and inside a
    garbage-collector callback Python prints "Exception ignored" and carries on (seen with a
    SIGTERM during start-up): until the event is set, the signal is sent again a second later.
    """
    leaving = threading.Event()

    def again() -> None:
        if not leaving.wait(1.0):
            os.kill(os.getpid(), signal.SIGTERM)

    def on_sigterm(*_: object) -> None:
        threading.Thread(target=again, name="circles-sigterm", daemon=True).start()
        sys.exit(0)

    signal.signal(signal.SIGTERM, on_sigterm)
    return leaving


def green() -> bool:
    """Whether this process runs under gevent with the standard library patched (gunicorn's
    ``-k gevent`` worker): sockets are then greenlets on one event loop, not threads."""
    monkey = sys.modules.get("gevent.monkey")
    return bool(monkey is not None and monkey.is_module_patched("socket"))


def async_mode() -> str:
    """The Socket.IO async mode for this process: ``gevent`` under a gevent worker, else
    ``threading`` (``flask serve``, the tests). Never guessed from what is installed:
    Flask-SocketIO would pick gevent whenever it is importable, patched or not."""
    return "gevent" if green() else "threading"


def off_the_loop(solve: Callable[..., T], *args: Any,
                 progress: Callable[[float], None] | None = None, every: float = 0.2) -> T:
    """``solve(*args, progress=...)``, CPU-bound (a formation run), where it cannot stop the
    sockets; returns its result or raises what it raised.

    Under gevent every socket of the process is a greenlet on one loop, and a solve of
    several seconds run as a greenlet (or in a thread of this process: the solver's own
    pool of chains would be greenlets there too, and every bit of its Python holds the GIL
    the loop needs) would stall them all. It runs in a fresh process instead (``spawn``:
    nothing of gevent or the app's connections is inherited), on the other core if there
    is one; this greenlet waits on the pipe and passes the latest progress on at most every
    ``every`` seconds. ``solve`` and ``args`` must pickle. Elsewhere it runs here.
    """
    if not green():
        return solve(*args, progress=progress)
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_solve_and_send, args=(sender, solve, args), daemon=True,
                            name="circles-solve")
    child.start()
    sender.close()
    latest: float | None = None
    reported = time.monotonic()
    try:
        while True:
            if receiver.poll(every):  # the patched poll(): other greenlets run meanwhile
                try:
                    kind, value = receiver.recv()
                except EOFError:
                    raise RuntimeError("the solving process ended without an answer") from None
                if kind == "error":
                    raise value
                if kind == "done":
                    result: T = value
                    return result
                latest = value
            if progress is not None and latest is not None and (
                    time.monotonic() - reported >= every):
                progress(latest)
                latest, reported = None, time.monotonic()
    finally:
        receiver.close()
        child.join(timeout=5)
        if child.is_alive():
            child.kill()


def _solve_and_send(sender: Connection, solve: Callable[..., Any], args: tuple[Any, ...]
                    ) -> None:
    """The solving process: progress, then the result or the error, through ``sender``."""
    def progress(fraction: float) -> None:
        sender.send(("progress", fraction))

    try:
        sender.send(("done", solve(*args, progress=progress)))
    except Exception as exc:  # noqa: BLE001 - every error is the caller's to handle
        try:
            pickle.loads(pickle.dumps(exc))
        except Exception:  # noqa: BLE001 - an error that does not cross processes
            exc = RuntimeError(f"{type(exc).__name__}: {exc}")
        sender.send(("error", exc))
    finally:
        sender.close()
