"""Runs interrupted by a crash: who computes a run and since when, so a lost run is told from
a slow one, marked failed with the reason, and retried with the same settings and seed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from circles.errors import Conflict, NotFound
from circles.formation.problem import time_cap
from circles.kept import Said, in_every_language, keep
from circles.languages import term
from circles.models import FormationRun, utcnow

#: A run still computing this long after its time cap was lost with its process.
LOST_AFTER = timedelta(seconds=60)


LOST = _l("The server stopped while it was forming these circles, so the run did not "
          "finish. Retry it: the same settings and seed give the same plan.")


def mark_computing(run: FormationRun, process_id: str | None,
                   time_limit: float | None = None) -> None:
    """Note who computes the run, since when and for how long at most, so a crash can be
    told from slowness."""
    cap = time_limit or time_cap(len(run.params.get("member_ids", [])))
    run.params = {**run.params, "computing": {"process": process_id, "cap": cap,
                                              "since": utcnow().isoformat()}}


def interrupted(run: FormationRun, *, alive: Callable[[str], bool],
                now: Any = None) -> bool:
    """Whether a draft with no plan lost the process computing it: that process is gone
    (``alive`` says no) or the run is past its time cap by ``LOST_AFTER``."""
    if run.status != "draft" or (run.plan or {}).get("rounds"):
        return False
    computing = run.params.get("computing")
    if not computing:
        return False
    since = datetime.fromisoformat(computing["since"])
    cap = timedelta(seconds=float(computing.get("cap") or 30.0))
    late = (now or utcnow()) - since > cap + LOST_AFTER
    process = computing.get("process")
    return late or (process is not None and not alive(process))


def fail(run: FormationRun, error: str) -> None:
    """Mark a draft as failed with the reason; ``retry`` starts it again."""
    run.status = "failed"
    said = error if isinstance(error, Said) else in_every_language(lambda: error)
    run.params = {**run.params, "error": keep(said)}  # in every language (circles.kept)


def retry(db: Session, run_id: int) -> FormationRun:
    """A failed run back to a draft with no plan, ready to compute again (same seed)."""
    run = db.get(FormationRun, run_id)
    if run is None:
        raise NotFound("formation run")
    if run.status != "failed":
        raise Conflict(_("This formation run is %(status)s; only a failed run is retried.",
                         status=term(run.status)))
    run.status, run.plan = "draft", {}
    run.params = {k: v for k, v in run.params.items() if k not in ("error", "computing")}
    return run


def fail_lost(db: Session, *, alive: Callable[[str], bool]) -> int:
    """Mark every draft lost with the process computing it as failed; returns how many."""
    found = [run for run in db.scalars(select(FormationRun).where(FormationRun.status == "draft"))
             if interrupted(run, alive=alive)]
    for run in found:
        fail(run, LOST)
    return len(found)
