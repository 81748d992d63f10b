"""The serving process under gunicorn's gevent worker (docs/deploy.md): Socket.IO in gevent
mode, psycopg's waits green, a formation solve off the event loop; and threading mode
everywhere else. Each gevent check runs in a subprocess patched as the worker patches
itself (``gevent.monkey.patch_all()`` before the app is imported)."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from circles import create_app
from circles.server import async_mode, green, off_the_loop
from tests.support.interpreters import in_a_gevent_worker, in_a_process
from tests.support.live import ROOT


def test_without_gevent_the_process_stays_in_threading_mode() -> None:
    assert green() is False and async_mode() == "threading"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
    assert app.extensions["socketio"].async_mode == "threading"
    assert off_the_loop(lambda progress: 6 * 7 if progress is None else 0) == 42


def test_under_a_gevent_worker_sockets_are_greenlets_and_database_waits_are_green() -> None:
    out = in_a_gevent_worker("""
        from circles import create_app
        import psycopg.waiting
        app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
        print(app.extensions["socketio"].async_mode, psycopg.waiting.wait.__name__)
    """)
    # psycopg's C wait would block the whole process in poll(); the patched poll() yields.
    assert out == "gevent wait_poll"


def test_a_formation_solve_leaves_the_event_loop_answering() -> None:
    """A greenlet ticking every 10 ms keeps ticking while ``off_the_loop`` runs the numba
    solver for 1.5 s (the formation runner's case), and its progress comes through; run as a
    greenlet, or in a thread of the process, the solve would stall the loop."""
    out = in_a_gevent_worker("""
        import functools, time, gevent
        import numpy as np
        from circles.server import off_the_loop
        from graph.plan import plan_circles
        gaps, last = [], [time.monotonic()]
        def tick():
            while True:
                gevent.sleep(0.01)
                now = time.monotonic()
                gaps.append(now - last[0])
                last[0] = now
        ticker = gevent.spawn(tick)
        gevent.sleep(0.05)
        w = np.random.default_rng(0).random((40, 40))
        reports = []
        plan = off_the_loop(functools.partial(plan_circles, time_limit=1.5, seed=0),
                            w + w.T, [(4, 6)] * 8, 2, progress=reports.append, every=0.05)
        ticker.kill()
        print(round(max(gaps), 3), len(plan.rounds), len(reports), reports[-1] <= 1.0)
        try:
            off_the_loop(plan_circles, w, [(30, 30)], 1, progress=None)
        except Exception as exc:
            print(type(exc).__name__)
    """)
    longest, rounds, reports, bounded, error = out.split()
    assert float(longest) < 0.25, f"the loop stopped for {longest} s"
    assert (rounds, bounded) == ("2", "True") and int(reports) >= 1
    assert error == "InfeasibleError"  # the solver's own error, raised in the caller


def test_under_gevent_only_a_few_events_run_at_once() -> None:
    """``realtime.green``: every event handler of a gevent process passes a gate of
    ``SOCKETIO_GREEN_EVENTS`` (4); ten events at once run four at a time."""
    out = in_a_gevent_worker("""
        import gevent
        from circles import create_app
        app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://"})
        handlers = app.extensions["socketio"].server.handlers["/"]
        running, most = [0], [0]
        def slow(*args):
            running[0] += 1
            most[0] = max(most[0], running[0])
            gevent.sleep(0.05)
            running[0] -= 1
        from realtime.green import _gated
        gate = handlers["live:join"].circles_gate
        gevent.joinall([gevent.spawn(_gated(slow, gate)) for _ in range(10)])
        print(most[0], sorted(e for e, h in handlers.items() if not hasattr(h, "circles_gate")))
    """)
    assert out == "4 []"


def test_under_gevent_events_waiting_at_the_gate_count_towards_the_busy_bound() -> None:
    """``realtime.busy`` before ``realtime.green``: with a bound of 3 and a gate of 1, ten
    member events at once are three admitted (one running, two queued at the gate, run one
    at a time) and seven answered "busy" at once — the gate's queue cannot grow unbounded."""
    out = in_a_gevent_worker("""
        import gevent
        from circles import create_app
        from realtime import acks
        app = create_app({"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite://",
                          "SOCKETIO_BUSY_AT": 3, "SOCKETIO_GREEN_EVENTS": 1})
        running, most = [0], [0]
        def slow(handler, args):
            running[0] += 1
            most[0] = max(most[0], running[0])
            gevent.sleep(0.05)
            running[0] -= 1
            return {"ok": True}
        acks._answered = slow  # the login check and the handler, as one slow step
        acks.flood.screen = lambda: None
        member_event = acks.acked(lambda: {})
        answers = []
        def one():
            with app.app_context():
                answers.append(member_event())
        gevent.joinall([gevent.spawn(one) for _ in range(10)])
        print(sum(a.get("ok") is True for a in answers), sum(bool(a.get("busy")) for a in answers),
              most[0])
    """)
    assert out == "3 7 1"


SWALLOWS_ONE_SIGTERM = """
import atexit, signal, time
from circles.server import exit_on_sigterm
leaving = exit_on_sigterm()
atexit.register(lambda: print("exit hooks ran", flush=True))
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM})  # held until inside the try
print("ready", flush=True)
swallowed = False
try:
    while True:
        try:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
            while True:
                time.sleep(0.05)
        except SystemExit:
            if swallowed:
                raise
            swallowed = True  # as inside a garbage-collector callback: printed, ignored
            print("swallowed", flush=True)
finally:
    leaving.set()
"""


def test_a_sigterm_whose_exit_was_swallowed_is_sent_again_and_ends_the_process() -> None:
    """The SystemExit a SIGTERM raises can land where Python ignores it (a weakref callback
    during start-up did so to `flask serve`, which then served on): the process ends anyway,
    through its exit hooks, with 0."""
    process = subprocess.Popen([sys.executable, "-c", SWALLOWS_ONE_SIGTERM], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert process.stdout is not None and process.stdout.readline().strip() == "ready"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert process.stdout.read().split() == ["swallowed", "exit", "hooks", "ran"]
    finally:
        process.kill()
        process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_what_survives_a_full_gc_pass_is_frozen_and_all_is_walked_again_after_a_thaw() -> None:
    """A long-lived object that dies in a cycle waits for the next thaw, and is freed by the
    full pass after it; between thaws a full pass walks only what is new."""
    out = in_a_process("""
        import gc, weakref
        from circles.server import SurvivorFreezer
        now = [0.0]
        freezer = SurvivorFreezer(300.0, clock=lambda: now[0])
        gc.callbacks.append(freezer)

        class Node:
            pass

        node = Node()
        node.me = node  # a cycle: only the collector frees it
        alive = weakref.ref(node)
        gc.collect()  # node survives a full pass: frozen
        frozen = gc.get_freeze_count()
        assert frozen > 0
        young = Node()
        young.me = young
        gc.collect(1)  # a young pass does not freeze
        assert gc.get_freeze_count() == frozen
        del node
        gc.collect()
        print("kept while frozen:", alive() is not None)
        now[0] = 299.0
        gc.collect()
        print("kept before the thaw:", alive() is not None)
        now[0] = 300.0
        gc.collect()  # this pass thaws: everything is in the oldest generation again
        print("frozen after the thaw:", gc.get_freeze_count())
        now[0] = 301.0
        gc.collect()
        print("freed after the thaw:", alive() is None, gc.get_freeze_count() > 0)
        print("full passes:", freezer.full_passes)
    """)
    assert out.splitlines() == ["kept while frozen: True", "kept before the thaw: True",
                                "frozen after the thaw: 0", "freed after the thaw: True True",
                                "full passes: 5"]


def test_a_serving_process_sets_its_freezer_once() -> None:
    out = in_a_process("""
        import gc
        from circles.server import SurvivorFreezer, settle_loaded_objects
        print(settle_loaded_objects() > 0, settle_loaded_objects() > 0)
        print(sum(isinstance(c, SurvivorFreezer) for c in gc.callbacks))
    """)
    assert out.splitlines() == ["True True", "1"]


def test_what_a_serving_process_prepares_includes_the_background_checkpoint(
        tmp_path: Path) -> None:
    """``prepare_to_serve`` (``flask serve`` and gunicorn's worker both call it) freezes
    what is loaded and starts the SQLite checkpointer: after it, a commit does not
    checkpoint, and the committed rows still reach the database file."""
    out = in_a_process(f"""
        import os, time
        from circles import create_app
        from circles.extensions import orm
        from circles.server import prepare_to_serve
        path = "{tmp_path / 'serving.sqlite3'}"
        app = create_app({{"TESTING": True, "SECRET_KEY": "x", "DATABASE_URL": "sqlite:///" + path,
                          "SQLITE_CHECKPOINT_SECONDS": 0.05}})
        with app.app_context():
            orm.create_all()
            before = os.path.getsize(path)
            print(prepare_to_serve(app) > 0)
            with orm.engine.begin() as conn:
                print(conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar())
                conn.exec_driver_sql("CREATE TABLE filler (data BLOB)")
                conn.exec_driver_sql("INSERT INTO filler VALUES (randomblob(2000000))")
        for _ in range(100):
            if os.path.getsize(path) >= before + 2_000_000:
                break
            time.sleep(0.05)
        print(os.path.getsize(path) >= before + 2_000_000)
    """)
    assert out.splitlines() == ["True", "0", "True"]
