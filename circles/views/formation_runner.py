"""Computing a formation run off the request: a background task with its own database
session that reports progress to the facilitator's sockets and to the status endpoint.

``FORMATION_RUN_INLINE`` (tests only, set through ``test_config`` or ``app.config``) computes
in the request instead, so HTTP tests need no threads. Progress lives in this process; the
finished plan lives in the database, so any process can tell that a run is done.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from flask import Flask, current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from circles import server
from circles.errors import CirclesError, InvalidInput
from circles.extensions import db, orm
from circles.formation import plan, recovery
from circles.formation.infeasible import infeasible
from circles.formation.problem import Problem, Solved
from circles.kept import in_every_language, shown
from circles.languages import DEFAULT, language_of
from circles.live import processes as live_processes
from circles.models import FormationRun, User
from graph.errors import FormationError
from realtime import broadcast, processes

log = logging.getLogger(__name__)
UNEXPECTED = _l("Forming the circles failed unexpectedly. Try again, or with a smaller format.")
LOST = recovery.LOST
#: Seconds between two progress messages; the solver may report more often than people read.
REPORT_EVERY = 0.2


@dataclass
class Progress:
    fraction: float = 0.0
    done: bool = False
    error: str | None = None


_lock = threading.Lock()
#: Where an app keeps the progress of the runs its process computes (run id → Progress).
EXTENSION = "circles.formation_progress"


def _runs(app: Flask) -> dict[int, Progress]:
    runs: dict[int, Progress] = app.extensions.setdefault(EXTENSION, {})
    return runs


def progress_of(run_id: int) -> Progress | None:
    """How far this process has got computing ``run_id`` (None: not computed here)."""
    with _lock:
        found = _runs(current_app).get(run_id)
        return Progress(found.fraction, found.done, found.error) if found else None


def _record(app: Flask, run_id: int, **changes: object) -> None:
    with _lock:
        progress = _runs(app).setdefault(run_id, Progress())
        for name, value in changes.items():
            setattr(progress, name, value)


def start(run_id: int, user_id: int, *, time_limit: float | None) -> None:
    """Compute ``run_id`` in a background task (inline when ``FORMATION_RUN_INLINE``)."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    _record(app, run_id, fraction=0.0, done=False, error=None)
    run = db().get(FormationRun, run_id)
    if run is not None:
        recovery.mark_computing(run, None if app.config.get("FORMATION_RUN_INLINE")
                                 else processes.started(), time_limit)
    # End the request's transaction first: on SQLite it holds the lock the computing session
    # needs (a deadlock when computing inline, a wait otherwise).
    db().commit()
    if app.config.get("FORMATION_RUN_INLINE"):
        compute(app, run_id, user_id, time_limit=time_limit)
    else:
        app.extensions["socketio"].start_background_task(
            compute, app, run_id, user_id, time_limit=time_limit)


def compute(app: Flask, run_id: int, user_id: int, *, time_limit: float | None) -> None:
    """Read the problem, solve it with no transaction open, store the plan, tell the facilitator.

    Three phases because on SQLite every transaction begins with ``BEGIN IMMEDIATE`` (see
    circles/database.py): a transaction held open through a solve of several seconds would
    hold the database lock and stall every page, the status polling and the socket handshake
    of the facilitator watching the progress bar.
    """
    last, highest = 0.0, 0.0

    def report(fraction: float) -> None:
        # A solver may start a later phase from 0; a bar that runs backwards misleads.
        nonlocal last, highest
        highest = fraction = max(highest, min(fraction, 1.0))
        _record(app, run_id, fraction=fraction)
        now = time.monotonic()
        if now - last >= REPORT_EVERY:
            last = now
            broadcast.formation_progress(user_id, run_id, fraction)

    error: str | None = None
    with app.app_context():
        try:
            with Session(orm.engine) as db:
                problem = plan.prepare_run(db, run_id, time_limit=time_limit)
            solution = _solve(problem, report)
            with Session(orm.engine) as db:
                plan.store_run(db, problem, solution)
                db.commit()
        except FormationError as exc:  # carries a readable message, said in every language
            error = in_every_language(partial(infeasible, exc))
        except InvalidInput as exc:  # infeasible sizes: in every language (circles.kept)
            error = next(iter(exc.errors.values())) if len(exc.errors) == 1 else exc.message
        except CirclesError as exc:  # availability: said to the facilitator
            error = exc.message
        except Exception:  # a thread that dies silently would leave the page waiting forever
            log.exception("formation run %s failed", run_id)
            error = UNEXPECTED
        if error is not None:
            _persist_failure(run_id, error)
        _record(app, run_id, fraction=1.0, done=True, error=error)
        broadcast.formation_progress(user_id, run_id, 1.0, done=True,
                                     error=None if error is None else _for(user_id, error))


def _for(user_id: int, error: str) -> str:
    """Why the run failed, in the language of the facilitator who started it (no request is
    asking here: their choice, else their community's, else English)."""
    with Session(orm.engine) as db:
        lead = db.get(User, user_id)
        with force_locale(language_of(db, lead) if lead is not None else DEFAULT):
            return str(shown(error))


def _solve(problem: Problem, report: Callable[[float], None]) -> Solved:
    """Solve off the event loop (``circles.server.off_the_loop``: under gevent, in a process
    of its own), reporting progress as it comes."""
    return server.off_the_loop(plan.solve_run, problem, progress=report, every=REPORT_EVERY)


def _persist_failure(run_id: int, error: str) -> None:
    """Keep a failure on the run, so it still shows (with a retry) after a restart."""
    with Session(orm.engine) as db:
        run = db.get(FormationRun, run_id)
        if run is not None and run.status == "draft" and not (run.plan or {}).get("rounds"):
            recovery.fail(run, error)
            db.commit()


def lost(run: FormationRun) -> bool:
    """Whether ``run`` was being computed by a process that is gone (read only)."""
    alive = live_processes.checker(db(), current_app.config)
    return progress_of(run.id) is None and recovery.interrupted(run, alive=alive)


def retry(run: FormationRun) -> None:
    """A failed or lost run back to a draft, committed, ready for ``start``."""
    if run.status == "draft" and lost(run):
        recovery.fail(run, LOST)
    recovery.retry(db(), run.id)
    db().commit()
